"""Accounts: creating them, checking credentials, ending sessions; demo accounts."""

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
    assert user.has_role("trainer", "admin")
    assert not user.has_role("admin")


def test_create_user_refuses_unknown_roles(app):
    """A typo in a role name is an error, not an account without that role."""
    with pytest.raises(ValueError, match="superuser"):
        services.create_user("a@example.org", "A", None, ["volunteer", "superuser"])


def test_authenticate_accepts_the_right_password(make_user):
    """The right email and password give the account back."""
    user = make_user("volunteer")

    assert services.authenticate(user.email.upper(), TEST_PASSWORD) is user


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("user1@example.org", "not the password"),
        ("user1@example.org", TEST_PASSWORD.upper()),
        ("nobody@example.org", TEST_PASSWORD),
        ("user1@example.org", ""),
    ],
)
def test_authenticate_refuses_wrong_credentials(make_user, email, password):
    """A wrong password or an unknown email gives nothing."""
    make_user("volunteer", email="user1@example.org")

    assert services.authenticate(email, password) is None


def test_authenticate_refuses_an_account_without_a_password(app):
    """An invited account that has not set a password cannot be signed in to."""
    services.create_user("invited@example.org", "Invited", None, ["volunteer"])

    assert services.authenticate("invited@example.org", "") is None
    assert services.authenticate("invited@example.org", "anything") is None


def test_authenticate_refuses_an_inactive_account(make_user):
    """A deactivated account cannot sign in, even with the right password."""
    user = make_user("volunteer")
    user.active = False

    assert services.authenticate(user.email, TEST_PASSWORD) is None


def test_a_password_typed_in_either_unicode_form_matches(app):
    """Passwords compare in NFC, whichever form the keyboard produced."""
    decomposed = unicodedata.normalize("NFD", "Mật khẩu bí mật")
    user = services.create_user("a@example.org", "A", decomposed, ["volunteer"])

    assert services.authenticate(user.email, "Mật khẩu bí mật") is user
    assert services.authenticate(user.email, decomposed) is user


def test_an_old_hash_is_upgraded_at_sign_in(make_user):
    """Hashes made with weaker settings are strengthened the next time they match."""
    user = make_user("volunteer")
    user.password = PasswordHasher(time_cost=1, memory_cost=8192).hash(TEST_PASSWORD)
    old = user.password

    assert services.authenticate(user.email, TEST_PASSWORD) is user
    assert user.password != old
    assert not PasswordHasher().check_needs_rehash(user.password)
    assert services.authenticate(user.email, TEST_PASSWORD) is user


def test_end_sessions_gives_the_account_a_new_identity(make_user):
    """Ending the sessions changes the identity every session cookie carries."""
    user = make_user("volunteer")
    before = user.get_id()

    services.end_sessions(user)

    assert user.get_id() != before
    assert db.session.scalar(select(User.fs_uniquifier)) == user.get_id()


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
