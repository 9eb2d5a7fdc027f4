"""What thirdparty does when lower layers announce something (connected in ThirdpartyConfig.ready)."""

from django.dispatch import receiver

from portal.signals import service_period_ended


@receiver(service_period_ended, dispatch_uid="thirdparty.agreements_end_by_move_out")
def end_agreements_at_move_out(sender, period, **kwargs):
    from thirdparty.services.agreements import agreements_end_by_move_out

    agreements_end_by_move_out(period=period)
