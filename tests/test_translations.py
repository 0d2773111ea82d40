"""The Vietnamese catalogue is complete and templates hold no untranslated text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from copn import ROOT
from copn.core.cli import extract_messages

VI_PO = ROOT / "copn" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# Words that are the same in every language.
UNTRANSLATABLE = {"COPN", "·", "Email"}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    extract_messages(pot)
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def vietnamese():
    with VI_PO.open("rb") as handle:
        return read_po(handle, locale="vi")


def _key(message_id):
    return message_id if isinstance(message_id, str) else message_id[0]


def test_every_message_has_a_vietnamese_translation(extracted, vietnamese):
    """A string shown to people that has no Vietnamese translation fails the suite."""
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = vietnamese.get(message.id)
        strings = (
            [translated.string]
            if translated and isinstance(translated.string, str)
            else list(translated.string)
            if translated
            else []
        )
        if not strings or not all(strings) or translated.fuzzy:
            missing.append(_key(message.id))
    assert missing == [], "Run `flask translations update` and translate: " + repr(
        missing
    )


def test_translations_keep_their_placeholders(vietnamese):
    """Named placeholders survive translation, so no value is dropped or crashes."""
    broken = []
    for message in vietnamese:
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = (
            [message.string] if isinstance(message.string, str) else message.string
        )
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                broken.append(_key(message.id))
    assert broken == []


def _visible_text(source: str) -> list[str]:
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%.*?%}", " ", source, flags=re.S)
    source = re.sub(r"{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    words = re.findall(r"[^\W\d_][\w'’-]*", source)
    return [word for word in words if word not in UNTRANSLATABLE]


@pytest.mark.parametrize(
    "template",
    sorted(
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
    ),
)
def test_templates_show_no_untranslated_text(template):
    """Every word a template shows goes through gettext, so it can be translated."""
    source = (ROOT / "templates" / template).read_text(encoding="utf-8")
    assert _visible_text(source) == []


def test_flask_security_messages_have_vietnamese_translations():
    """Every sign-in, sign-up and two-factor message reads in Vietnamese too."""
    translations = ROOT / "copn" / "translations"
    with (translations / "flask_security.pot").open("rb") as handle:
        template = read_po(handle)
    po = translations / "vi" / "LC_MESSAGES" / "flask_security.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale="vi")
    missing = [
        _key(message.id)
        for message in template
        if message.id
        and not (
            catalogue.get(message.id)
            and catalogue.get(message.id).string
            and not catalogue.get(message.id).fuzzy
        )
    ]
    assert missing == []


def test_the_flask_security_template_matches_the_installed_version():
    """After an upgrade of Flask-Security, its new messages are noticed here."""
    import flask_security

    installed = Path(flask_security.__file__).parent / "translations"
    ours = ROOT / "copn" / "translations" / "flask_security.pot"
    assert ours.read_bytes() == (installed / "flask_security.pot").read_bytes()
