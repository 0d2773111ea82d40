"""The audit trail people can read lives in the database, not in log files."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request

from copn.core.models import AuditEvent
from copn.extensions import db


def record(
    action: str,
    object_type: str,
    object_id: int | None = None,
    actor_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event to the session (flushed, not committed).

    ``data`` must hold no personal data beyond ids: the trail outlives erasure.
    """
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_id=actor_id,
        request_id=g.get("request_id") if has_request_context() else None,
        ip=request.remote_addr if has_request_context() else None,
        data=data,
    )
    db.session.add(event)
    db.session.flush()
    return event
