"""The brand's support contact, as every customer page shows it: `{% support_contact merchant %}`."""

from django import template

from merchants.brand import support_phone_display

register = template.Library()


@register.inclusion_tag("merchants/_support.html")
def support_contact(merchant, heading: bool = True) -> dict:
    phone = merchant.support_phone if merchant is not None else ""
    return {
        "merchant": merchant,
        "heading": heading,
        "phone": phone,
        "phone_display": support_phone_display(phone) if phone else "",
        "email": merchant.support_email if merchant is not None else "",
        "hours": merchant.support_hours if merchant is not None else "",
    }
