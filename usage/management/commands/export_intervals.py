"""``export_intervals ESIID --start --end [--granularity] [--format]``: the API's bytes on standard output."""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from usage.esiid import esiid_normalize
from usage.models import Premise
from usage.reads.aggregate import GRANULARITIES
from usage.writers.export import FORMATS, ExportError, export_intervals


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Write a premise's interval data to standard output, exactly as the API returns it for the same "
        "request. --end is inclusive (a local calendar date)."
    )

    def add_arguments(self, parser):
        parser.add_argument("esiid", help="the premise's ESI ID")
        parser.add_argument("--start", required=True, help="first local date, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last local date (inclusive), YYYY-MM-DD")
        parser.add_argument("--granularity", default="15min", help=f"one of {', '.join(GRANULARITIES)}")
        parser.add_argument("--format", default="json", dest="fmt", help=f"one of {', '.join(FORMATS)}")

    def handle(self, *args, esiid, start, end, granularity, fmt, **options):
        start_d = _date(start, "start")
        end_d = _date(end, "end")
        if end_d < start_d:
            raise CommandError(f"--end ({end_d}) is before --start ({start_d})")
        if granularity not in GRANULARITIES:
            raise CommandError(
                f"--granularity must be one of {', '.join(GRANULARITIES)}, not {granularity!r}"
            )
        if fmt not in FORMATS:
            raise CommandError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        premise = Premise.objects.filter(esiid=esiid_normalize(esiid)).first()
        if premise is None:
            raise CommandError(f"No premise with ESI ID {esiid!r}")
        try:
            result = export_intervals(
                premise=premise, start=start_d, end=end_d, granularity=granularity, fmt=fmt
            )
        except ExportError as exc:
            raise CommandError(f"--{exc.param}: {exc}") from None
        out = getattr(self.stdout, "_out", None) or sys.stdout
        buffer = getattr(out, "buffer", None)
        if buffer is not None:
            for chunk in result.chunks():
                buffer.write(chunk)
            buffer.flush()
        else:  # a text stream (call_command(stdout=StringIO())): the bytes are ASCII/UTF-8
            out.write(result.body.decode("utf-8"))
