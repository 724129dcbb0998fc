"""The tenancy matrix: every route of the site × every kind of actor → exactly the expected status.

The world is the demo city (two merchants sharing two depots). Every route that names an object names one of
Fresh Basket's, so each Maison & Meuble actor is a cross-merchant attempt: it must answer 404 (the object does
not exist for them) or 403, never 200 or a redirect that did the work. Each request runs in a transaction that
is rolled back, so every actor meets the same world. A route added to the site fails this test until it is
given a row here.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from care import services as care_services
from core import clock
from demo.city import carrier_secret, driver_key
from demo.keys import demo_key
from demo.proof_images import png
from demo.seeding import seed_demo_owners
from dispatch.models import Job, Vehicle
from merchants.models import AllowedOrigin, ApiKey, Merchant
from merchants.services import webhook_endpoint_create
from notifications.models import MessageTemplate
from notifications.webhooks import webhook_send_test
from scheduling.models import Delivery
from tracking.models import Carrier, ProofOfDelivery, RawCarrierEvent

pytestmark = pytest.mark.django_db

SIGNED_IN = ("outsider", "fb_owner", "fb_care", "fb_viewer", "mm_owner", "mm_dispatcher", "platform_care",
             "platform_dispatcher", "superuser")
CREDENTIALS = ("fb_secret_key", "fb_publishable_key", "mm_secret_key", "mm_publishable_key", "swiftpost", "parcelnet",
               "driver")
ACTORS = ("anonymous", *SIGNED_IN, *CREDENTIALS)

# Everyone answered alike.
def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ACTORS, status)


def staff(**granted: int) -> dict[str, int]:
    """A staff page or action: no session → the sign-in page; signed in without the permission → 403."""
    return {**dict.fromkeys(("anonymous", *CREDENTIALS), 302), **dict.fromkeys(SIGNED_IN, 403), **granted}


def api(**answered: int) -> dict[str, int]:
    """An API route: a session, no credential or a credential of another kind is 401; each credential as given."""
    return {**everyone(401), **answered}


CARE_PAGE = staff(fb_owner=200, fb_care=200, fb_viewer=200, mm_owner=200, mm_dispatcher=200, platform_care=200,
                  platform_dispatcher=200, superuser=200)
CARE_FB_VIEW = staff(fb_owner=200, fb_care=200, fb_viewer=200, mm_owner=404, mm_dispatcher=404, platform_care=200,
                     platform_dispatcher=200, superuser=200)
CARE_FB_ACT = staff(fb_owner=302, fb_care=302, mm_owner=404, platform_care=302, superuser=302)
# The same actors, posting what the action refuses: those who may act are told what to fix (400).
CARE_FB_ACT_REFUSED = staff(fb_owner=400, fb_care=400, mm_owner=404, platform_care=400, superuser=400)
DISPATCH_PAGE = staff(fb_owner=200, fb_viewer=200, mm_owner=200, mm_dispatcher=200, platform_dispatcher=200,
                      superuser=200)
REPLAN = staff(fb_owner=302, mm_owner=302, mm_dispatcher=302, platform_dispatcher=302, superuser=302)
FLEET = staff(platform_dispatcher=302, superuser=302)
WEBHOOK_INBOX = staff(fb_owner=200, mm_owner=200, superuser=200)
# A merchant's settings exist only for its staff (404 for anyone else signed in); only owners may use them.
SETTINGS_FB = staff(outsider=404, fb_owner=200, mm_owner=404, mm_dispatcher=404, platform_care=404,
                    platform_dispatcher=404, superuser=200)
SETTINGS_FB_POST = {**SETTINGS_FB, "fb_owner": 302, "superuser": 302}
SETTINGS_HOME = staff(fb_owner=302, mm_owner=302, superuser=200)
# The merchant API: a secret key reaches its own merchant's objects; Fresh Basket's are a 404 for Maison & Meuble.
SECRET_FB = api(fb_secret_key=200, mm_secret_key=404)
SECRET_LIST = api(fb_secret_key=200, mm_secret_key=200)
BROWSER_API = api(fb_secret_key=200, fb_publishable_key=200, mm_secret_key=200, mm_publishable_key=200)


def fleet_api(status: int) -> dict[str, int]:
    """The disruptions API: a feed's key (none here: every other credential is 401), or a signed-in session that
    may change the fleet; any other signed-in user is 403."""
    return {**api(), **dict.fromkeys(SIGNED_IN, 403), "platform_dispatcher": status, "superuser": status}


@dataclass(frozen=True)
class World:
    fb: Merchant
    mm: Merchant
    delivery: Delivery
    exception_id: int
    depot_id: int
    date: dt.date
    vehicle_id: int
    endpoint_id: int
    message_id: int
    template_id: int
    origin_id: int
    key_id: int


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict] | None = None
    json: bool = False


def _t(w: World) -> str:
    return w.delivery.tracking_token


FB = "fresh-basket"

ROUTES: dict[str, Route] = {
    # The public site: the same answer for everyone.
    "home": Route("GET", lambda w: "/", everyone(200)),
    "healthz": Route("GET", lambda w: "/healthz", everyone(200)),
    "healthz-live": Route("GET", lambda w: "/healthz/live", everyone(200)),
    "healthz-ready": Route("GET", lambda w: "/healthz/ready", everyone(200)),
    # Off without METRICS_TOKEN, for everyone: no sign-in opens it (tests/portal/test_observability.py has the token).
    "metrics": Route("GET", lambda w: "/metrics", everyone(403)),
    "login": Route("GET", lambda w: "/accounts/login/", {**everyone(200), **dict.fromkeys(SIGNED_IN, 302)}),
    "logout": Route("POST", lambda w: "/accounts/logout/", everyone(302)),
    "api-schema": Route("GET", lambda w: "/api/schema/", everyone(200)),
    "api-docs": Route("GET", lambda w: "/api/docs/", everyone(200)),
    "api-redoc": Route("GET", lambda w: "/api/redoc/", everyone(200)),
    "set_language": Route("POST", lambda w: "/i18n/setlang/", everyone(302), lambda w: {"language": "fr"}),
    "api-route-not-found": Route("GET", lambda w: "/api/v1/nothing-here/", everyone(404)),
    "merchants:logo": Route("GET", lambda w: "/media/logos/none.png", everyone(404)),
    "scheduling:embed-docs": Route("GET", lambda w: "/docs/embed/", everyone(200)),
    "scheduling:embed-windows": Route("GET", lambda w: f"/embed/windows/?key={demo_key(kind='publishable', slug=FB)}",
                                      everyone(200)),
    "scheduling:embed-check": Route("GET", lambda w: "/embed/check/", everyone(200)),
    "demo:checkout": Route("GET", lambda w: "/demo/checkout/", everyone(200)),
    "demo:checkout-book": Route("POST", lambda w: "/demo/checkout/book/", everyone(400)),
    "demo:checkout-confirmation": Route("GET", lambda w: f"/demo/checkout/confirmation/{_t(w)}/", everyone(200)),
    # Whoever holds the tracking link is the customer; nobody else is asked for more.
    "tracking:page": Route("GET", lambda w: f"/t/{_t(w)}/", everyone(200)),
    # Not delivered yet: its proof (care's row below) is nobody's to see through the link.
    "tracking:proof-image": Route("GET", lambda w: f"/t/{_t(w)}/proof/photo/", everyone(404)),
    "tracking:find": Route("GET", lambda w: f"/find/{FB}/", everyone(200)),
    "tracking:status": Route("GET", lambda w: f"/t/{_t(w)}/status.json", everyone(200)),
    "tracking:instructions": Route("POST", lambda w: f"/t/{_t(w)}/instructions/", everyone(302),
                                   lambda w: {"access_notes": "Ring twice"}),
    "tracking:rating": Route("POST", lambda w: f"/t/{_t(w)}/rating/", everyone(302), lambda w: {"score": "5"}),
    "scheduling:reschedule": Route("GET", lambda w: f"/t/{_t(w)}/reschedule/", everyone(200)),
    "tracking:calendar": Route("GET", lambda w: f"/t/{_t(w)}/calendar.ics", everyone(200)),
    # Providers calling in: refused without their signature, whoever asks.
    "notifications:twilio-inbound": Route("POST", lambda w: "/notifications/twilio/inbound/", everyone(403),
                                          lambda w: {"From": "+33612345678", "Body": "STOP"}),
    "notifications:twilio-status": Route("POST", lambda w: "/notifications/twilio/status/", everyone(403),
                                         lambda w: {"MessageSid": "SM1", "MessageStatus": "delivered"}),
    "demo:webhook-receive": Route("POST", lambda w: f"/demo/webhook-inbox/{FB}/", everyone(404)),
    # The care console.
    "care:home": Route("GET", lambda w: "/care/?q=FB", CARE_PAGE),
    "care:exceptions": Route("GET", lambda w: "/care/exceptions/", CARE_PAGE),
    "care:journey": Route("GET", lambda w: f"/care/deliveries/{w.delivery.pk}/", CARE_FB_VIEW),
    "care:proof-image": Route("GET", lambda w: f"/care/deliveries/{w.delivery.pk}/proof/photo/", CARE_FB_VIEW),
    "care:reschedule": Route("POST", lambda w: f"/care/deliveries/{w.delivery.pk}/reschedule/", CARE_FB_ACT_REFUSED,
                             lambda w: {"window_id": "0"}),
    "care:note-add": Route("POST", lambda w: f"/care/deliveries/{w.delivery.pk}/notes/", CARE_FB_ACT,
                           lambda w: {"text": "Customer called"}),
    "care:resend-link": Route("POST", lambda w: f"/care/deliveries/{w.delivery.pk}/resend-link/", CARE_FB_ACT,
                              lambda w: {"request_key": "0" * 32}),
    # Without a reason, so every actor meets the same delivery (a cancellation would change it for the next).
    "care:cancel": Route("POST", lambda w: f"/care/deliveries/{w.delivery.pk}/cancel/", CARE_FB_ACT_REFUSED,
                         lambda w: {"reason": ""}),
    "care:instructions": Route("POST", lambda w: f"/care/deliveries/{w.delivery.pk}/instructions/", CARE_FB_ACT,
                               lambda w: {"access_notes": "Code 1234"}),
    "care:exception-open": Route("POST", lambda w: f"/care/deliveries/{w.delivery.pk}/exceptions/", CARE_FB_ACT,
                                 lambda w: {"code": "other", "message": "Customer called", "due_in_minutes": "30"}),
    "care:exception-action": Route("POST", lambda w: f"/care/exceptions/{w.exception_id}/take/", CARE_FB_ACT),
    "demo:messages": Route("GET", lambda w: "/demo/messages/", CARE_PAGE),
    "care:carrier-events": Route("GET", lambda w: "/care/carrier-events/", CARE_PAGE),
    # The KPIs: every care reader, each scoped to the merchants their role reaches.
    "care:kpis": Route("GET", lambda w: "/care/kpis/", CARE_PAGE),
    "care:kpis-csv": Route("GET", lambda w: "/care/kpis.csv?kpi=eta", CARE_PAGE),
    # The dispatch console, on a depot both merchants deliver from.
    "dispatch:console": Route("GET", lambda w: f"/dispatch/?depot={w.depot_id}&date={w.date}", DISPATCH_PAGE),
    "dispatch:console-data": Route("GET", lambda w: f"/dispatch/data/?depot={w.depot_id}&date={w.date}",
                                   DISPATCH_PAGE),
    "dispatch:replan": Route("POST", lambda w: "/dispatch/replan/", REPLAN,
                             lambda w: {"depot": w.depot_id, "date": w.date.isoformat()}),
    "dispatch:vehicle-lost": Route("POST", lambda w: f"/dispatch/vehicles/{w.vehicle_id}/lost/", FLEET),
    # Slowing a zone re-plans every merchant's deliveries there: the platform's dispatchers only.
    "dispatch:disruption-create": Route("POST", lambda w: "/dispatch/disruptions/",
                                        {**FLEET, "platform_dispatcher": 400, "superuser": 400},
                                        lambda w: {"depot": w.depot_id, "date": w.date.isoformat()}),
    "dispatch:disruption-end": Route("POST", lambda w: "/dispatch/disruptions/999999/end/",
                                     {**FLEET, "platform_dispatcher": 404, "superuser": 404}),
    "demo:webhook-inbox": Route("GET", lambda w: "/demo/webhook-inbox/", WEBHOOK_INBOX),
    # Fresh Basket's settings.
    "merchants:settings": Route("GET", lambda w: "/settings/", SETTINGS_HOME),
    "merchants:settings-merchant": Route("GET", lambda w: f"/settings/{FB}/",
                                         {**SETTINGS_FB, "fb_owner": 302, "superuser": 302}),
    "merchants:settings-brand": Route("GET", lambda w: f"/settings/{FB}/brand/", SETTINGS_FB),
    "merchants:settings-origins": Route("GET", lambda w: f"/settings/{FB}/origins/", SETTINGS_FB),
    "merchants:settings-origin-remove": Route("POST", lambda w: f"/settings/{FB}/origins/{w.origin_id}/remove/",
                                              SETTINGS_FB_POST),
    "merchants:settings-keys": Route("GET", lambda w: f"/settings/{FB}/keys/", SETTINGS_FB),
    "merchants:settings-key-roll": Route("GET", lambda w: f"/settings/{FB}/keys/{w.key_id}/roll/", SETTINGS_FB),
    "merchants:settings-key-revoke": Route("GET", lambda w: f"/settings/{FB}/keys/{w.key_id}/revoke/", SETTINGS_FB),
    "notifications:settings-messaging": Route("GET", lambda w: f"/settings/{FB}/notifications/", SETTINGS_FB),
    "care:settings-playbooks": Route("GET", lambda w: f"/settings/{FB}/playbooks/", SETTINGS_FB),
    "notifications:settings-template-new": Route("GET", lambda w: f"/settings/{FB}/notifications/templates/new/",
                                                 SETTINGS_FB),
    "notifications:settings-template": Route(
        "GET", lambda w: f"/settings/{FB}/notifications/templates/{w.template_id}/", SETTINGS_FB),
    "notifications:settings-template-delete": Route(
        "POST", lambda w: f"/settings/{FB}/notifications/templates/{w.template_id}/delete/", SETTINGS_FB_POST),
    "notifications:settings-webhooks": Route("GET", lambda w: f"/settings/{FB}/webhooks/", SETTINGS_FB),
    "notifications:settings-webhook": Route("GET", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/",
                                            SETTINGS_FB),
    "notifications:settings-webhook-secret": Route(
        "POST", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/secret/", {**SETTINGS_FB_POST, "fb_owner": 200,
                                                                                "superuser": 200}),
    "notifications:settings-webhook-rotate": Route(
        "POST", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/rotate/", SETTINGS_FB_POST),
    "notifications:settings-webhook-switch": Route(
        "POST", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/switch/", SETTINGS_FB_POST),
    "notifications:settings-webhook-delete": Route(
        "POST", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/delete/", SETTINGS_FB_POST),
    "notifications:settings-webhook-test": Route(
        "POST", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/test/", SETTINGS_FB_POST),
    "notifications:settings-webhook-replay": Route(
        "POST", lambda w: f"/settings/{FB}/webhooks/{w.endpoint_id}/messages/{w.message_id}/replay/",
        SETTINGS_FB_POST),
    # The merchant API.
    "scheduling-api:ping": Route("GET", lambda w: "/api/v1/ping/", everyone(200)),
    "merchants-api:brand": Route("GET", lambda w: "/api/v1/merchant/", BROWSER_API),
    "scheduling-api:windows": Route("GET", lambda w: "/api/v1/windows/?lat=48.8566&lng=2.3522", BROWSER_API),
    "scheduling-api:holds": Route("POST", lambda w: "/api/v1/holds/",
                                  api(fb_secret_key=400, fb_publishable_key=400, mm_secret_key=400,
                                      mm_publishable_key=400), lambda w: {}, json=True),
    "scheduling-api:deliveries": Route("GET", lambda w: "/api/v1/deliveries/", SECRET_LIST),
    "scheduling-api:delivery-detail": Route("GET", lambda w: f"/api/v1/deliveries/{w.delivery.pk}/", SECRET_FB),
    "scheduling-api:delivery-reschedule": Route(
        "POST", lambda w: f"/api/v1/deliveries/{w.delivery.pk}/reschedule/", api(fb_secret_key=400, mm_secret_key=404),
        lambda w: {}, json=True),
    "scheduling-api:delivery-cancel": Route("POST", lambda w: f"/api/v1/deliveries/{w.delivery.pk}/cancel/",
                                            SECRET_FB, lambda w: {}, json=True),
    "notifications-api:webhooks": Route("GET", lambda w: "/api/v1/webhooks/", SECRET_LIST),
    "notifications-api:webhook": Route("GET", lambda w: f"/api/v1/webhooks/{w.endpoint_id}/", SECRET_FB),
    "notifications-api:webhook-rotate": Route("POST", lambda w: f"/api/v1/webhooks/{w.endpoint_id}/rotate-secret/",
                                              SECRET_FB, lambda w: {}, json=True),
    "notifications-api:webhook-test": Route("POST", lambda w: f"/api/v1/webhooks/{w.endpoint_id}/test/",
                                            api(fb_secret_key=202, mm_secret_key=404), lambda w: {}, json=True),
    "notifications-api:webhook-messages": Route("GET", lambda w: f"/api/v1/webhooks/{w.endpoint_id}/messages/",
                                                SECRET_FB),
    "notifications-api:webhook-replay": Route(
        "POST", lambda w: f"/api/v1/webhooks/{w.endpoint_id}/messages/{w.message_id}/replay/",
        api(fb_secret_key=202, mm_secret_key=404), lambda w: {}, json=True),
    # Drivers and carriers.
    "tracking-api:pings": Route("POST", lambda w: "/api/v1/pings/", api(driver=400), lambda w: {}, json=True),
    "tracking-api:scans": Route("POST", lambda w: "/api/v1/scans/", api(driver=400), lambda w: {}, json=True),
    "tracking-api:driver-route": Route("GET", lambda w: "/api/v1/driver/route/", api(driver=200)),
    "tracking-api:delivery-carrier": Route("PUT", lambda w: f"/api/v1/deliveries/{w.delivery.pk}/carrier/",
                                           SECRET_FB, lambda w: {"carrier": "swiftpost"}, json=True),
    "tracking-api:carrier-events": Route("POST", lambda w: "/api/v1/carriers/swiftpost/events/",
                                         api(swiftpost=400), lambda w: {}, json=True),
    # Weather and traffic feeds, and the platform's dispatchers.
    "dispatch-api:disruptions": Route("POST", lambda w: "/api/v1/disruptions/", fleet_api(400), lambda w: {},
                                      json=True),
    "dispatch-api:disruption": Route("PATCH", lambda w: "/api/v1/disruptions/999999/", fleet_api(404), lambda w: {},
                                     json=True),
    "dispatch-api:disruption-end": Route("POST", lambda w: "/api/v1/disruptions/999999/end/", fleet_api(404),
                                         lambda w: {}, json=True),
}

# Mounted from elsewhere and guarded by their own rules: the admin (Django's staff permissions).
NOT_IN_MATRIX = {None}


def _route_names() -> set[str | None]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_route_of_the_site_has_a_row_in_the_matrix():
    missing = _route_names() - set(ROUTES) - NOT_IN_MATRIX
    assert not missing, f"Add these routes to the tenancy matrix: {sorted(missing)}"
    assert not set(ROUTES) - _route_names(), "The matrix names routes the site no longer has."


@pytest.fixture
def world(db) -> World:
    call_command("seed_demo", stdout=StringIO(), days=1, scale=0.15, plan_seconds=0.3)
    seed_demo_owners()
    fb, mm = Merchant.objects.get(slug=FB), Merchant.objects.get(slug="maison-meuble")
    depot_id, date = (Job.objects.filter(merchant__isnull=False).values("depot_id", "date")
                      .annotate(merchants=Count("merchant", distinct=True)).filter(merchants=2).order_by("depot_id")
                      .values_list("depot_id", "date").first())
    # One of our own fleet's (the seed hands a few to carriers), so handing it over answers 200 whichever is picked.
    delivery = (Delivery.objects.filter(merchant=fb, status=Delivery.Status.SCHEDULED, job__depot_id=depot_id,
                                        carrier_assignment__isnull=True).order_by("order_ref").first())
    exception = care_services.exception_open(delivery=delivery, code="other", message="Parcel damaged",
                                             now=clock.now())
    proof = ProofOfDelivery(delivery=delivery, recipient_name="Camille", captured_at=clock.now())
    proof.photo.save("door.png", ContentFile(png(1, 1, [bytearray(b"\xc4\x96\x62")])))
    endpoint = webhook_endpoint_create(merchant=fb, url="https://hooks.freshbasket.example/portal")
    message = webhook_send_test(endpoint=endpoint)
    template = MessageTemplate.objects.create(merchant=fb, trigger="booked", language="en", channel="sms",
                                              body="Booked: {window_label}")
    return World(
        fb=fb, mm=mm, delivery=delivery, exception_id=exception.pk, depot_id=depot_id, date=date,
        vehicle_id=Vehicle.objects.filter(depot_id=depot_id).values_list("pk", flat=True).first(),
        endpoint_id=endpoint.pk, message_id=message.pk, template_id=template.pk,
        origin_id=AllowedOrigin.objects.filter(merchant=fb).values_list("pk", flat=True).first(),
        key_id=ApiKey.objects.filter(merchant=fb, kind=ApiKey.Kind.SECRET).values_list("pk", flat=True).first(),
    )


def _clients(world: World) -> dict[str, Client]:
    users = get_user_model().objects
    clients = {"anonymous": Client()}
    usernames = {"outsider": None, "fb_owner": "fresh-owner", "fb_care": "fresh-care", "fb_viewer": "fresh-viewer",
                 "mm_owner": "maison-owner", "mm_dispatcher": "maison-dispatcher", "platform_care": "platform-care",
                 "platform_dispatcher": "platform-dispatcher", "superuser": "demo"}
    for actor, username in usernames.items():
        user = users.get(username=username) if username else users.create_user("outsider", password="pw")
        clients[actor] = Client()
        clients[actor].force_login(user)
    shop_origin = {FB: "https://shop.freshbasket.example", "maison-meuble": "https://www.maisonmeuble.example"}
    for prefix, slug in (("fb", FB), ("mm", "maison-meuble")):
        clients[f"{prefix}_secret_key"] = Client(
            headers={"Authorization": f"Bearer {demo_key(kind='secret', slug=slug)}"})
        clients[f"{prefix}_publishable_key"] = Client(
            headers={"X-Api-Key": demo_key(kind="publishable", slug=slug), "Origin": shop_origin[slug]})
    for code in ("swiftpost", "parcelnet"):
        clients[code] = Client(headers={"X-Carrier-Secret": carrier_secret(code)})
    vehicle = Vehicle.objects.get(pk=world.vehicle_id)
    clients["driver"] = Client(headers={"Authorization": f"Bearer {driver_key(vehicle.code)}"})
    return clients


def _ask(client: Client, route: Route, world: World) -> int:
    path, body = route.path(world), route.body(world) if route.body else {}
    cookies = copy.deepcopy(client.cookies)  # signing out (or in) is undone with the rest
    with transaction.atomic():
        if route.method == "GET":
            response = client.get(path)
        elif route.json:
            response = client.generic(route.method, path, json.dumps(body), content_type="application/json")
        else:
            response = client.post(path, body)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response.status_code


def test_every_actor_gets_exactly_the_expected_answer_on_every_route(world, settings):
    # Every actor asks from the test client's one address: the tracking link's routes alone take that address
    # past its page budget. Rate limits have their own tests; here only who may see what counts.
    settings.THROTTLE_ENABLED = False
    clients = _clients(world)
    wrong = []
    for name, route in sorted(ROUTES.items()):
        for actor in ACTORS:
            status = _ask(clients[actor], route, world)
            if status != route.expected[actor]:
                wrong.append(f"{name:45} {actor:20} expected {route.expected[actor]}, got {status}")
    assert not wrong, f"{len(wrong)} of {len(ROUTES) * len(ACTORS)} answers differ:\n" + "\n".join(wrong)


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_lists_and_searches_show_no_other_merchants_rows(world):
    clients = _clients(world)
    theirs = Delivery.objects.filter(merchant=world.mm).exclude(recipient_phone="").order_by("order_ref").first()
    care_services.exception_open(delivery=theirs, code="other", message="Sofa scratched", now=clock.now())
    RawCarrierEvent.objects.create(carrier=Carrier.objects.get(code="swiftpost"), delivery=theirs,
                                   external_id="sp-1", external_code="DLV", reference=theirs.order_ref,
                                   payload={"ref": theirs.order_ref}, status=RawCarrierEvent.Status.FLAGGED,
                                   reason="before_window")

    # A Fresh Basket care agent searching for a Maison & Meuble order finds nothing, and no queue or feed shows it.
    for path in (f"/care/?q={theirs.order_ref}", f"/care/?q={theirs.recipient_phone}", "/care/exceptions/",
                 "/demo/messages/", "/care/carrier-events/"):
        page = _page(clients["fb_care"], path)
        assert f"/care/deliveries/{theirs.pk}/" not in page and theirs.recipient_name not in page, path
        assert path.startswith("/care/?") or theirs.order_ref not in page, path
    assert world.delivery.order_ref in _page(clients["fb_care"], "/care/exceptions/")
    # The platform's care agent sees both.
    both = _page(clients["platform_care"], "/care/exceptions/")
    assert theirs.order_ref in both and world.delivery.order_ref in both
    assert theirs.order_ref in _page(clients["platform_care"], "/care/carrier-events/")


def test_a_merchants_dispatcher_sees_the_other_merchants_stops_on_a_shared_depot_masked(world):
    dispatcher = _clients(world)["mm_dispatcher"]
    data = json.loads(_page(dispatcher, f"/dispatch/data/?depot={world.depot_id}&date={world.date}"))
    stops = [stop for route in data["routes"] for stop in route["stops"]]
    jobs = Job.objects.in_bulk([stop["job"] for stop in stops])
    mine = [stop for stop in stops if jobs[stop["job"]].merchant_id == world.mm.pk]
    others = [stop for stop in stops if jobs[stop["job"]].merchant_id != world.mm.pk]
    assert mine and others
    assert all(stop["name"] == jobs[stop["job"]].reference for stop in mine)
    assert all(stop["name"] == "Another merchant's stop" for stop in others)
    # Roughly where (to about a kilometre), never the door.
    assert all(round(stop["lat"], 2) == stop["lat"] and round(stop["lng"], 2) == stop["lng"] for stop in others)
    page = _page(dispatcher, f"/dispatch/?depot={world.depot_id}&date={world.date}")
    assert not any(jobs[stop["job"]].reference in page for stop in others)


def test_the_admin_link_shows_only_to_those_the_admin_lets_in(world):
    clients = _clients(world)

    for actor, path in (("fb_care", "/care/"), ("fb_viewer", "/dispatch/"), ("platform_dispatcher", "/dispatch/")):
        assert 'href="/admin/"' not in _page(clients[actor], path), actor
    assert 'href="/admin/"' in _page(clients["superuser"], "/care/")
