"""Shared models: the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from copn.core.clock import utcnow
from copn.extensions import db


class AuditEvent(db.Model):
    """Something a person did that others may need to account for later."""

    # The audit page and a person's activity filter by the object acted on.
    __table_args__ = (Index(None, "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    request_id: Mapped[str | None] = mapped_column(String(64))
    # The address the request came from (proxy-corrected), for security events.
    ip: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return (
            f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"
        )


class ServerSession(db.Model):
    """A browser session kept on the server; the cookie holds only a random id.

    Deleting the row ends the session at once, whatever copies of the cookie exist.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the cookie's value: a leaked database does not hand out sessions.
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    idle_seconds: Mapped[int]
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<ServerSession {self.id} user={self.user_id}>"
