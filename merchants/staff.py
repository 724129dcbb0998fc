"""Who may open a merchant's settings: its owners, and the site's superusers. One place for the rule."""

from __future__ import annotations

from dataclasses import dataclass

from merchants.access import ROLE_PERMISSIONS, Perm
from merchants.models import Merchant, StaffMembership

# The roles that may see and change a merchant's settings (its keys and webhook secrets among them): the policy's.
SETTINGS_ROLES = frozenset(role for role, perms in ROLE_PERMISSIONS.items() if Perm.SETTINGS_EDIT in perms)
SUPERUSER = "superuser"


@dataclass(frozen=True)
class SettingsPlace:
    """One merchant as one user stands towards its settings."""

    merchant: Merchant
    role: str  # a StaffMembership role, or SUPERUSER
    role_label: str

    @property
    def may_edit(self) -> bool:
        return self.role == SUPERUSER or self.role in SETTINGS_ROLES


def settings_places(*, user) -> list[SettingsPlace]:
    """Every merchant this user is staff of (a superuser: every merchant), by name."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return [SettingsPlace(merchant=merchant, role=SUPERUSER, role_label="Site administrator")
                for merchant in Merchant.objects.order_by("name")]
    memberships = StaffMembership.objects.filter(user=user).select_related("merchant").order_by("merchant__name")
    return [SettingsPlace(merchant=m.merchant, role=m.role, role_label=m.get_role_display()) for m in memberships]


def settings_place(*, user, slug: str) -> SettingsPlace | None:
    """How this user stands towards the merchant `slug`; None when they are not its staff (or it does not exist)."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        merchant = Merchant.objects.filter(slug=slug).first()
        return SettingsPlace(merchant=merchant, role=SUPERUSER, role_label="Site administrator") if merchant else None
    membership = StaffMembership.objects.filter(user=user, merchant__slug=slug).select_related("merchant").first()
    if membership is None:
        return None
    return SettingsPlace(merchant=membership.merchant, role=membership.role, role_label=membership.get_role_display())
