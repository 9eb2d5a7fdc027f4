"""Read a TDU file, plain or gzip, as line-aligned chunks of bytes in bounded memory. Pure: no Django."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO

from usage.ingest.reasons import FileRejected

GZIP_MAGIC = b"\x1f\x8b"
READ_BYTES = 1 << 20


def _raw_pieces(stream: BinaryIO) -> Iterator[bytes]:
    """The file's decompressed bytes in pieces of bounded size."""
    try:
        first = stream.read(READ_BYTES)
    except OSError as exc:
        raise FileRejected("io_error", str(exc)) from exc
    if not first.startswith(GZIP_MAGIC):
        piece = first
        while piece:
            yield piece
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
                    yield out
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
                        if not more:
                            return
                        data = more
            more = stream.read(READ_BYTES)
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


def line_chunks(stream: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    """Decompressed content in chunks of about ``chunk_bytes`` that end at a line end (the last chunk
    may lack the final newline). A line longer than ``chunk_bytes`` rejects the file."""
    pieces: list[bytes] = []
    size = 0
    for piece in _raw_pieces(stream):
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
