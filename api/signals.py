"""What the API does when portal or thirdparty announce something (connected in ApiConfig.ready)."""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from api.exports import export_files_delete
from api.models import ExportJob
from portal.signals import registration_code_rotated
from thirdparty import webhooks
from thirdparty.models import Agreement, ApiKey, Organization

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


@receiver(post_save, sender=Agreement, dispatch_uid="api.export_files_of_ended_agreement")
def delete_exports_of_ended_agreement(sender, instance, **kwargs):
    """An agreement that ended takes its exports' files with it (their links already stopped working)."""
    if instance.status != Agreement.Status.ACTIVE:
        pk = instance.pk
        transaction.on_commit(lambda: export_files_delete(ExportJob.objects.filter(agreement_id=pk)))


@receiver(post_save, sender=ApiKey, dispatch_uid="api.export_files_of_revoked_key")
def delete_exports_of_revoked_key(sender, instance, **kwargs):
    """So does a revoked API key."""
    if instance.revoked_at is not None:
        pk = instance.pk
        transaction.on_commit(lambda: export_files_delete(ExportJob.objects.filter(api_key_id=pk)))
