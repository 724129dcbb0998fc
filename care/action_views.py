"""The journey's actions on the customer's behalf: add a note, send the tracking link again, cancel.

Each is a POST by a role that may act (a viewer gets 403), calls one service in `care.actions` and redirects
back to the journey with a message. Bad input draws the journey again with a 400 (or the refusal's 409) and
the message saying what to fix, the typed text kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care import actions
from care.forms import CancelForm, NoteForm, ResendLinkForm
from care.views import _delivery, _journey_url, _problem, journey_page
from core import clock
from core.errors import DomainError
from merchants.access import Perm, staff_page


def _refused(request, delivery, message: str, *, status: int, **forms):
    messages.error(request, message)
    return journey_page(request, delivery.pk, status=status, **forms)


def _form_problem(form) -> str:
    return " ".join(m for errors in form.errors.values() for m in errors)


@staff_page(Perm.CARE_ACT)
@require_POST
def care_note_add(request, delivery_id):
    delivery = _delivery(request, delivery_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, delivery, _form_problem(form), status=400, note_form=form)
    try:
        actions.note_add(delivery=delivery, author=request.user, text=form.cleaned_data["text"], now=clock.now())
    except DomainError as exc:
        return _refused(request, delivery, _problem(exc), status=exc.status_code, note_form=form)
    messages.success(request, _("Note added."))
    return redirect(_journey_url(delivery.pk))


@staff_page(Perm.CARE_ACT)
@require_POST
def care_resend_link(request, delivery_id):
    delivery = _delivery(request, delivery_id)
    form = ResendLinkForm(request.POST)
    if not form.is_valid():
        return _refused(request, delivery, _form_problem(form), status=400)
    try:
        sent = actions.tracking_link_resend(delivery=delivery, agent=request.user,
                                            request_key=form.cleaned_data["request_key"], now=clock.now())
    except DomainError as exc:
        return _refused(request, delivery, _problem(exc), status=exc.status_code)
    if sent.duplicate:
        messages.info(request, _("The tracking link was already sent for this request."))
        return redirect(_journey_url(delivery.pk))
    channels = ", ".join(m.get_channel_display() for m in sent.queued)
    text = _("Tracking link sent again by %(channels)s.") % {"channels": channels}
    if sent.held_until is not None:
        at = formats.date_format(sent.held_until.astimezone(delivery.merchant.zone_info), "D j M, H:i")
        text = _("Tracking link queued by %(channels)s; quiet hours hold it until %(at)s.") % {
            "channels": channels, "at": at}
    messages.success(request, text)
    if sent.opted_out:
        messages.warning(request, _("The customer opted out of %(channels)s: that message will not be sent.") % {
            "channels": ", ".join(sent.opted_out)})
    return redirect(_journey_url(delivery.pk))


@staff_page(Perm.CARE_ACT)
@require_POST
def care_cancel(request, delivery_id):
    delivery = _delivery(request, delivery_id)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _refused(request, delivery, _form_problem(form), status=400, cancel_form=form)
    try:
        actions.delivery_cancel_on_behalf(delivery=delivery, agent=request.user, reason=form.cleaned_data["reason"],
                                          now=clock.now())
    except DomainError as exc:
        return _refused(request, delivery, _problem(exc), status=exc.status_code, cancel_form=form)
    messages.success(request, _("Delivery cancelled; its place went back to the window and the customer is told."))
    return redirect(_journey_url(delivery.pk))
