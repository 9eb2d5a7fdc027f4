"""What the API does when portal announces something (connected in ApiConfig.ready)."""

import logging

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.models import PremiseRegistration, ServicePeriod
from portal.signals import registration_code_rotated
from thirdparty import webhooks
from thirdparty.access import cache_bump
from thirdparty.models import AccessToken, Agreement, AgreementPremise, ApiKey, Application, Organization

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


def _connect_access_cache_invalidation():
    """Any change to who may see what voids the cached credentials and grants in every process."""
    for model in (
        AccessToken,
        Agreement,
        AgreementPremise,
        ApiKey,
        Application,
        Organization,
        ServicePeriod,
        PremiseRegistration,
    ):
        for name, sig in (("save", post_save), ("delete", post_delete)):
            sig.connect(cache_bump, sender=model, dispatch_uid=f"api.access_cache.{name}.{model.__name__}")


_connect_access_cache_invalidation()
