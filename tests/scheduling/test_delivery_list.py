"""GET /api/v1/deliveries/: a merchant's own deliveries, newest first, filtered and paged by cursor."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from merchants.models import ApiKey
from merchants.services import api_key_create
from scheduling.models import Delivery
from scheduling.selectors import delivery_list
from tests.factories import PARIS, DeliveryFactory, WindowFactory, WindowTemplateFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 2)
BOOKED_AT = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)


def book(merchant, *, minutes=0, day=DAY, hour=10, **fields):
    """A delivery of `merchant` booked `minutes` after BOOKED_AT, in a window starting `day` at `hour` (Paris)."""
    template = WindowTemplateFactory(merchant=merchant, start_time=dt.time(hour), end_time=dt.time(hour + 1))
    window = WindowFactory(template=template, date=day)
    return DeliveryFactory(window=window, merchant=merchant, created_at=BOOKED_AT + dt.timedelta(minutes=minutes),
                           **fields)


def listed(client, **query):
    response = client.get("/api/v1/deliveries/", query)
    assert response.status_code == 200, response.content
    return response.json()


def ids(body):
    return [item["id"] for item in body["results"]]


def client_of(merchant):
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_the_merchant_sees_its_deliveries_newest_booking_first(api, merchant):
    older, newest, middle = book(merchant, minutes=0), book(merchant, minutes=20), book(merchant, minutes=10)

    body = listed(api)

    assert ids(body) == [str(newest.pk), str(middle.pk), str(older.pk)]
    assert body["next"] is None


def test_each_listed_delivery_reads_as_on_its_own_route(api, merchant):
    delivery = book(merchant, status=Delivery.Status.SCHEDULED)

    [item] = listed(api)["results"]

    assert item == api.get(f"/api/v1/deliveries/{delivery.pk}/").json()
    assert item["window"] == {"start": f"{DAY}T10:00:00+02:00", "end": f"{DAY}T11:00:00+02:00"}


def test_no_delivery_is_an_empty_list(api, merchant):
    assert listed(api) == {"results": [], "next": None}


@pytest.mark.parametrize("query", [
    {"status": "cancelled"},
    {"status": "cancelled,delivered"},
    {"status": ["cancelled", "delivered"]},
    {"status": " delivered , cancelled,"},
])
def test_the_status_filter_takes_one_status_or_several(api, merchant, query):
    cancelled = book(merchant, minutes=1, status=Delivery.Status.CANCELLED)
    delivered = book(merchant, minutes=2, status=Delivery.Status.DELIVERED)
    book(merchant, minutes=3, status=Delivery.Status.SCHEDULED)

    expected = [str(cancelled.pk)] if query == {"status": "cancelled"} else [str(delivered.pk), str(cancelled.pk)]
    assert ids(listed(api, **query)) == expected


def test_an_unknown_status_is_refused_with_the_known_ones(api, merchant):
    response = api.get("/api/v1/deliveries/", {"status": "scheduled,shipped"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"]["status"] == [
        "Unknown status: shipped. Use booked, scheduled, out_for_delivery, delivered, attempted, returned, cancelled."]
    assert "shipped" in error["message"]


def test_the_window_days_are_the_merchants_local_days_of_the_window_start(api, merchant):
    # 00:30 in Paris on DAY is still the day before in UTC: it is on DAY for the merchant.
    just_after_midnight = book(merchant, minutes=1, day=DAY, hour=0)
    same_day_evening = book(merchant, minutes=2, day=DAY, hour=22)
    next_day = book(merchant, minutes=3, day=DAY + dt.timedelta(days=1), hour=0)
    day_before = book(merchant, minutes=4, day=DAY - dt.timedelta(days=1), hour=22)

    assert ids(listed(api, window_from=DAY, window_to=DAY)) == [str(same_day_evening.pk), str(just_after_midnight.pk)]
    assert ids(listed(api, window_from=DAY + dt.timedelta(days=1))) == [str(next_day.pk)]
    assert ids(listed(api, window_to=DAY - dt.timedelta(days=1))) == [str(day_before.pk)]


def test_window_to_before_window_from_is_refused(api, merchant):
    response = api.get("/api/v1/deliveries/", {"window_from": "2026-06-03", "window_to": "2026-06-02"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"window_to": ["Must be on or after window_from."]}


def test_the_order_ref_filter_matches_exactly(api, merchant):
    wanted = book(merchant, minutes=1, order_ref="ORD-1")
    book(merchant, minutes=2, order_ref="ORD-10")
    book(merchant, minutes=3, order_ref="ord-1")

    assert ids(listed(api, order_ref="ORD-1")) == [str(wanted.pk)]
    assert ids(listed(api, order_ref="ORD")) == []


def test_updated_since_lists_what_changed_at_or_after_that_instant(api, merchant):
    untouched, changed, changed_later = book(merchant, minutes=1), book(merchant, minutes=2), book(merchant, minutes=3)
    since = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    Delivery.objects.filter(pk=untouched.pk).update(updated_at=since - dt.timedelta(microseconds=1))
    Delivery.objects.filter(pk=changed.pk).update(updated_at=since)
    Delivery.objects.filter(pk=changed_later.pk).update(updated_at=since + dt.timedelta(hours=1))

    assert ids(listed(api, updated_since="2026-06-01T12:00:00Z")) == [str(changed_later.pk), str(changed.pk)]
    assert ids(listed(api, updated_since="2026-06-01T14:00:00+02:00")) == [str(changed_later.pk), str(changed.pk)]
    assert ids(listed(api, updated_since="2026-06-01T14:00:00.000001+02:00")) == [str(changed_later.pk)]


def test_filters_combine(api, merchant):
    wanted = book(merchant, minutes=1, status=Delivery.Status.CANCELLED, order_ref="A-1")
    book(merchant, minutes=2, status=Delivery.Status.SCHEDULED, order_ref="A-2")
    book(merchant, minutes=3, status=Delivery.Status.CANCELLED, order_ref="A-3", day=DAY + dt.timedelta(days=3))

    assert ids(listed(api, status="cancelled", window_to=DAY)) == [str(wanted.pk)]


@pytest.mark.parametrize(("query", "field", "words"), [
    ({"window_from": "tomorrow"}, "window_from", "Date has wrong format"),
    ({"window_to": "2026-02-30"}, "window_to", "Date has wrong format"),
    ({"updated_since": "yesterday"}, "updated_since", "Datetime has wrong format"),
    ({"updated_since": "2026-06-01T12:00:00"}, "updated_since", "Give the time with its offset"),
    # An unencoded + arrives as a space: the message says how to write it.
    ({"updated_since": "2026-06-01T12:00:00 02:00"}, "updated_since", "write it as %2B"),
    ({"updated_since": "2026-06-01 12:00"}, "updated_since", "Give the time with its offset"),
    ({"limit": "0"}, "limit", "greater than or equal to 1"),
    ({"limit": "101"}, "limit", "less than or equal to 100"),
    ({"limit": "ten"}, "limit", "A valid integer is required"),
    ({"cursor": "not-a-cursor"}, "cursor", "not a cursor from a previous page"),
    ({"order_ref": "x" * 65}, "order_ref", "no more than 64 characters"),
])
def test_a_bad_filter_value_is_a_400_that_says_what_is_wrong(api, merchant, query, field, words):
    response = api.get("/api/v1/deliveries/", query)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert list(error["fields"]) == [field]
    assert words in " ".join(error["fields"][field])
    assert field in error["message"]


@pytest.mark.parametrize("tamper", [
    lambda cursor: cursor[:-3] + "xyz",
    lambda cursor: cursor[:10],
    lambda cursor: "W1siMjAyNiJdXQ",  # [["2026"]]
    lambda cursor: "WzEsMl0",  # [1,2]
    lambda cursor: "WyIyMDI2LTA2LTAxVDA5OjAwOjAwIiwiYWJjIl0",  # a time without offset, an id that is not one
])
def test_a_tampered_cursor_is_refused(api, merchant, tamper):
    for minutes in range(3):
        book(merchant, minutes=minutes)
    cursor = parse_qs(urlsplit(listed(api, limit=1)["next"]).query)["cursor"][0]

    response = api.get("/api/v1/deliveries/", {"cursor": tamper(cursor)})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["cursor"] == [
        "This is not a cursor from a previous page: follow the `next` link as given, or start without one."]


def follow(client, body):
    """Every page from `body` on, following its `next` links as given."""
    pages = [body]
    while pages[-1]["next"]:
        response = client.get(pages[-1]["next"])
        assert response.status_code == 200, response.content
        pages.append(response.json())
    return pages


def test_paging_visits_every_delivery_once_in_order(api, merchant):
    deliveries = [book(merchant, minutes=minutes) for minutes in range(5)]
    # Two bookings in the same microsecond: the id breaks the tie, so neither is skipped or repeated.
    deliveries += [book(merchant, minutes=2) for _ in range(2)]
    newest_first = [str(d.pk) for d in sorted(deliveries, key=lambda d: (d.created_at, d.pk), reverse=True)]

    pages = follow(api, listed(api, limit=3))

    assert [len(page["results"]) for page in pages] == [3, 3, 1]
    assert [item for page in pages for item in ids(page)] == newest_first


def test_bookings_made_while_paging_neither_shift_nor_repeat_the_pages(api, merchant):
    deliveries = [book(merchant, minutes=minutes) for minutes in range(4)]
    first = listed(api, limit=2)
    book(merchant, minutes=30)
    book(merchant, minutes=31)

    pages = [first, *follow(api, api.get(first["next"]).json())]

    seen = [item for page in pages for item in ids(page)]
    assert seen == [str(d.pk) for d in reversed(deliveries)]


def test_the_next_link_keeps_the_filters_and_the_limit(api, merchant):
    for minutes in range(3):
        book(merchant, minutes=minutes, status=Delivery.Status.CANCELLED)
    book(merchant, minutes=5, status=Delivery.Status.SCHEDULED)

    body = listed(api, status="cancelled", window_from=DAY, limit=2)

    query = parse_qs(urlsplit(body["next"]).query)
    assert query["status"] == ["cancelled"] and query["window_from"] == [str(DAY)] and query["limit"] == ["2"]
    assert urlsplit(body["next"]).path == "/api/v1/deliveries/"
    second = api.get(body["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_another_merchants_key_never_sees_these_deliveries(api, merchant, outsider_merchant):
    mine = [book(merchant, minutes=minutes, order_ref=f"ORD-{minutes}") for minutes in range(3)]
    theirs = book(outsider_merchant, minutes=10, order_ref="ORD-1", status=Delivery.Status.CANCELLED)
    outsider = client_of(outsider_merchant)

    assert ids(listed(outsider)) == [str(theirs.pk)]
    assert ids(listed(outsider, order_ref="ORD-0")) == []
    assert ids(listed(outsider, status="scheduled,booked")) == []
    assert ids(listed(outsider, window_from=DAY, window_to=DAY)) == [str(theirs.pk)]
    assert ids(listed(api, order_ref="ORD-1")) == [str(mine[1].pk)]
    assert ids(listed(api, status="cancelled")) == []


def test_a_cursor_from_another_merchants_list_shows_only_ones_own(api, merchant, outsider_merchant):
    for minutes in range(3):
        book(merchant, minutes=minutes)
    theirs = book(outsider_merchant, minutes=-5)
    cursor = parse_qs(urlsplit(listed(api, limit=1)["next"]).query)["cursor"][0]

    assert ids(listed(client_of(outsider_merchant), cursor=cursor)) == [str(theirs.pk)]


def test_listing_needs_the_secret_key(client, merchant, publishable_key):
    book(merchant)

    anonymous = client.get("/api/v1/deliveries/")
    with_publishable_key = client.get("/api/v1/deliveries/", HTTP_X_API_KEY=publishable_key)
    with_unknown_key = client.get("/api/v1/deliveries/", HTTP_AUTHORIZATION="Bearer sk_unknown")

    assert [r.status_code for r in (anonymous, with_publishable_key, with_unknown_key)] == [401, 401, 401]
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert with_unknown_key.json()["error"]["code"] == "invalid_api_key"


def test_the_list_and_the_booking_share_the_path_with_their_own_operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operations = schema["paths"]["/api/v1/deliveries/"]
    assert (operations["get"]["operationId"], operations["post"]["operationId"]) == ("deliveries_list", "deliveries_create")


def test_the_list_reads_a_merchants_deliveries_in_index_order_without_sorting(merchant):
    book(merchant)
    with CaptureQueriesContext(connection) as queries:
        delivery_list(merchant=merchant, limit=50)
    [query] = queries.captured_queries

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A handful of rows is cheaper to sort than to read by index; ask what the planner can do.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {query['sql']}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
        plan = " ".join(str(row) for row in cursor.fetchall())

    assert "delivery_merchant_newest" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan
