"""What thirdparty does when lower layers announce something, and when who-may-see-what changes
(connected in ThirdpartyConfig.ready)."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.accounts.signals import account_deleting
from portal.models import PremiseRegistration, ServicePeriod
from portal.signals import rep_merged, service_period_ended
from thirdparty.access import cache_bump_on_commit
from thirdparty.models import AccessToken, Agreement, AgreementPremise, ApiKey, Application, Organization
from thirdparty.services.agreements import agreements_end_by_move_out, agreements_end_for_deleted_account
from thirdparty.services.onboarding import organization_follow_rep_merge
from thirdparty.tasks import data_available_for_file
from usage.models import IngestFile

log = logging.getLogger(__name__)
PENDING_NOTE = "data.available is queued for the announcement sweep (the broker was unreachable)"

# Saving or deleting any of these changes who may see what: the access cache (thirdparty.access) is voided.
ACCESS_MODELS = (
    AccessToken,
    Agreement,
    AgreementPremise,
    ApiKey,
    Application,
    Organization,
    ServicePeriod,
    PremiseRegistration,
)


def void_access_cache(sender, **kwargs):
    cache_bump_on_commit()


for _model in ACCESS_MODELS:
    post_save.connect(
        void_access_cache, sender=_model, dispatch_uid=f"thirdparty.access_cache.save.{_model.__name__}"
    )
    post_delete.connect(
        void_access_cache, sender=_model, dispatch_uid=f"thirdparty.access_cache.delete.{_model.__name__}"
    )


@receiver(service_period_ended, dispatch_uid="thirdparty.agreements_end_by_move_out")
def end_agreements_at_move_out(sender, period, **kwargs):
    agreements_end_by_move_out(period=period)


@receiver(account_deleting, dispatch_uid="thirdparty.agreements_end_on_account_deletion")
def end_agreements_of_deleted_account(sender, user, **kwargs):
    """The third parties are told (agreement.revoked) before the account and its agreements go."""
    agreements_end_for_deleted_account(user=user)


@receiver(rep_merged, dispatch_uid="thirdparty.organization_follows_rep_merge")
def move_rep_organization(sender, survivor, duplicate, **kwargs):
    """The merged REP's organization and API keys follow its service periods to the surviving REP."""
    organization_follow_rep_merge(survivor=survivor, duplicate=duplicate)


@receiver(post_save, sender=IngestFile, dispatch_uid="thirdparty.data_available")
def announce_new_data(sender, instance, created, **kwargs):
    """When a TDU file finished loading, tell the third parties that may read the premises it touched."""
    if instance.status not in (IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS):
        return
    if not instance.finished_at or instance.stored == 0:
        return
    transaction.on_commit(lambda: enqueue_data_available(instance))


def enqueue_data_available(report: IngestFile) -> bool:
    """Enqueue the announcement of a committed load. The load is stored whatever happens here: when the
    broker cannot take the task, the file stays unannounced (``announced_at`` empty) and the sweep
    (``thirdparty.tasks.data_available_sweep``) sends it later; the report says so."""
    try:
        data_available_for_file.delay(report.pk)
    except Exception:  # noqa: BLE001 - any broker or transport error: the load is committed, the sweep announces it
        log.warning("could not enqueue data.available for ingest file %s", report.pk, exc_info=True)
        note = f"{report.message} {PENDING_NOTE}".strip() if report.message else PENDING_NOTE
        IngestFile.objects.filter(pk=report.pk).update(message=note)
        report.message = note
        return False
    return True
