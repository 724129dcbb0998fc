"""Merchants' error codes and its one domain exception type."""

from enum import StrEnum

from core.errors import DomainError


class MerchantErrorCode(StrEnum):
    ORIGIN_INVALID = "origin_invalid"
    ORIGIN_DUPLICATE = "origin_duplicate"


class MerchantError(DomainError):
    """A merchants rule refused the change."""
