"""Signed webhooks to third parties. ``webhook_send(*, organization, event, data)`` is the public entry point
(``delivery``: the delivery log, signed POSTs and retries; ``signing``: the signature scheme)."""

from thirdparty.webhooks.delivery import webhook_send

__all__ = ["webhook_send"]
