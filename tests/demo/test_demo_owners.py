"""Each demo merchant has an owner who signs in with the README's credentials and reaches its settings."""

import pytest
from django.conf import settings
from django.urls import reverse

from demo.seeding import DEMO_OWNERS, DEMO_STAFF, seed_demo_owners, seed_merchants
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


def test_the_demo_seeds_one_user_per_role_who_signs_in_with_the_readmes_credentials(client):
    seed_merchants()
    seed_demo_owners()
    seed_demo_owners()

    expected = {  # username: (care console, dispatch console, a shop's settings)
        "fresh-care": (200, 403, 403), "fresh-viewer": (200, 200, 403), "maison-dispatcher": (200, 200, 403),
        "platform-dispatcher": (200, 200, 403), "platform-care": (200, 403, 403),
    }
    assert {username for username, _slug, _role in DEMO_STAFF} == set(expected)
    readme = (settings.BASE_DIR / "README.md").read_text()
    for username, statuses in expected.items():
        assert f"`{username}`" in readme
        # Through the sign-in form: the lock-out's backend needs the request, which client.login does not give.
        assert client.post(reverse("login"), {"username": username, "password": username}).status_code == 302
        answers = (client.get("/care/").status_code, client.get("/dispatch/").status_code,
                   client.get(reverse("merchants:settings")).status_code)
        assert answers == statuses, username
        client.logout()


def test_the_home_page_links_the_shop_settings(client):
    page = client.get("/").content.decode()

    assert f'href="{reverse("merchants:settings")}"' in page and "Shop settings" in page
