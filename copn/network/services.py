"""Rules of the network area, callable without a request."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from copn.core.text import fold
from copn.extensions import db
from copn.network.models import Organisation

SEARCH_LIMIT = 50


def search_organisations(query: str = "", locale: str = "vi") -> Sequence[Organisation]:
    """Current members whose name contains ``query``, diacritics ignored.

    They come in the alphabetical order of the names shown in ``locale``.
    """
    if locale == "vi":
        order = Organisation.search_name
    else:
        name_en = func.nullif(Organisation.name_en, "")
        order = func.lower(func.coalesce(name_en, Organisation.name_vi))
    statement = (
        select(Organisation)
        .where(Organisation.withdrawn_on.is_(None))
        .order_by(order, Organisation.id)
        .limit(SEARCH_LIMIT)
    )
    folded = fold(query)
    if folded:
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(
            Organisation.search_name.like(f"%{escaped}%", escape="\\")
        )
    return db.session.scalars(statement).all()


def add_organisation(
    name_vi: str,
    name_en: str,
    short_name: str,
    type_id: int,
    network_role_ids: Sequence[int] = (),
) -> Organisation:
    """Register a member organisation; flushes, does not commit."""
    from copn.network.models import NetworkRole

    roles = db.session.scalars(
        select(NetworkRole).where(NetworkRole.id.in_(network_role_ids))
    ).all()
    organisation = Organisation(
        name_vi=name_vi,
        name_en=name_en,
        short_name=short_name,
        search_name=fold(" ".join([name_vi, name_en, short_name])),
        type_id=type_id,
        network_roles=list(roles),
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation
