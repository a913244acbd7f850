"""How people are named on pages: full name, else username, else a placeholder."""

from django import template

register = template.Library()


@register.filter
def person(user, missing="—"):
    """``{{ model.developer|person:"not assigned" }}``; safe for a missing (None) user."""
    if user is None or not getattr(user, "pk", None):
        return missing
    return user.get_full_name() or user.get_username()
