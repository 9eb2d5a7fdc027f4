"""Read a TDU file, plain or gzip, as line-aligned chunks of bytes in bounded memory. Pure: no Django."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from usage.ingest.reasons import FileRejected

GZIP_MAGIC = b"\x1f\x8b"
READ_BYTES = 1 << 20


@dataclass(frozen=True)
class SizeLimits:
    """Per-file bounds on the expanded bytes and on the gzip compression ratio (checked once the expanded
    size passes ``ratio_min_bytes``, so that small files of any ratio load). None: no bound."""

    max_bytes: int | None = None
    max_ratio: int | None = None
    ratio_min_bytes: int = 0


class _Meter:
    """Counts the bytes read and produced, and refuses the file past its limits."""

    def __init__(self, limits: SizeLimits | None):
        self.limits = limits or SizeLimits()
        self.read = 0
        self.out = 0

    def produced(self, piece: bytes, *, gzip: bool) -> bytes:
        self.out += len(piece)
        lim = self.limits
        if lim.max_bytes is not None and self.out > lim.max_bytes:
            raise FileRejected("too_large", f"more than {lim.max_bytes:,} bytes of data")
        if (
            gzip
            and lim.max_ratio is not None
            and self.out > lim.ratio_min_bytes
            and self.out > lim.max_ratio * max(self.read, 1)
        ):
            raise FileRejected(
                "gzip_ratio",
                f"{self.out:,} bytes from {self.read:,} compressed, more than {lim.max_ratio} times",
            )
        return piece


def _raw_pieces(stream: BinaryIO, limits: SizeLimits | None = None) -> Iterator[bytes]:
    """The file's decompressed bytes in pieces of bounded size."""
    meter = _Meter(limits)
    try:
        first = stream.read(READ_BYTES)
    except OSError as exc:
        raise FileRejected("io_error", str(exc)) from exc
    meter.read = len(first)
    if not first.startswith(GZIP_MAGIC):
        piece = first
        while piece:
            yield meter.produced(piece, gzip=False)
            try:
                piece = stream.read(READ_BYTES)
            except OSError as exc:
                raise FileRejected("io_error", str(exc)) from exc
        return
    dec = zlib.decompressobj(wbits=31)
    data = first
    limit = 4 * READ_BYTES
    while True:
        try:
            while data:
                out = dec.decompress(data, limit)
                data = dec.unconsumed_tail
                if out:
                    yield meter.produced(out, gzip=True)
                if dec.eof:
                    rest = dec.unused_data + data
                    dec = zlib.decompressobj(wbits=31)
                    # further gzip members may follow (concatenated gzip); anything else is garbage
                    rest = rest.lstrip(b"\x00")
                    if rest and not rest.startswith(GZIP_MAGIC[: len(rest)]):
                        raise FileRejected("bad_gzip", "trailing data after the gzip stream")
                    data = rest
                    if not data:
                        more = stream.read(READ_BYTES)
                        meter.read += len(more)
                        if not more:
                            return
                        data = more
            more = stream.read(READ_BYTES)
            meter.read += len(more)
        except zlib.error as exc:
            raise FileRejected("bad_gzip", str(exc)) from exc
        except OSError as exc:
            raise FileRejected("io_error", str(exc)) from exc
        if not more:
            tail = dec.flush()
            if tail:
                yield tail
            raise FileRejected("truncated_gzip")
        data = more


def line_chunks(stream: BinaryIO, chunk_bytes: int, limits: SizeLimits | None = None) -> Iterator[bytes]:
    """Decompressed content in chunks of about ``chunk_bytes`` that end at a line end (the last chunk
    may lack the final newline). A line longer than ``chunk_bytes`` rejects the file, and so does a file
    past ``limits``."""
    pieces: list[bytes] = []
    size = 0
    for piece in _raw_pieces(stream, limits):
        pieces.append(piece)
        size += len(piece)
        if size >= chunk_bytes:
            buf = b"".join(pieces)
            cut = buf.rfind(b"\n")
            if cut < 0:
                raise FileRejected("line_too_long", f"no line end in {len(buf)} bytes")
            yield buf[: cut + 1]
            rest = buf[cut + 1 :]
            pieces = [rest] if rest else []
            size = len(rest)
    if size:
        yield b"".join(pieces)
