"""Rejected rows of a load: their raw text when they were found after parsing, and how they are saved."""

from __future__ import annotations

import io
from typing import BinaryIO

from django.db import connection

from usage.ingest.reasons import FileRejected
from usage.ingest.source import line_chunks
from usage.models import IngestFile, RejectedRow
from usage.storage import is_postgres


def with_raw_lines(stream: BinaryIO, rejects: list[tuple[int, str, str, str]]):
    """Fill in the raw text of rejects found after parsing (conflicting duplicates) by reading the
    file's lines again."""
    wanted = {r[0] for r in rejects}
    raw: dict[int, str] = {}
    try:
        stream.seek(0)
        line_no = 0
        for chunk in line_chunks(stream, 8 << 20):
            if chunk.startswith(b"\xef\xbb\xbf") and line_no == 0:
                chunk = chunk[3:]
            for text in chunk.split(b"\n"):
                line_no += 1
                if line_no in wanted:
                    raw[line_no] = text.rstrip(b"\r").decode("utf-8", "replace")
    except (OSError, FileRejected, io.UnsupportedOperation):
        pass
    return [(line, code, msg, raw.get(line, "")) for line, code, msg, _ in rejects]


def save_rejects(report: IngestFile, rejects: list[tuple[int, str, str, str]]) -> None:
    if not rejects:
        return
    rejects.sort(key=lambda r: r[0])
    if is_postgres():
        with (
            connection.cursor() as cur,
            connection.wrap_database_errors,  # psycopg's errors as Django's (the loader retries those)
            cur.connection.cursor() as pcur,
            pcur.copy(
                f"COPY {RejectedRow._meta.db_table} (file_id, line_number, raw, reason, message) FROM STDIN"
            ) as cp,
        ):
            for line, code, message, raw in rejects:
                cp.write_row((report.pk, line, _clean(raw), code, _clean(message)))
    else:
        RejectedRow.objects.bulk_create(
            [
                RejectedRow(
                    file=report, line_number=line, raw=_clean(raw), reason=code, message=_clean(message)
                )
                for line, code, message, raw in rejects
            ],
            batch_size=500,
        )


def _clean(text: str) -> str:
    return text.replace("\x00", "\ufffd")
