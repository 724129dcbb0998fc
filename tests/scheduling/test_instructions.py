"""The drop choice is one rule (scheduling.drop): a safe place only where the merchant and the window offer it and
kept once chosen, a neighbour only with a name and a door, and nothing changes once the van has left."""

import pytest
from auditlog.models import LogEntry

from core.audit import MASK
from scheduling.drop import Drop, drop_instruction
from scheduling.errors import SchedulingError
from scheduling.models import Delivery, DropChoice, WindowTemplate
from scheduling.services import delivery_create_for_seed, delivery_update_instructions

pytestmark = pytest.mark.django_db

SIDE_GATE = Drop(choice=DropChoice.SAFE_PLACE, safe_place="behind the side gate")
MARTIN = Drop(choice=DropChoice.NEIGHBOUR, neighbour_name="M. Martin", neighbour_door="12")


def no_safe_drop(window):
    WindowTemplate.objects.filter(pk=window.template_id).update(safe_drop_allowed=False)
    window.template.refresh_from_db()
    return window


def book(merchant, window, **extra):
    return delivery_create_for_seed(merchant=merchant, window=window, order_ref=extra.pop("order_ref", "ORD-1"),
                                    recipient_name="Jade Moreau", address_line1="4 rue de Rivoli",
                                    address_city="Paris", address_postcode="75004", lat=48.8556, lng=2.3597,
                                    send_signal=False, **extra)


def test_a_customer_who_chose_a_safe_place_can_still_change_the_notes_after_the_window_stopped_offering_it(
        merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window, drop=SIDE_GATE)
    no_safe_drop(tomorrow_window)

    delivery_update_instructions(delivery=delivery, access_notes="Digicode 4821B", drop=SIDE_GATE)

    delivery.refresh_from_db()
    assert (delivery.access_notes, delivery.drop_choice, delivery.safe_place) == (
        "Digicode 4821B", "safe_place", "behind the side gate")


def test_a_safe_place_cannot_be_chosen_where_the_merchant_does_not_offer_it(merchant, tomorrow_window):
    delivery = book(merchant, no_safe_drop(tomorrow_window))

    with pytest.raises(SchedulingError) as refused:
        delivery_update_instructions(delivery=delivery, access_notes="", drop=SIDE_GATE)

    assert (refused.value.code, refused.value.status_code) == ("safe_place_not_offered", 400)
    assert refused.value.fields == {"drop_choice": ["This shop does not allow leaving the parcel in a safe place."]}
    delivery.refresh_from_db()
    assert delivery.drop_choice == "door"


def test_a_seeded_booking_gets_a_safe_place_only_where_the_window_offers_it(merchant, tomorrow_window):
    delivery = book(merchant, no_safe_drop(tomorrow_window), drop=SIDE_GATE)

    assert (delivery.drop_choice, delivery.safe_place) == ("door", "")


def test_a_neighbour_without_a_name_or_a_door_is_refused_with_both_fields_named(merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window)

    with pytest.raises(SchedulingError) as refused:
        delivery_update_instructions(delivery=delivery, access_notes="",
                                     drop=Drop(choice=DropChoice.NEIGHBOUR, neighbour_name="  "))

    assert refused.value.code == "neighbour_required"
    assert set(refused.value.fields) == {"neighbour_name", "neighbour_door"}


def test_an_unknown_choice_is_refused(merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window)

    with pytest.raises(SchedulingError) as refused:
        delivery_update_instructions(delivery=delivery, access_notes="", drop=Drop(choice="roof"))

    assert refused.value.code == "drop_choice_invalid"


def test_choosing_the_door_again_forgets_the_neighbour(merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window, drop=MARTIN)

    delivery_update_instructions(delivery=delivery, access_notes="", drop=Drop(choice=DropChoice.DOOR,
                                                                                neighbour_name="M. Martin"))

    delivery.refresh_from_db()
    assert (delivery.drop_choice, delivery.neighbour_name, delivery.neighbour_door) == ("door", "", "")


@pytest.mark.parametrize("status", [Delivery.Status.OUT_FOR_DELIVERY, Delivery.Status.DELIVERED,
                                    Delivery.Status.ATTEMPTED])
def test_the_choice_is_locked_once_the_van_has_left(merchant, tomorrow_window, status):
    delivery = book(merchant, tomorrow_window, drop=SIDE_GATE)
    Delivery.objects.filter(pk=delivery.pk).update(status=status)
    delivery.refresh_from_db()

    with pytest.raises(SchedulingError) as refused:
        delivery_update_instructions(delivery=delivery, access_notes="", drop=MARTIN)

    assert (refused.value.code, refused.value.status_code) == ("instructions_locked", 409)
    delivery.refresh_from_db()
    assert delivery.drop_choice == "safe_place"


def test_a_scan_out_that_lands_while_the_customer_saves_wins(merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.OUT_FOR_DELIVERY)  # delivery is stale

    with pytest.raises(SchedulingError) as refused:
        delivery_update_instructions(delivery=delivery, access_notes="", drop=MARTIN)

    assert refused.value.code == "instructions_locked"
    assert Delivery.objects.get(pk=delivery.pk).drop_choice == "door"


def test_the_audit_log_records_the_choice_but_hides_the_neighbour_and_the_place(merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window)

    delivery_update_instructions(delivery=delivery, access_notes="", drop=MARTIN)

    entry = LogEntry.objects.filter(object_pk=str(delivery.pk),
                                    additional_data__event="delivery.instructions_changed").get()
    assert entry.changes_dict["drop_choice"] == ["door", "neighbour"]
    assert entry.changes_dict["neighbour_name"] == ["", MASK]
    assert entry.changes_dict["neighbour_door"] == ["", MASK]
    assert "Martin" not in str(entry.changes) + str(entry.additional_data)
    assert entry.additional_data["summary"] == "Delivery instructions changed; drop: neighbour"


@pytest.mark.parametrize(("drop", "line"), [
    (SIDE_GATE, "Safe place: behind the side gate"),
    (MARTIN, "Neighbour: M. Martin, no. 12"),
    (Drop(choice=DropChoice.NEIGHBOUR, neighbour_name="Mme Petit", neighbour_door="flat 3B"),
     "Neighbour: Mme Petit, flat 3B"),
    (Drop(choice=DropChoice.NEIGHBOUR), "Neighbour: any neighbour (none named)"),
    (Drop(), "At the door"),
])
def test_the_driver_reads_the_choice_in_one_line(drop, line):
    assert drop_instruction(drop) == line
