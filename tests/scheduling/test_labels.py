"""A window's price, price change and cut-off read the same on every page, in English and French."""

import datetime as dt
from decimal import Decimal

from django.utils import translation

from scheduling.labels import order_by_label, price_change_label, price_label
from tests.factories import PARIS, local

DAY = dt.date(2026, 6, 2)


def test_english_puts_the_symbol_first_and_french_after_the_amount():
    assert price_label(amount=Decimal("3.90"), currency="EUR", lang="en") == "€3.90"
    assert price_label(amount=Decimal("3.90"), currency="EUR", lang="fr") == "3,90\u00a0€"
    assert price_label(amount=Decimal("1234.5"), currency="EUR", lang="fr") == "1\u202f234,50\u00a0€"
    assert price_label(amount=Decimal("12"), currency="CHF", lang="en") == "CHF\u00a012.00"


def test_a_free_window_says_free_in_the_shoppers_language():
    assert price_label(amount=Decimal("0"), currency="EUR", lang="en") == "Free"
    with translation.override("fr"):
        assert price_label(amount=Decimal("0.00"), currency="EUR", lang="fr") == "Gratuit"


def test_a_price_change_is_signed_and_no_change_says_so():
    assert price_change_label(new=Decimal("5.90"), old=Decimal("3.90"), currency="EUR", lang="en") == "+€2.00"
    assert price_change_label(new=Decimal("2.90"), old=Decimal("3.90"), currency="EUR", lang="en") == "\u2212€1.00"
    assert price_change_label(new=Decimal("3.90"), old=Decimal("3.90"), currency="EUR", lang="en") == "no change"
    with translation.override("fr"):
        assert price_change_label(new=Decimal("3.90"), old=Decimal("3.90"), currency="EUR", lang="fr") == "prix inchangé"
        assert price_change_label(new=Decimal("5.90"), old=Decimal("3.90"), currency="EUR", lang="fr") == "+2,00\u00a0€"


def test_the_cutoff_is_told_from_the_windows_own_day():
    start = local(DAY, 18)
    assert order_by_label(closes_at=local(DAY, 12), starts_at=start, tz=PARIS) == "Order by 12:00"
    assert order_by_label(closes_at=local(DAY - dt.timedelta(days=1), 22), starts_at=start, tz=PARIS) == \
        "Order by 22:00 the day before"
    assert order_by_label(closes_at=local(DAY - dt.timedelta(days=2), 18), starts_at=start, tz=PARIS) == \
        "Order by 18:00, 2 days before"
    with translation.override("fr"):
        assert order_by_label(closes_at=local(DAY - dt.timedelta(days=1), 22), starts_at=start, tz=PARIS) == \
            "Commandez avant 22:00 la veille"


def test_the_cutoff_reads_in_the_merchants_time_zone_whatever_the_server_stores():
    closes_utc = local(DAY, 12).astimezone(dt.UTC)
    assert order_by_label(closes_at=closes_utc, starts_at=local(DAY, 18), tz=PARIS) == "Order by 12:00"
