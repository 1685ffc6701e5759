"""`{{ cents|money:currency }}` (or `{{ money_obj|money }}`): a price as customers read it."""

from django import template

from shop.money import Money

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    """Format integer minor units in `currency`, or a Money; empty for a missing amount."""
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        return str(value)
    if not currency:
        return ""
    try:
        cents = int(value)
    except (TypeError, ValueError):
        return ""
    return str(Money(cents, str(currency)))
