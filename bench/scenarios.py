"""What the benchmark measures: one entry per page, with the data it needs.

A scenario names a COPN page and the baseline page that does the same work with
bare Flask (see ``bench/baseline.py``). Its ``seed`` grows the data to ``total``
rows; it runs inside a COPN app context and commits. The query count is measured
at each of ``sizes`` and the load runs at the largest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: Callable[[int], None]
    copn_path: str
    baseline_path: str
    sizes: tuple[int, ...] = (10, 50)


def seed_organisations(total: int) -> None:
    """Add member organisations until there are ``total``; every third has roles."""
    from copn.extensions import db
    from copn.network.models import NetworkRole, Organisation, OrganisationType
    from copn.network.services import add_organisation

    existing = db.session.scalar(select(func.count(Organisation.id))) or 0
    type_ids = db.session.scalars(select(OrganisationType.id)).all()
    role_ids = db.session.scalars(select(NetworkRole.id)).all()

    for number in range(existing + 1, total + 1):
        roles = role_ids[number % len(role_ids) :][:2] if number % 3 == 0 else []
        add_organisation(
            name_vi=f"Sở Thông tin và Truyền thông số {number:03d}",
            name_en=f"Department of Information and Communications {number:03d}",
            short_name=f"STTTT-{number:03d}",
            type_id=type_ids[number % len(type_ids)],
            network_role_ids=roles,
        )

    db.session.commit()


# TODO: pages behind sign-in need a seeded user and a login in each load client;
# job throughput needs a list of job scenarios run against the RQ worker (README).
SCENARIOS: list[Scenario] = [
    Scenario(
        name="organisations",
        seed=seed_organisations,
        copn_path="/network/organisations",
        baseline_path="/organisations",
    ),
]
