"""What thirdparty does when lower layers announce something (connected in ThirdpartyConfig.ready)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from portal.accounts.signals import account_deleting
from portal.signals import service_period_ended
from usage.models import IngestFile


@receiver(service_period_ended, dispatch_uid="thirdparty.agreements_end_by_move_out")
def end_agreements_at_move_out(sender, period, **kwargs):
    from thirdparty.services.agreements import agreements_end_by_move_out

    agreements_end_by_move_out(period=period)


@receiver(account_deleting, dispatch_uid="thirdparty.agreements_end_on_account_deletion")
def end_agreements_of_deleted_account(sender, user, **kwargs):
    """The third parties are told (agreement.revoked) before the account and its agreements go."""
    from thirdparty.services.agreements import agreements_end_for_deleted_account

    agreements_end_for_deleted_account(user=user)


@receiver(post_save, sender=IngestFile, dispatch_uid="thirdparty.data_available")
def announce_new_data(sender, instance, created, **kwargs):
    """When a TDU file finished loading, tell the third parties that may read the premises it touched."""
    if instance.status not in (IngestFile.Status.LOADED, IngestFile.Status.LOADED_WITH_REJECTS):
        return
    if not instance.finished_at or instance.stored == 0:
        return
    from django.db import transaction

    from thirdparty.tasks import data_available_for_file

    file_id = instance.pk
    transaction.on_commit(lambda: data_available_for_file.delay(file_id))
