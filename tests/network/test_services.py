"""Searching the member organisations."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from sqlalchemy import select

from copn.extensions import db
from copn.network import services
from copn.network.models import NetworkRole, OrganisationType


@pytest.fixture
def add_organisation(app):
    """Register a member organisation (a government agency unless told)."""
    types = {t.code: t.id for t in db.session.scalars(select(OrganisationType))}
    roles = {r.code: r.id for r in db.session.scalars(select(NetworkRole))}

    def add(name_vi, name_en="", short_name="", kind="government_agency", roles_=()):
        organisation = services.add_organisation(
            name_vi, name_en, short_name, types[kind], [roles[c] for c in roles_]
        )
        db.session.commit()
        return organisation

    return add


def _names(found) -> list[str]:
    return [organisation.name_vi for organisation in found]


def test_search_without_a_query_lists_current_members_in_order(add_organisation):
    """The list shows every current member, alphabetically, without accents."""
    add_organisation("Vụ Gia đình", "Department of Family")
    add_organisation("Cục Trẻ em", "Department of Children")
    add_organisation("Hiệp hội An toàn thông tin Việt Nam", short_name="VNISA")
    add_organisation("Đoàn Thanh niên", "Youth Union")

    assert _names(services.search_organisations()) == [
        "Cục Trẻ em",
        "Đoàn Thanh niên",
        "Hiệp hội An toàn thông tin Việt Nam",
        "Vụ Gia đình",
    ]


def test_english_readers_get_members_in_the_order_of_their_english_names(
    add_organisation,
):
    """In English the list is alphabetical by the English name, else the Vietnamese."""
    add_organisation("Vụ Gia đình", "Department of Family")
    add_organisation("Cục Trẻ em", "Department of Children")
    add_organisation("Hiệp hội An toàn thông tin Việt Nam", "")
    add_organisation("Ban Công tác thiếu nhi", "children's Affairs Committee")

    found = services.search_organisations(locale="en")

    assert [organisation.name("en") for organisation in found] == [
        "children's Affairs Committee",
        "Department of Children",
        "Department of Family",
        "Hiệp hội An toàn thông tin Việt Nam",
    ]


def test_withdrawn_members_are_not_listed(add_organisation):
    """An organisation that left the network no longer appears among members."""
    add_organisation("Cục Trẻ em")
    gone = add_organisation("Vụ Gia đình")
    gone.withdrawn_on = date(2026, 1, 1)
    db.session.commit()

    assert _names(services.search_organisations()) == ["Cục Trẻ em"]
    assert _names(services.search_organisations("gia dinh")) == []


@pytest.mark.parametrize(
    "query",
    [
        "tre em",
        "TRẺ EM",
        "  trẻ   em ",
        unicodedata.normalize("NFD", "Trẻ em"),
        "children",
        "department of children",
    ],
)
def test_search_ignores_accents_case_spacing_and_keyboard_form(add_organisation, query):
    """Typing "tre em", in capitals or with a decomposing keyboard, finds Cục Trẻ em."""
    add_organisation("Cục Trẻ em", "Department of Children")
    add_organisation("Vụ Gia đình", "Department of Family")

    assert _names(services.search_organisations(query)) == ["Cục Trẻ em"]


def test_search_finds_the_letter_d_with_stroke(add_organisation):
    """ "đ" and "d" are the same letter for searching, in either case."""
    add_organisation("Vụ Gia đình")
    add_organisation("Đoàn Thanh niên")

    assert _names(services.search_organisations("dinh")) == ["Vụ Gia đình"]
    assert _names(services.search_organisations("ĐOÀN")) == ["Đoàn Thanh niên"]


def test_search_finds_the_short_name(add_organisation):
    """Members are found by their short name too ("vnisa")."""
    add_organisation("Hiệp hội An toàn thông tin Việt Nam", short_name="VNISA")
    add_organisation("Cục Trẻ em")

    assert _names(services.search_organisations("vnisa")) == [
        "Hiệp hội An toàn thông tin Việt Nam"
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("100%", ["Quỹ 100% trẻ em"]),
        ("%", ["Quỹ 100% trẻ em"]),
        ("a_b", ["Nhóm a_b"]),
        ("_", ["Nhóm a_b"]),
        ("\\", ["Nhóm c\\d"]),
    ],
)
def test_like_wildcards_are_matched_literally(add_organisation, query, expected):
    """A "%" or "_" typed in the search is a character, not "anything"."""
    add_organisation("Quỹ 100% trẻ em")
    add_organisation("Nhóm a_b")
    add_organisation("Nhóm axb")
    add_organisation("Nhóm c\\d")

    assert _names(services.search_organisations(query)) == expected


def test_add_organisation_keeps_its_network_roles(add_organisation):
    """A member registered with roles in the network is listed with them."""
    add_organisation(
        "Cục An toàn thông tin",
        "Authority of Information Security",
        "AIS",
        roles_=("coordinating_body", "steering_board"),
    )

    (found,) = services.search_organisations("ais")
    assert sorted(role.code for role in found.network_roles) == [
        "coordinating_body",
        "steering_board",
    ]
    assert found.type.code == "government_agency"
