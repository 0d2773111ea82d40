"""One URL, two answers: the full page, or for htmx only the fragment it swaps."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from copn.core import htmx

URL = "/network/organisations"
HTMX = {"HX-Request": "true"}


def test_a_plain_request_gets_the_full_page(client):
    """Without JavaScript the search page works as a normal page."""
    response = client.get(URL)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html
    assert '<div id="organisations"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_an_htmx_request_gets_only_the_fragment(client):
    """Live search swaps the results without reloading the page around them."""
    response = client.get(URL, headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="organisations"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_history_restore_gets_the_full_page(client):
    """Going back to a page htmx did not cache shows the whole page, not a scrap."""
    headers = dict(HTMX, **{"HX-History-Restore-Request": "true"})

    response = client.get(URL, headers=headers)

    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"HX-Prompt": quote("Nguyễn Văn Đức"), "HX-Prompt-URI-AutoEncoded": "true"},
            "Nguyễn Văn Đức",
        ),
        ({"HX-Prompt": "100%25 done"}, "100%25 done"),
        ({}, None),
    ],
)
def test_prompt_answers_arrive_as_typed(app, headers, expected):
    """A Vietnamese answer to a prompt is decoded; a typed "%25" is left alone."""
    with app.test_request_context(headers=headers):
        assert htmx.prompt() == expected
