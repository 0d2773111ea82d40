"""Correcting one's own name and language, and what the account page shows."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from copn.auth.models import Consent, User
from copn.core.clock import utcnow
from copn.extensions import db
from copn.network.models import Organisation, OrganisationType
from tests.auth.conftest import audit_events, page_text

ACCOUNT = "/auth/account"
BAD_NAME = "Please type your name again: it contains invisible or unusual characters."


def _in_english(user: User) -> User:
    """The user with English chosen: the assertions read COPN's own wording."""
    user.locale = "en"
    db.session.commit()
    return user


def _stored(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_a_person_corrects_their_name_and_language(new_browser, make_user, sign_in):
    """A decomposed name is stored composed, the language switches, both audited."""
    user = make_user("volunteer", name="Nguyen Thi Lan")
    person = sign_in(user, on=new_browser())
    typed = unicodedata.normalize("NFD", "  Nguyễn Thị Lan ")

    response = person.post(ACCOUNT, data={"name": typed, "locale": "en"})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == ACCOUNT
    stored = _stored(user)
    assert stored.name == "Nguyễn Thị Lan"
    assert unicodedata.is_normalized("NFC", stored.name)
    assert stored.locale == "en"
    [event] = audit_events("account.updated")
    assert (event.actor_id, event.object_type, event.object_id) == (
        user.id,
        "user",
        user.id,
    )
    assert event.data == {"fields": ["name", "locale"]}
    body = page_text(person.get(ACCOUNT))
    assert "Your account details have been saved." in body
    assert "<dd>Nguyễn Thị Lan</dd>" in body


def test_saving_unchanged_details_records_nothing(new_browser, make_user, sign_in):
    """Pressing "Save" without a change leaves no audit entry behind."""
    user = _in_english(make_user("volunteer", name="Trần Văn Bình"))
    person = sign_in(user, on=new_browser())

    response = person.post(ACCOUNT, data={"name": "Trần Văn Bình", "locale": "en"})

    assert response.status_code == 302
    assert audit_events("account.updated") == []


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn\u200bThị Lan",  # zero-width space
        "Nguyễn Thị Lan\u200d",  # zero-width joiner
        "\u202eNal ihT nêyugN",  # right-to-left override
        "Lan\u0301\u0301\u0301",  # stacked accents
        "Ｌａｎ",  # full-width letters
        "Lan\x07Thị",  # a control character
        "Lan\nThị",  # a line break
    ],
)
def test_a_tricky_name_is_refused_and_kept_in_the_form(
    new_browser, make_user, sign_in, name
):
    """Hidden or unusual characters: 422, the typed text back, nothing stored."""
    user = _in_english(make_user("volunteer", name="Trần Văn Bình"))
    person = sign_in(user, on=new_browser())

    response = person.post(ACCOUNT, data={"name": name, "locale": "en"})

    body = page_text(response)
    assert response.status_code == 422
    assert BAD_NAME in body
    assert f'value="{unicodedata.normalize("NFC", name)}"' in body
    assert _stored(user).name == "Trần Văn Bình"
    assert audit_events("account.updated") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "   "}, "Please enter your full name."),
        ({"name": "Lan " * 70}, "Please use at most 200 characters."),
        ({"locale": "fr"}, "Not a valid choice"),
    ],
    ids=["empty", "too-long", "unknown-language"],
)
def test_bad_details_are_refused_and_nothing_is_stored(
    new_browser, make_user, sign_in, changes, message
):
    """An empty or overlong name, or an unknown language: 422 and no change."""
    user = _in_english(make_user("volunteer", name="Trần Văn Bình"))
    person = sign_in(user, on=new_browser())

    form = dict({"name": "Nguyễn Thị Lan", "locale": "vi"}, **changes)
    response = person.post(ACCOUNT, data=form)

    assert response.status_code == 422
    assert message in page_text(response)
    stored = _stored(user)
    assert (stored.name, stored.locale) == ("Trần Văn Bình", "en")
    assert audit_events("account.updated") == []


def test_the_page_shows_consents_roles_and_organisation(
    new_browser, make_user, sign_in
):
    """The consents given (purpose, version), the roles and the organisation show."""
    kind = db.session.scalars(select(OrganisationType)).first()
    organisation = Organisation(
        name_vi="Cục Trẻ em", name_en="Department of Children", type_id=kind.id
    )
    db.session.add(organisation)
    db.session.flush()
    user = make_user("volunteer", "trainer", organisation_id=organisation.id)
    db.session.add(
        Consent(
            user_id=user.id,
            purpose="privacy_notice",
            version="2026-12",
            given_at=utcnow(),
        )
    )
    person = sign_in(_in_english(user), on=new_browser())

    body = page_text(person.get(ACCOUNT))

    assert "Privacy notice" in body
    assert "version 2026-12" in body
    assert "<dd>Trainer, Volunteer</dd>" in body
    assert "Department of Children" in body
    assert 'href="/auth/account/activity"' in body
    assert 'href="/auth/account/data.json"' in body


def test_signed_in_people_find_their_account_in_the_navigation(
    new_browser, make_user, sign_in
):
    """ "Your account" is in the menu once signed in, and not for visitors."""
    link = '<a href="/auth/account"'
    visitor = new_browser()
    assert link not in visitor.get("/").get_data(as_text=True)

    person = sign_in(make_user("volunteer"), on=new_browser())

    assert link in person.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", ACCOUNT),
        ("GET", "/auth/account/activity"),
        ("GET", "/auth/account/data.json"),
        ("GET", "/auth/account/data.csv"),
    ],
)
def test_a_visitor_is_sent_to_sign_in(new_browser, method, url):
    """Nobody signed in can change an account, read activity or download data."""
    response = new_browser().open(url, method=method, data={"name": "X"})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/sign-in"
