"""What han announces: ``device_status_changed(device=Device)``, ``message_status_changed(message=DeviceMessage)``
(sent once the change is committed; webhooks listen)."""

from django.dispatch import Signal

device_status_changed = Signal()
message_status_changed = Signal()
