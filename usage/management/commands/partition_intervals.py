"""partition_intervals: convert a big unpartitioned PostgreSQL database's interval tables to monthly
partitions while it stays in use, before migration usage.0007 (docs/scaling.md)."""

from __future__ import annotations

from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from usage.storage.conversion import convert_to_partitioned


class Command(BaseCommand):
    help = (
        "Convert the interval tables to monthly partitions month by month, then swap under a short lock. "
        "Resumable: run it again after an interruption. Prints progress, then a JSON summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drop-old",
            action="store_true",
            help="drop the old tables after the swap (by default they stay as <table>_unpartitioned)",
        )
        parser.add_argument(
            "--catch-up-passes",
            type=int,
            default=3,
            help="passes that copy the rows written during the copy again, before the swap (default 3)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "partitioned interval tables are for PostgreSQL; on SQLite there is nothing to do"
            )
        if options["catch_up_passes"] < 0:
            raise CommandError("--catch-up-passes must be 0 or more")
        result = convert_to_partitioned(
            drop_old=options["drop_old"],
            catch_up_passes=options["catch_up_passes"],
            log=lambda line: self.stdout.write(line),
        )
        self.stdout.write(orjson.dumps(result).decode())
