"""Text set on a merchant's colour stays readable whatever colour the merchant chose."""

import itertools

import pytest

from core.contrast import AA_NORMAL_TEXT, BLACK, DARK_INK, WHITE, contrast_ratio, readable_ink


def test_the_ratio_matches_wcags_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WCAG's worked example: #767676 on white is the lightest grey that passes AA.
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_a_dark_brand_gets_white_text_and_a_light_one_dark_text():
    assert readable_ink("#1f2a44") == WHITE
    assert readable_ink("#f9a825") == DARK_INK


def test_a_mid_tone_where_the_dark_ink_falls_short_gets_black():
    # Neither white (4.48:1) nor the dark ink (4.22:1) reaches AA on this grey; black does.
    assert contrast_ratio(WHITE, "#777777") < AA_NORMAL_TEXT
    assert contrast_ratio(DARK_INK, "#777777") < AA_NORMAL_TEXT
    assert readable_ink("#777777") == BLACK


@pytest.mark.parametrize("red", range(0, 256, 17))
def test_every_colour_gets_text_at_aa_contrast(red):
    for green, blue in itertools.product(range(0, 256, 17), repeat=2):
        colour = f"#{red:02x}{green:02x}{blue:02x}"
        assert contrast_ratio(readable_ink(colour), colour) >= AA_NORMAL_TEXT, colour
