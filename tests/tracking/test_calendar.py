"""The customer's "Add to calendar": the promised window as an iCalendar file, through the tracking link."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.services import delivery_create_for_seed, delivery_reschedule, windows_materialize
from tests.factories import (
    PARIS,
    DepotFactory,
    ShiftFactory,
    VehicleFactory,
    WindowTemplateFactory,
    ZoneFactory,
    local,
)

pytestmark = pytest.mark.django_db

# Monday 2026-06-01 09:00 in Paris; Camille's parcel comes tomorrow 10:00–12:00 (08:00–10:00 UTC).
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
TOMORROW = NOW.date() + dt.timedelta(days=1)


@pytest.fixture
def delivery(merchant, clock_at, settings):
    settings.PUBLIC_BASE_URL = "https://track.example"
    clock_at(NOW)
    merchant.brand_name = "Fresh Basket; Paris, 4e"  # a comma and a semicolon, which iCalendar escapes
    merchant.save()
    depot = DepotFactory(lat=48.85, lng=2.37)
    zone = ZoneFactory(depot=depot)
    vehicle = VehicleFactory(depot=depot)
    for offset in range(3):
        day = TOMORROW + dt.timedelta(days=offset)
        ShiftFactory(vehicle=vehicle, depot=depot, date=day, starts_at=local(day, 8), ends_at=local(day, 20))
    for label, start, end in (("standard", 10, 12), ("evening", 18, 20)):
        WindowTemplateFactory(merchant=merchant, zone=zone, label=label, start_time=dt.time(start),
                              end_time=dt.time(end), cutoff_days_before=0, cutoff_time=dt.time(8), max_stops=10)
    windows_materialize(merchant=merchant, start=NOW.date(), days=3)
    window = merchant.windows.filter(date=TOMORROW, template__label="standard").get()
    return delivery_create_for_seed(merchant=merchant, window=window, order_ref="ORD-1", recipient_name="Camille",
                                    address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                                    lat=48.8556, lng=2.36, language="en")


def calendar(client, token):
    return client.get(reverse("tracking:calendar", args=[token]))


def unfolded(body: str) -> dict[str, str]:
    lines = body.replace("\r\n ", "").split("\r\n")
    return {line.split(":", 1)[0]: line.split(":", 1)[1] for line in lines if ":" in line}


def test_the_calendar_file_holds_the_window_in_utc_with_a_summary_and_the_tracking_link(client, delivery):
    response = calendar(client, delivery.tracking_token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")  # every line ends in CRLF
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))  # folded
    event = unfolded(body)
    assert event["UID"] == f"delivery-{delivery.pk}@track.example"
    assert (event["DTSTART"], event["DTEND"]) == ("20260602T080000Z", "20260602T100000Z")
    assert event["DTSTAMP"] == "20260601T070000Z"
    assert event["SUMMARY"] == "Delivery from Fresh Basket\\; Paris\\, 4e"
    assert event["URL"] == f"https://track.example/t/{delivery.tracking_token}/"
    assert "Rivoli" not in body and "Camille" not in body and "75004" not in body


def test_after_a_reschedule_the_same_event_carries_the_new_window(client, delivery):
    before = unfolded(calendar(client, delivery.tracking_token).content.decode())
    evening = delivery.merchant.windows.filter(date=TOMORROW, template__label="evening").get()

    delivery_reschedule(delivery=delivery, window=evening, now=NOW)

    after = unfolded(calendar(client, delivery.tracking_token).content.decode())
    assert after["UID"] == before["UID"]
    assert (after["DTSTART"], after["DTEND"]) == ("20260602T160000Z", "20260602T180000Z")


def test_the_calendar_speaks_the_customers_language(client, delivery):
    event = unfolded(client.get(reverse("tracking:calendar", args=[delivery.tracking_token]) + "?lang=fr")
                     .content.decode())

    assert event["SUMMARY"] == "Livraison de Fresh Basket\\; Paris\\, 4e"


def test_an_unknown_or_expired_link_has_no_calendar(client, delivery, clock_at):
    assert calendar(client, "not-a-token").status_code == 404
    clock_at(delivery.tracking_expires_at + dt.timedelta(minutes=1))
    assert calendar(client, delivery.tracking_token).status_code == 404


def test_the_page_links_to_the_calendar(client, delivery):
    html = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()

    assert f'href="/t/{delivery.tracking_token}/calendar.ics"' in html and "Add to calendar" in html
