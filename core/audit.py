"""Who did what, for the audit log (django-auditlog's `LogEntry`).

auditlog records the changes of the models each app registers in its `ready()`, through model signals.
Two things it cannot do alone here, and this module does:

1. Name every actor. Staff act as users, but an API key, a carrier, a driver's device, a customer holding
   the tracking link and a background task are not users. `audit_actor(...)` says who acts for a block of
   code (a task, a command); `AuditActorMiddleware` opens one per request (the signed-in user, the client's
   IP), and the API's authentication classes name the key, carrier or device in it with `audit_actor_name`.
   Every entry written meanwhile gets the user in `actor`, the label in `additional_data["actor"]` and its
   kind in `additional_data["actor_kind"]`, the IP in `remote_addr`, and the action's correlation id in
   `cid` (settings.AUDITLOG_CID_GETTER), so the entries of one request read as one action.
2. Record domain events. Our writes are mostly conditional UPDATEs, which send no signal: the service that
   makes one records it with `audit_event(...)`, one entry on the changed object with a human summary and
   the fields' before/after, masked as the model's registration says.

Masked fields (door codes, phones, emails, secrets) are written as `MASK`, never their value, so the log
does not hold what least-disclosure hides elsewhere. `audit_who(entry)` renders who acted, the same way on
every page.
"""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models.signals import pre_save
from django.utils.text import capfirst

from core import clock
from core.client_address import client_ip

if TYPE_CHECKING:
    from auditlog.models import LogEntry
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import Model
    from django.http import HttpRequest

# This module is imported before the apps are loaded (manage.py names the command that runs), so what needs
# the models (auditlog's LogEntry and registry) is imported where it is used.

# What a masked value reads as in the log; an empty value stays empty, so "added" and "removed" still show.
MASK = "(hidden)"
MASK_CALLABLE = "core.audit.mask_value"


class ActorKind:
    USER = "user"
    API_KEY = "api_key"
    CARRIER = "carrier"
    DRIVER_DEVICE = "driver_device"
    FEED = "feed"
    CUSTOMER = "customer"
    SYSTEM = "system"

    labels = {
        USER: "Staff user", API_KEY: "Merchant API key", CARRIER: "Carrier", DRIVER_DEVICE: "Driver device", FEED: "Disruption feed",
        CUSTOMER: "Customer", SYSTEM: "System",
    }


@dataclass
class AuditActor:
    """Who acts now. Mutable on purpose: the authentication of a request names its actor after the
    middleware opened the scope, and a copy of the context (an ASGI thread) still sees the same object."""

    label: str
    kind: str
    user: AbstractBaseUser | None = None
    ip: str | None = None
    cid: str = field(default_factory=lambda: uuid.uuid4().hex)


_current: ContextVar[AuditActor | None] = ContextVar("audit_actor", default=None)


def mask_value(value: str) -> str:
    """auditlog's mask callable: nothing of the value is kept (its default keeps half of it)."""
    return MASK if value not in ("", "None") else value


def user_label(user: AbstractBaseUser) -> str:
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


@contextlib.contextmanager
def audit_actor(*, label: str, kind: str = ActorKind.SYSTEM, user: AbstractBaseUser | None = None,
                ip: str | None = None) -> Iterator[AuditActor]:
    """Everything recorded inside the block is attributed to this actor (nested blocks win, then end)."""
    actor = AuditActor(label=label, kind=kind, user=user, ip=ip)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def audit_actor_name(*, label: str, kind: str) -> None:
    """Name who acts for the current request once its credentials are known (an API key, a carrier, a device,
    the customer's link). Outside a request's scope there is no one to name, and nothing happens."""
    actor = _current.get()
    if actor is not None and actor.user is None:
        actor.label, actor.kind = label, kind


def audit_current() -> AuditActor | None:
    return _current.get()


def audit_current_kind() -> str:
    actor = _current.get()
    return actor.kind if actor is not None else ActorKind.SYSTEM


def audit_cid() -> str | None:
    """settings.AUDITLOG_CID_GETTER: the entries of one request, task or command share its id."""
    actor = _current.get()
    return actor.cid if actor is not None else None


def _recorded_ip(address: str) -> str | None:
    """Only an IP address is recorded (a test client's or a unix socket's peer may be something else)."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _attribute(sender, instance: LogEntry, **kwargs) -> None:
    """Stamp each new LogEntry with the services' clock and the current actor (connected once, below).

    The services' clock, so an entry reads at the same time as the milestone or message it goes with (the
    demo's fleet runs on a clock of its own; in production both are the wall clock)."""
    if instance.pk is None:
        instance.timestamp = clock.now()
    actor = _current.get()
    if instance.pk is not None or actor is None:
        return
    if instance.actor_id is None and actor.user is not None:
        instance.actor = actor.user
        instance.actor_email = getattr(actor.user, "email", None) or None
    if instance.remote_addr is None:
        instance.remote_addr = actor.ip
    if not instance.cid:
        instance.cid = actor.cid
    data = dict(instance.additional_data or {})
    data.setdefault("actor", actor.label)
    data.setdefault("actor_kind", actor.kind)
    instance.additional_data = data


pre_save.connect(_attribute, sender="auditlog.LogEntry", dispatch_uid="core.audit.attribute")


class AuditActorMiddleware:
    """Attribute what a request changes: the signed-in user (staff pages, admin) and the client's IP.

    Placed after AuthenticationMiddleware. API requests carry no session user; their authentication
    class names the key, carrier or device (`audit_actor_name`) once DRF has checked it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        with audit_actor(label=user_label(user) if signed_in else "anonymous",
                         kind=ActorKind.USER if signed_in else ActorKind.SYSTEM,
                         user=user if signed_in else None, ip=_recorded_ip(client_ip(request))):
            return self.get_response(request)


# --- Registration -------------------------------------------------------------------------------------------


def audit_register(model: type[Model], *, exclude: tuple[str, ...] = (), mask: tuple[str, ...] = ()) -> None:
    """Record every change of `model`'s own columns, except `exclude`; `mask` ones read as `MASK`.

    Named columns, not auditlog's default of every field: that default also walks the reverse relations
    (a merchant's deliveries, a delivery's events), writing junk values and querying each reverse
    one-to-one on every creation.
    """
    from auditlog.registry import auditlog

    fields = [f.name for f in model._meta.concrete_fields if f.name not in exclude and not f.primary_key]
    auditlog.register(model, include_fields=fields, mask_fields=list(mask))


# --- Domain events ------------------------------------------------------------------------------------------


def _masked_fields(model: type[Model]) -> set[str]:
    from auditlog.registry import auditlog

    return set(auditlog.get_model_fields(model)["mask_fields"]) if auditlog.contains(model) else set()


def audit_event(*, instance: Model, event: str, summary: str,
                changes: dict[str, tuple[Any, Any]] | None = None) -> LogEntry | None:
    """Record one domain event on `instance`: `event` names it ("delivery.rescheduled"), `summary` says it
    in a sentence, `changes` gives {field: (before, after)} as they should read. Fields the model's
    registration masks are written as `MASK`. Call it inside the transaction of the change, so an action
    that rolls back leaves no entry. Returns None while auditlog is disabled (`disable_auditlog()`)."""
    from auditlog.context import auditlog_disabled
    from auditlog.models import LogEntry

    if auditlog_disabled.get():
        return None
    masked = _masked_fields(type(instance))
    diff = {
        name: [mask_value(_text(before)) if name in masked else _text(before),
               mask_value(_text(after)) if name in masked else _text(after)]
        for name, (before, after) in (changes or {}).items()
    }
    return LogEntry.objects.log_create(
        instance, force_log=True, action=LogEntry.Action.UPDATE, changes=diff,
        additional_data={"event": event, "summary": summary},
    )


def _text(value: Any) -> str:
    return "None" if value is None else str(value)


# --- Reading ------------------------------------------------------------------------------------------------


def audit_who(entry: LogEntry) -> str:
    """Who made the change, as every page shows it: the label recorded at the time (a user renamed or
    deleted since still reads as they were), else the user, else the system."""
    data = entry.additional_data or {}
    if data.get("actor"):
        return str(data["actor"])
    if entry.actor is not None:
        return user_label(entry.actor)
    return "system"


def audit_summary(entry: LogEntry) -> str:
    from auditlog.models import LogEntry

    data = entry.additional_data or {}
    if data.get("summary"):
        return str(data["summary"])
    name = entry.content_type.model_class()._meta.verbose_name if entry.content_type.model_class() else "record"
    verb = {LogEntry.Action.CREATE: "Created", LogEntry.Action.UPDATE: "Changed",
            LogEntry.Action.DELETE: "Deleted"}.get(entry.action, "Logged")
    return f"{verb} {name}"


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str
    hidden: bool


def audit_changes(entry: LogEntry) -> list[FieldChange]:
    """The entry's before/after per field, named as the model names them; masked fields say only that they
    changed (the stored value is already the mask, this keeps even that out of sight)."""
    model = entry.content_type.model_class()
    masked = _masked_fields(model) if model is not None else set()
    rows = []
    for name, values in (entry.changes_dict or {}).items():
        before, after = (list(values) + ["", ""])[:2] if isinstance(values, list | tuple) else ("", str(values))
        label = name
        choices: dict = {}
        if model is not None:
            try:
                model_field = model._meta.get_field(name)
                label = capfirst(str(getattr(model_field, "verbose_name", name)))
                choices = {str(k): str(v) for k, v in (getattr(model_field, "choices", None) or [])}
            except FieldDoesNotExist:
                pass  # a field since removed still shows under its stored name
        rows.append(FieldChange(
            field=label, before=choices.get(str(before), str(before)), after=choices.get(str(after), str(after)),
            hidden=name in masked,
        ))
    return rows
