"""Signed webhooks to third parties. ``webhook_send(*, organization, event, data)`` is the public entry point."""


def webhook_send(*, organization, event: str, data: dict, application=None):
    from thirdparty.webhooks.delivery import webhook_send as _send

    return _send(organization=organization, event=event, data=data, application=application)
