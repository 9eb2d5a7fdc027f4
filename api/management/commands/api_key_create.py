"""api_key_create: make an organization API key from the command line (shown once).

    python manage.py api_key_create --rep Reliant --name billing
    python manage.py api_key_create --organization "WattWise Energy Insights LLC" --name server --scopes usage:read

With ``--rep`` the REP's data-recipient organization is created (approved) when it does not exist yet.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.models import Rep
from thirdparty.apikeys import REP_KEY_SCOPES, apikey_create
from thirdparty.models import Organization
from thirdparty.scopes import SCOPES


class Command(BaseCommand):
    help = "Create an API key for an organization (or a REP) and print it once."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--organization", help="the organization's legal name (exact, case-insensitive)")
        who.add_argument(
            "--rep", help="part of the REP's legal name; its REP organization is used or created"
        )
        parser.add_argument("--name", default="command line", help="what the key is for")
        parser.add_argument(
            "--scopes", nargs="+", help="scopes (default: every scope the organization may use)"
        )

    def handle(self, *args, **opts):
        if opts["rep"]:
            reps = list(
                Rep.objects.filter(legal_name__icontains=opts["rep"]).exclude(status=Rep.Status.MERGED)
            )
            if len(reps) != 1:
                names = ", ".join(r.legal_name for r in reps[:10]) or "none"
                raise CommandError(
                    f"--rep {opts['rep']!r} matches {len(reps)} REPs ({names}); be more specific."
                )
            rep = reps[0]
            org = Organization.objects.filter(rep=rep).first()
            if org is None:
                org = Organization.objects.create(
                    kind=Organization.Kind.REP,
                    rep=rep,
                    legal_name=rep.legal_name,
                    contact_email="api@example.com",
                    status=Organization.Status.APPROVED,
                    approved_at=timezone.now(),
                )
                self.stdout.write(f"Created the REP organization {org.legal_name} (approved).")
            default_scopes = REP_KEY_SCOPES
        else:
            org = Organization.objects.filter(legal_name__iexact=opts["organization"]).first()
            if org is None:
                raise CommandError(f"No organization named {opts['organization']!r}.")
            default_scopes = [s for s in REP_KEY_SCOPES] if org.kind == Organization.Kind.REP else None
            if default_scopes is None:
                default_scopes = list(SCOPES)
        try:
            row, key = apikey_create(
                organization=org, name=opts["name"], scopes=opts["scopes"] or default_scopes
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Organization: {org.legal_name} ({org.get_kind_display()}, {org.get_status_display()})"
        )
        self.stdout.write(f"Scopes:       {' '.join(row.scopes)}")
        self.stdout.write(f"API key:      {key}")
        self.stdout.write("Shown once: it is stored only as a hash. Send it as: Authorization: Api-Key <key>")
