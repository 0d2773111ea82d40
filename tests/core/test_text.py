"""Vietnamese text typed on any keyboard compares and searches alike."""

from __future__ import annotations

import unicodedata

import pytest

from copn.core.text import fold, nfc


def test_nfc_composes_what_a_decomposing_keyboard_sends():
    """ "Trẻ em" typed as letters plus accents equals the composed "Trẻ em"."""
    decomposed = unicodedata.normalize("NFD", "Trẻ em")

    assert decomposed != "Trẻ em"
    assert nfc(decomposed) == "Trẻ em"


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Cục Trẻ em", "cuc tre em"),
        (unicodedata.normalize("NFD", "Cục Trẻ em"), "cuc tre em"),
        ("ĐOÀN Thanh niên", "doan thanh nien"),
        ("Vụ Gia đình", "vu gia dinh"),
        ("  Hồ   Chí\tMinh \n", "ho chi minh"),
        ("Thành phố Huế", "thanh pho hue"),
        ("VNCERT/CC 100%", "vncert/cc 100%"),
        ("", ""),
    ],
)
def test_fold_drops_accents_case_and_extra_spaces(typed, folded):
    """Searching needs neither accents, capitals nor careful spacing."""
    assert fold(typed) == folded
