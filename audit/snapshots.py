from django.db import models


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """The instance's concrete field values, keyed by attribute name, for before/after."""
    return {
        field.attname: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        if field.attname not in exclude
    }


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, so an audit row shows what changed."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
