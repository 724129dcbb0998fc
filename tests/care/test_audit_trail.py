"""Care's actions leave an audit trail naming the agent, and the journey shows it: who, what, when, from where."""

import datetime as dt
import re

import pytest
from auditlog.models import LogEntry

from care.audit import delivery_audit_trail
from care.models import JourneyException
from core.audit import MASK, audit_who
from scheduling.models import Delivery
from scheduling.services import delivery_create_for_seed
from tests.care.conftest import NOW, TOMORROW
from tests.care.factories import JourneyExceptionFactory
from tracking.models import Event

pytestmark = pytest.mark.django_db

AGENT_IP = "203.0.113.7"


@pytest.fixture
def delivery(windows):
    morning = windows.get(date=TOMORROW, label="standard")
    return delivery_create_for_seed(
        merchant=morning.merchant, window=morning, order_ref="FB-1", recipient_name="Camille Durand",
        recipient_phone="+33612345678", address_line1="12 Rue de Rivoli", address_city="Paris",
        address_postcode="75004", lat=48.8556, lng=2.3600, access_notes="Door code 4821")


def entries_for(instance, event=None):
    entries = LogEntry.objects.get_for_object(instance).order_by("timestamp", "pk")
    return [e for e in entries if event is None or (e.additional_data or {}).get("event") == event]


def test_a_care_reschedule_is_the_agents_with_the_windows_before_and_after(console, windows, delivery,
                                                                          django_capture_on_commit_callbacks):
    evening = windows.get(date=TOMORROW, label="evening")

    with django_capture_on_commit_callbacks(execute=True):
        console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk}, REMOTE_ADDR=AGENT_IP)

    [entry] = entries_for(delivery, "delivery.rescheduled")
    assert entry.actor.username == "alice" and audit_who(entry) == "Alice Moreau"
    assert entry.remote_addr == AGENT_IP
    assert entry.changes_dict["window"] == ["Wed 03 Jun, 10:00–12:00", "Wed 03 Jun, 18:00–20:00"]
    assert entry.additional_data["summary"] == (
        "Rescheduled from Wed 03 Jun, 10:00–12:00 to Wed 03 Jun, 18:00–20:00 on the customer's behalf")
    # The journey's milestone names the agent's side too, not the system.
    moved = Event.objects.get(delivery=delivery, note="rescheduled")
    assert moved.source == Event.Source.AGENT


def test_a_refused_reschedule_leaves_no_entry(console, windows, delivery):
    evening = windows.get(date=TOMORROW, label="evening")
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DELIVERED)

    console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk})

    assert entries_for(delivery, "delivery.rescheduled") == []


def test_an_instructions_edit_is_recorded_with_the_door_code_masked(console, delivery):
    console.post(f"/care/deliveries/{delivery.pk}/instructions/",
                 {"access_notes": "Door code 7777, 3rd floor", "drop_choice": "neighbour", "neighbour_name": "M. Martin",
                  "neighbour_door": "12"}, REMOTE_ADDR=AGENT_IP)

    [entry] = entries_for(delivery, "delivery.instructions_changed")
    assert entry.actor.username == "alice" and entry.remote_addr == AGENT_IP
    assert entry.changes_dict["access_notes"] == [MASK, MASK]
    assert entry.changes_dict["drop_choice"] == ["door", "neighbour"]
    assert entry.changes_dict["neighbour_name"] == ["", MASK]
    stored = LogEntry.objects.filter(pk=entry.pk).values_list("changes", flat=True).get()
    assert "4821" not in str(stored) and "7777" not in str(stored) and "Martin" not in str(stored)


def test_a_merchants_staff_read_the_trail_without_the_addresses_behind_it(console, client, windows, delivery):
    from merchants.models import StaffMembership
    from tests.care.conftest import make_agent

    evening = windows.get(date=TOMORROW, label="evening")
    console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk}, REMOTE_ADDR=AGENT_IP)
    viewer = make_agent("vera")
    viewer.platform_role.delete()
    StaffMembership.objects.create(user=viewer, merchant=delivery.merchant, role=StaffMembership.Role.VIEWER)
    client.force_login(viewer)

    body = client.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    assert "Rescheduled from" in body and AGENT_IP not in body
    assert AGENT_IP in console.get(f"/care/deliveries/{delivery.pk}/").content.decode()


def test_the_booking_entry_keeps_no_door_code_phone_or_name(delivery):
    [created] = [e for e in entries_for(delivery) if e.action == LogEntry.Action.CREATE]

    text = str(LogEntry.objects.filter(pk=created.pk).values_list("changes", flat=True).get())
    assert "4821" not in text and "612345678" not in text and "Camille" not in text and "Rivoli" not in text
    for where in ("address_postcode", "address_city", "preferences"):
        assert created.changes_dict[where][1] == MASK, where
    assert created.changes_dict["access_notes"] == ["None", MASK]
    assert "tracking_token" not in created.changes_dict


def test_taking_and_resolving_an_exception_say_who(console, teammate, frozen_now, delivery):
    exception = JourneyExceptionFactory(delivery=delivery, opened_at=NOW - dt.timedelta(minutes=30))
    teammate_console = console.__class__()
    teammate_console.force_login(teammate)

    console.post(f"/care/exceptions/{exception.pk}/take/", REMOTE_ADDR=AGENT_IP)
    console.post(f"/care/exceptions/{exception.pk}/release/")
    teammate_console.post(f"/care/exceptions/{exception.pk}/resolve/", {"resolution": "Customer called back"})

    taken, released, resolved = (entries_for(exception, name)[0] for name in
                                 ("exception.taken", "exception.released", "exception.resolved"))
    assert (taken.actor.username, taken.remote_addr) == ("alice", AGENT_IP)
    assert taken.changes_dict["owner"] == ["", "Alice Moreau"]
    assert released.actor.username == "alice"
    assert resolved.actor.username == "bruno"
    assert resolved.additional_data["summary"] == "Exception failed_attempt resolved by Bruno Petit: Customer called back"
    assert resolved.changes_dict["state"] == ["open", "resolved"]
    exception.refresh_from_db()
    assert exception.owner.username == "bruno"


def test_an_exception_already_taken_by_a_teammate_records_nothing_for_the_loser(console, teammate, frozen_now,
                                                                                delivery):
    exception = JourneyExceptionFactory(delivery=delivery, state=JourneyException.State.ASSIGNED, owner=teammate)

    console.post(f"/care/exceptions/{exception.pk}/take/")

    assert entries_for(exception, "exception.taken") == []


def test_the_journey_shows_the_trail_newest_first_with_who_and_where(console, windows, delivery, teammate):
    evening = windows.get(date=TOMORROW, label="evening")
    console.post(f"/care/deliveries/{delivery.pk}/reschedule/", {"window_id": evening.pk}, REMOTE_ADDR=AGENT_IP)
    exception = JourneyExceptionFactory(delivery=delivery, code="customer_contact")
    console.post(f"/care/exceptions/{exception.pk}/resolve/", {"resolution": "Moved to the evening"})
    console.post(f"/care/deliveries/{delivery.pk}/instructions/", {"access_notes": "Door code 9999"})

    body = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
    start = body.index("Audit trail")
    trail = body[start:body.index("</section>", start)]

    resolved = trail.index("Exception customer_contact resolved by Alice Moreau")
    assert trail.index("Delivery instructions changed") < resolved < trail.index("Rescheduled from")
    assert f"from {AGENT_IP}" in trail
    assert re.search(r"Access notes</strong>: <span class=\"muted\">changed \(hidden\)", trail)
    assert "9999" not in trail
    # The resolved exception says who resolved it where it is listed.
    assert "Moved to the evening <span class=\"muted\">(Alice Moreau," in body


def test_the_trail_holds_the_delivery_and_its_exceptions_only(delivery, windows):
    other = delivery_create_for_seed(
        merchant=delivery.merchant, window=delivery.window, order_ref="FB-2", recipient_name="Léa",
        address_line1="1 Rue de Rivoli", address_city="Paris", address_postcode="75004", lat=48.8556, lng=2.36)
    JourneyExceptionFactory(delivery=other, code="not_this_one")
    JourneyExceptionFactory(delivery=delivery, code="this_one")

    trail = delivery_audit_trail(delivery=delivery)

    assert [(e.about, e.what) for e in trail] == [("Exception this_one", "Opened"), ("Delivery", "Booked")]
