"""Signals the core apps send, for the apps that plug into them (the Escarcelle connector).

A receiver is connected in its own app's ``AppConfig.ready()``: the core never imports it.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by ``distribution_validate`` inside its transaction, once the orders are delivered, the
# hand-managed stock decremented and the distribution marked validated; keyword argument
# ``distribution``. Sent with ``send`` (not ``send_robust``): a receiver that raises rolls the
# whole validation back, so a validated distribution and what its receivers wrote (the sales
# outbox) are committed together or not at all. Work outside the database (queueing a task)
# belongs in ``transaction.on_commit``.
distribution_validated = Signal()

# Sent by ``distribution_open_now`` inside its transaction, once the orders are open; keyword
# argument ``distribution``. The notifications app tells the beneficiaries.
orders_opened = Signal()

# Sent by ``order_confirm`` and ``order_cancel`` inside their transaction; keyword arguments
# ``order`` and ``change`` ("confirmed", "changed" or "cancelled"). A receiver must not fail
# the order: the notifications app writes in a savepoint and logs its own errors.
order_changed = Signal()
