"""A care agent edits delivery instructions: only what the agent changed is changed."""

import re

import pytest

from scheduling.models import Delivery
from tests.care.conftest import TODAY
from tests.tracking.factories import build_route

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery():
    return build_route(day=TODAY).deliveries[0]


def _form_as_a_browser_sends_it(console, delivery, **changes) -> dict:
    """The journey page's instructions form, filled in as Chromium would post it, with the agent's changes."""
    html = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
    form = re.search(r'<form method="post" action="/care/deliveries/[^"]+/instructions/">(.*?)</form>', html, re.S)[1]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)[1]
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if " checked" in tag:
                data[name] = re.search(r'value="([^"]*)"', tag)[1] if 'type="radio"' in tag else "on"
        else:
            data[name] = re.search(r'value="([^"]*)"', tag)[1] if 'value="' in tag else ""
    data["access_notes"] = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", form, re.S)[1]
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


def test_an_agent_editing_the_notes_keeps_the_safe_place_the_customer_chose_meanwhile(console, delivery):
    # The agent opens the journey; before they save, the customer chooses a safe place on the tracking page.
    form = _form_as_a_browser_sends_it(console, delivery, access_notes="Gate code 1934")
    Delivery.objects.filter(pk=delivery.pk).update(drop_choice="safe_place", safe_place="in the porch")

    response = console.post(f"/care/deliveries/{delivery.pk}/instructions/", form, follow=True)

    delivery.refresh_from_db()
    assert "Delivery instructions saved." in response.content.decode()
    assert (delivery.access_notes, delivery.drop_choice, delivery.safe_place) == (
        "Gate code 1934", "safe_place", "in the porch")


def test_an_agent_who_picks_the_door_removes_the_safe_place(console, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(drop_choice="safe_place", safe_place="in the porch")
    form = _form_as_a_browser_sends_it(console, delivery, drop_choice="door")

    console.post(f"/care/deliveries/{delivery.pk}/instructions/", form)

    delivery.refresh_from_db()
    assert (delivery.drop_choice, delivery.safe_place) == ("door", "")


def test_an_agent_names_a_neighbour_for_the_customer(console, delivery):
    form = _form_as_a_browser_sends_it(console, delivery, drop_choice="neighbour", neighbour_name="M. Martin",
                                       neighbour_door="12")

    console.post(f"/care/deliveries/{delivery.pk}/instructions/", form)

    delivery.refresh_from_db()
    assert (delivery.drop_choice, delivery.neighbour_name, delivery.neighbour_door) == ("neighbour", "M. Martin", "12")
    journey = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
    assert "Neighbour: M. Martin, no. 12" in journey


def test_an_agent_who_forgets_the_neighbours_name_is_told_so(console, delivery):
    form = _form_as_a_browser_sends_it(console, delivery, drop_choice="neighbour", neighbour_door="12")

    response = console.post(f"/care/deliveries/{delivery.pk}/instructions/", form, follow=True)

    assert response.status_code == 400
    assert "give the neighbour&#x27;s name and house number or flat" in response.content.decode()
    assert 'value="12"' in response.content.decode()  # what the agent typed is still there to complete
    delivery.refresh_from_db()
    assert delivery.drop_choice == "door"


def test_the_agent_sees_the_customers_safe_place_even_where_the_window_no_longer_offers_it(console, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(drop_choice="safe_place", safe_place="in the porch")
    template = delivery.window.template
    template.safe_drop_allowed = False
    template.save()

    form = _form_as_a_browser_sends_it(console, delivery)

    assert form.get("drop_choice") == "safe_place"
    assert "no longer offered for this window." in console.get(f"/care/deliveries/{delivery.pk}/").content.decode()


def test_once_the_van_has_left_the_agent_sees_the_choice_locked(console, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.OUT_FOR_DELIVERY, drop_choice="safe_place",
                                                   safe_place="behind the side gate")

    journey = console.get(f"/care/deliveries/{delivery.pk}/").content.decode()

    assert "Safe place: behind the side gate" in journey
    assert "its instructions are locked" in journey
    assert f'action="/care/deliveries/{delivery.pk}/instructions/"' not in journey
