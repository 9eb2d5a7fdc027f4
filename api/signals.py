"""What the API does when portal announces something (connected in ApiConfig.ready)."""

import logging

from django.conf import settings
from django.dispatch import receiver

from portal.signals import registration_code_rotated
from thirdparty import webhooks
from thirdparty.models import Organization

log = logging.getLogger(__name__)

CODE_ROTATED_EVENT = "registration_code.rotated"


@receiver(registration_code_rotated, dispatch_uid="api.registration_code_rotated_webhook")
def notify_rep_of_new_code(sender, period, **kwargs):
    """Tell the REP of record that a premise's registration code changed (it fetches the code by API)."""
    org = Organization.objects.filter(
        rep_id=period.rep_id, kind=Organization.Kind.REP, status=Organization.Status.APPROVED
    ).first()
    if org is None:
        return
    esiid = period.premise.esiid
    data = {
        "esiid": esiid,
        "rotated_at": period.code_rotated_at.isoformat(),
        "url": f"{settings.SITE_URL}/api/v1/premises/{esiid}/registration-code/",
    }
    try:
        webhooks.webhook_send(organization=org, event=CODE_ROTATED_EVENT, data=data)
    except ValueError:
        log.warning("webhook event %s is not registered; REP %s not notified", CODE_ROTATED_EVENT, org.pk)
