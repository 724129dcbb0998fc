"""Pages of the care console (staff only): find an order, its journey, the exception queue, the KPIs.

Every action is a POST that calls one service and redirects back with a message, so a reload never
repeats it.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from care import services
from care.actions import LINK_WORTH_SENDING
from care.audit import delivery_audit_trail
from care.contacts import care_search_record
from care.forms import (
    CancelForm,
    EscalateForm,
    ExceptionOpenForm,
    InstructionsForm,
    NoteForm,
    RescheduleForm,
    ResendLinkForm,
    ResolveForm,
    SearchForm,
)
from care.journey import journey_for
from care.kpis import kpis
from care.models import JourneyException, Team
from care.playbooks.services import exception_escalate
from care.queue import exception_queue
from care.search import SearchResult, delivery_search
from core import clock
from core.errors import DomainError
from merchants.access import Perm, access_for, staff_page
from scheduling import services as scheduling_services
from scheduling.drop import Drop, drop_instruction, instructions_open
from scheduling.errors import SchedulingErrorCode
from scheduling.models import Delivery
from scheduling.selectors import delivery_reschedule_offers
from scheduling.services import delivery_status_transition_allowed
from scheduling.windows import safe_drop_offered
from tracking.carrier_selectors import raw_events_needing_review
from tracking.models import ProofOfDelivery
from tracking.proof_files import proof_image_response, proof_part


def _problem(exc: DomainError) -> str:
    """A DomainError as a sentence an agent can act on (field messages included)."""
    friendly = {
        SchedulingErrorCode.WINDOW_FULL: _("That window has just filled up. Pick another one."),
        SchedulingErrorCode.CUTOFF_PASSED: _("That window has closed for booking. Pick another one."),
        SchedulingErrorCode.SKILL_UNAVAILABLE: _("No vehicle with the skills this delivery needs works in that window."),
        SchedulingErrorCode.NOT_RESCHEDULABLE: exc.message,
        SchedulingErrorCode.OUTSIDE_AREA: _("The delivery address is outside that window's zone."),
    }
    # The drop choice's messages speak to the customer ("your neighbour"); the agent reads them about the customer.
    about_the_customer = {
        SchedulingErrorCode.INSTRUCTIONS_LOCKED: _("The delivery is out for delivery: its instructions are locked."),
        SchedulingErrorCode.NEIGHBOUR_REQUIRED: _(
            "To leave it with a neighbour, give the neighbour's name and house number or flat."),
        SchedulingErrorCode.SAFE_PLACE_NOT_OFFERED: _("The merchant does not offer a safe place for this delivery."),
    }
    if exc.code in about_the_customer:
        return about_the_customer[exc.code]
    message = friendly.get(exc.code, exc.message)
    details = [m for messages_ in exc.fields.values() for m in messages_ if m != message]
    return " ".join([message, *details])


def _journey_url(delivery_id) -> str:
    return reverse("care:journey", args=[delivery_id])


@staff_page(Perm.CARE_VIEW)
@require_GET
def care_home(request):
    """The landing page: the search box on top, then today's and the week's KPIs, for the user's merchants."""
    merchant_ids = access_for(request).merchant_ids(Perm.CARE_VIEW)
    form = SearchForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        result = delivery_search(query=form.cleaned_data["q"], merchant_ids=merchant_ids)
        care_search_record(kind=result.kind, delivery_ids=[h.delivery_id for h in result.hits], agent=request.user,
                           now=clock.now())
    elif form.is_bound:
        result = SearchResult(query=request.GET.get("q", "")[:200], kind="invalid")
    now = clock.now()
    return render(request, "care/home.html", {
        "form": form, "result": result, "periods": kpis(now=now, merchant_ids=merchant_ids), "section": "home",
    })


@staff_page(Perm.CARE_VIEW)
@require_GET
def care_journey(request, delivery_id):
    """One delivery's journey; its actions only for a role that may change it, its access notes only for a role
    that may read them."""
    return journey_page(request, delivery_id)


def journey_page(request, delivery_id, *, status: int = 200, **forms):
    """The journey page; an action refused for bad input draws it again with `status` and the agent's `forms`
    (their errors and what was typed) in place of empty ones."""
    now = clock.now()
    access = access_for(request)
    # Merchant staff see the van's way rounded: the van also serves other merchants' customers.
    journey = journey_for(delivery_id=delivery_id, now=now, merchant_ids=access.merchant_ids(Perm.CARE_VIEW),
                          coarse_track=access.merchant_ids(Perm.CARE_VIEW) is not None)
    if journey is None:
        return render(request, "care/not_found.html", {"section": "home"}, status=404)
    delivery = journey.delivery
    may_act = access.may(Perm.CARE_ACT, delivery.merchant_id)
    # A van's exception sits on the route's first delivery, maybe another merchant's: acted on by those who may act
    # on that one.
    actionable = {e.pk for e in journey.open_exceptions if access.may(Perm.CARE_ACT, e.delivery.merchant_id)}
    offers = delivery_reschedule_offers(delivery=delivery, now=now) if may_act else []
    return render(request, "care/journey.html", {
        "journey": journey, "delivery": delivery, "section": "home", "may_act": may_act, "actionable": actionable,
        "may_read_access_notes": access.may(Perm.ACCESS_NOTES_VIEW, delivery.merchant_id),
        "reschedule_form": RescheduleForm(offers=offers, tz=journey.tz) if offers else None,
        "instructions_form": forms.get("instructions_form") or InstructionsForm(initial=InstructionsForm.initial_for(delivery)),
        "instructions_open": instructions_open(delivery),
        "drop_instruction": drop_instruction(Drop.of(delivery)),
        "safe_drop_offered": safe_drop_offered(merchant=delivery.merchant, window=delivery.window),
        "exception_form": ExceptionOpenForm(),
        "resolve_form": ResolveForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "resend_form": ResendLinkForm(initial={"request_key": uuid.uuid4().hex}),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "cancellable": delivery_status_transition_allowed(current=delivery.status, to=Delivery.Status.CANCELLED),
        "link_sendable": delivery.status in LINK_WORTH_SENDING,
        "next": request.get_full_path(),
        "audit_trail": delivery_audit_trail(delivery=delivery),
        # Addresses are personal data (a customer's, a carrier's): the platform's staff investigate with them.
        "audit_show_addresses": access.may(Perm.AUDIT_ADDRESSES),
    }, status=status)


def _delivery(request, delivery_id) -> Delivery:
    """The delivery an action is about: 404 when the user cannot see it, 403 when they may not change it."""
    access = access_for(request)
    delivery = get_object_or_404(
        access.scoped(Delivery.objects, Perm.CARE_VIEW)
        .select_related("merchant", "window__template", "window__zone", "window__merchant"),
        pk=delivery_id,
    )
    access.require(Perm.CARE_ACT, delivery.merchant_id)
    return delivery


@staff_page(Perm.CARE_ACT)
@require_POST
def care_reschedule(request, delivery_id):
    """Move the delivery to another feasible window on the customer's behalf; capacity moves with it."""
    delivery = _delivery(request, delivery_id)
    now = clock.now()
    offers = delivery_reschedule_offers(delivery=delivery, now=now)
    form = RescheduleForm(request.POST, offers=offers, tz=delivery.merchant.zone_info)
    if not form.is_valid():
        messages.error(request, _("That window is no longer offered. Pick one from the list."))
        return journey_page(request, delivery.pk, status=400)
    window = next(o.window for o in offers if o.window.pk == form.cleaned_data["window_id"])
    try:
        scheduling_services.delivery_reschedule(delivery=delivery, window=window, now=now)
    except DomainError as exc:
        messages.error(request, _problem(exc))
        return journey_page(request, delivery.pk, status=exc.status_code)
    else:
        tz = delivery.merchant.zone_info
        messages.success(request, _("Moved to %(day)s, %(start)s–%(end)s.") % {
            "day": window.starts_at.astimezone(tz).strftime("%a %d %b"),
            "start": window.starts_at.astimezone(tz).strftime("%H:%M"),
            "end": window.ends_at.astimezone(tz).strftime("%H:%M"),
        })
    return redirect(_journey_url(delivery.pk))


@staff_page(Perm.CARE_ACT)
@require_POST
def care_instructions(request, delivery_id):
    delivery = _delivery(request, delivery_id)
    form = InstructionsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return journey_page(request, delivery.pk, status=400, instructions_form=form)
    notes, drop = form.instructions_for(delivery)
    try:
        scheduling_services.delivery_update_instructions(delivery=delivery, access_notes=notes.strip(), drop=drop)
    except DomainError as exc:
        messages.error(request, _problem(exc))
        return journey_page(request, delivery.pk, status=exc.status_code, instructions_form=form)
    else:
        messages.success(request, _("Delivery instructions saved."))
    return redirect(_journey_url(delivery.pk))


@staff_page(Perm.CARE_ACT)
@require_POST
def care_exception_open(request, delivery_id):
    delivery = _delivery(request, delivery_id)
    form = ExceptionOpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(_journey_url(delivery.pk))
    try:
        services.exception_open(delivery=delivery, code=form.cleaned_data["code"], message=form.cleaned_data["message"],
                            now=clock.now(), due_in_minutes=form.cleaned_data["due_in_minutes"])
    except DomainError as exc:
        messages.error(request, _problem(exc))
    else:
        messages.success(request, _("Exception opened; it is in the queue."))
    return redirect(_journey_url(delivery.pk))


@staff_page(Perm.CARE_VIEW)
@require_GET
def care_exceptions(request):
    access = access_for(request)
    queue = exception_queue(agent=request.user, now=clock.now(), show=request.GET.get("show", "open"),
                            merchant_ids=access.merchant_ids(Perm.CARE_VIEW), team=request.GET.get("team", ""))
    return render(request, "care/exceptions.html", {
        "queue": queue, "resolve_form": ResolveForm(), "teams": Team.choices, "next": request.get_full_path(), "section": "exceptions",
        "actionable": {row.exception.pk for row in queue.rows if access.may(Perm.CARE_ACT, row.delivery.merchant_id)},
        "tabs": [(key, label, queue.counts[key])
                 for key, label in (("open", _("All open")), ("mine", _("Mine")), ("unassigned", _("Unassigned")))],
    })


@staff_page(Perm.CARE_ACT)
@require_POST
def care_exception_action(request, exception_id: int, action: str):
    """Take, release, escalate or resolve one exception, then go back where the agent was."""
    access = access_for(request)
    exception = get_object_or_404(access.scoped(JourneyException.objects, Perm.CARE_VIEW, path="delivery__merchant")
                                  .select_related("delivery"), pk=exception_id)
    access.require(Perm.CARE_ACT, exception.delivery.merchant_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("care:exceptions")
    now = clock.now()
    try:
        if action == "take":
            services.exception_assign(exception=exception, agent=request.user, now=now)
            messages.success(request, _("You own this exception now."))
        elif action == "release":
            services.exception_release(exception=exception, agent=request.user, now=now)
            messages.success(request, _("Exception released to the queue."))
        elif action == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(form.errors["resolution"]))
                return redirect(target)
            services.exception_resolve(exception=exception, agent=request.user,
                                   resolution=form.cleaned_data["resolution"], now=now)
            messages.success(request, _("Exception resolved."))
        elif action == "escalate":
            form = EscalateForm(request.POST)
            if not form.is_valid():
                messages.error(request, " ".join(form.errors["reason"]))
                return redirect(target)
            exception_escalate(exception=exception, agent=request.user, reason=form.cleaned_data["reason"], now=now)
            messages.success(request, f"Escalated to the {exception.get_team_display()}.")
        else:
            messages.error(request, _("Unknown action."))
    except DomainError as exc:
        messages.error(request, _problem(exc))
    return redirect(target)



@staff_page(Perm.CARE_VIEW)
@require_GET
def care_carrier_events(request):
    """Carrier events kept aside: not this carrier's delivery (quarantined) or implausible (flagged), newest first.

    Merchant staff see those on their own deliveries; an event naming no delivery of ours belongs to no merchant,
    so only the platform's staff see it."""
    # A review list, not an archive: the admin's raw carrier events have them all, with filters.
    shown = 200
    merchant_ids = access_for(request).merchant_ids(Perm.CARE_VIEW)
    events = list(raw_events_needing_review(merchant_ids=merchant_ids)[:shown])
    return render(request, "care/carrier_events.html", {
        "rows": [(event, json.dumps(event.payload, indent=2, ensure_ascii=False, sort_keys=True)) for event in events],
        "shown": shown, "section": "carrier-events",
    })


@staff_page(Perm.CARE_VIEW)
@require_GET
def care_proof_image(request, delivery_id, part: str):
    """The proof's photo or signature, for staff whose merchants include the delivery's (anyone else: 404)."""
    kind = proof_part(part)
    proof = get_object_or_404(access_for(request).scoped(ProofOfDelivery.objects, Perm.CARE_VIEW,
                                                         path="delivery__merchant"), delivery_id=delivery_id)
    response = proof_image_response(proof=proof, part=kind) if kind is not None else None
    if response is None:
        raise Http404("No such proof image.")
    return response
