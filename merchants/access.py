"""Who may see and do what, for every staff page, action, data endpoint and export: the one policy.

A user stands towards the site in two ways, which add up:

- as **platform staff** (`PlatformRole`: the people who run the fleet and the care desk for every
  merchant), whose permissions hold for every merchant, and the superuser, who may do anything;
- as **merchant staff** (`StaffMembership`: owner, dispatcher, care, viewer), whose permissions hold
  for that merchant's deliveries, exceptions, messages and settings only.

Views never test roles themselves: they ask `access_for(request)` (computed once per request) for
`may(...)`, for the merchant ids a permission reaches (`merchant_ids(...)`, None meaning every
merchant), or scope a queryset with `scoped(...)`. A row of a merchant the user cannot see does not
exist for them (404); a row they can see but not change answers 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from merchants.models import PlatformRole, StaffMembership


class Perm(StrEnum):
    CARE_VIEW = "care.view"  # search, journeys, the exception queue, KPIs, the messages customers were sent
    CARE_ACT = "care.act"  # reschedule on the customer's behalf, edit instructions, open/take/resolve exceptions
    ACCESS_NOTES_VIEW = "care.access_notes"  # door codes and access notes
    DISPATCH_VIEW = "dispatch.view"  # a depot's plan, map and timeline (other merchants' stops masked)
    REPLAN = "dispatch.replan"  # ask for a re-plan of a depot's day that holds the merchant's jobs
    FLEET_ACT = "dispatch.fleet"  # change the fleet itself: mark a vehicle lost
    SETTINGS_EDIT = "merchants.settings"  # brand, origins, keys, webhooks, message templates
    AUDIT_ADDRESSES = "audit.addresses"  # the IP address behind each audit entry (customers' among them)


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    StaffMembership.Role.OWNER: frozenset({Perm.CARE_VIEW, Perm.CARE_ACT, Perm.ACCESS_NOTES_VIEW, Perm.DISPATCH_VIEW,
                                           Perm.REPLAN, Perm.SETTINGS_EDIT}),
    StaffMembership.Role.DISPATCHER: frozenset({Perm.CARE_VIEW, Perm.ACCESS_NOTES_VIEW, Perm.DISPATCH_VIEW,
                                                Perm.REPLAN}),
    StaffMembership.Role.CARE: frozenset({Perm.CARE_VIEW, Perm.CARE_ACT, Perm.ACCESS_NOTES_VIEW}),
    StaffMembership.Role.VIEWER: frozenset({Perm.CARE_VIEW, Perm.DISPATCH_VIEW}),
}

PLATFORM_PERMISSIONS: dict[str, frozenset[Perm]] = {
    PlatformRole.Role.DISPATCHER: frozenset({Perm.CARE_VIEW, Perm.ACCESS_NOTES_VIEW, Perm.DISPATCH_VIEW, Perm.REPLAN,
                                             Perm.FLEET_ACT, Perm.AUDIT_ADDRESSES}),
    PlatformRole.Role.CARE: frozenset({Perm.CARE_VIEW, Perm.CARE_ACT, Perm.ACCESS_NOTES_VIEW, Perm.AUDIT_ADDRESSES}),
}

EVERYTHING = frozenset(Perm)


@dataclass(frozen=True)
class Access:
    """What one user may do: permissions over every merchant, and per merchant id."""

    everywhere: frozenset[Perm] = frozenset()
    by_merchant: dict[int, frozenset[Perm]] = field(default_factory=dict)

    def may(self, perm: Perm, merchant_id: int | None = None) -> bool:
        """True when the user holds `perm` for this merchant; without a merchant, for at least one."""
        if perm in self.everywhere:
            return True
        if merchant_id is None:
            return any(perm in perms for perms in self.by_merchant.values())
        return perm in self.by_merchant.get(merchant_id, frozenset())

    def merchant_ids(self, perm: Perm) -> frozenset[int] | None:
        """The merchants `perm` reaches; None when it reaches every merchant."""
        if perm in self.everywhere:
            return None
        return frozenset(mid for mid, perms in self.by_merchant.items() if perm in perms)

    def scoped(self, queryset: QuerySet, perm: Perm, *, path: str = "merchant") -> QuerySet:
        """The queryset cut down to the rows whose merchant (reached through `path`) `perm` reaches."""
        ids = self.merchant_ids(perm)
        return queryset if ids is None else queryset.filter(**{f"{path}__in": ids})

    def require(self, perm: Perm, merchant_id: int | None = None) -> None:
        if not self.may(perm, merchant_id):
            raise PermissionDenied(PERMISSION_MESSAGES.get(perm, "Your role does not allow this."))


PERMISSION_MESSAGES = {
    Perm.CARE_VIEW: "Your role does not include the care console.",
    Perm.CARE_ACT: "Your role may look at this delivery but not change it.",
    Perm.DISPATCH_VIEW: "Your role does not include the dispatch console.",
    Perm.REPLAN: "Your role may look at plans but not re-plan.",
    Perm.FLEET_ACT: "Only the platform's dispatchers change the fleet.",
    Perm.SETTINGS_EDIT: "Only the merchant's owners change its settings.",
}


def access_of_user(user) -> Access:
    """The user's permissions, read from their platform role and merchant memberships."""
    if not user.is_authenticated or not user.is_active:
        return Access()
    if user.is_superuser:
        return Access(everywhere=EVERYTHING)
    platform = PlatformRole.objects.filter(user=user).values_list("role", flat=True).first()
    by_merchant = {merchant_id: ROLE_PERMISSIONS[role]
                   for merchant_id, role in StaffMembership.objects.filter(user=user).values_list("merchant_id", "role")}
    return Access(everywhere=PLATFORM_PERMISSIONS.get(platform, frozenset()), by_merchant=by_merchant)


def access_for(request) -> Access:
    """The requesting user's Access, computed once per request."""
    access = getattr(request, "_access", None)
    if access is None:
        access = request._access = access_of_user(request.user)
    return access


def staff_page(perm: Perm):
    """A staff page or action: signed in (else the sign-in page), and holding `perm` for some merchant (else 403).

    Per-row checks (which merchant's delivery, plan or exception) are the view's, through `access_for`.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access_for(request).require(perm)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def merchant_q(ids: Iterable[int] | None, *, path: str = "merchant") -> Q:
    """A filter for rows of these merchants (every row when ids is None), for selectors that take merchant_ids."""
    return Q() if ids is None else Q(**{f"{path}__in": list(ids)})
