from core.contrast import AA_NORMAL_TEXT, PAGE_BACKGROUND, contrast_ratio, link_colour


def test_a_brand_colour_that_reads_on_the_page_is_used_as_it_is():
    assert link_colour("#1f2a44", "#c8a96a") == "#1f2a44"


def test_a_yellow_accent_is_passed_over_for_a_readable_brand_colour():
    assert link_colour("#f9a825", "#2e7d32") == "#2e7d32"


def test_when_no_brand_colour_reads_the_first_is_darkened_just_enough():
    colour = link_colour("#f9a825", "#c8e6c9")

    assert contrast_ratio(colour, PAGE_BACKGROUND) >= AA_NORMAL_TEXT
    assert colour != "#111111"  # still the brand's hue, not the fallback ink
