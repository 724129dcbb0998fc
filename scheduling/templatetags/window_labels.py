"""Template filters that write a window's price, price change and cut-off as scheduling.labels does."""

from django import template
from django.utils import translation

from scheduling import labels
from scheduling.models import Window
from scheduling.windows import window_booking_closes_at

register = template.Library()


def _lang() -> str:
    return translation.get_language() or "en"


@register.filter
def window_price(window: Window) -> str:
    """{{ window|window_price }} → "€3.90" or "Free"."""
    return labels.price_label(amount=window.price_amount, currency=window.currency, lang=_lang())


@register.filter
def price_change(window: Window, current: Window) -> str:
    """{{ window|price_change:delivery.window }} → "+€2.00", "−€1.00" or "no change"."""
    return labels.price_change_label(new=window.price_amount, old=current.price_amount, currency=window.currency,
                                     lang=_lang())


@register.filter
def order_by(window: Window) -> str:
    """{{ window|order_by }} → "Order by 22:00 the day before"."""
    return labels.order_by_label(closes_at=window_booking_closes_at(window), starts_at=window.starts_at,
                                 tz=window.merchant.zone_info)
