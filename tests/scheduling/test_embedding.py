"""Embedding the picker: why a shop's page may not show it, and the iframe's pages."""

from merchants.models import ApiKey
from merchants.services import api_key_create, api_key_revoke
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
    assert body["settings_url"].endswith("/settings/origins/")
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
    assert response["Content-Security-Policy"] == "frame-ancestors *"
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


# --- Cut-off on the server-rendered list ---------------------------------------------------------------


def test_the_cutoff_reads_from_the_windows_own_day(client, merchant, publishable_key, windows):
    html = client.get("/embed/windows/", {"key": publishable_key, **ADDRESS, "lang": "en"}).content.decode()
    tomorrow = html[html.index(TOMORROW.strftime("%A %-d %B")):]
    evening = tomorrow[tomorrow.index("18:00–20:00"):]
    assert "Order by 12:00<" in evening[:evening.index("</div>")]
