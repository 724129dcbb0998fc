"""Embedding the picker: why a shop's page may not show it, the iframe's pages, and the embedding guide."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.settings import spectacular_settings

from merchants.models import ApiKey, StaffMembership
from merchants.services import api_key_create, api_key_revoke
from portal.home import home_links
from scheduling.embedding import PLACEHOLDER_KEY
from tests.factories import MerchantFactory
from tests.scheduling.conftest import ADDRESS, TOMORROW

SHOP = "https://shop.example.com"
STRANGER = "https://elsewhere.example"


def check(client, key, origin=None, lang="en"):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    response = client.get("/embed/check/", {"key": key, "lang": lang}, **headers)
    assert response.status_code == 200
    return response


# --- Why the picker cannot show ------------------------------------------------------------------------


def test_a_registered_origin_may_show_the_picker(client, merchant, publishable_key, browser_origin):
    assert check(client, publishable_key, SHOP).json() == {"status": "ok", "origin": SHOP}


def test_an_unregistered_origin_is_told_so_in_words_a_shopper_reads(client, merchant, publishable_key, browser_origin):
    response = check(client, publishable_key, STRANGER)
    body = response.json()
    assert body["status"] == "origin_not_registered"
    assert body["title"] == "Delivery windows cannot be shown on this website yet."
    assert f"({STRANGER})" in body["message"]
    assert STRANGER in body["hint"]
    assert body["settings_url"].endswith("/settings/")
    # Any page may read the answer, and caches keep one per origin.
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Origin" in response["Vary"]


def test_the_explanation_speaks_french(client, merchant, publishable_key):
    body = check(client, publishable_key, STRANGER, lang="fr").json()
    assert body["title"] == "Les créneaux de livraison ne peuvent pas encore s’afficher sur ce site."
    assert f"({STRANGER})" in body["message"]


def test_our_own_pages_send_no_origin_and_may_show_the_picker(client, merchant, publishable_key):
    assert check(client, publishable_key).json()["status"] == "ok"


def test_an_unknown_or_revoked_key_is_named_as_such(client, merchant, browser_origin):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)
    api_key_revoke(key=key)
    assert check(client, raw, SHOP).json()["status"] == "unknown_key"
    assert check(client, "pk_never_issued", SHOP).json()["status"] == "unknown_key"
    assert "unknown or revoked" in check(client, "", SHOP).json()["message"]


def test_the_windows_api_hides_its_refusal_from_an_unregistered_origin(client, merchant, publishable_key, windows):
    """What makes the check necessary: the browser gets a 403 without CORS headers, so it cannot read why."""
    response = client.get("/api/v1/windows/", ADDRESS, HTTP_X_API_KEY=publishable_key, HTTP_ORIGIN=STRANGER)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "Access-Control-Allow-Origin" not in response


# --- The iframe --------------------------------------------------------------------------------------


def test_the_iframe_with_an_unknown_key_explains_it_in_the_shoppers_language(client, db):
    response = client.get("/embed/windows/", {"key": "pk_unknown", "lang": "fr"})
    assert response.status_code == 401
    assert "frame-ancestors *;" in response["Content-Security-Policy"] + ";"
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Le sélecteur de créneaux de cette boutique n’est pas configuré" in html


def test_the_iframe_lists_the_windows_for_browsers_without_javascript(client, merchant, publishable_key, windows):
    html = client.get("/embed/windows/", {"key": publishable_key, **ADDRESS, "lang": "en"}).content.decode()
    fallback = html[html.index("<noscript>\n    <h1"):]
    assert "Delivery windows available" in fallback
    assert "10:00–12:00" in fallback and "€3.90" in fallback
    assert "Order by 22:00 the day before" in fallback
    assert 'name="window_id"' not in fallback  # it cannot hold a window for the shop's page


# --- The embedding guide -----------------------------------------------------------------------------


@pytest.fixture
def shop_b(db):
    return MerchantFactory(slug="shop-b", name="Shop B")


@pytest.fixture
def keys(merchant, shop_b):
    _, key_a = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)
    _, key_b = api_key_create(merchant=shop_b, kind=ApiKey.Kind.PUBLISHABLE)
    return {"a": key_a, "b": key_b}


@pytest.fixture
def owner_of_a(merchant):
    user = get_user_model().objects.create_user("owner-a", "a@example.com", "pw")
    StaffMembership.objects.create(user=user, merchant=merchant, role=StaffMembership.Role.OWNER)
    return user


def guide(client, **params):
    response = client.get(reverse("scheduling:embed-docs"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_visitor_reads_the_guide_with_a_placeholder_key_and_is_asked_to_log_in(client, keys):
    html = guide(client)
    assert PLACEHOLDER_KEY in html
    assert keys["a"] not in html and keys["b"] not in html
    assert "Log in</a> to see these snippets with your shop's publishable key" in html
    # The site's own sign-in: a shop owner is not an admin user, whom the admin login refuses.
    assert "/accounts/login/?next=/docs/embed/" in html


def test_a_staff_member_finds_their_merchants_key_in_both_snippets(client, keys, owner_of_a):
    client.force_login(owner_of_a)
    html = guide(client)
    snippets = [html[html.index(f'id="snippet-{name}"'):] for name in ("web-component", "iframe")]
    for snippet in snippets:
        assert keys["a"] in snippet[:snippet.index("</code>")]
    assert PLACEHOLDER_KEY not in html


def test_a_staff_member_of_one_merchant_never_sees_anothers_key(client, keys, owner_of_a, shop_b):
    client.force_login(owner_of_a)
    for params in ({}, {"merchant": shop_b.slug}):
        html = guide(client, **params)
        assert keys["b"] not in html
        assert keys["a"] in html
    assert "Shop B" not in guide(client)


def test_a_superuser_chooses_among_every_merchant(client, keys, merchant, shop_b):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    first = guide(client)
    assert keys["a"] in first and keys["b"] not in first  # the first merchant by name, Fresh Basket
    assert f'<option value="{shop_b.slug}"' in first
    chosen = guide(client, merchant=shop_b.slug)
    assert keys["b"] in chosen and keys["a"] not in chosen


def test_a_merchant_whose_publishable_key_was_revoked_gets_the_placeholder_and_a_way_to_issue_one(client, merchant,
                                                                                               owner_of_a):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)
    api_key_revoke(key=key)
    client.force_login(owner_of_a)
    html = guide(client)
    assert raw not in html
    assert PLACEHOLDER_KEY in html
    assert "has no active publishable key yet" in html


def test_the_guide_documents_events_attributes_theming_and_origins(client, merchant, keys, owner_of_a, browser_origin):
    client.force_login(owner_of_a)
    html = guide(client)
    for name in ("window-held", "window-picker-error", "detail.hold.id", "api-key", "lang", "postcode", "size",
                 "--dwp-brand", "--dwp-accent", 'href="/settings/fresh-basket/origins/"', SHOP):
        assert name in html, name
    assert 'id="preview-picker"' in html  # the live preview runs with the member's key


def test_the_guide_shows_what_a_shopper_reads_on_an_unregistered_site_in_both_languages(client, db):
    html = guide(client)
    assert "Delivery windows cannot be shown on this website yet." in html
    assert "Les créneaux de livraison ne peuvent pas encore s’afficher sur ce site." in html


def test_the_home_page_and_the_api_docs_link_the_guide(db):
    assert "/docs/embed/" in [link.url for link in home_links()]
    assert "(/docs/embed/)" in spectacular_settings.DESCRIPTION


# --- Cut-off on the server-rendered list ---------------------------------------------------------------


def test_the_cutoff_reads_from_the_windows_own_day(client, merchant, publishable_key, windows):
    html = client.get("/embed/windows/", {"key": publishable_key, **ADDRESS, "lang": "en"}).content.decode()
    tomorrow = html[html.index(TOMORROW.strftime("%A %-d %B")):]
    evening = tomorrow[tomorrow.index("18:00–20:00"):]
    assert "Order by 12:00<" in evening[:evening.index("</div>")]
