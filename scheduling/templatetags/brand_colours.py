"""{{ colour|ink }}: the text colour that reads at WCAG AA on a merchant's colour (core.contrast)."""

from django import template

from core.contrast import readable_ink

register = template.Library()


@register.filter
def ink(colour: str) -> str:
    return readable_ink(colour)
