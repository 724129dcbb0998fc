"""Support hours are days and times, so each customer reads them in their own language."""

import datetime as dt
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import translation

from merchants.brand import support_hours_label
from tests.factories import DeliveryFactory, MerchantFactory

NINE, SIX = dt.time(9), dt.time(18)


@pytest.mark.parametrize(("days", "english", "french"), [
    ([1, 2, 3, 4, 5, 6], "Mon–Sat 9:00–18:00", "lun.–sam. 9:00–18:00"),
    ([1, 2, 3, 4, 5, 7], "Mon–Fri, Sun 9:00–18:00", "lun.–ven., dim. 9:00–18:00"),
    ([1, 2, 4, 5], "Mon, Tue, Thu, Fri 9:00–18:00", "lun., mar., jeu., ven. 9:00–18:00"),
    ([6], "Sat 9:00–18:00", "sam. 9:00–18:00"),
    ([7, 1, 2, 3, 4, 5, 6], "every day 9:00–18:00", "tous les jours 9:00–18:00"),
])
def test_the_hours_are_written_in_the_readers_language(days, english, french):
    with translation.override("en"):
        assert support_hours_label(days=days, opens=NINE, closes=SIX) == english
    with translation.override("fr"):
        assert support_hours_label(days=days, opens=NINE, closes=SIX) == french


def test_the_note_follows_the_hours_as_written_and_stands_alone_without_them():
    assert support_hours_label(days=[1], opens=dt.time(8, 30), closes=SIX, note="fermé les jours fériés") == (
        "Mon 8:30–18:00 · fermé les jours fériés")
    assert support_hours_label(days=[], opens=None, closes=None, note="24/7") == "24/7"
    assert support_hours_label(days=[], opens=None, closes=None) == ""


@pytest.mark.django_db
def test_a_merchant_cannot_close_before_it_opens_nor_answer_on_a_day_that_is_not_one():
    merchant = MerchantFactory.build(support_days=[1, 2], support_opens=SIX, support_closes=NINE)
    with pytest.raises(ValidationError, match="Give a time after 18:00"):
        merchant.full_clean()
    merchant.support_opens, merchant.support_closes, merchant.support_days = NINE, SIX, [0, 8]
    with pytest.raises(ValidationError, match="ISO weekdays"):
        merchant.full_clean()


@pytest.mark.django_db
def test_days_and_times_come_together_whoever_writes_them():
    # The rule lives with the merchant, so the admin and any service meet it, not only the settings form.
    with pytest.raises(ValidationError) as refused:
        MerchantFactory.build(support_days=[1, 2]).full_clean()
    assert set(refused.value.message_dict) == {"support_opens", "support_closes"}
    with pytest.raises(ValidationError) as refused:
        MerchantFactory.build(support_opens=NINE, support_closes=SIX).full_clean()
    assert "Tick the days you answer" in refused.value.message_dict["support_days"][0]


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_closing_time_before_the_opening_time():
    with pytest.raises(IntegrityError):
        MerchantFactory(support_days=[1], support_opens=SIX, support_closes=NINE)


@pytest.mark.django_db
def test_the_french_tracking_page_and_the_english_one_each_read_the_hours_in_their_language(client):
    merchant = MerchantFactory(languages=["fr", "en"], support_email="aide@shop.example",
                               support_days=[1, 2, 3, 4, 5, 6], support_opens=dt.time(8), support_closes=dt.time(20))
    delivery = DeliveryFactory(window__template__merchant=merchant)

    french = client.get(f"/t/{delivery.tracking_token}/?lang=fr").content.decode()
    english = client.get(f"/t/{delivery.tracking_token}/?lang=en").content.decode()

    assert "Ouvert lun.–sam. 8:00–20:00" in french
    assert "Open Mon–Sat 8:00–20:00" in english


_migration = importlib.import_module("merchants.migrations.0006_support_hours_as_days_and_times")


@pytest.mark.parametrize(("text", "read"), [
    ("Mon–Sat 9:00–18:00", ([1, 2, 3, 4, 5, 6], NINE, SIX)),
    ("lun.–sam. 8:00–20:00", ([1, 2, 3, 4, 5, 6], dt.time(8), dt.time(20))),
    ("lun.–ven. 8h30–19h", ([1, 2, 3, 4, 5], dt.time(8, 30), dt.time(19))),
    ("Mon, Wed, Fri 10:00-16:00", ([1, 3, 5], dt.time(10), dt.time(16))),
    ("Mon–Fri: 9:00 – 17:30", ([1, 2, 3, 4, 5], NINE, dt.time(17, 30))),
    # Not the usual shape: the whole text stays, as the note.
    ("closed on Sundays", None), ("24/7", None), ("Sat-Mon 9-5", None), ("Lundi au vendredi 9h-18h", None),
    ("Mon–Sat 9:00–18:00, Sun 10-12", None),
])
def test_the_migration_reads_the_usual_shapes_of_the_old_text_and_leaves_the_rest(text, read):
    assert _migration._read(text) == read


BEFORE = [("merchants", "0005_platformrole")]
AFTER = [("merchants", "0006_support_hours_as_days_and_times")]


def test_the_migration_turns_old_text_into_days_and_times_and_keeps_what_it_cannot_read(migrator):
    migrator.migrate(BEFORE)
    old = migrator.loader.project_state(BEFORE).apps.get_model("merchants", "Merchant")
    for slug, text in [("fresh", "lun.–sam. 8:00–20:00"), ("odd", "24/7 sauf Noël"), ("none", "")]:
        old.objects.create(slug=slug, name=slug, brand_name=slug, languages=["fr"], support_hours=text)

    migrator.loader.build_graph()
    migrator.migrate(AFTER)
    new = migrator.loader.project_state(AFTER).apps.get_model("merchants", "Merchant")
    rows = {slug: rest for slug, *rest in new.objects.values_list(
        "slug", "support_days", "support_opens", "support_closes", "support_note")}
    assert rows == {"fresh": [[1, 2, 3, 4, 5, 6], dt.time(8), dt.time(20), ""],
                    "odd": [[], None, None, "24/7 sauf Noël"], "none": [[], None, None, ""]}

    migrator.loader.build_graph()
    migrator.migrate(BEFORE)
    old = migrator.loader.project_state(BEFORE).apps.get_model("merchants", "Merchant")
    assert dict(old.objects.values_list("slug", "support_hours")) == {
        "fresh": "Mon, Tue, Wed, Thu, Fri, Sat 08:00–20:00", "odd": "24/7 sauf Noël", "none": ""}
