"""{{ colour|ink }}: the text colour that reads at WCAG AA on a merchant's colour; {{ merchant|link }}: the brand's
colour for links on light pages (core.contrast)."""

from django import template

from core.contrast import link_colour, readable_ink

register = template.Library()


@register.filter
def ink(colour: str) -> str:
    return readable_ink(colour)


@register.filter
def link(merchant) -> str:
    return link_colour(merchant.accent_colour, merchant.primary_colour)
