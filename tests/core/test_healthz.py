"""/healthz: what a load balancer or an operator checks."""

from __future__ import annotations

from tests.conftest import free_port


def test_healthy_when_database_and_redis_answer(client):
    """With both services up the check answers 200 and is never cached."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok", "status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_unavailable_when_redis_is_down(make_app):
    """Without Redis the check answers 503 and names only the failing service."""
    port = free_port()
    client = make_app(REDIS_URL=f"redis://127.0.0.1:{port}/0").test_client()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {
        "database": "ok",
        "redis": "unavailable",
        "status": "unavailable",
    }
    body = response.get_data(as_text=True)
    for leak in ("127.0.0.1", str(port), "Error", "refused"):
        assert leak not in body
