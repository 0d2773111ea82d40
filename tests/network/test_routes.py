"""The member organisations page: search, validation and languages."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import date

import pytest

from copn.extensions import db
from tests.network.test_services import add_organisation  # noqa: F401 - a fixture

URL = "/network/organisations"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def members(add_organisation):  # noqa: F811 - the imported fixture
    """Three current members, with roles, and one that withdrew."""
    add_organisation("Cục Trẻ em", "Department of Children", roles_=("steering_board",))
    add_organisation(
        "Hiệp hội An toàn thông tin Việt Nam",
        "Vietnam Information Security Association",
        "VNISA",
        kind="association",
        roles_=("expert_team",),
    )
    add_organisation("Vụ Gia đình", "Department of Family")
    gone = add_organisation("Tổ chức Đã rút", "Withdrawn Organisation")
    gone.withdrawn_on = date(2026, 1, 1)
    db.session.commit()


def _names(body: str) -> list[str]:
    found = re.findall(r'<h2 class="org__name">(.*?)(?: <span|</h2>)', body)
    return [html.unescape(name) for name in found]


def test_the_page_lists_current_members_in_vietnamese(client, members):
    """By default members are shown by their Vietnamese names, in order."""
    response = client.get(URL)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-describedby="q-hint"' in body
    assert _names(body) == [
        "Cục Trẻ em",
        "Hiệp hội An toàn thông tin Việt Nam",
        "Vụ Gia đình",
    ]
    assert "Tổ chức Đã rút" not in body
    assert "Hiệp hội, hội nghề nghiệp · Nhóm chuyên gia" in body


def test_the_page_lists_members_in_english_after_switching(client, members):
    """After choosing English, names, types and roles are in English, in order."""
    client.post("/language", data={"locale": "en"})

    body = client.get(URL).get_data(as_text=True)

    assert _names(body) == [
        "Department of Children",
        "Department of Family",
        "Vietnam Information Security Association",
    ]
    assert "Association · Expert team" in body
    assert "3 organisations" in body


@pytest.mark.parametrize(
    "query", ["tre em", "TRE EM", unicodedata.normalize("NFD", "trẻ em")]
)
def test_search_ignores_accents_and_keyboard_form(client, members, query):
    """Searching "tre em" (or with a decomposing keyboard) finds Cục Trẻ em."""
    for headers in ({}, HTMX):
        body = client.get(URL, query_string={"q": query}, headers=headers)

        assert _names(body.get_data(as_text=True)) == ["Cục Trẻ em"]


def test_search_matches_percent_literally(client, members, add_organisation):  # noqa: F811
    """Searching "%" finds only names with a "%", not every member."""
    add_organisation("Quỹ 100% trẻ em")

    body = client.get(URL, query_string={"q": "%"}).get_data(as_text=True)

    assert _names(body) == ["Quỹ 100% trẻ em"]


def test_no_match_says_so(client, members):
    """A search that finds nothing says so instead of showing an empty list."""
    client.post("/language", data={"locale": "en"})

    body = client.get(URL, query_string={"q": "zzz"}, headers=HTMX)

    assert "No member organisation matches your search." in body.get_data(as_text=True)


def test_a_too_long_query_is_refused_on_the_page(client, members):
    """A query over 100 characters answers 422, explains why, and keeps the text."""
    query = "trẻ em " * 20

    response = client.get(URL, query_string={"q": query})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in body
    assert "Vui lòng nhập tối đa 100 ký tự." in body
    assert f'value="{query}"' in body
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="q-hint q-error"' in body
    assert _names(body) == []


def test_a_too_long_query_is_refused_in_the_fragment(client, members):
    """Live search shows the same message in place of the results."""
    client.post("/language", data={"locale": "en"})

    response = client.get(URL, query_string={"q": "x" * 101}, headers=HTMX)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="organisations"')
    assert "Please use at most 100 characters." in body
    assert "HX-Request" in response.headers["Vary"]


def test_a_query_of_exactly_100_characters_is_accepted(client, members):
    """The limit is 100 characters, not fewer."""
    response = client.get(URL, query_string={"q": "x" * 100})

    assert response.status_code == 200
