"""The migrations build the schema the models describe, and can be undone."""

from __future__ import annotations

import csv

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from copn import ROOT
from copn.auth.models import ROLE_NAMES, Role
from copn.extensions import db
from copn.network.models import NetworkRole, OrganisationType, Province

PROVINCES_CSV = ROOT / "copn" / "network" / "data" / "provinces.csv"


@pytest.fixture
def at_head(app):
    """Whatever the test does to the schema, it is back at the newest revision after."""
    yield app
    db.session.remove()
    upgrade()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_downgrade_to_nothing_and_upgrade_again(at_head):
    """Every revision can be undone and redone, reference data included."""
    db.session.remove()

    downgrade(revision="base")
    assert _tables() == set()

    upgrade()
    assert _tables() == set(db.metadata.tables)
    with PROVINCES_CSV.open(encoding="utf-8", newline="") as handle:
        expected = sorted(row["name_vi"] for row in csv.DictReader(handle))
    provinces = sorted(db.session.scalars(select(Province.name_vi)))
    assert len(provinces) == 34
    assert provinces == expected
    assert sorted(db.session.scalars(select(Role.name))) == sorted(ROLE_NAMES)
    assert len(db.session.scalars(select(NetworkRole)).all()) == 5
    assert db.session.scalars(select(OrganisationType.code)).all()


def test_models_and_migrations_agree(app):
    """A model change without its migration fails here ("flask db check")."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == []
