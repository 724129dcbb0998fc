"""The schema lists, for every operation, the errors its kind of view can answer, in the one error shape."""

import pytest
from drf_spectacular.generators import SchemaGenerator

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    return [(f"{method.upper()} {path}", operation)
            for path, methods in schema["paths"].items() for method, operation in methods.items()]


def error_schema_of(operation, status):
    return operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]


def test_every_operation_that_needs_a_key_lists_401_and_403_as_errors(schema):
    keyed = [(name, op) for name, op in operations(schema) if op.get("security")]

    assert len(keyed) >= 10
    for name, operation in keyed:
        for status in ("401", "403"):
            assert error_schema_of(operation, status) == ERROR_REF, name


def test_an_operation_open_to_all_lists_no_key_errors(schema):
    ping = schema["paths"]["/api/v1/ping/"]["get"]

    assert not {"401", "403"} & set(ping["responses"])


def test_every_operation_lists_406_and_a_503_with_retry_after(schema):
    for name, operation in operations(schema):
        assert error_schema_of(operation, "406") == ERROR_REF, name
        assert error_schema_of(operation, "503") == ERROR_REF, name
        assert "Retry-After" in operation["responses"]["503"]["headers"], name


def test_reading_a_body_lists_400_and_415_and_a_path_value_lists_404(schema):
    for name, operation in operations(schema):
        if "requestBody" in operation:
            assert {"400", "415"} <= set(operation["responses"]), name
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            assert "404" in operation["responses"], name


def test_a_views_own_account_of_a_status_is_kept(schema):
    booking = schema["paths"]["/api/v1/deliveries/"]["post"]

    assert "window_full" in booking["responses"]["409"]["description"]
    assert "idempotency_key_missing" in booking["responses"]["400"]["description"]


def test_an_error_always_carries_a_code_and_a_message(schema):
    detail = schema["components"]["schemas"]["ErrorDetail"]

    assert set(detail["required"]) == {"code", "message"}
    assert detail["properties"]["code"]["minLength"] == detail["properties"]["message"]["minLength"] == 1
