"""password_breach_filter: turn an operator-supplied breach list into the compact filter the password validator
reads (``PASSWORD_BREACH_FILTER``).

Input, one entry a line: a Pwned Passwords download (``SHA1HEX:COUNT``, upper or lower case) or plain passwords
(``--plain``). Output: a Bloom filter — ``SMTBLOOM1``, the number of bits and of hash functions, then the bits —
about 14.4 bits per password at the default 1-in-1,000 false-positive rate (≈ 1.6 GB for the ≈ 900 million
Pwned Passwords hashes, against ≈ 38 GB of text). A false positive only refuses a password that was fine; a
breached password is never let through. Run offline; sign-up makes no network call.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.accounts.passwords import BLOOM_HEADER, BLOOM_MAGIC, sha1_indexes


def _entries(path: Path, plain: bool) -> Iterator[bytes]:
    """The SHA-1 digest of each entry (hashing plain passwords as Pwned Passwords does)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            entry = line.rstrip("\r\n")
            if not entry:
                continue
            if plain:
                yield hashlib.sha1(entry.encode("utf-8"), usedforsecurity=False).digest()
            else:
                yield bytes.fromhex(entry.split(":", 1)[0].strip())


class Command(BaseCommand):
    help = "Build the password breach filter (a Bloom filter) from a breach list; see PASSWORD_BREACH_FILTER."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="SHA1HEX:COUNT lines (Pwned Passwords), or passwords with --plain")
        parser.add_argument("output", help="the filter file to write (set PASSWORD_BREACH_FILTER to it)")
        parser.add_argument(
            "--plain", action="store_true", help="the source lists passwords, not SHA-1 hashes"
        )
        parser.add_argument("--false-positive-rate", type=float, default=0.001)

    def handle(self, *args: Any, **opts: Any) -> None:
        source, output = Path(opts["source"]), Path(opts["output"])
        rate = opts["false_positive_rate"]
        if not source.is_file():
            raise CommandError(f"{source} does not exist")
        if not 0 < rate < 1:
            raise CommandError("--false-positive-rate must be between 0 and 1")
        try:
            count = sum(1 for _ in _entries(source, opts["plain"]))
        except ValueError as exc:
            raise CommandError(
                f"{source}: not SHA1HEX:COUNT lines (use --plain for passwords): {exc}"
            ) from exc
        count = max(count, 1)
        bits = max(64, math.ceil(-count * math.log(rate) / math.log(2) ** 2))
        hashes = max(1, round(bits / count * math.log(2)))
        table = bytearray((bits + 7) // 8)
        for digest in _entries(source, opts["plain"]):
            for i in sha1_indexes(digest, bits, hashes):
                table[i // 8] |= 1 << (i % 8)
        part = output.with_suffix(output.suffix + ".part")
        with open(part, "wb") as f:
            f.write(BLOOM_MAGIC + BLOOM_HEADER.pack(bits, hashes))
            f.write(table)
        os.replace(part, output)
        self.stdout.write(
            f"{output}: {count} entries, {bits} bits ({len(table) / 1e6:.1f} MB), {hashes} hash functions."
        )
