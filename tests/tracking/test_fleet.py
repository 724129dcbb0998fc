import datetime as dt

import pytest
from rest_framework.test import APIClient

from dispatch.models import Job, Stop, Vehicle, Zone
from tests.factories import VehicleFactory, local
from tests.tracking.factories import build_route
from tracking import geofence
from tracking.geo import offset
from tracking.models import EtaSnapshot, Event, Ping, ProofOfDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_route()


@pytest.fixture
def morning(world, monkeypatch):
    """The clock reads 09:00 on the route's day."""
    moment = [local(world.day, 9)]
    monkeypatch.setattr("core.clock.now", lambda: moment[0])
    return moment


def point(world, client_id, at, lat, lng, **extra):
    return {"client_id": client_id, "vehicle": world.vehicle.code, "lat": lat, "lng": lng,
            "recorded_at": at.isoformat(), "accuracy": 8, **extra}


def test_a_replayed_batch_of_pings_is_stored_once(world, driver_api, morning):
    at = local(world.day, 8, 50)
    batch = {"points": [point(world, "p1", at, 48.851, 2.331), point(world, "p2", at + dt.timedelta(seconds=15),
                                                                        48.852, 2.332)]}

    first = driver_api.post("/api/v1/pings/", batch, format="json")
    second = driver_api.post("/api/v1/pings/", batch, format="json")

    assert first.status_code == 200 and first.json()["accepted"] == 2
    assert second.json() == {"accepted": 0, "duplicates": 2, "flagged": []}
    assert Ping.objects.filter(vehicle=world.vehicle).count() == 2


def test_points_arriving_out_of_order_leave_the_van_at_its_latest_position(world, driver_api, morning):
    late = local(world.day, 8, 55)
    early = local(world.day, 8, 50)
    driver_api.post("/api/v1/pings/", {"points": [point(world, "late", late, 48.860, 2.340)]}, format="json")

    driver_api.post("/api/v1/pings/", {"points": [point(world, "early", early, 48.858, 2.338)]}, format="json")

    world.vehicle.refresh_from_db()
    assert (world.vehicle.last_lat, world.vehicle.last_lng, world.vehicle.last_seen_at) == (48.860, 2.340, late)


def test_impossible_points_are_flagged_and_not_trusted(world, driver_api, morning):
    at = local(world.day, 8, 50)
    batch = {"points": [
        point(world, "good", at, 48.851, 2.331),
        point(world, "vague", at + dt.timedelta(seconds=15), 48.852, 2.332, accuracy=900),
        point(world, "rocket", at + dt.timedelta(seconds=30), 48.853, 2.333, speed=120),
        point(world, "teleport", at + dt.timedelta(seconds=45), 48.950, 2.500),
    ]}

    response = driver_api.post("/api/v1/pings/", batch, format="json")

    assert response.json()["flagged"] == [
        {"client_id": "rocket", "reason": "impossible_speed"},
        {"client_id": "teleport", "reason": "impossible_jump"},
        {"client_id": "vague", "reason": "poor_accuracy"},
    ]
    world.vehicle.refresh_from_db()
    assert (world.vehicle.last_lat, world.vehicle.last_lng) == (48.851, 2.331)
    assert Ping.objects.filter(vehicle=world.vehicle).count() == 4


def test_a_driver_cannot_post_for_another_van(world, driver_api, morning):
    other = VehicleFactory(depot=world.depot)

    response = driver_api.post("/api/v1/pings/", {"points": [
        {**point(world, "x", local(world.day, 8, 50), 48.85, 2.33), "vehicle": other.code}]}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "vehicle_not_assigned"


def test_an_unknown_device_key_is_refused(world, morning):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer dk_not_a_real_key")

    response = client.post("/api/v1/pings/", {"points": []}, format="json")

    assert response.status_code == 401


def test_bad_points_are_a_400_with_field_errors(world, driver_api, morning):
    response = driver_api.post("/api/v1/pings/", {"points": [{"client_id": "x", "vehicle": world.vehicle.code,
                                                              "lat": 123, "lng": 2.3}]}, format="json")

    assert response.status_code == 400
    assert {"points.0.lat", "points.0.recorded_at"} <= set(response.json()["error"]["fields"])


def test_a_replayed_scan_records_its_milestone_once(world, driver_api, morning):
    scan = {"client_id": "scan-1", "kind": "delivered", "job": world.stops[0].job_id,
            "recorded_at": local(world.day, 8, 20).isoformat(), "recipient_name": "Camille"}

    first = driver_api.post("/api/v1/scans/", scan, format="json")
    second = driver_api.post("/api/v1/scans/", scan, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert Event.objects.filter(delivery=world.deliveries[0], milestone="delivered").count() == 1
    assert ProofOfDelivery.objects.get(delivery=world.deliveries[0]).recipient_name == "Camille"
    world.deliveries[0].refresh_from_db()
    assert world.deliveries[0].status == "delivered"
    stop = Stop.objects.get(pk=world.stops[0].pk)
    assert (stop.status, stop.actual_arrival) == ("done", local(world.day, 8, 20))
    assert Job.objects.get(pk=world.stops[0].job_id).status == "done"


def test_an_older_scan_arriving_late_does_not_move_the_delivery_back(world, driver_api, morning):
    job = world.stops[0].job_id
    driver_api.post("/api/v1/scans/", {"client_id": "d", "kind": "delivered", "job": job,
                                       "recorded_at": local(world.day, 8, 30).isoformat()}, format="json")

    driver_api.post("/api/v1/scans/", {"client_id": "a", "kind": "arrived", "job": job,
                                       "recorded_at": local(world.day, 8, 25).isoformat()}, format="json")

    world.deliveries[0].refresh_from_db()
    assert world.deliveries[0].status == "delivered"
    assert list(Event.objects.filter(delivery=world.deliveries[0]).values_list("milestone", flat=True)) == [
        "arrived", "delivered"]
    assert Stop.objects.get(pk=world.stops[0].pk).status == "done"


def test_an_attempt_needs_a_reason_and_opens_an_exception(world, driver_api, morning):
    job = world.stops[1].job_id
    missing = driver_api.post("/api/v1/scans/", {"client_id": "t1", "kind": "attempted", "job": job,
                                                 "recorded_at": local(world.day, 8, 40).isoformat()}, format="json")
    attempted = driver_api.post("/api/v1/scans/", {"client_id": "t2", "kind": "attempted", "job": job,
                                                   "reason": "nobody_home",
                                                   "recorded_at": local(world.day, 8, 40).isoformat()}, format="json")

    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert attempted.status_code == 201
    assert world.deliveries[1].exceptions.get().code == "failed_attempt"
    assert Stop.objects.get(pk=world.stops[1].pk).status == "failed"


def test_scan_out_puts_every_delivery_of_the_van_out_for_delivery(world, driver_api, morning):
    response = driver_api.post("/api/v1/scans/", {"client_id": "out", "kind": "scanned_out",
                                                  "recorded_at": local(world.day, 8, 0).isoformat()}, format="json")

    assert response.status_code == 201
    for delivery in world.deliveries:
        delivery.refresh_from_db()
        assert delivery.status == "out_for_delivery"
    # Every delivery now has a live ETA, nearer stops first.
    etas = [EtaSnapshot.objects.filter(delivery=d).latest("computed_at").eta for d in world.deliveries]
    assert etas == sorted(etas)


def test_a_scan_out_with_the_longest_client_id_still_records_both_milestones(world, driver_api, morning):
    scan = {"client_id": "handheld-7f3c9e2a-" + "4" * 42, "kind": "scanned_out",
            "recorded_at": local(world.day, 8, 0).isoformat()}

    first = driver_api.post("/api/v1/scans/", scan, format="json")
    replay = driver_api.post("/api/v1/scans/", scan, format="json")

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["created"] is False
    for delivery in world.deliveries:
        milestones = delivery.events.filter(milestone__in=["scanned_out", "out_for_delivery"])
        assert sorted(milestones.values_list("milestone", flat=True)) == ["out_for_delivery", "scanned_out"]


def test_a_job_on_another_route_cannot_be_scanned(world, driver_api, morning):
    stranger = build_route()

    response = driver_api.post("/api/v1/scans/", {"client_id": "x", "kind": "arrived", "job": stranger.stops[0].job_id,
                                                  "recorded_at": local(world.day, 8, 40).isoformat()}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "job_not_on_route"


# --- Geofence --------------------------------------------------------------------------


STOP = (48.8600, 2.3400)


def fixes(*spec, start=dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)):
    """Fixes every 15 s, at (north, east) metres from the stop."""
    return [geofence.Fix(at=start + dt.timedelta(seconds=15 * i), lat=offset(*STOP, n, e)[0],
                         lng=offset(*STOP, n, e)[1], speed_mps=speed)
            for i, (n, e, speed) in enumerate(spec)]


def test_one_stray_point_inside_does_not_arrive():
    track = fixes((400, 0, 8), (300, 0, 8), (10, 0, 8), (250, 0, 8), (350, 0, 8))

    assert geofence.arrival_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) is None


def test_staying_inside_arrives_between_the_last_point_moving_and_the_first_at_rest():
    track = fixes((400, 0, 8), (200, 0, 8), (40, 0, 2), (10, 0, 0), (12, 3, 0))

    assert geofence.arrival_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) == track[2].at + dt.timedelta(seconds=7.5)


def test_without_speeds_the_arrival_is_the_first_point_inside():
    track = fixes((400, 0, None), (200, 0, None), (40, 0, None), (10, 0, None), (12, 3, None))

    assert geofence.arrival_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) == track[2].at


def test_one_jittery_point_outside_neither_departs_nor_delays_arrival():
    track = fixes((50, 0, 3), (300, 200, 0), (10, 0, 0), (8, 2, 0))

    # Still moving at the first point, at rest from the (smoothed) second one on.
    assert geofence.arrival_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) == track[0].at + dt.timedelta(seconds=7.5)
    assert geofence.departure_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) is None


def test_leaving_is_dated_between_the_last_point_at_rest_and_the_first_moving():
    track = fixes((5, 0, 0), (8, 0, 0), (100, 0, 6), (200, 0, 8), (350, 0, 8))

    assert geofence.departure_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) == track[1].at + dt.timedelta(seconds=7.5)


def test_without_speeds_leaving_is_dated_at_the_last_point_at_the_stop():
    track = fixes((5, 0, None), (8, 0, None), (100, 0, None), (200, 0, None), (350, 0, None))

    assert geofence.departure_at(track, lat=STOP[0], lng=STOP[1], radius_m=75) == track[1].at


def _drive_through_stop(*, phase_s: float, dwell_s: float, speed_mps: float = 6.0, every_s: float = 15.0):
    """A van driving straight at 6 m/s to the stop, staying `dwell_s`, driving on; fixes every 15 s from `phase_s`."""
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    arrive, leave = 120.0, 120.0 + dwell_s

    def where(t):
        if t < arrive:
            return -(arrive - t) * speed_mps, speed_mps
        if t < leave:
            return 0.0, 0.0
        return (t - leave) * speed_mps, speed_mps

    track = []
    t = phase_s
    while t < leave + 120:
        north, speed = where(t)
        lat, lng = offset(*STOP, north, 0)
        track.append(geofence.Fix(at=start + dt.timedelta(seconds=t), lat=lat, lng=lng, speed_mps=speed))
        t += every_s
    return track, start + dt.timedelta(seconds=arrive), start + dt.timedelta(seconds=leave)


def test_the_geofence_measures_the_time_spent_at_the_stop_not_inside_the_circle():
    # Crossing the 75 m circle takes about 12 s each way at 6 m/s: counting it would make every dwell
    # about 10 s too long and every leg as much too short.
    errors, dwells = [], []
    for phase in range(15):
        track, arrived, left = _drive_through_stop(phase_s=phase, dwell_s=240)
        at = geofence.arrival_at(track, lat=STOP[0], lng=STOP[1], radius_m=75)
        gone = geofence.departure_at([f for f in track if f.at >= at], lat=STOP[0], lng=STOP[1], radius_m=75)
        errors += [(at - arrived).total_seconds(), (gone - left).total_seconds()]
        dwells.append((gone - at).total_seconds())

    assert max(abs(e) for e in errors) <= 7.5
    assert abs(sum(errors) / len(errors)) < 1.5
    assert abs(sum(dwells) / len(dwells) - 240) < 1.5


def test_jittery_pings_at_a_stop_record_one_arrival_and_a_dwell_that_teaches_the_zone(world, driver_api, morning):
    stop = world.stops[0]
    lat, lng = stop.job.lat, stop.job.lng
    start = local(world.day, 8, 10)
    track = [(600, 0, 8), (300, 0, 8), (30, 0, 3), (5, 0, 0), (400, 300, 0), (6, 2, 0)]  # one wild point
    track += [(4, 1, 0)] * 16 + [(300, 0, 8), (600, 0, 8), (900, 0, 8)]
    points = [point(world, f"g{i}", start + dt.timedelta(seconds=15 * i), *offset(lat, lng, n, e), speed=s)
              for i, (n, e, s) in enumerate(track)]

    for index in range(0, len(points), 4):  # batches, as a handheld sends them
        driver_api.post("/api/v1/pings/", {"points": points[index:index + 4]}, format="json")

    stop = Stop.objects.get(pk=stop.pk)
    assert stop.actual_arrival == start + dt.timedelta(seconds=37.5)  # moving at 30 s, at rest at 45 s
    assert stop.actual_departure == start + dt.timedelta(seconds=15 * 21.5)  # at rest at 315 s, moving at 330 s
    assert Event.objects.filter(delivery=world.deliveries[0], milestone="arrived").count() == 1
    assert Zone.objects.get(pk=world.zone.pk).learned_service_seconds == 251  # the default 240 s weighs 3, one dwell of 285 s weighs 1
    assert Stop.objects.get(pk=world.stops[1].pk).actual_arrival is None


# --- ETA ------------------------------------------------------------------------------


def test_the_band_narrows_as_the_van_gets_closer(world, driver_api, morning):
    morning[0] = local(world.day, 8, 0)
    driver_api.post("/api/v1/scans/", {"client_id": "out", "kind": "scanned_out",
                                       "recorded_at": local(world.day, 8, 0).isoformat()}, format="json")
    last = world.deliveries[-1]
    widths = []
    for index, stop in enumerate(world.stops[:-1]):
        at = local(world.day, 8, 10 + index * 15)
        morning[0] = at
        driver_api.post("/api/v1/scans/", {"client_id": f"d{index}", "kind": "delivered", "job": stop.job_id,
                                           "recorded_at": at.isoformat()}, format="json")
        snap = EtaSnapshot.objects.filter(delivery=last).latest("computed_at")
        widths.append((snap.band_end - snap.band_start).total_seconds())

    assert widths == sorted(widths, reverse=True)
    assert widths[0] > widths[-1]
    assert widths[-1] <= 20 * 60


def test_the_vehicle_position_moves_the_eta(world, driver_api, morning):
    driver_api.post("/api/v1/scans/", {"client_id": "out", "kind": "scanned_out",
                                       "recorded_at": local(world.day, 8, 0).isoformat()}, format="json")
    first = world.deliveries[0]
    before = EtaSnapshot.objects.filter(delivery=first).latest("computed_at").eta
    far = offset(world.stops[0].job.lat, world.stops[0].job.lng, -6000, -6000)

    morning[0] = local(world.day, 9, 1)
    driver_api.post("/api/v1/pings/", {"points": [point(world, "far", local(world.day, 9, 1), *far)]}, format="json")

    after = EtaSnapshot.objects.filter(delivery=first).latest("computed_at").eta
    assert after - before > dt.timedelta(minutes=10)
    assert Vehicle.objects.get(pk=world.vehicle.pk).last_seen_at == local(world.day, 9, 1)
