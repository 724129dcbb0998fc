"""The API's one exception handler: every error it answers has a code and a message a person can act on."""

from rest_framework import exceptions

from core.errors import api_exception_handler


def test_a_validation_error_without_details_still_says_what_is_wrong():
    response = api_exception_handler(exceptions.ValidationError({}), {})

    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid_request"
    assert response.data["error"]["message"] == "The request is invalid."


def test_a_field_error_is_named_in_the_message_and_listed_by_field():
    response = api_exception_handler(exceptions.ValidationError({"recipient": {"phone": ["Not a number."]}}), {})

    error = response.data["error"]
    assert error["fields"] == {"recipient.phone": ["Not a number."]}
    assert error["message"] == "Some fields are invalid. recipient.phone: Not a number."


def test_an_unacceptable_accept_header_has_its_own_code():
    response = api_exception_handler(exceptions.NotAcceptable(), {})

    assert response.status_code == 406
    assert response.data["error"]["code"] == "not_acceptable"
    assert "application/json" in response.data["error"]["message"]
