"""The notifications tab: the merchant's switches, and its own wording checked and previewed before it is used."""

import datetime as dt

import pytest
from django.urls import reverse

from notifications.models import MerchantMessaging, MessageTemplate
from notifications.rendering import SMS_MAX_CHARS

pytestmark = pytest.mark.django_db

SWITCHES = {"on_booked": "on", "on_delivered": "on", "on_attempted": "on", "running_late_minutes": "15",
            "quiet_hours_start": "22:00", "quiet_hours_end": "07:30", "whatsapp": "on"}


@pytest.fixture
def messaging_url(merchant):
    return reverse("notifications:settings-messaging", args=[merchant.slug])


@pytest.fixture
def new_template_url(merchant):
    return reverse("notifications:settings-template-new", args=[merchant.slug])


def test_a_merchant_that_never_chose_sees_every_default(as_owner, messaging_url):
    form = as_owner.get(messaging_url).context["form"]

    assert all(form[f"on_{name}"].value() for name in ("booked", "delivered", "day_before"))
    assert form["quiet_hours_start"].value() == dt.time(21, 0)
    assert not MerchantMessaging.objects.exists()


def test_the_switches_are_saved(as_owner, messaging_url, merchant):
    response = as_owner.post(messaging_url, SWITCHES)

    assert response.status_code == 302
    messaging = MerchantMessaging.objects.get(merchant=merchant)
    assert messaging.on_booked and messaging.on_delivered and messaging.on_attempted
    assert not messaging.on_rescheduled and not messaging.on_day_before and not messaging.on_running_late
    assert messaging.running_late_minutes == 15
    assert (messaging.quiet_hours_start, messaging.quiet_hours_end) == (dt.time(22, 0), dt.time(7, 30))
    assert messaging.whatsapp
    assert not messaging.sends("rescheduled") and messaging.sends("booked")

    as_owner.post(messaging_url, SWITCHES | {"running_late_minutes": "", "whatsapp": ""})
    messaging.refresh_from_db()
    assert messaging.running_late_minutes is None and not messaging.whatsapp
    assert MerchantMessaging.objects.filter(merchant=merchant).count() == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"running_late_minutes": "0"}, "running_late_minutes"),
    ({"running_late_minutes": "soon"}, "running_late_minutes"),
    ({"quiet_hours_start": "25:00"}, "quiet_hours_start"),
    ({"quiet_hours_end": ""}, "quiet_hours_end"),
])
def test_a_wrong_timing_is_refused(as_owner, messaging_url, merchant, changes, field):
    response = as_owner.post(messaging_url, SWITCHES | changes)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not MerchantMessaging.objects.filter(merchant=merchant).exists()


def test_the_owner_writes_an_sms_previews_it_then_saves_it(as_owner, new_template_url, messaging_url, merchant):
    text = {"trigger": "booked", "language": "en", "channel": "sms", "subject": "",
            "body": "{brand}: see you {window_label}, {first_name}! {tracking_url}"}

    preview = as_owner.post(new_template_url, text | {"preview": "1"})

    assert preview.status_code == 200
    assert "Fresh Basket: see you" in preview.context["preview"].sms and "Camille!" in preview.context["preview"].sms
    assert not MessageTemplate.objects.exists()

    saved = as_owner.post(new_template_url, text)

    assert saved.status_code == 302 and saved["Location"] == messaging_url
    template = MessageTemplate.objects.get(merchant=merchant)
    assert (template.trigger, template.language, template.channel) == ("booked", "en", "sms")
    assert "see you {window_label}" in as_owner.get(messaging_url).content.decode()


def test_an_email_preview_shows_the_subject_and_the_branded_email(as_owner, new_template_url):
    response = as_owner.post(new_template_url, {
        "trigger": "delivered", "language": "fr", "channel": "email", "subject": "{brand} : c'est livré",
        "body": "Bonjour {first_name}, votre commande {order_ref} est arrivée.", "preview": "1"})

    page = response.content.decode()
    assert response.context["preview"].subject == "Fresh Basket : c'est livré"
    # The whole email sits in the attribute, escaped: its own quotes must not end it.
    srcdoc = page.split('sandbox srcdoc="', 1)[1].split('"', 1)[0]
    assert srcdoc.startswith("&lt;!DOCTYPE html&gt;") and srcdoc.rstrip().endswith("&lt;/html&gt;")
    assert "SAMPLE-1042" in srcdoc


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"body": "Hello {name}"}, "body", "Unknown placeholder {name}"),
    ({"body": "Hello {first_name"}, "body", "A brace is not closed"),
    ({"body": "x" * (SMS_MAX_CHARS + 1)}, "body", "This SMS is too long"),
    ({"subject": "Hi"}, "subject", "An SMS has no subject"),
    ({"channel": "email", "subject": ""}, "subject", "An email needs a subject"),
    ({"trigger": "party"}, "trigger", "not one of the available choices"),
])
def test_a_wording_the_rules_refuse_is_not_saved_and_says_why(as_owner, new_template_url, fields, field, message):
    data = {"trigger": "booked", "language": "en", "channel": "sms", "subject": "", "body": "Booked {first_name}"}

    response = as_owner.post(new_template_url, data | fields)

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field]), response.context["form"].errors
    assert not MessageTemplate.objects.exists()


def test_a_second_wording_for_the_same_moment_language_and_channel_is_refused(as_owner, new_template_url, merchant):
    data = {"trigger": "booked", "language": "en", "channel": "sms", "subject": "", "body": "Booked {first_name}"}
    as_owner.post(new_template_url, data)

    response = as_owner.post(new_template_url, data | {"body": "Again"})

    assert response.status_code == 400
    assert "There is already your own English SMS for “Booking confirmed”" in response.content.decode()
    assert MessageTemplate.objects.get(merchant=merchant).body == "Booked {first_name}"


def test_editing_shows_the_saved_preview_then_saves_the_change(as_owner, merchant):
    template = MessageTemplate.objects.create(merchant=merchant, trigger="booked", language="en", channel="sms",
                                              body="Booked {first_name}")
    edit_url = reverse("notifications:settings-template", args=[merchant.slug, template.pk])

    assert as_owner.get(edit_url).context["preview"].sms == "Booked Camille"

    as_owner.post(edit_url, {"trigger": "booked", "language": "en", "channel": "sms", "subject": "",
                             "body": "Booked, {first_name}: {order_ref}"})
    template.refresh_from_db()
    assert template.body == "Booked, {first_name}: {order_ref}"
    assert MessageTemplate.objects.count() == 1


def test_deleting_asks_first_then_brings_back_the_default_text(as_owner, merchant, messaging_url):
    template = MessageTemplate.objects.create(merchant=merchant, trigger="booked", language="en", channel="sms",
                                              body="Booked {first_name}")
    delete_url = reverse("notifications:settings-template-delete", args=[merchant.slug, template.pk])

    assert "default text for this message again" in as_owner.get(delete_url).content.decode()
    assert MessageTemplate.objects.exists()

    assert as_owner.post(delete_url)["Location"] == messaging_url
    assert not MessageTemplate.objects.exists()
