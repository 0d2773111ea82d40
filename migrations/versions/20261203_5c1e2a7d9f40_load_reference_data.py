"""Load reference data: provinces, organisation types, network roles, access roles.

Revision ID: 5c1e2a7d9f40
Revises: b0049c24db7a
Create Date: 2026-12-03 18:00:00

The 34 provincial-level units come from the project's copy of the list in force since
1 July 2025 (copn/network/data/provinces.csv), read when this revision runs.
"""

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "5c1e2a7d9f40"
down_revision = "b0049c24db7a"
branch_labels = None
depends_on = None

PROVINCES_CSV = (
    Path(__file__).resolve().parents[2] / "copn" / "network" / "data" / "provinces.csv"
)

ORGANISATION_TYPES = [
    ("government_agency", "Cơ quan nhà nước", "Government agency"),
    ("mass_organisation", "Tổ chức chính trị - xã hội", "Socio-political organisation"),
    ("association", "Hiệp hội, hội nghề nghiệp", "Association"),
    ("ngo", "Tổ chức phi chính phủ", "Non-governmental organisation"),
    ("enterprise", "Doanh nghiệp", "Enterprise"),
    ("education", "Cơ sở giáo dục, nghiên cứu", "Education or research institution"),
    ("other", "Khác", "Other"),
]

NETWORK_ROLES = [
    ("coordinating_body", "Cơ quan điều phối", "Coordinating body"),
    ("standing_agency", "Cơ quan thường trực", "Standing agency"),
    ("steering_board", "Ban chỉ đạo", "Steering board"),
    ("expert_team", "Nhóm chuyên gia", "Expert team"),
    ("support_team", "Nhóm hỗ trợ", "Support team"),
]

ACCESS_ROLES = [
    ("volunteer", "Vetted collaborator"),
    ("trainer", "Publishes courses"),
    ("expert", "Expert team: analyst and product evaluator"),
    ("member_staff", "Staff of a member organisation"),
    ("coordinator", "Coordinating body or standing agency"),
    ("admin", "System operator"),
]

province = sa.table(
    "province",
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
    sa.column("kind", sa.String),
    sa.column("formed_from", sa.Text),
)
organisation_type = sa.table(
    "organisation_type",
    sa.column("code", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
)
network_role = sa.table(
    "network_role",
    sa.column("code", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
)
role = sa.table(
    "role", sa.column("name", sa.String), sa.column("description", sa.String)
)


def upgrade():
    with PROVINCES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [
            {
                "name_vi": row["name_vi"],
                "name_en": row["name_en"],
                "kind": row["kind"],
                "formed_from": row["formed_from"],
            }
            for row in csv.DictReader(handle)
        ]
    op.bulk_insert(province, rows)
    op.bulk_insert(
        organisation_type,
        [dict(code=c, name_vi=vi, name_en=en) for c, vi, en in ORGANISATION_TYPES],
    )
    op.bulk_insert(
        network_role,
        [dict(code=c, name_vi=vi, name_en=en) for c, vi, en in NETWORK_ROLES],
    )
    op.bulk_insert(role, [dict(name=n, description=d) for n, d in ACCESS_ROLES])


def downgrade():
    op.execute(role.delete())
    op.execute(network_role.delete())
    op.execute(organisation_type.delete())
    op.execute(province.delete())
