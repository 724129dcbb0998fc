"""Each demo merchant has an owner who signs in with the README's credentials and reaches its settings."""

import pytest
from django.urls import reverse

from demo.seeding import DEMO_OWNERS, seed_demo_owners, seed_merchants
from merchants.models import StaffMembership

pytestmark = pytest.mark.django_db


def test_each_demo_owner_signs_in_to_their_own_shops_settings_only(client):
    seed_merchants()
    seed_demo_owners()
    seed_demo_owners()  # seeding twice changes nothing

    assert DEMO_OWNERS == {"fresh-basket": "fresh-owner", "maison-meuble": "maison-owner"}
    assert StaffMembership.objects.filter(role=StaffMembership.Role.OWNER).count() == 2
    for slug, username in DEMO_OWNERS.items():
        # Through the sign-in form: the lock-out's backend needs the request, which client.login does not give.
        signed_in = client.post(reverse("login"), {"username": username, "password": username})
        assert signed_in.status_code == 302, signed_in.content
        assert client.get(reverse("merchants:settings"))["Location"] == reverse("merchants:settings-brand", args=[slug])
        other = next(other for other in DEMO_OWNERS if other != slug)
        assert client.get(reverse("merchants:settings-brand", args=[other])).status_code == 404
        client.logout()


def test_the_home_page_links_the_shop_settings(client):
    page = client.get("/").content.decode()

    assert f'href="{reverse("merchants:settings")}"' in page and "Shop settings" in page
