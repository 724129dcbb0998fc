"""The brand tab: what the owner may set, what is refused and why, and the logo upload."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.contrast import contrast_ratio
from merchants.brand import white_text_contrast_warning
from merchants.logos import LOGO_MAX_BYTES
from merchants.models import Merchant
from merchants.services import merchant_brand_update
from tests.merchants.images import FAKE_PNG, SVG, png

pytestmark = pytest.mark.django_db

VALID = {
    "brand_name": "Fresh Basket Paris", "logo_url": "", "primary_colour": "#2e7d32", "accent_colour": "#f9a825",
    "sms_sender": "FreshBasket", "email_from": "livraison@freshbasket.example", "languages": ["fr", "en"],
    "default_language": "fr", "support_phone": "01 80 00 00 00", "support_email": "aide@freshbasket.example",
    "support_days": ["1", "2", "3", "4", "5", "6"], "support_opens": "09:00", "support_closes": "18:00",
    "support_note": "closed on public holidays",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def brand_url(merchant):
    return reverse("merchants:settings-brand", args=[merchant.slug])


def post(client, url, **changes):
    data = VALID | changes
    return client.post(url, {key: value for key, value in data.items() if value is not None})


def field_errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_the_owner_saves_the_brand(as_owner, brand_url, merchant):
    response = post(as_owner, brand_url)

    assert response.status_code == 302 and response["Location"] == brand_url
    merchant.refresh_from_db()
    assert merchant.brand_name == "Fresh Basket Paris"
    assert (merchant.primary_colour, merchant.accent_colour) == ("#2e7d32", "#f9a825")
    assert merchant.languages == ["fr", "en"]
    assert merchant.support_phone == "+33180000000"  # read as a French number, stored in international form
    assert merchant.support_email == "aide@freshbasket.example"
    assert (merchant.support_days, merchant.support_opens, merchant.support_closes) == (
        [1, 2, 3, 4, 5, 6], dt.time(9), dt.time(18))
    assert merchant.support_hours == "Mon–Sat 9:00–18:00 · closed on public holidays"
    assert (merchant.sms_sender, merchant.email_from) == ("FreshBasket", "livraison@freshbasket.example")
    assert "Brand saved" in as_owner.get(brand_url).content.decode()


def test_clearing_days_and_times_shows_no_hours_but_keeps_the_note(as_owner, brand_url, merchant):
    response = post(as_owner, brand_url, support_days=None, support_opens="", support_closes="")

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert (merchant.support_days, merchant.support_opens, merchant.support_closes) == ([], None, None)
    assert merchant.support_hours == "closed on public holidays"


def test_the_page_shows_the_saved_brand_in_its_preview(as_owner, brand_url, merchant):
    Merchant.objects.filter(pk=merchant.pk).update(primary_colour="#2e7d32", brand_name="Fresh Basket Paris")

    page = as_owner.get(brand_url).content.decode()

    assert "--preview-primary: #2e7d32" in page
    assert 'id="preview-name">Fresh Basket Paris<' in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"primary_colour": "green"}, "primary_colour", "Use a hex colour"),
    ({"accent_colour": "#12345"}, "accent_colour", "Use a hex colour"),
    ({"brand_name": ""}, "brand_name", "This field is required"),
    ({"sms_sender": "Fresh Basket Paris"}, "sms_sender", "up to 11 letters"),
    ({"sms_sender": "12345"}, "sms_sender", "at least one letter"),
    ({"email_from": "not-an-address"}, "email_from", "valid email"),
    ({"support_email": "aide@"}, "support_email", "valid email"),
    ({"support_phone": "12"}, "support_phone", "not a phone number we can call"),
    ({"logo_url": "http://cdn.example.com/logo.png"}, "logo_url", "valid URL"),
    ({"languages": []}, "languages", "This field is required"),
    ({"languages": ["de"]}, "languages", "not one of the available choices"),
    ({"languages": ["en"], "default_language": "fr"}, "default_language", "must be one of the languages you tick"),
    ({"support_closes": "08:30"}, "support_closes", "Give a time after 09:00"),
    ({"support_days": None}, "support_days", "Tick the days you answer"),
    ({"support_opens": ""}, "support_opens", "Give the time you start answering"),
    ({"support_days": ["8"]}, "support_days", "not one of the available choices"),
    ({"support_opens": "9 o'clock"}, "support_opens", "Enter a valid time"),
])
def test_a_wrong_value_is_refused_with_a_reason_and_nothing_is_saved(as_owner, brand_url, merchant, changes, field,
                                                                     message):
    before = Merchant.objects.filter(pk=merchant.pk).values().get()

    response = post(as_owner, brand_url, **changes)

    assert response.status_code == 400
    assert any(message in error for error in field_errors(response)[field]), field_errors(response)
    assert "Nothing was saved" in response.content.decode()
    assert Merchant.objects.filter(pk=merchant.pk).values().get() == before


def test_a_png_logo_is_stored_under_a_new_name_and_served(as_owner, brand_url, merchant, client):
    logo = SimpleUploadedFile("My Logo (final).png", png(), content_type="image/png")

    response = post(as_owner, brand_url, logo=logo)

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.logo.name.startswith("logos/fresh-basket-") and merchant.logo.name.endswith(".png")
    assert merchant.logo_src == merchant.logo.url
    served = client.get(merchant.logo.url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("logo.svg", SVG, "not a PNG, JPEG or WebP image"),
    ("logo.png", SVG, "not a PNG, JPEG or WebP image"),
    ("logo.png", FAKE_PNG, "not a PNG, JPEG or WebP image"),
    ("logo.png", png(padding=LOGO_MAX_BYTES), "at most 512 KB"),
], ids=["svg", "svg-named-png", "html-named-png", "too-big"])
def test_a_logo_that_is_not_a_small_png_jpeg_or_webp_is_refused(as_owner, brand_url, merchant, media, name, content,
                                                                message):
    response = post(as_owner, brand_url, logo=SimpleUploadedFile(name, content, content_type="image/png"))

    assert response.status_code == 400
    assert any(message in error for error in field_errors(response)["logo"])
    merchant.refresh_from_db()
    assert not merchant.logo
    assert not (media / "logos").exists() or not any((media / "logos").iterdir())


def test_the_uploaded_logo_can_be_removed_and_the_logo_url_is_used_again(as_owner, brand_url, merchant):
    post(as_owner, brand_url, logo=SimpleUploadedFile("logo.png", png(), content_type="image/png"))

    post(as_owner, brand_url, remove_logo="on", logo_url="https://cdn.example.com/logo.png")

    merchant.refresh_from_db()
    assert not merchant.logo
    assert merchant.logo_src == "https://cdn.example.com/logo.png"


def test_the_admin_refuses_an_svg_logo_too(merchant):
    """The rule is the model's: every way in (admin, services) checks the bytes."""
    merchant.logo = SimpleUploadedFile("logo.svg", SVG, content_type="image/svg+xml")

    with pytest.raises(ValidationError) as refused:
        merchant.full_clean()
    assert "logo" in refused.value.message_dict


def test_the_service_refuses_fields_that_are_not_the_brands(merchant):
    with pytest.raises(ValueError, match="slug"):
        merchant_brand_update(merchant=merchant, values={"slug": "taken"})


def test_white_text_on_a_pale_primary_colour_is_warned_about_but_saved(as_owner, brand_url, merchant):
    response = post(as_owner, brand_url, primary_colour="#ffeb3b")

    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.primary_colour == "#ffeb3b"
    page = as_owner.get(brand_url).content.decode()
    assert "White text on #ffeb3b has a contrast of 1.2:1, below the 4.5:1" in page


def test_a_dark_primary_colour_gets_no_warning():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert white_text_contrast_warning("#1f2a44") == ""
    assert white_text_contrast_warning("#1a73e8") == ""  # the default blue: 4.5:1 and a bit
    assert "contrast of 2.8:1" in white_text_contrast_warning("#4caf50")
