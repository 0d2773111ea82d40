"""``flask demo load``: founding member organisations and one account per role."""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_security import hash_password
from sqlalchemy import select

from copn.auth.models import User
from copn.auth.services import create_user
from copn.extensions import db
from copn.network.models import NetworkRole, Organisation, OrganisationType
from copn.network.services import add_organisation

# (Vietnamese name, English name, short name, type code, network role codes)
FOUNDING_MEMBERS = [
    (
        "Cục An toàn thông tin",
        "Authority of Information Security",
        "AIS",
        "government_agency",
        ["coordinating_body", "steering_board"],
    ),
    (
        "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam",
        "Vietnam Cybersecurity Emergency Response Teams/Coordination Center",
        "VNCERT/CC",
        "government_agency",
        ["standing_agency"],
    ),
    (
        "Cục Trẻ em",
        "Department of Children",
        "",
        "government_agency",
        ["steering_board"],
    ),
    (
        "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao",
        "Department of Cyber Security and High-Tech Crime Prevention",
        "A05",
        "government_agency",
        ["steering_board"],
    ),
    (
        "Vụ Giáo dục Chính trị và Công tác học sinh, sinh viên",
        "Department of Political Education and Student Affairs",
        "",
        "government_agency",
        ["steering_board"],
    ),
    ("Vụ Gia đình", "Department of Family", "", "government_agency", []),
    (
        "Ban Công tác thiếu nhi Trung ương Đoàn TNCS Hồ Chí Minh",
        "Children's Affairs Committee of the Ho Chi Minh Communist Youth Union",
        "",
        "mass_organisation",
        ["support_team"],
    ),
    (
        "Hiệp hội An toàn thông tin Việt Nam",
        "Vietnam Information Security Association",
        "VNISA",
        "association",
        ["expert_team"],
    ),
]

# One demo account per role: (role, name, organisation short or Vietnamese name)
DEMO_ACCOUNTS = [
    ("volunteer", "Nguyễn Thị Lan", None),
    ("trainer", "Trần Văn Minh", "VNISA"),
    ("expert", "Lê Hoàng Nam", "VNISA"),
    ("member_staff", "Phạm Thu Hà", "Cục Trẻ em"),
    ("coordinator", "Võ Đức Anh", "AIS"),
    ("admin", "Đặng Quốc Bảo", "AIS"),
]
DEMO_DOMAIN = "demo.copn.vn"


@click.group("demo")
def demo_cli() -> None:
    """Demo data for development."""


@demo_cli.command("load")
@with_appcontext
def load() -> None:
    """Create the founding members and one account per role (development only).

    Safe to run again: what exists is kept, and each run sets new random passwords
    for the demo accounts, printed here and written to instance/demo-accounts.txt.
    """
    if current_app.config["ENV"] != "development":
        raise click.ClickException("Demo data is loaded only in development.")

    organisations = _load_organisations()
    lines = _load_accounts(organisations)
    db.session.commit()

    sheet = Path(current_app.instance_path) / "demo-accounts.txt"
    # Readable by its owner only from the start: it holds passwords.
    sheet.touch(mode=0o600)
    sheet.chmod(0o600)
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    click.echo(
        f"{len(organisations)} member organisations, {len(lines)} demo accounts:"
    )
    for line in lines:
        click.echo(f"  {line}")


def _load_organisations() -> dict[str, Organisation]:
    types = {t.code: t.id for t in db.session.scalars(select(OrganisationType))}
    roles = {r.code: r.id for r in db.session.scalars(select(NetworkRole))}
    existing = {o.name_vi: o for o in db.session.scalars(select(Organisation))}

    found: dict[str, Organisation] = {}
    for name_vi, name_en, short, type_code, role_codes in FOUNDING_MEMBERS:
        organisation = existing.get(name_vi) or add_organisation(
            name_vi, name_en, short, types[type_code], [roles[c] for c in role_codes]
        )
        found[short or name_vi] = organisation
    return found


def _load_accounts(organisations: dict[str, Organisation]) -> list[str]:
    lines = []
    for role, name, organisation_key in DEMO_ACCOUNTS:
        email = f"{role.replace('_', '-')}@{DEMO_DOMAIN}"
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        organisation = organisations.get(organisation_key or "")
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            create_user(
                email,
                name,
                password,
                [role],
                organisation.id if organisation else None,
            )
        else:
            user.password = hash_password(password)
        lines.append(f"{role:<13} {email:<32} {password}")
    return lines
