from enum import StrEnum

from core.errors import DomainError


class CareErrorCode(StrEnum):
    EXCEPTION_TAKEN = "exception_taken"
    EXCEPTION_NOT_YOURS = "exception_not_yours"
    EXCEPTION_RESOLVED = "exception_resolved"
    RESOLUTION_REQUIRED = "resolution_required"
    INVALID_EXCEPTION = "invalid_exception"


class CareError(DomainError):
    """A care action the rules refuse (someone else owns the exception, a field is missing...)."""
