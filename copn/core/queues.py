"""Redis and RQ: named queues, the JSON serializer, and a worker with an app context.

Jobs receive ids, never personal data: failed jobs keep their arguments in Redis.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry, SimpleWorker, Worker
from rq.serializers import JSONSerializer

logger = logging.getLogger(__name__)

# Transient failures are retried with growing pauses (seconds).
DEFAULT_RETRY = Retry(max=5, interval=[10, 30, 120, 300, 900])


def redis_connection(app: Flask | None = None) -> Redis:
    """The app's Redis client, created once per process (and per fork)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get("copn_redis")
    if client is None:
        client = Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2
        )
        app.extensions["copn_redis"] = client
    return client


def get_queue(name: str = "default", app: Flask | None = None) -> Queue:
    """The configured queue ``name``; raises ``ValueError`` for any other name."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if name not in app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(
        name,
        connection=redis_connection(app),
        serializer=JSONSerializer,
        default_timeout=300,
    )


def enqueue(
    func: str, *args: Any, queue: str = "default", job_id: str | None = None
) -> None:
    """Enqueue ``func`` (a dotted path) with JSON-serialisable ``args``."""
    get_queue(queue).enqueue(
        func,
        *args,
        job_id=job_id,
        retry=DEFAULT_RETRY,
        failure_ttl=current_app.config["RQ_FAILURE_TTL"],
        result_ttl=current_app.config["RQ_RESULT_TTL"],
    )


class _AppContextMixin:
    """Runs each job inside the application context of the worker's app."""

    app: Flask

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        from copn.extensions import db

        with self.app.app_context():
            try:
                return super().perform_job(*args, **kwargs)  # type: ignore[misc]
            finally:
                db.session.remove()


class AppWorker(_AppContextMixin, Worker):
    """The forking worker: each job runs in a child of a process that built the app."""


class AppSimpleWorker(_AppContextMixin, SimpleWorker):
    """The non-forking worker: faster, for tests and small installations."""


def make_worker(
    app: Flask, queues: list[str] | None = None, forking: bool = True
) -> Worker:
    """A worker over ``queues`` (all by default) with the app preloaded.

    Raises ``ValueError`` for a queue name that is not configured.
    """
    names = queues or app.config["RQ_QUEUES"]
    cls = AppWorker if forking else AppSimpleWorker
    worker = cls(
        [get_queue(name, app) for name in names],
        connection=redis_connection(app),
        serializer=JSONSerializer,
    )
    worker.app = app
    return worker
