"""How a window reads to a shopper, the same on every page that shows one: its price, what moving to it
costs, and until when it may be booked.

The picker writes the same texts in the browser (static/scheduling/picker.js, `formatMoney` and
`orderBy`): English puts the currency symbol first ("€3.90"), French after the amount with a comma
("3,90 €"); a free window reads "Free"; the cut-off is told from the window's own day ("Order by 22:00
the day before"), so it reads the same whatever the shopper's clock says.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
MINUS = "\u2212"
NBSP = "\u00a0"
# French groups thousands with a narrow no-break space.
NARROW_NBSP = "\u202f"


def money(*, amount: Decimal, currency: str, lang: str) -> str:
    """`amount` in `currency` as `lang` writes it, without a sign."""
    amount = abs(Decimal(amount)).quantize(Decimal("0.01"))
    symbol = SYMBOLS.get(currency, currency)
    if lang.startswith("fr"):
        digits = f"{amount:,.2f}".replace(",", NARROW_NBSP).replace(".", ",")
        return f"{digits}{NBSP}{symbol}"
    # A code rather than a symbol ("CHF") needs a space to stay readable.
    return f"{symbol}{NBSP if symbol.isalpha() else ''}{amount:,.2f}"


def price_label(*, amount: Decimal, currency: str, lang: str) -> str:
    """A window's price: "€3.90", or "Free"."""
    if Decimal(amount) == 0:
        return _("Free")
    return money(amount=amount, currency=currency, lang=lang)


def price_change_label(*, new: Decimal, old: Decimal, currency: str, lang: str) -> str:
    """What moving to a window costs compared with the current one: "+€2.00", "−€1.00" or "no change"."""
    change = Decimal(new) - Decimal(old)
    if change == 0:
        return _("no change")
    return ("+" if change > 0 else MINUS) + money(amount=change, currency=currency, lang=lang)


def order_by_label(*, closes_at: dt.datetime, starts_at: dt.datetime, tz: ZoneInfo) -> str:
    """Until when a window may be booked, told from the window's day: "Order by 11:00", "… the day before"."""
    closes, starts = closes_at.astimezone(tz), starts_at.astimezone(tz)
    time = closes.strftime("%H:%M")
    days_before = (starts.date() - closes.date()).days
    if days_before <= 0:
        return _("Order by %(time)s") % {"time": time}
    if days_before == 1:
        return _("Order by %(time)s the day before") % {"time": time}
    return ngettext("Order by %(time)s, %(n)s day before", "Order by %(time)s, %(n)s days before",
                    days_before) % {"time": time, "n": days_before}


_HOUSE_NUMBER = re.compile(r"^\s*\d+\s*(?:bis|ter|quater|[a-z])?\b[\s,]*", re.IGNORECASE)


def street_without_number(line1: str) -> str:
    """The street of an address line without its house number ("12 bis rue de Rivoli" → "rue de Rivoli"), so a
    page opened by a link shows which address is meant without giving away the door."""
    street = _HOUSE_NUMBER.sub("", line1, count=1).strip()
    return street or line1.strip()


def window_span_label(*, starts_at: dt.datetime, ends_at: dt.datetime, tz: ZoneInfo) -> str:
    """A window as staff read it in the audit trail, in the merchant's time: "Tue 02 Jun, 10:00–12:00"."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return f"{start:%a %d %b}, {start:%H:%M}–{end:%H:%M}"
