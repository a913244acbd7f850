from django import template

from governance.reports.permissions import can_read_inventory_report, can_use_packs

register = template.Library()


@register.filter
def may_use_packs(user, model) -> bool:
    return can_use_packs(user, model)


@register.filter
def may_read_inventory_report(user) -> bool:
    return can_read_inventory_report(user)
