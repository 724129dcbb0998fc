"""Every settings page is the merchant owner's: other staff get a 403 page, other shops a 404, strangers a login.

One table lists every route under /settings/, the merchants app's tabs, the notifications app's and care's, so a new
route without its check fails here.
"""

from dataclasses import dataclass

import pytest
from django.urls import get_resolver, reverse

from care.models import PlaybookRule
from merchants.models import AllowedOrigin, ApiKey, StaffMembership, WebhookEndpoint
from merchants.services import allowed_origin_add, api_key_create, webhook_endpoint_create
from notifications.models import Channel, MerchantMessaging, Message, MessageTemplate
from tests.merchants.conftest import make_user, signed_in, staff_of

pytestmark = pytest.mark.django_db

BRAND = {"brand_name": "Taken Over", "primary_colour": "#000000", "accent_colour": "#000000", "languages": ["en"],
         "default_language": "en"}
MESSAGING = {"on_booked": "", "quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
TEMPLATE = {"trigger": "delivered", "language": "en", "channel": "sms", "subject": "", "body": "Gone {first_name}"}
WEBHOOK = {"url": "https://attacker.example/hook"}
PLAYBOOKS = {"predicted_late-team": "care", "predicted_late-sla_minutes": "1"}


@dataclass(frozen=True)
class Route:
    name: str
    needs: tuple[str, ...]  # the merchant's objects in the URL, after its slug
    post: dict | None  # what a POST sends; None: the route only reads
    get: bool = True  # False: POST only


ROUTES = [
    Route("merchants:settings-merchant", (), None),
    Route("merchants:settings-brand", (), BRAND),
    Route("merchants:settings-origins", (), {"origin": "https://attacker.example"}),
    Route("merchants:settings-origin-remove", ("origin",), {}, get=False),
    Route("merchants:settings-keys", (), {"kind": "secret", "name": "stolen"}),
    Route("merchants:settings-key-roll", ("key",), {}),
    Route("merchants:settings-key-revoke", ("key",), {}),
    Route("notifications:settings-messaging", (), MESSAGING),
    Route("notifications:settings-template-new", (), TEMPLATE),
    Route("notifications:settings-template", ("template",), TEMPLATE),
    Route("notifications:settings-template-delete", ("template",), {}),
    Route("notifications:settings-webhooks", (), WEBHOOK),
    Route("notifications:settings-webhook", ("endpoint",), WEBHOOK),
    Route("notifications:settings-webhook-secret", ("endpoint",), {}, get=False),
    Route("notifications:settings-webhook-rotate", ("endpoint",), {}, get=False),
    Route("notifications:settings-webhook-switch", ("endpoint",), {"active": "off"}, get=False),
    Route("notifications:settings-webhook-delete", ("endpoint",), {}),
    Route("notifications:settings-webhook-test", ("endpoint",), {}, get=False),
    Route("notifications:settings-webhook-replay", ("endpoint", "message"), {}, get=False),
    Route("care:settings-playbooks", (), PLAYBOOKS),
]
ROUTE_IDS = [route.name.split(":")[1] for route in ROUTES]


def objects_of(merchant) -> dict:
    """One of everything a settings URL can name, belonging to `merchant`."""
    endpoint = webhook_endpoint_create(merchant=merchant, url=f"https://{merchant.slug}.example/hooks")
    message = Message.objects.create(merchant=merchant, channel=Channel.WEBHOOK, template="delivery.booked", endpoint=endpoint,
                           event_id=f"evt_{merchant.slug}", event_type="delivery.booked", to=endpoint.url, body="{}",
                           status=Message.Status.SENT)
    return {
        "origin": allowed_origin_add(merchant=merchant, origin=f"https://{merchant.slug}.example"),
        "key": api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="server")[0],
        "template": MessageTemplate.objects.create(merchant=merchant, trigger="booked", language="en", channel="sms",
                                                   body="Booked {first_name}"),
        "endpoint": endpoint,
        "message": message,
    }


def url(route: Route, merchant, objects: dict) -> str:
    return reverse(route.name, args=[merchant.slug, *(objects[need].pk for need in route.needs)])


def state_of(merchant) -> dict:
    """What an intruder could try to change, read back from the database."""
    merchant.refresh_from_db()
    return {
        "brand": (merchant.brand_name, merchant.primary_colour, merchant.languages),
        "origins": sorted(AllowedOrigin.objects.filter(merchant=merchant).values_list("origin", flat=True)),
        "keys": sorted(ApiKey.objects.filter(merchant=merchant).values_list("name", "revoked_at")),
        "templates": sorted(MessageTemplate.objects.filter(merchant=merchant).values_list("trigger", "body")),
        "messaging": list(MerchantMessaging.objects.filter(merchant=merchant).values()),
        "endpoints": sorted(WebhookEndpoint.objects.filter(merchant=merchant).values_list("url", "active", "secret")),
        "webhook messages": sorted(Message.objects.filter(merchant=merchant).values_list("event_id", "status")),
        "playbooks": sorted(PlaybookRule.objects.filter(merchant=merchant).values_list("code", "enabled", "team")),
    }


@pytest.fixture
def shops(merchant, outsider_merchant):
    return {merchant.pk: objects_of(merchant), outsider_merchant.pk: objects_of(outsider_merchant)}


def test_the_table_names_every_settings_route():
    names = {f"{namespace}:{name}" for namespace in ("merchants", "notifications", "care")
             for name in get_resolver().namespace_dict[namespace][1].reverse_dict if isinstance(name, str)
             and name.startswith("settings-")}
    assert names == {route.name for route in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_a_stranger_is_sent_to_sign_in(client, merchant, shops, route):
    address = url(route, merchant, shops[merchant.pk])

    response = client.get(address) if route.get else client.post(address, route.post)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={address}"


@pytest.mark.parametrize("role", [StaffMembership.Role.DISPATCHER, StaffMembership.Role.CARE,
                                  StaffMembership.Role.VIEWER])
def test_staff_who_are_not_owners_are_told_only_the_owner_can_change_settings(merchant, shops, role):
    client = signed_in(staff_of(merchant, f"staff-{role}", role))
    before = state_of(merchant)

    for route in ROUTES:
        address = url(route, merchant, shops[merchant.pk])
        responses = ([client.get(address)] if route.get else []) + ([client.post(address, route.post)]
                                                                     if route.post is not None else [])
        for response in responses:
            assert response.status_code == 403, route.name
            assert "Only the shop's owner can change settings" in response.content.decode(), route.name
    assert state_of(merchant) == before
    assert client.get(reverse("merchants:settings")).status_code == 403


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_another_shops_owner_can_neither_read_nor_change_them(merchant, shops, as_rival, route):
    address = url(route, merchant, shops[merchant.pk])
    before = state_of(merchant)

    if route.get:
        response = as_rival.get(address)
        assert response.status_code == 404
        assert merchant.name not in response.content.decode()
    if route.post is not None:
        assert as_rival.post(address, route.post).status_code == 404
    assert state_of(merchant) == before


@pytest.mark.parametrize("route", [route for route in ROUTES if route.needs], ids=lambda route: route.name)
def test_an_owner_cannot_reach_another_shops_objects_through_their_own_address(
        merchant, outsider_merchant, shops, as_owner, route):
    address = url(route, merchant, shops[outsider_merchant.pk])
    before = state_of(outsider_merchant)

    if route.get:
        assert as_owner.get(address).status_code == 404
    if route.post is not None:
        assert as_owner.post(address, route.post).status_code == 404
    assert state_of(outsider_merchant) == before


@pytest.mark.parametrize("route", [route for route in ROUTES if route.get], ids=lambda route: route.name)
def test_the_owner_and_a_superuser_open_every_page(merchant, shops, as_owner, superuser, route):
    address = url(route, merchant, shops[merchant.pk])

    for client in (as_owner, signed_in(superuser)):
        response = client.get(address)
        assert response.status_code in (200, 302), route.name
        if response.status_code == 302:
            assert response["Location"] == reverse("merchants:settings-brand", args=[merchant.slug])
        assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_an_owner_of_one_shop_goes_straight_to_its_settings(merchant, as_owner):
    response = as_owner.get(reverse("merchants:settings"))

    assert response.status_code == 302
    assert response["Location"] == reverse("merchants:settings-brand", args=[merchant.slug])


def test_someone_on_several_shops_picks_one(merchant, outsider_merchant, owner):
    StaffMembership.objects.create(user=owner, merchant=outsider_merchant, role=StaffMembership.Role.VIEWER)

    page = signed_in(owner).get(reverse("merchants:settings")).content.decode()

    assert reverse("merchants:settings-brand", args=[merchant.slug]) in page
    assert "Other Shop" in page and "only the shop's owner can change its settings" in page
    assert reverse("merchants:settings-brand", args=[outsider_merchant.slug]) not in page


def test_a_superuser_picks_among_every_shop(merchant, outsider_merchant, superuser):
    page = signed_in(superuser).get(reverse("merchants:settings")).content.decode()

    assert reverse("merchants:settings-brand", args=[merchant.slug]) in page
    assert reverse("merchants:settings-brand", args=[outsider_merchant.slug]) in page


def test_a_signed_in_user_of_no_shop_is_told_so(db):
    response = signed_in(make_user("nobody")).get(reverse("merchants:settings"))

    assert response.status_code == 403
    assert "not on the staff of any shop" in response.content.decode()


def test_the_site_sign_in_page_signs_an_owner_in_and_back_to_settings(client, merchant, owner):
    owner.set_password("correct horse")
    owner.save()
    target = reverse("merchants:settings-keys", args=[merchant.slug])

    refused = client.post("/accounts/login/", {"username": "olivia", "password": "wrong", "next": target})
    assert refused.status_code == 200 and "Please enter a correct username and password" in refused.content.decode()

    response = client.post("/accounts/login/", {"username": "olivia", "password": "correct horse", "next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(target).status_code == 200
