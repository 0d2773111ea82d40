"""RQ queues: named, JSON-serialised, and run by a worker that has the app loaded."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable

import pytest
from flask import Flask
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from copn.core.queues import (
    AppSimpleWorker,
    AppWorker,
    enqueue,
    get_queue,
    make_worker,
    redis_connection,
)


@pytest.mark.parametrize("name", ["mails", "", "rq:queue:mail", "high"])
def test_unknown_queue_name_is_refused(app: Flask, name: str) -> None:
    """A job sent to a queue no worker serves is refused instead of lost."""
    with pytest.raises(ValueError, match="unknown queue"):
        get_queue(name)


def test_configured_queues_use_json(app: Flask) -> None:
    """Every configured queue stores jobs as JSON, never pickle."""
    for name in app.config["RQ_QUEUES"]:
        queue = get_queue(name)
        assert queue.name == name
        assert queue.serializer is JSONSerializer


def test_enqueued_job_is_json_with_retries_and_runs_in_the_app(
    app: Flask, run_jobs: Callable[[], int]
) -> None:
    """A job is stored as readable JSON, retried on failure, and runs with the app."""
    enqueue("copn.notify.services.relay_once", 10, job_id="relay-test")

    (job,) = get_queue("default").get_jobs()
    raw = redis_connection().hget(job.key, "data")
    assert raw is not None
    assert json.loads(zlib.decompress(raw)) == [
        "copn.notify.services.relay_once",
        None,
        [10],
        {},
    ]
    assert job.retries_left == 5
    assert job.failure_ttl == app.config["RQ_FAILURE_TTL"]

    run_jobs()
    job.refresh()
    # relay_once needs the app's config and database: it fails without them.
    assert job.get_status() == JobStatus.FINISHED
    assert job.return_value() == 0


def test_worker_serves_the_chosen_queues(app: Flask) -> None:
    """The worker serves every configured queue unless told which, forking or not."""
    forking = make_worker(app)
    simple = make_worker(app, ["mail"], forking=False)

    assert isinstance(forking, AppWorker)
    assert forking.queue_names() == app.config["RQ_QUEUES"]
    assert isinstance(simple, AppSimpleWorker)
    assert simple.queue_names() == ["mail"]
    assert simple.serializer is JSONSerializer


def test_worker_refuses_an_unknown_queue(app: Flask) -> None:
    """A worker told to serve a misspelt queue refuses to start rather than idle."""
    with pytest.raises(ValueError, match="unknown queue 'mails'"):
        make_worker(app, ["mail", "mails"])
