"""A bounded load generator: a few threads, each a keep-alive HTTP client.

Each client sends the cookies it was given back, as a returning browser would.
gunicorn's sync workers close the connection after each answer; ``http.client``
then reconnects on the next request, for COPN and the baseline alike.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.processes import HOST


@dataclass
class LoadResult:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    body_bytes: int = 0
    client_cpu: float = 0.0  # CPU seconds of this process per second of load

    def add(self, other: LoadResult) -> None:
        """Fold in a later slice of the same load."""
        self.elapsed += other.elapsed
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)
        self.errors.extend(other.errors)
        self.body_bytes = max(self.body_bytes, other.body_bytes)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, rank: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = max(0, min(len(ordered) - 1, round(rank / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def run_load(
    port: int, path: str, requests: int, clients: int, max_seconds: float
) -> LoadResult:
    """Send ``requests`` GETs from ``clients`` threads, stopping at ``max_seconds``."""
    result = LoadResult()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop = threading.Event()
    quotas = [requests // clients + (i < requests % clients) for i in range(clients)]

    def client(quota: int) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        cookies: dict[str, str] = {}
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        size = 0
        start.wait()
        try:
            for _ in range(quota):
                if stop.is_set():
                    break
                began = time.perf_counter()
                headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
                connection.request("GET", path, headers=headers if cookies else {})
                response = connection.getresponse()
                body = response.read()
                latencies.append(time.perf_counter() - began)
                statuses[response.status] += 1
                size = len(body)
                for header in response.msg.get_all("Set-Cookie") or []:
                    name, _, value = header.split(";", 1)[0].partition("=")
                    cookies[name.strip()] = value.strip()
        except Exception as exc:  # noqa: BLE001 - reported with the results
            with lock:
                result.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()
            with lock:
                result.latencies.extend(latencies)
                result.statuses.update(statuses)
                result.body_bytes = max(result.body_bytes, size)

    threads = [
        threading.Thread(target=client, args=(quota,), daemon=True) for quota in quotas
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    deadline = began + max_seconds
    try:
        for thread in threads:
            thread.join(max(0.0, deadline - time.perf_counter()))
        stop.set()
        for thread in threads:
            thread.join(15)
    finally:
        stop.set()
    result.elapsed = time.perf_counter() - began
    return result
