"""The people around a merchant's settings: its owner, its other staff, another shop's owner, a superuser."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from merchants.models import StaffMembership


def make_user(username: str, *, superuser: bool = False):
    users = get_user_model().objects
    if superuser:
        return users.create_superuser(username, f"{username}@example.com", "pw")
    return users.create_user(username, f"{username}@example.com", "pw")


def staff_of(merchant, username: str, role: str):
    user = make_user(username)
    StaffMembership.objects.create(user=user, merchant=merchant, role=role)
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(merchant):
    """Olivia owns Fresh Basket (the `merchant` fixture)."""
    return staff_of(merchant, "olivia", StaffMembership.Role.OWNER)


@pytest.fixture
def rival(outsider_merchant):
    """Rachel owns Other Shop, and nothing of Fresh Basket."""
    return staff_of(outsider_merchant, "rachel", StaffMembership.Role.OWNER)


@pytest.fixture
def superuser(db):
    return make_user("sam", superuser=True)


@pytest.fixture
def as_owner(owner) -> Client:
    return signed_in(owner)


@pytest.fixture
def as_rival(rival) -> Client:
    return signed_in(rival)
