"""demo_logins: print the demo logins (the Makefile's `run` target shows them before the server starts)."""

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from demo.customers import DEMO_LOGINS, NEWCOMER_NAME, SITE


class Command(BaseCommand):
    help = "Print the demo logins and where to use them."

    def handle(self, *args, **opts):
        out = self.stdout
        width_user = max(len(login.username) for login in DEMO_LOGINS)
        width_pass = max(len(login.password) for login in DEMO_LOGINS)
        out.write(f"Open Smart Meter Texas demo: {SITE}  (admin: {SITE}admin/)")
        out.write(f"{'username':<{width_user}}  {'password':<{width_pass}}  who")
        out.write(f"{'-' * width_user}  {'-' * width_pass}  ---")
        for login in DEMO_LOGINS:
            out.write(
                f"{login.username:<{width_user}}  {login.password:<{width_pass}}  {login.name}: {login.who}"
            )
        try:
            from portal.models import ServicePeriod

            period = (
                ServicePeriod.objects.filter(occupant_name=NEWCOMER_NAME, ends_on__isnull=True)
                .select_related("premise")
                .first()
            )
        except DatabaseError:  # not migrated yet
            period = None
        if period is not None and period.registration_code:
            from portal.codes import code_display

            out.write(
                f"Try signing up yourself as {NEWCOMER_NAME}, who moved in on {period.starts_on:%m/%d/%Y}: "
                f"ESI ID {period.premise.esiid}, registration code {code_display(period.registration_code)}"
            )
        out.write("These passphrases are public demo data: never load the demo into a site real people use.")
