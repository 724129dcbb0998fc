"""Domain errors and the single DRF exception handler.

Every app defines an error-code enum and raises `DomainError` (or a subclass)
with one of its codes. The handler below turns it, and DRF's own errors, into
`{"error": {"code", "message", "fields", ...}}` with the right status.
"""

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def error_body(code: StrEnum | str, message: str, **details: Any) -> dict[str, Any]:
    """The one shape of every API error: `{"error": {"code", "message", ...}}`."""
    return {"error": {"code": str(code), "message": message, **details}}


class DomainError(Exception):
    """A rule of the domain refused the request; `code` is stable and machine-readable."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: StrEnum | str,
        message: str,
        *,
        status_code: int | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = str(code)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.fields = fields or {}
        self.extra = extra or {}

    def as_body(self) -> dict[str, Any]:
        details: dict[str, Any] = {"fields": self.fields} if self.fields else {}
        return error_body(self.code, self.message, **details, **self.extra)


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for sub_name, messages in flatten_field_errors(value, name).items():
                fields.setdefault(sub_name, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                fields.update(flatten_field_errors(item, f"{prefix}[{index}]"))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


_DRF_CODES = {
    exceptions.ParseError: ("malformed_request", "The request body could not be parsed: {detail}"),
    exceptions.NotAuthenticated: ("not_authenticated", "{detail}"),
    exceptions.AuthenticationFailed: ("invalid_api_key", "{detail}"),
    exceptions.PermissionDenied: ("permission_denied", "{detail}"),
    exceptions.NotFound: ("not_found", "{detail}"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "{detail}"),
    exceptions.NotAcceptable: ("not_acceptable", "{detail} This API answers application/json."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "{detail}"),
    exceptions.Throttled: ("rate_limited", "{detail}"),
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response(exc.as_body(), status=exc.status_code)
        if "retry_after" in exc.extra:  # a refusal that passes with time says when
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_field_errors(exc.detail)
        summary = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
        response.data = error_body("invalid_request", f"Some fields are invalid. {summary}" if fields
                                   else "The request is invalid.", fields=fields)
    else:
        code, template = next(
            ((c, t) for cls, (c, t) in _DRF_CODES.items() if isinstance(exc, cls)),
            ("error", "{detail}"),
        )
        details = {"retry_after": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait else {}
        response.data = error_body(code, template.format(detail=getattr(exc, "detail", str(exc))), **details)
    return response
