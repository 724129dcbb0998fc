import json
from io import StringIO

import pytest
from django.core.management import call_command

from dispatch.models import Depot, Plan, Route, Shift, Stop, Vehicle, Zone
from dispatch.zones import zone_for_point
from merchants.models import ApiKey, Merchant
from scheduling.models import Delivery, Window
from tracking.models import Carrier, CarrierCodeMapping

SMALL = {"days": 2, "scale": 0.15, "plan_seconds": 0.5}


def counts() -> dict[str, int]:
    models = (Merchant, ApiKey, Depot, Zone, Vehicle, Shift, Window, Delivery, Plan, Route, Stop, Carrier, CarrierCodeMapping)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db(transaction=True)
def test_seeding_twice_gives_the_same_counts():
    call_command("seed_demo", stdout=StringIO(), **SMALL)
    first = counts()
    call_command("seed_demo", stdout=StringIO(), **SMALL)

    assert counts() == first
    assert first["Delivery"] > 0 and Plan.objects.exclude(trigger="history").count() == 2 * first["Depot"]


@pytest.mark.django_db(transaction=True)
def test_the_seeded_city_has_the_promised_shape():
    call_command("seed_demo", stdout=StringIO(), days=7, scale=0.1, no_plan=True, history_days=0)

    assert Merchant.objects.count() >= 2
    assert len(set(Merchant.objects.values_list("primary_colour", flat=True))) == Merchant.objects.count()
    assert Depot.objects.count() == 2
    assert Vehicle.objects.count() >= 15
    assert {"two_person", "refrigerated"} <= {skill for v in Vehicle.objects.all() for skill in v.skills}
    assert Vehicle.objects.filter(is_electric=True, range_km__isnull=False).exists()
    assert set(Window.objects.values_list("label", flat=True)) == {"standard", "evening", "weekend", "premium"}
    assert Window.objects.values("date").distinct().count() == 7


@pytest.mark.django_db(transaction=True)
def test_seed_json_gives_keys_that_work_and_addresses_inside_the_area(client):
    out = StringIO()
    call_command("seed_demo", stdout=out, json=True, **SMALL)

    payload = json.loads(out.getvalue())
    assert len(payload["merchants"]) >= 2
    for merchant in payload["merchants"]:
        response = client.get("/api/v1/merchant/", HTTP_AUTHORIZATION=f"Bearer {merchant['secret_key']}")
        assert response.status_code == 200 and response.json()["slug"] == merchant["slug"]
        address = merchant["sample_address"]
        assert set(address) == {"line1", "city", "postcode", "lat", "lng"}
        assert zone_for_point(lat=address["lat"], lng=address["lng"]) is not None
        assert merchant["publishable_key"].startswith("pk_")
    assert payload["tracking_urls"]
    token = payload["tracking_urls"][0].rstrip("/").rsplit("/", 1)[-1]
    assert Delivery.objects.filter(tracking_token=token).exists()


@pytest.mark.django_db(transaction=True)
def test_the_demo_drivers_and_carriers_can_post_with_their_demo_credentials(client):
    from django.utils import timezone

    from demo import city as demo_city

    call_command("seed_demo", stdout=StringIO(), **SMALL)
    vehicle = Vehicle.objects.order_by("code").first()
    ping = {"points": [{"client_id": "demo-1", "vehicle": vehicle.code, "lat": 48.85, "lng": 2.35,
                        "recorded_at": timezone.now().isoformat()}]}

    response = client.post("/api/v1/pings/", ping, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {demo_city.driver_key(vehicle.code)}")

    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 1
    assert Carrier.objects.count() == 2
    assert CarrierCodeMapping.objects.filter(carrier__code="parcelnet", external_code="40-NH").exists()


@pytest.mark.django_db(transaction=True)
def test_a_seed_whose_planner_gets_no_time_to_search_still_plans_every_day():
    # Its first search timed out on a busy machine and saved days with vans and shifts but no stops.
    call_command("seed_demo", stdout=StringIO(), days=2, scale=0.15, plan_seconds=0.001, history_days=0)

    plans = Plan.objects.filter(status=Plan.Status.ACTIVE)
    assert plans.count() == 2 * Depot.objects.count()
    for plan in plans:
        jobs = plan.depot.jobs.filter(date=plan.date).count()
        assert Stop.objects.filter(route__plan=plan).count() == jobs > 0, f"{plan} left jobs unplanned"
        assert plan.unassigned == []


@pytest.mark.django_db(transaction=True)
def test_the_seeded_etas_are_planned_ones_even_when_the_seed_runs_late_at_night():
    import datetime as dt

    from django.utils import timezone

    from core import clock
    from demo.city import PARIS
    from tracking.models import EtaSnapshot

    tonight = dt.datetime.combine(timezone.localdate(timezone=PARIS), dt.time(23, 30), tzinfo=PARIS)
    clock.follow(lambda: tonight)
    try:
        call_command("seed_demo", stdout=StringIO(), **SMALL)
    finally:
        clock.follow(None)

    far = [
        (s.eta, s.delivery.window.starts_at, s.delivery.window.ends_at)
        for s in EtaSnapshot.objects.select_related("delivery__window")
        if not s.delivery.window.starts_at - dt.timedelta(hours=3) <= s.eta <= s.delivery.window.ends_at + dt.timedelta(hours=3)
    ]
    assert EtaSnapshot.objects.exists()
    assert far == [], f"{len(far)} seeded ETAs hours away from their window (stamped on the seed's wall clock)"


def test_every_demo_recipient_has_a_plain_ascii_email_address():
    # Mail servers without SMTPUTF8 refuse "inès.david4@example.com"; the demo's addresses must pass anywhere.
    import random

    from demo import city, seeding

    rng = random.Random(1)
    emails = {seeding._recipient(rng, index)[2] for index in range(len(city.RECIPIENT_NAMES) * 20)}
    assert all(email.isascii() and " " not in email for email in emails), sorted(e for e in emails if not e.isascii())


@pytest.mark.django_db(transaction=True)
def test_the_demo_hands_parcels_to_its_carriers_and_the_readme_post_reaches_one(client):
    from django.utils import timezone

    from demo import city as demo_city
    from demo.seeding import carrier_ref
    from tracking.models import CarrierAssignment, RawCarrierEvent

    call_command("seed_demo", stdout=StringIO(), **SMALL)
    handed = CarrierAssignment.objects.count()
    call_command("seed_demo", stdout=StringIO(), **SMALL)
    today = timezone.localdate(timezone=demo_city.PARIS)

    response = client.post("/api/v1/carriers/swiftpost/events/", {
        "event_id": "SP-readme", "tracking_ref": carrier_ref(carrier_code="swiftpost", day=today,
                                                             merchant_slug="fresh-basket", number=1),
        "status_code": "DEP", "event_time": timezone.now().isoformat()},
        content_type="application/json", HTTP_X_CARRIER_SECRET=demo_city.carrier_secret("swiftpost"))

    assert CarrierAssignment.objects.count() == handed  # a second seed hands nothing new
    fresh_basket = CarrierAssignment.objects.filter(delivery__merchant__slug="fresh-basket", delivery__window__date=today)
    assert sorted(fresh_basket.values_list("carrier__code", flat=True)) == ["parcelnet"] * 2 + ["swiftpost"] * 2
    assert response.status_code == 202, response.content
    assert RawCarrierEvent.objects.get(external_id="SP-readme").status == "applied"


@pytest.mark.django_db
def test_a_second_seed_books_nothing_new_even_where_a_full_window_has_room_now():
    from core import clock
    from demo import city
    from demo.seeding import seed_deliveries, seed_static
    from scheduling.services import windows_materialize

    today = clock.now().astimezone(city.PARIS).date()
    merchants = seed_static(today, 1)
    for merchant, _spec in merchants:
        windows_materialize(merchant=merchant, start=today, days=1)
    Window.objects.update(capacity=1)  # most of the day's shoppers find their window full and are turned away
    first = seed_deliveries(merchants, today, 1, 0.3)
    Window.objects.update(capacity=100)  # room again, as when a parcel goes to a carrier or a booking is cancelled

    again = seed_deliveries(merchants, today, 1, 0.3)

    assert first > 0 and again == 0
    assert Delivery.objects.count() == first
