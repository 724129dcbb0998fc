"""The merchant settings tabs of this app: what customers are sent (switches and own wording), and webhooks.

Mounted under /settings/<merchant slug>/ beside the merchants app's tabs, behind the same decorator (signed
in, staff of that merchant, allowed to change its settings). Each change is a POST that calls one service.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from merchants.forms import WebhookEndpointForm
from merchants.models import WEBHOOK_EVENT_TYPES, Merchant, WebhookEndpoint
from merchants.services import (
    WEBHOOK_SECRET_OVERLAP,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_turn_off,
    webhook_endpoint_update,
    webhook_secret_rotate,
)
from merchants.settings_views import form_errors_from, owner_settings_page, settings_render
from notifications.forms import MerchantMessagingForm, MerchantTemplateForm
from notifications.merchant_settings import (
    merchant_messaging_for,
    merchant_messaging_save,
    message_template_delete,
    message_template_save,
)
from notifications.models import Channel, Message, MessageTemplate, Trigger
from notifications.rendering import PLACEHOLDERS, SMS_MAX_CHARS, template_preview
from notifications.webhooks import (
    TEST_EVENT,
    endpoint_log,
    webhook_endpoint_resume,
    webhook_replay,
    webhook_send_test,
)

# --- Notifications: switches and own wording ----------------------------------------------------------------


@owner_settings_page
@require_http_methods(["GET", "POST"])
def messaging(request, merchant: Merchant):
    form = MerchantMessagingForm(request.POST or None, instance=merchant_messaging_for(merchant=merchant))
    if form.is_bound and form.is_valid():
        try:
            merchant_messaging_save(merchant=merchant,
                                    values={name: form.cleaned_data[name] for name in form.Meta.fields})
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Notification settings saved.")
            return redirect("notifications:settings-messaging", merchant.slug)
    templates = MessageTemplate.objects.filter(merchant=merchant).order_by("trigger", "language", "channel")
    return settings_render(request, "notifications/settings/messaging.html", {
        "form": form, "templates": templates, "time_zone": merchant.time_zone,
        "default_running_late": settings.RUNNING_LATE_MINUTES,
    }, tab="notifications", status=400 if form.is_bound else 200)


def _template_page(request, merchant: Merchant, template: MessageTemplate | None):
    """New or existing wording: "Preview" renders the sample delivery's message, "Save" stores it."""
    instance = template or MessageTemplate(merchant=merchant, trigger=Trigger.BOOKED, channel=Channel.SMS,
                                           language=merchant.default_language)
    form = MerchantTemplateForm(request.POST or None, instance=instance)
    preview = None
    if form.is_bound and form.is_valid():
        if "preview" in request.POST:
            preview = template_preview(form.instance)
        else:
            try:
                saved = message_template_save(merchant=merchant, template=template,
                                              **{name: form.cleaned_data[name] for name in form.Meta.fields})
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, f"Your wording for “{saved.get_trigger_display()}” "
                                          f"({saved.get_language_display()}, {saved.get_channel_display()}) is saved.")
                return redirect("notifications:settings-messaging", merchant.slug)
    elif template is not None and not form.is_bound:
        preview = template_preview(template)
    return settings_render(request, "notifications/settings/template_form.html", {
        "form": form, "template": template, "preview": preview, "sms_max": SMS_MAX_CHARS,
        "preview_channel": form.instance.channel, "placeholders": PLACEHOLDERS,
    }, tab="notifications", status=400 if form.is_bound and form.errors else 200)


@owner_settings_page
@require_http_methods(["GET", "POST"])
def template_new(request, merchant: Merchant):
    return _template_page(request, merchant, None)


@owner_settings_page
@require_http_methods(["GET", "POST"])
def template_edit(request, merchant: Merchant, template_id: int):
    return _template_page(request, merchant, get_object_or_404(MessageTemplate, pk=template_id, merchant=merchant))


@owner_settings_page
@require_http_methods(["GET", "POST"])
def template_delete(request, merchant: Merchant, template_id: int):
    template = get_object_or_404(MessageTemplate, pk=template_id, merchant=merchant)
    if request.method == "POST":
        message_template_delete(template=template)
        messages.success(request, f"Your wording for “{template.get_trigger_display()}” "
                                  f"({template.get_language_display()}, {template.get_channel_display()}) is deleted: "
                                  "customers get the default text again.")
        return redirect("notifications:settings-messaging", merchant.slug)
    return settings_render(request, "notifications/settings/template_delete.html", {"template": template},
                           tab="notifications")


# --- Webhooks ---------------------------------------------------------------------------------------------

# The delivery log shows this many of an endpoint's latest events.
WEBHOOK_LOG_LIMIT = 50
# An event in these states is on its way already: replaying it would change nothing.
ON_ITS_WAY = (Message.Status.QUEUED, Message.Status.SENDING)


@owner_settings_page
@require_http_methods(["GET", "POST"])
def webhooks(request, merchant: Merchant):
    form = WebhookEndpointForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            endpoint = webhook_endpoint_create(merchant=merchant, url=form.cleaned_data["url"],
                                               events=form.cleaned_data["events"],
                                               description=form.cleaned_data["description"])
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Endpoint added. Reveal its signing secret below and give it to your "
                                      "receiver, so it can check that each call comes from us.")
            return redirect("notifications:settings-webhook", merchant.slug, endpoint.pk)
    endpoints = WebhookEndpoint.objects.filter(merchant=merchant).order_by("created_at", "pk")
    return settings_render(request, "notifications/settings/webhooks.html", {
        "form": form, "endpoints": endpoints,
    }, tab="webhooks", status=400 if form.is_bound else 200)


def _endpoint(merchant: Merchant, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=endpoint_id, merchant=merchant)


def _webhook_page(request, merchant: Merchant, endpoint: WebhookEndpoint, *, form=None, revealed: bool = False):
    form = form or WebhookEndpointForm(initial={"url": endpoint.url, "description": endpoint.description,
                                                "events": endpoint.events})
    now = clock.now()
    previous_valid = bool(endpoint.previous_secret and endpoint.previous_secret_expires_at
                          and endpoint.previous_secret_expires_at > now)
    return settings_render(request, "notifications/settings/webhook.html", {
        "endpoint": endpoint, "form": form, "revealed": revealed, "previous_valid": previous_valid,
        "log": endpoint_log(endpoint=endpoint, limit=WEBHOOK_LOG_LIMIT), "log_limit": WEBHOOK_LOG_LIMIT, "overlap_hours": int(WEBHOOK_SECRET_OVERLAP.total_seconds() // 3600),
        "event_types": WEBHOOK_EVENT_TYPES, "test_event": TEST_EVENT, "on_its_way": ON_ITS_WAY,
    }, tab="webhooks", status=400 if form.is_bound and form.errors else 200)


@owner_settings_page
@require_http_methods(["GET", "POST"])
def webhook(request, merchant: Merchant, endpoint_id: int):
    endpoint = _endpoint(merchant, endpoint_id)
    form = None
    if request.method == "POST":
        form = WebhookEndpointForm(request.POST)
        if form.is_valid():
            try:
                webhook_endpoint_update(endpoint=endpoint, url=form.cleaned_data["url"],
                                        events=form.cleaned_data["events"],
                                        description=form.cleaned_data["description"])
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect("notifications:settings-webhook", merchant.slug, endpoint.pk)
    return _webhook_page(request, merchant, endpoint, form=form)


@owner_settings_page
@require_POST
def webhook_secret(request, merchant: Merchant, endpoint_id: int):
    """The same page with the signing secret shown (asked for by a click, never in the page by default)."""
    return _webhook_page(request, merchant, _endpoint(merchant, endpoint_id), revealed=True)


@owner_settings_page
@require_POST
def webhook_rotate(request, merchant: Merchant, endpoint_id: int):
    endpoint = webhook_secret_rotate(endpoint=_endpoint(merchant, endpoint_id))
    until = endpoint.previous_secret_expires_at.astimezone(merchant.zone_info)
    messages.success(request, "A new signing secret signs every event from now on. The old one keeps signing "
                              f"beside it until {until:%d %b %Y %H:%M} ({merchant.time_zone}), so switch your "
                              "receiver to the new one before then.")
    return redirect("notifications:settings-webhook", merchant.slug, endpoint.pk)


@owner_settings_page
@require_POST
def webhook_switch(request, merchant: Merchant, endpoint_id: int):
    endpoint = _endpoint(merchant, endpoint_id)
    if request.POST.get("active") == "on":
        queued_again = webhook_endpoint_resume(endpoint=endpoint)
        told = "Endpoint turned on: events are sent to it again."
        if queued_again:
            told += f" Events that failed while it was off or disabled are sent again: {queued_again}."
        messages.success(request, told)
    else:
        webhook_endpoint_turn_off(endpoint=endpoint)
        messages.success(request, "Endpoint turned off: nothing is sent to it until you turn it on.")
    return redirect("notifications:settings-webhook", merchant.slug, endpoint.pk)


@owner_settings_page
@require_http_methods(["GET", "POST"])
def webhook_delete(request, merchant: Merchant, endpoint_id: int):
    endpoint = _endpoint(merchant, endpoint_id)
    if request.method == "POST":
        webhook_endpoint_delete(endpoint=endpoint)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("notifications:settings-webhooks", merchant.slug)
    return settings_render(request, "notifications/settings/webhook_delete.html", {"endpoint": endpoint},
                           tab="webhooks")


def _not_sending_refusal(request, endpoint: WebhookEndpoint) -> bool:
    """Nothing reaches an endpoint that is off or disabled: say so rather than queue a call that fails at once."""
    if endpoint.sending:
        return False
    messages.error(request, "Turn the endpoint on first: nothing is sent to an endpoint that is off or disabled.")
    return True


@owner_settings_page
@require_POST
def webhook_test(request, merchant: Merchant, endpoint_id: int):
    endpoint = _endpoint(merchant, endpoint_id)
    if not _not_sending_refusal(request, endpoint):
        webhook_send_test(endpoint=endpoint)
        messages.success(request, f"A {TEST_EVENT} event is on its way. The delivery log below shows what your "
                                  "receiver answered (reload if it is not there yet).")
    return redirect("notifications:settings-webhook", merchant.slug, endpoint.pk)


@owner_settings_page
@require_POST
def webhook_message_replay(request, merchant: Merchant, endpoint_id: int, message_id: int):
    endpoint = _endpoint(merchant, endpoint_id)
    message = get_object_or_404(Message, pk=message_id, endpoint=endpoint, channel=Channel.WEBHOOK)
    if not _not_sending_refusal(request, endpoint):
        webhook_replay(message=message)
        messages.success(request, f"Event {message.event_id} is sent again, with the same id so your receiver "
                                  "can tell it already has it.")
    return redirect("notifications:settings-webhook", merchant.slug, endpoint.pk)
