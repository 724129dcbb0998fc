"""Guessing a password stops after a few tries: the user name is locked at that address for a while."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from demo.seeding import DEMO_PASSWORD, DEMO_USERNAME, seed_demo_user

pytestmark = pytest.mark.django_db

OFFICE, ELSEWHERE = "198.51.100.20", "203.0.113.30"


@pytest.fixture
def owner(db):
    return User.objects.create_user("fresh-owner", password="right-horse-battery")


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def sign_in(password, username="fresh-owner", address=OFFICE, path="/accounts/login/"):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def test_the_right_password_signs_in(owner):
    assert sign_in("right-horse-battery").status_code == 302


def test_a_wrong_password_is_answered_with_the_form_until_the_limit(owner):
    answers = [sign_in("wrong").status_code for _ in range(2)]

    assert answers == [200, 200]
    assert sign_in("right-horse-battery").status_code == 302


def test_after_the_limit_even_the_right_password_is_refused_with_a_readable_page(owner):
    for _ in range(3):
        sign_in("wrong")

    locked = sign_in("right-horse-battery")

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    page = locked.content.decode()
    assert "Too many sign-in attempts" in page and "15 minutes" in page
    assert 'href="/accounts/login/">Try again</a>' in page


def test_the_admin_sign_in_locks_the_same_way(owner):
    for _ in range(3):
        sign_in("wrong", path="/admin/login/")

    assert sign_in("right-horse-battery", path="/admin/login/").status_code == 429


def test_a_locked_name_still_signs_in_from_another_address(owner):
    for _ in range(3):
        sign_in("wrong")

    assert sign_in("right-horse-battery", address=ELSEWHERE).status_code == 302


def test_a_colleague_at_the_same_address_is_not_locked_out(owner):
    User.objects.create_user("colleague", password="another-long-secret")
    for _ in range(3):
        sign_in("wrong")

    assert sign_in("another-long-secret", username="colleague").status_code == 302


def test_signing_in_resets_the_count(owner):
    for _ in range(2):
        sign_in("wrong")
    sign_in("right-horse-battery")

    assert [sign_in("wrong").status_code for _ in range(2)] == [200, 200]


def test_the_lock_lifts_after_the_cool_off(owner):
    for _ in range(3):
        sign_in("wrong")
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))

    assert sign_in("right-horse-battery").status_code == 302


def test_the_demo_account_signs_in_with_the_readmes_credentials():
    seed_demo_user()

    assert sign_in(DEMO_PASSWORD, username=DEMO_USERNAME).status_code == 302


@pytest.mark.django_db(transaction=True)
async def test_under_daphne_the_lock_out_is_the_same_readable_page(owner):
    # Served through ASGI, the lock-out's middleware takes its asynchronous path.
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    browser = AsyncClient(REMOTE_ADDR=OFFICE)
    for _ in range(3):
        await browser.post("/accounts/login/", {"username": "fresh-owner", "password": "wrong"})

    locked = await browser.post("/accounts/login/", {"username": "fresh-owner", "password": "right-horse-battery"})

    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "Too many sign-in attempts" in locked.content.decode()
    assert await sync_to_async(AccessAttempt.objects.count)() == 1
