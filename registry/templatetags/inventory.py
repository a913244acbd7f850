from django import template

from registry import permissions

register = template.Library()


@register.filter
def editable_by(model, user) -> bool:
    """``{% if model|editable_by:user %}``: may this user change the inventory entry?"""
    return permissions.can_edit_model(user, model)
