"""seed_demo [--meters N] [--days D]: the demo market, customers, a third party and a year of interval data.

Safe to run twice: every step finds what an earlier run made and adds only what is missing.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo.billing import billing_data_ensure
from demo.customers import DEVELOPER, demo_customers_ensure, demo_plan, service_periods_ensure
from demo.han import demo_devices_ensure
from demo.intervals import interval_data_ensure
from demo.reps import demo_reps_ensure
from demo.tariffs import demo_tariffs_ensure
from demo.thirdparty import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, demo_third_party_ensure
from usage.services import synthetic_premises_register, tdus_ensure
from usage.synth import synth_premises
from usage.timegrid import local_today

DEMO_SEED = 2026  # the synthetic premises and their data: same seed, same ESI IDs and bytes everywhere
SOLAR_SHARE = 0.1


class Command(BaseCommand):
    help = (
        "Load the demo data: the five TDUs, a dozen REPs with their look-alike names as aliases, N premises "
        "with meters and occupants, demo customers with documented logins, one approved third party with an "
        "OAuth application, and D days of synthetic interval data written to SMT_INBOX_DIR and loaded through "
        "the ingest path. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--meters", type=int, default=300, help="number of premises/meters (default 300)")
        parser.add_argument(
            "--days", type=int, default=365, help="days of interval data ending yesterday (365)"
        )
        parser.add_argument("--no-intervals", action="store_true", help="skip the interval data entirely")
        parser.add_argument(
            "--plain-files", action="store_true", help="write plain .csv files instead of .csv.gz"
        )
        parser.add_argument(
            "--no-load",
            action="store_true",
            help="write the interval files into the inbox but do not load them",
        )

    def handle(self, *args, **opts):
        meters, days = opts["meters"], opts["days"]
        if meters < 5:
            raise CommandError(f"--meters must be at least 5 (the demo customers need them), not {meters}.")
        if days < 1:
            raise CommandError(f"--days must be at least 1, not {days}.")
        started = time.perf_counter()
        out = self.stdout

        def step(message: str) -> None:
            out.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

        end = local_today() - timedelta(days=1)
        start = end - timedelta(days=days - 1)

        tdus = tdus_ensure()
        step(f"TDUs: {len(tdus)}")
        step(f"TDU delivery tariffs: {demo_tariffs_ensure(tdus)} new (illustrative, labelled as such)")
        reps = demo_reps_ensure()
        step(f"REPs: {len(reps)} with their brand names and look-alike names as aliases")

        premises = synth_premises(meters, DEMO_SEED, install_before=start)
        new = synthetic_premises_register(premises=premises)
        step(f"premises and meters: {len(premises)} ({new} new)")

        plan = demo_plan(premises, solar_share=SOLAR_SHARE)
        periods = service_periods_ensure(plan=plan, reps=reps, data_start=start, data_end=end, seed=DEMO_SEED)
        step(f"service periods: {periods['periods']} new, for {periods['premises']} premises that had none")

        customers = demo_customers_ensure(plan=plan)
        step(
            f"demo customers: {customers['users']} new users, {customers['registrations']} new registrations"
        )

        step(f"in-home devices: {demo_devices_ensure(esiid=plan.home)} new on the demo home")

        from django.contrib.auth import get_user_model

        developer = get_user_model().objects.get(username=DEVELOPER.username)
        third = demo_third_party_ensure(member=developer)
        step(
            f"third party: {third.organization} (approved), OAuth client {CLIENT_ID}"
            + (" created" if third.created else " already there")
        )

        if opts["no_intervals"]:
            step("interval data: skipped (--no-intervals)")
        else:
            result = self._intervals(opts, premises, start=start, end=end, days=days, step=step)
            if not opts["no_load"]:
                staging = Path(settings.SMT_INBOX_DIR).parent / "demo-billing"
                n = billing_data_ensure(premises=premises, start=start, end=end, out_dir=staging)
                step(f"billing periods: {n} new, summed from the stored intervals and loaded as TDU files")

        step("done")
        out.write("")
        out.write(f"OAuth demo client: client_id={CLIENT_ID} client_secret={CLIENT_SECRET}")
        out.write(f"                   redirect_uri={REDIRECT_URI} (confidential, authorization code + PKCE)")
        call_command("demo_logins", stdout=out)
        if opts["no_intervals"] is False and result.files_failed:
            raise CommandError(f"{len(result.files_failed)} interval files could not be loaded (see above).")

    def _intervals(self, opts, premises, *, start, end, days: int, step):
        """Write (and unless --no-load, load) the interval files; report how it went; return the result."""
        # One INFO line per file and task is too much for a few hundred files (-v 2 shows them).
        quiet = [logging.getLogger(name) for name in ("usage.tasks", "celery.app.trace", "kombu.connection")]
        levels = [logger.level for logger in quiet]
        if opts["verbosity"] < 2:
            for logger in quiet:
                logger.setLevel(logging.ERROR)
        try:
            result = interval_data_ensure(
                premises=premises,
                start=start,
                days=days,
                seed=DEMO_SEED,
                solar_share=SOLAR_SHARE,
                inbox=settings.SMT_INBOX_DIR,
                load=not opts["no_load"],
                compress=not opts["plain_files"],
                progress=step,
            )
        finally:
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)
        self._report_intervals(result, start=start, end=end, step=step)
        return result

    def _report_intervals(self, result, *, start, end, step) -> None:
        if result.days_generated:
            step(
                f"interval files: {result.files_written} files, {result.rows_written:,} rows for "
                f"{result.days_generated} days {start}..{end}, generated in {result.generate_seconds:.1f} s"
            )
        step(f"interval loading: {result.loader}")
        if result.files_loaded:
            rate = result.readings_stored / result.load_seconds if result.load_seconds else 0
            step(
                f"loaded {result.files_loaded} files: {result.readings_stored:,} readings stored, "
                f"{result.readings_rejected:,} rejected, {result.load_seconds:.1f} s ({rate:,.0f} readings/s)"
            )
        if result.files_elsewhere:
            step(f"{result.files_elsewhere} files were claimed by a running Celery worker, which loads them")
        for failure in result.files_failed:
            self.stdout.write(self.style.ERROR(f"  failed: {failure}"))
