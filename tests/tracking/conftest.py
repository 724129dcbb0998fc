import pytest
from rest_framework.test import APIClient

from tests.tracking.factories import device_key_for


@pytest.fixture
def driver_api(world):
    """The driver's handheld, signed in with its device key (`world` is the test module's route)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device_key_for(world.driver, 'dk_test_amelie_device')}")
    return client
