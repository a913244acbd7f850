"""Signals of the workflow for the apps beside it (reports renders the pack of an
approval), so that the workflow need not import them."""

from django.dispatch import Signal

# Sent inside the transaction that records the approval: approval=, actor=.
approval_took_effect = Signal()
