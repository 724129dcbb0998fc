"""A carrier writes only the parcels handed to it, and only what can be true of them (issue #14).

SwiftPost's secret used to mark own-fleet deliveries of both merchants as delivered, days ahead.
"""

import datetime as dt
import uuid

import pytest
from rest_framework.test import APIClient

from care.models import JourneyException
from scheduling.serializers import delivery_payload
from tests.factories import DeliveryFactory, local, platform_staff
from tracking.models import CarrierAssignment, CarrierCodeMapping, Event, RawCarrierEvent
from tracking.services import carrier_create, delivery_carrier_assign, event_record

pytestmark = pytest.mark.django_db

SWIFTPOST_SECRET = "cs_test_swiftpost_0123456789abcdef"
PARCELNET_SECRET = "cs_test_parcelnet_0123456789abcdef"


@pytest.fixture
def swiftpost():
    carrier = carrier_create(code="swiftpost", name="SwiftPost", format="swiftpost", raw_secret=SWIFTPOST_SECRET)
    for code, milestone in (("DEP", "scanned_out"), ("OFD", "out_for_delivery"), ("NH", "attempted"),
                            ("DLV", "delivered")):
        CarrierCodeMapping.objects.create(carrier=carrier, external_code=code, milestone=milestone)
    return carrier


@pytest.fixture
def parcelnet():
    carrier = carrier_create(code="parcelnet", name="ParcelNet", format="parcelnet", raw_secret=PARCELNET_SECRET)
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="20", milestone="scanned_out")
    CarrierCodeMapping.objects.create(carrier=carrier, external_code="50", milestone="delivered")
    return carrier


def carrier_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET=secret)
    return client


@pytest.fixture
def swiftpost_api(swiftpost):
    return carrier_client(SWIFTPOST_SECRET)


@pytest.fixture
def parcelnet_api(parcelnet):
    return carrier_client(PARCELNET_SECRET)


@pytest.fixture
def day(clock_at):
    """The deliveries' day (the factory's window, 10:00-12:00 in Paris), our clock at 11:30 on it."""
    day = DeliveryFactory.build().window.date
    clock_at(local(day, 11, 30))
    return day


def scheduled(merchant=None, **fields):
    if merchant is not None:
        fields["window__template__merchant"] = merchant
    return DeliveryFactory(status="scheduled", **fields)


def handed(carrier, merchant=None, external_ref=""):
    delivery = scheduled(merchant)
    delivery_carrier_assign(delivery=delivery, carrier=carrier, external_ref=external_ref, actor_label="test")
    return delivery


def swiftpost_post(api, reference, code, at: dt.datetime, event_id="SP-1"):
    return api.post("/api/v1/carriers/swiftpost/events/", {
        "event_id": event_id, "tracking_ref": str(reference), "status_code": code, "event_time": at.isoformat(),
    }, format="json")


def scanned_out(delivery, at: dt.datetime):
    event_record(delivery=delivery, milestone="scanned_out", source=Event.Source.DRIVER, recorded_at=at,
                 client_id=f"out-{delivery.pk}")


# --- Bound to its parcels -----------------------------------------------------------------------


def test_the_carrier_a_delivery_is_handed_to_moves_its_journey(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)

    response = swiftpost_post(swiftpost_api, delivery.pk, "OFD", local(day, 9, 40))

    assert response.status_code == 202
    assert response.json()["results"][0]["outcome"] == "recorded"
    delivery.refresh_from_db()
    assert delivery.status == "out_for_delivery"
    assert RawCarrierEvent.objects.get(external_id="SP-1").status == "applied"


def test_a_carrier_may_name_its_parcel_by_its_own_tracking_number(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost, external_ref="SP123456789FR")

    response = swiftpost_post(swiftpost_api, "SP123456789FR", "DEP", local(day, 8, 5))

    assert response.status_code == 202
    assert list(delivery.events.values_list("milestone", flat=True)) == ["scanned_out"]


def test_swiftpost_cannot_deliver_an_own_fleet_parcel_and_care_keeps_what_it_sent(swiftpost_api, day):
    own_fleet = scheduled()

    response = swiftpost_post(swiftpost_api, own_fleet.pk, "DLV", local(day, 10, 30))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "delivery_not_assigned"
    own_fleet.refresh_from_db()
    assert own_fleet.status == "scheduled" and not own_fleet.events.exists()
    raw = RawCarrierEvent.objects.get(external_id="SP-1")
    assert (raw.status, raw.reason, raw.delivery) == ("quarantined", "not_assigned", own_fleet)
    assert raw.payload["status_code"] == "DLV"


def test_swiftpost_cannot_write_a_parcel_handed_to_parcelnet(swiftpost_api, parcelnet, day):
    theirs = handed(parcelnet)

    response = swiftpost_post(swiftpost_api, theirs.pk, "DLV", local(day, 10, 30))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "scheduled" and not theirs.events.exists()
    assert RawCarrierEvent.objects.get(external_id="SP-1").status == "quarantined"


def test_a_parcel_of_another_carrier_and_one_that_does_not_exist_get_the_same_answer(swiftpost_api, parcelnet, day):
    theirs = handed(parcelnet, external_ref="PN-77")

    answers = [
        swiftpost_post(swiftpost_api, reference, "DLV", local(day, 10, 30), event_id=f"SP-{index}")
        for index, reference in enumerate([theirs.pk, uuid.uuid4(), "PN-77", "not-a-parcel"])
    ]

    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1


def test_a_replayed_quarantined_event_is_refused_again(swiftpost_api, day):
    own_fleet = scheduled()
    swiftpost_post(swiftpost_api, own_fleet.pk, "DLV", local(day, 10, 30))

    again = swiftpost_post(swiftpost_api, own_fleet.pk, "DLV", local(day, 10, 30))

    assert again.status_code == 404
    assert RawCarrierEvent.objects.count() == 1


def test_a_parcel_taken_back_from_its_carrier_no_longer_takes_its_events(swiftpost, swiftpost_api, day):
    from tracking.services import delivery_carrier_release

    delivery = handed(swiftpost)
    delivery_carrier_release(delivery=delivery, actor_label="test")

    response = swiftpost_post(swiftpost_api, delivery.pk, "OFD", local(day, 9, 40))

    assert response.status_code == 404
    assert not delivery.events.exists()


def test_a_parcelnet_batch_is_answered_event_by_event(parcelnet, parcelnet_api, day):
    ours, not_ours = handed(parcelnet), scheduled()
    at = local(day, 8, 10).isoformat()

    response = parcelnet_api.post("/api/v1/carriers/parcelnet/events/", {"batch_id": "B-9", "consignments": [
        {"consignment": {"reference": str(ours.pk)}, "events": [{"id": "E1", "code": "20", "occurred_at": at}]},
        {"consignment": {"reference": str(not_ours.pk)}, "events": [{"id": "E2", "code": "20", "occurred_at": at}]},
    ]}, format="json")

    assert response.status_code == 202
    assert [(r["external_id"], r["outcome"]) for r in response.json()["results"]] == [
        ("E1", "recorded"), ("E2", "not_assigned")]
    assert ours.events.count() == 1 and not not_ours.events.exists()


def test_a_parcelnet_batch_of_parcels_none_of_which_are_its_own_is_a_404(parcelnet_api, day):
    stranger = scheduled()

    response = parcelnet_api.post("/api/v1/carriers/parcelnet/events/", {"batch_id": "B-9", "consignments": [
        {"consignment": {"reference": str(stranger.pk)},
         "events": [{"id": "E1", "code": "50", "occurred_at": local(day, 10, 30).isoformat()}]},
    ]}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "delivery_not_assigned"


# --- Plausible or flagged -----------------------------------------------------------------------


def test_delivered_three_days_before_the_window_is_flagged_not_applied(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)
    scanned_out(delivery, local(day - dt.timedelta(days=3), 8))

    response = swiftpost_post(swiftpost_api, delivery.pk, "DLV", local(day - dt.timedelta(days=3), 10))

    assert response.status_code == 202
    assert response.json()["results"] == [{
        "external_id": "SP-1", "external_code": "DLV", "outcome": "flagged", "milestone": "", "reason": "before_window"}]
    delivery.refresh_from_db()
    assert delivery.status == "out_for_delivery"  # the scan-out, not the forged delivery
    assert not delivery.events.filter(milestone="delivered").exists()
    raw = RawCarrierEvent.objects.get(external_id="SP-1")
    assert (raw.status, raw.reason) == ("flagged", "before_window")


def test_delivered_before_the_parcel_left_a_depot_is_flagged(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)

    response = swiftpost_post(swiftpost_api, delivery.pk, "DLV", local(day, 10, 30))

    assert response.json()["results"][0]["reason"] == "before_scan_out"
    delivery.refresh_from_db()
    assert delivery.status == "scheduled" and not delivery.events.exists()


def test_delivered_after_the_scan_out_on_the_day_is_applied(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)
    scanned_out(delivery, local(day, 8))

    response = swiftpost_post(swiftpost_api, delivery.pk, "DLV", local(day, 10, 30))

    assert response.json()["results"][0]["outcome"] == "recorded"
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_an_attempt_at_a_parcel_that_never_left_a_depot_is_flagged_and_opens_no_exception(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)

    response = swiftpost_post(swiftpost_api, delivery.pk, "NH", local(day, 10, 30))

    assert response.json()["results"][0]["outcome"] == "flagged"
    assert not JourneyException.objects.filter(delivery=delivery).exists()


def test_an_event_dated_later_than_now_is_flagged(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)

    response = swiftpost_post(swiftpost_api, delivery.pk, "DEP", local(day, 11, 30) + dt.timedelta(minutes=30))

    assert response.json()["results"][0]["reason"] == "in_future"
    assert not delivery.events.exists()


def test_a_carrier_clock_a_few_minutes_ahead_is_not_flagged(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)

    response = swiftpost_post(swiftpost_api, delivery.pk, "DEP", local(day, 11, 30) + dt.timedelta(minutes=3))

    assert response.json()["results"][0]["outcome"] == "recorded"


def test_an_event_on_a_cancelled_delivery_is_flagged(swiftpost, swiftpost_api, day):
    delivery = handed(swiftpost)
    type(delivery).objects.filter(pk=delivery.pk).update(status="cancelled")

    response = swiftpost_post(swiftpost_api, delivery.pk, "OFD", local(day, 9))

    assert response.json()["results"][0]["reason"] == "journey_closed"
    delivery.refresh_from_db()
    assert delivery.status == "cancelled" and not delivery.events.exists()


# --- Handing over through the merchant API ------------------------------------------------------


def test_a_merchant_hands_its_delivery_to_a_carrier_and_sees_it_in_the_delivery(api, merchant, swiftpost):
    delivery = scheduled(merchant)

    response = api.put(f"/api/v1/deliveries/{delivery.pk}/carrier/",
                       {"carrier": "swiftpost", "tracking_number": "SP123"}, format="json")

    assert response.status_code == 200
    assert response.json()["carrier"] == {"code": "swiftpost", "name": "SwiftPost", "tracking_number": "SP123"}
    assert api.get(f"/api/v1/deliveries/{delivery.pk}/").json()["carrier"]["code"] == "swiftpost"
    assignment = CarrierAssignment.objects.get(delivery=delivery)
    assert assignment.handed_over_by == "api:fresh-basket"


def test_the_delivery_list_shows_each_deliverys_carrier(api, merchant, swiftpost):
    handed(swiftpost, merchant, external_ref="SP1")
    scheduled(merchant)

    results = api.get("/api/v1/deliveries/").json()["results"]

    assert sorted((r["carrier"] or {}).get("code", "own fleet") for r in results) == ["own fleet", "swiftpost"]


def test_the_webhook_payload_carries_the_carrier_too(swiftpost):
    delivery = handed(swiftpost, external_ref="SP9")

    assert delivery_payload(delivery)["carrier"] == {"code": "swiftpost", "name": "SwiftPost", "tracking_number": "SP9"}


def test_a_merchant_takes_its_delivery_back(api, merchant, swiftpost):
    delivery = handed(swiftpost, merchant)

    response = api.delete(f"/api/v1/deliveries/{delivery.pk}/carrier/")

    assert response.status_code == 200 and response.json()["carrier"] is None
    assert not CarrierAssignment.objects.exists()


def test_another_merchants_delivery_is_a_404_and_stays_as_it_was(api, outsider_merchant, swiftpost, parcelnet):
    theirs = handed(parcelnet, outsider_merchant)

    put = api.put(f"/api/v1/deliveries/{theirs.pk}/carrier/", {"carrier": "swiftpost"}, format="json")
    delete = api.delete(f"/api/v1/deliveries/{theirs.pk}/carrier/")

    assert (put.status_code, delete.status_code) == (404, 404)
    assert put.json()["error"]["code"] == "delivery_not_found"
    assert CarrierAssignment.objects.get(delivery=theirs).carrier == parcelnet


def test_an_unknown_carrier_is_a_400_naming_the_field(api, merchant, swiftpost):
    delivery = scheduled(merchant)

    response = api.put(f"/api/v1/deliveries/{delivery.pk}/carrier/", {"carrier": "fastpost"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "carrier_not_found"
    assert "carrier" in response.json()["error"]["fields"]
    assert not CarrierAssignment.objects.exists()


def test_moving_a_parcel_to_another_carrier_takes_taking_it_back_first(api, merchant, swiftpost, parcelnet):
    delivery = handed(swiftpost, merchant)

    moved = api.put(f"/api/v1/deliveries/{delivery.pk}/carrier/", {"carrier": "parcelnet"}, format="json")
    api.delete(f"/api/v1/deliveries/{delivery.pk}/carrier/")
    then = api.put(f"/api/v1/deliveries/{delivery.pk}/carrier/", {"carrier": "parcelnet"}, format="json")

    assert moved.status_code == 409 and moved.json()["error"]["code"] == "carrier_already_assigned"
    assert then.status_code == 200 and then.json()["carrier"]["code"] == "parcelnet"


def test_a_delivered_parcel_keeps_its_carrier(api, merchant, swiftpost):
    delivery = handed(swiftpost, merchant)
    type(delivery).objects.filter(pk=delivery.pk).update(status="delivered")

    put = api.put(f"/api/v1/deliveries/{delivery.pk}/carrier/", {"carrier": "swiftpost"}, format="json")
    delete = api.delete(f"/api/v1/deliveries/{delivery.pk}/carrier/")

    assert (put.status_code, delete.status_code) == (409, 409)
    assert delete.json()["error"]["code"] == "delivery_closed"
    assert CarrierAssignment.objects.filter(delivery=delivery).exists()


def test_a_tracking_number_leads_to_one_parcel_of_a_carrier(api, merchant, swiftpost):
    handed(swiftpost, merchant, external_ref="SP1")
    other = scheduled(merchant)

    response = api.put(f"/api/v1/deliveries/{other.pk}/carrier/",
                       {"carrier": "swiftpost", "tracking_number": "SP1"}, format="json")

    assert response.status_code == 409 and response.json()["error"]["code"] == "carrier_ref_taken"


def test_a_carrier_secret_does_not_open_the_hand_over(swiftpost):
    delivery = scheduled()

    response = carrier_client(SWIFTPOST_SECRET).put(f"/api/v1/deliveries/{delivery.pk}/carrier/",
                                                    {"carrier": "swiftpost"}, format="json")

    assert response.status_code == 401
    assert not CarrierAssignment.objects.exists()


# --- Care and admin see what was kept aside -----------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(platform_staff("alice", "care"))
    return client


def test_care_lists_quarantined_and_flagged_events_newest_first_with_their_delivery(
        staff_client, swiftpost, swiftpost_api, day):
    own_fleet, handed_over = scheduled(), handed(swiftpost)
    swiftpost_post(swiftpost_api, own_fleet.pk, "DLV", local(day, 10, 30), event_id="SP-forged")
    swiftpost_post(swiftpost_api, handed_over.pk, "DLV", local(day, 10, 31), event_id="SP-early")
    swiftpost_post(swiftpost_api, handed_over.pk, "DEP", local(day, 8), event_id="SP-fine")

    body = staff_client.get("/care/carrier-events/").content.decode()

    assert body.index("SP-early") < body.index("SP-forged")
    assert "SP-fine" not in body
    assert "quarantined" in body and "flagged" in body and "before_scan_out" in body
    assert f'href="/care/deliveries/{own_fleet.pk}/"' in body
    assert "&quot;status_code&quot;: &quot;DLV&quot;" in body  # the raw payload, as sent
    assert 'href="/care/carrier-events/"' in staff_client.get("/care/").content.decode()


def test_the_care_page_is_for_staff_with_a_care_role_only(client, django_user_model):
    assert client.get("/care/carrier-events/")["Location"].startswith("/accounts/login/")
    client.force_login(django_user_model.objects.create_user("mallory", "m@example.com", "pw"))

    response = client.get("/care/carrier-events/")

    assert response.status_code == 403


def test_the_admin_filters_raw_carrier_events_by_state(swiftpost_api, day, django_user_model, client):
    swiftpost_post(swiftpost_api, scheduled().pk, "DLV", local(day, 10, 30), event_id="SP-forged")
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))

    quarantined = client.get("/admin/tracking/rawcarrierevent/?status__exact=quarantined").content.decode()
    applied = client.get("/admin/tracking/rawcarrierevent/?status__exact=applied").content.decode()

    assert "SP-forged" in quarantined and "SP-forged" not in applied


def test_an_admin_hands_a_parcel_over_and_is_named_as_who_did(swiftpost, django_user_model, client):
    delivery = scheduled()
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))

    response = client.post("/admin/tracking/carrierassignment/add/",
                           {"delivery": str(delivery.pk), "carrier": str(swiftpost.pk), "external_ref": "SP5"})

    assert response.status_code == 302
    assignment = CarrierAssignment.objects.get(delivery=delivery)
    assert (assignment.carrier, assignment.external_ref, assignment.handed_over_by) == (swiftpost, "SP5", "admin:root")


def test_the_admin_cannot_hand_over_a_delivered_parcel(swiftpost, django_user_model, client):
    delivery = DeliveryFactory(status="delivered")
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw"))

    response = client.post("/admin/tracking/carrierassignment/add/",
                           {"delivery": str(delivery.pk), "carrier": str(swiftpost.pk), "external_ref": ""})

    assert response.status_code == 200 and "can no longer change" in response.content.decode()
    assert not CarrierAssignment.objects.exists()


def test_a_tracking_number_shaped_like_a_delivery_id_is_refused_so_it_cannot_catch_another_parcels_events(
        swiftpost, day):
    from tracking.errors import TrackingError
    from tracking.services import delivery_carrier_assign

    theirs, ours = scheduled(), scheduled()
    with pytest.raises(TrackingError) as refused:
        delivery_carrier_assign(delivery=ours, carrier=swiftpost, external_ref=str(theirs.pk), actor_label="test")

    assert refused.value.code == "invalid_tracking_number" and refused.value.status_code == 400
