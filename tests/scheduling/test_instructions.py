"""Safe drop is one rule: offered where the merchant and the window allow it, kept once chosen."""

import pytest

from scheduling.errors import SchedulingError
from scheduling.models import WindowTemplate
from scheduling.services import delivery_create_for_seed, delivery_update_instructions

pytestmark = pytest.mark.django_db


def no_safe_drop(window):
    WindowTemplate.objects.filter(pk=window.template_id).update(safe_drop_allowed=False)
    window.template.refresh_from_db()
    return window


def book(merchant, window, **extra):
    return delivery_create_for_seed(merchant=merchant, window=window, order_ref=extra.pop("order_ref", "ORD-1"),
                                    recipient_name="Jade Moreau", address_line1="4 rue de Rivoli",
                                    address_city="Paris", address_postcode="75004", lat=48.8556, lng=2.3597,
                                    send_signal=False, **extra)


def test_a_customer_who_chose_safe_drop_can_still_change_the_notes_after_the_window_stopped_offering_it(
        merchant, tomorrow_window):
    delivery = book(merchant, tomorrow_window, safe_drop=True)
    no_safe_drop(tomorrow_window)

    delivery_update_instructions(delivery=delivery, access_notes="Digicode 4821B", safe_drop=True,
                                 leave_with_neighbour=False)

    delivery.refresh_from_db()
    assert (delivery.access_notes, delivery.safe_drop) == ("Digicode 4821B", True)


def test_safe_drop_cannot_be_turned_on_where_the_window_does_not_offer_it(merchant, tomorrow_window):
    delivery = book(merchant, no_safe_drop(tomorrow_window))

    with pytest.raises(SchedulingError) as refused:
        delivery_update_instructions(delivery=delivery, access_notes="", safe_drop=True, leave_with_neighbour=False)

    assert refused.value.fields == {"safe_drop": ["Safe drop is not offered for this delivery."]}


def test_a_seeded_booking_gets_safe_drop_only_where_the_window_offers_it(merchant, tomorrow_window):
    delivery = book(merchant, no_safe_drop(tomorrow_window), safe_drop=True)

    assert delivery.safe_drop is False
