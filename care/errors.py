from enum import StrEnum

from core.errors import DomainError


class CareErrorCode(StrEnum):
    EXCEPTION_TAKEN = "exception_taken"
    EXCEPTION_NOT_YOURS = "exception_not_yours"
    EXCEPTION_RESOLVED = "exception_resolved"
    RESOLUTION_REQUIRED = "resolution_required"
    INVALID_EXCEPTION = "invalid_exception"
    ESCALATION_REASON_REQUIRED = "escalation_reason_required"
    ESCALATION_AT_TOP = "escalation_at_top"
    INVALID_PLAYBOOK_RULE = "invalid_playbook_rule"
    NOTE_INVALID = "note_invalid"
    LINK_NOT_SENT = "link_not_sent"
    CANCEL_REASON_REQUIRED = "cancel_reason_required"


class CareError(DomainError):
    """A care action the rules refuse (someone else owns the exception, a field is missing...)."""
