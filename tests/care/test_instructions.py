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
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                data[name] = "on"
        else:
            data[name] = re.search(r'value="([^"]*)"', tag)[1] if 'value="' in tag else ""
    data["access_notes"] = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", form, re.S)[1]
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data


def test_an_agent_editing_the_notes_keeps_the_safe_drop_the_customer_chose_meanwhile(console, delivery):
    # The agent opens the journey; before they save, the customer ticks "safe place" on the tracking page.
    form = _form_as_a_browser_sends_it(console, delivery, access_notes="Gate code 1934")
    Delivery.objects.filter(pk=delivery.pk).update(safe_drop=True)

    response = console.post(f"/care/deliveries/{delivery.pk}/instructions/", form, follow=True)

    delivery.refresh_from_db()
    assert "Delivery instructions saved." in response.content.decode()
    assert (delivery.access_notes, delivery.safe_drop) == ("Gate code 1934", True)


def test_an_agent_who_unticks_safe_drop_removes_it(console, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(safe_drop=True)
    form = _form_as_a_browser_sends_it(console, delivery, safe_drop=False)

    console.post(f"/care/deliveries/{delivery.pk}/instructions/", form)

    delivery.refresh_from_db()
    assert delivery.safe_drop is False


def test_an_agent_who_ticks_safe_drop_sets_it(console, delivery):
    form = _form_as_a_browser_sends_it(console, delivery, safe_drop=True)

    console.post(f"/care/deliveries/{delivery.pk}/instructions/", form)

    delivery.refresh_from_db()
    assert delivery.safe_drop is True


def test_the_agent_sees_the_customers_safe_drop_even_where_the_window_no_longer_offers_it(console, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(safe_drop=True)
    template = delivery.window.template
    template.safe_drop_allowed = False
    template.save()

    form = _form_as_a_browser_sends_it(console, delivery)

    assert form.get("safe_drop") == "on"
    assert "no longer offered for this window." in console.get(f"/care/deliveries/{delivery.pk}/").content.decode()
