"""Accounts: creating them, checking passwords, listing sessions; demo accounts."""

from __future__ import annotations

import re
import stat
import unicodedata
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from copn.auth import services
from copn.auth.models import User
from copn.extensions import db
from copn.network.models import Organisation
from tests.conftest import TEST_PASSWORD


def test_create_user_stores_a_hash_and_the_roles(app):
    """A new account keeps no readable password and holds the roles it was given."""
    user = services.create_user(
        " Lan@Example.ORG ", "Nguyễn Thị Lan", TEST_PASSWORD, ["volunteer", "trainer"]
    )

    assert user.email == "lan@example.org"
    assert user.password.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password
    assert user.role_names == {"volunteer", "trainer"}
    assert user.has_role("trainer")
    assert user.has_any_role("trainer", "admin")
    assert not user.has_any_role("admin")


def test_create_user_refuses_unknown_roles(app):
    """A typo in a role name is an error, not an account without that role."""
    with pytest.raises(ValueError, match="superuser"):
        services.create_user("a@example.org", "A", None, ["volunteer", "superuser"])


def test_create_user_counts_as_confirmed_unless_told(app):
    """Accounts made by a command have a known address; invitations can wait."""
    made = services.create_user("a@example.org", "A", None, ["volunteer"])
    invited = services.create_user(
        "b@example.org", "B", None, ["volunteer"], confirmed=False
    )

    assert made.confirmed_at is not None
    assert invited.confirmed_at is None
    assert invited.password is None


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_a_password_given_decomposed_signs_in_either_way(new_browser, form):
    """An account made with a decomposed password signs in however it is typed."""
    decomposed = unicodedata.normalize("NFD", "Mật khẩu bí mật")
    services.create_user("a@example.org", "A", decomposed, ["volunteer"])
    db.session.commit()

    response = new_browser().post(
        "/auth/sign-in",
        data={
            "email": "a@example.org",
            "password": unicodedata.normalize(form, decomposed),
        },
    )

    assert response.status_code == 302


def test_an_old_hash_is_upgraded_when_it_matches(make_user):
    """Hashes made with weaker settings are strengthened the next time they match."""
    user = make_user("volunteer")
    user.password = PasswordHasher(time_cost=1, memory_cost=8192).hash(TEST_PASSWORD)
    old = user.password

    assert user.verify_and_update_password(TEST_PASSWORD)
    assert user.password != old
    assert not PasswordHasher().check_needs_rehash(user.password)
    assert user.verify_and_update_password(TEST_PASSWORD)


def test_an_overlong_password_never_matches(make_user):
    """A password past the limit is refused before hashing, without an error."""
    user = make_user("volunteer")

    assert not user.verify_and_update_password("x" * 100_000)


def test_active_sessions_lists_only_the_user_s_newest_first(
    new_browser, make_user, sign_in
):
    """The account page's list holds this user's sessions, most recent first."""
    user = make_user("volunteer")
    other = make_user("volunteer")
    sign_in(user, on=new_browser())
    sign_in(other, on=new_browser())
    sign_in(user, on=new_browser())

    found = services.active_sessions(user.id)

    assert [row.user_id for row in found] == [user.id, user.id]
    assert found[0].last_seen_at >= found[1].last_seen_at


# Demo data: ``flask demo load``.


def test_demo_data_is_refused_outside_development(runner):
    """Demo accounts with printed passwords never reach a real installation."""
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code != 0
    assert "only in development" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.fixture
def development(make_app, tmp_path: Path):
    """A development app whose instance folder is a temporary directory."""
    return make_app(ENV="development", INSTANCE_PATH=str(tmp_path))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_load_creates_members_and_one_account_per_role(development, tmp_path):
    """A developer gets the 8 founding members and 6 accounts that sign in."""
    result = development.test_cli_runner().invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    with development.app_context():
        assert _count(Organisation) == 8
        assert _count(User) == 6
        roles = {r for u in db.session.scalars(select(User)) for r in u.role_names}
    assert roles == {
        "volunteer",
        "trainer",
        "expert",
        "member_staff",
        "coordinator",
        "admin",
    }
    sheet = tmp_path / "demo-accounts.txt"
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    accounts = re.findall(r"^\s*(\S+)\s+(\S+@\S+)\s+(\S+)$", result.output, re.M)
    assert len(accounts) == 6
    assert sheet.read_text(encoding="utf-8").split() == [
        word for account in accounts for word in account
    ]

    client = development.test_client()
    _, email, password = accounts[0]
    response = client.post("/auth/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302


def test_demo_load_can_run_again(development, tmp_path):
    """Running it twice keeps one copy of everything and renews the passwords."""
    runner = development.test_cli_runner()
    first = runner.invoke(args=["demo", "load"]).output

    second = runner.invoke(args=["demo", "load"])

    assert second.exit_code == 0, second.output
    with development.app_context():
        assert _count(Organisation) == 8
        assert _count(User) == 6
    assert second.output != first
    email, password = re.search(
        r"^\s*coordinator\s+(\S+)\s+(\S+)$", second.output, re.M
    ).groups()
    client = development.test_client()
    response = client.post("/auth/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302
