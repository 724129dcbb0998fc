"""How the API's errors appear in its OpenAPI schema.

Every operation documents what it can answer. A view declares its own outcomes (its
domain errors: 404 `delivery_not_found`, 409 `window_full` …); the answers every
view of a kind can give come from how it is built, and `ApiAutoSchema` adds them so no
view can forget one:

- 400 and 415 where the operation reads a body or a query (bad values, a body that is
  not JSON or not the declared content type);
- 404 where the path holds a value (nothing has it, or the path does not take it);
- 401 and 403 where a key is needed (none or an unknown one; a key that may not do it);
- 406 and 503 everywhere (an Accept header other than JSON; the database briefly away);
- 429 where the view is rate limited (its credential's or its client's budget is spent).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "string", "minLength": 1})
class NonEmptyCharField(serializers.CharField):
    """A string the API always fills: an error without a code or a message is a bug, and the schema says so."""


class ErrorDetailSerializer(serializers.Serializer):
    code = NonEmptyCharField(help_text="Stable and machine-readable, e.g. `window_full`; branch on this.")
    message = NonEmptyCharField(help_text="What went wrong and what to do, for a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Messages per invalid field (nested fields as `recipient.phone`).",
    )
    retry_after = serializers.IntegerField(
        required=False, help_text="On a 429: the seconds to wait before retrying, as in `Retry-After`.")


class ErrorSerializer(serializers.Serializer):
    """Every API error: `{"error": {"code", "message", "fields"?, …}}`; some codes add details (`alternatives`)."""

    error = ErrorDetailSerializer()


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."},
}

# What a view of a kind can answer whatever it does; a view's own declaration of a status wins.
_BODY_OR_QUERY = {
    400: "Invalid input: `invalid_request` with `fields`, or `malformed_request` for a body that does not parse.",
}
_BODY = {
    415: "The body's Content-Type is not one this operation reads (`unsupported_media_type`).",
}
_PATH = {
    404: "Nothing here: no object of yours has this id, or the path does not take this value (`not_found`, "
         "`route_not_found`).",
}
_KEYED = {
    401: "No key, or an unknown or revoked one (`not_authenticated`, `invalid_api_key`).",
    403: "The key may not do this (`permission_denied`), e.g. a publishable key sent from an origin "
         "the merchant has not registered.",
}
_THROTTLED = {
    429: "Too many requests: this key's (or this client's) budget is spent (`rate_limited`); retry after "
         "`Retry-After` seconds.",
}
_EVERYWHERE = {
    406: "The Accept header asks for something other than JSON (`not_acceptable`).",
    503: "The database is briefly unavailable and nothing was saved (`service_unavailable`); "
         "retry after `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        reads_body = "requestBody" in operation
        reads_query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", []))
        names_in_path = any(parameter.get("in") == "path" for parameter in operation.get("parameters", []))
        keyed = bool(self.view.authentication_classes or self.view.permission_classes)
        throttled = bool(self.view.throttle_classes)
        answers = {
            **(_BODY_OR_QUERY if reads_body or reads_query else {}),
            **(_BODY if reads_body else {}),
            **(_PATH if names_in_path else {}),
            **(_KEYED if keyed else {}),
            **(_THROTTLED if throttled else {}),
            **_EVERYWHERE,
        }
        responses = operation.setdefault("responses", {})
        for status_code, description in answers.items():
            if str(status_code) not in responses:
                responses[str(status_code)] = self._get_response_for_code(
                    error_response(description), str(status_code))
        for status_code in ("429", "503"):
            if status_code in responses:
                responses[status_code].setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation
