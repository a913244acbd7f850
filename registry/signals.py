"""Signals for apps above the registry (the dependency runs one way: they listen)."""

from django.dispatch import Signal

# Sent inside the registration's transaction, after its audit event, with
# ``version`` and ``actor``: a receiver's writes commit or roll back with it.
version_registered = Signal()
