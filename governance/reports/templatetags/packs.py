from django import template

from governance.reports.permissions import can_use_packs

register = template.Library()


@register.filter
def may_use_packs(user, model) -> bool:
    return can_use_packs(user, model)
