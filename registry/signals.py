"""Signals for apps above the registry (the dependency runs one way: they listen)."""

from django.dispatch import Signal

# Sent inside the registration's transaction, after its audit event, with
# ``version`` and ``actor``: a receiver's writes commit or roll back with it.
version_registered = Signal()

# Sent inside ``update_model``'s transaction when the model's owner, developer or
# validator changed, with ``model``, ``actor``, ``changed`` (the role names) and
# ``reason``: the workflow restarts the reviews under way.
model_people_changed = Signal()
