"""Compression of text bodies (JSON, CSV, XML, HTML) for the API and the portal, in one middleware.

Why our own and not Django's GZipMiddleware: that one compresses at level 6 (about 23 ms for an 860 KB body
here, more than the API's whole latency budget) and knows no brotli. Levels here are gzip 2 and brotli 1:
on 13 months of 15-minute JSON (506 KB) they give 84 KB and 76 KB in 3.0 and 1.5 ms on a slow 2-core host,
where brotli 2 takes 3.3 ms for the same 76 KB, gzip 4 about 7 ms for 80 KB and brotli 5 about 18 ms for 76 KB
(bench/bench_api.py prints the figures).

BREACH: a body that may mix a secret (CSRF token, personal data) with text an attacker can reflect is
compressed only with gzip carrying a random-length file name in its header (the padding Django's
GZipMiddleware adds since 4.2, ``max_random_bytes``), so its length gives nothing away; that is every HTML
page and every response to a request that came with cookies (the only credential a cross-site page can make a
browser send). Bearer/API-key calls get brotli when they ask for it, else plain gzip.

Streaming responses stay streaming: each chunk is compressed and flushed as it comes.
"""

from __future__ import annotations

import re
import secrets
import string
import struct
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator

import brotli
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import patch_vary_headers

GZIP_LEVEL = 2
BROTLI_QUALITY = 1
MIN_BYTES = 2048  # below this the headers cost more than compression saves
MAX_RANDOM_BYTES = 100  # as django.middleware.gzip.GZipMiddleware
COMPRESSIBLE = (
    "application/json",
    "application/problem+json",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/csv",
    "text/html",
    "text/plain",
)
_TOKEN = re.compile(r"\s*([a-z0-9*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*", re.IGNORECASE)
_ALPHABET = string.ascii_letters + string.digits


def accepted_encodings(header: str) -> dict[str, float]:
    """``Accept-Encoding`` as {coding: q}; a malformed q counts as 0 (not accepted)."""
    out: dict[str, float] = {}
    for part in header.split(","):
        m = _TOKEN.fullmatch(part)
        if not m:
            continue
        try:
            q = float(m.group(2)) if m.group(2) is not None else 1.0
        except ValueError:
            q = 0.0
        out[m.group(1).lower()] = q
    return out


def choose_encoding(header: str, *, sensitive: bool) -> str | None:
    """ "br", "gzip" or None: brotli only where no padding is needed (see the module docstring)."""
    accepted = accepted_encodings(header)
    star = accepted.get("*", 0.0)

    def ok(coding: str) -> bool:
        return accepted.get(coding, star) > 0

    if not sensitive and ok("br"):
        return "br"
    if ok("gzip"):
        return "gzip"
    return None


def is_sensitive(request: HttpRequest, content_type: str) -> bool:
    """Needs BREACH padding: HTML, or anything asked for with cookies."""
    return content_type.startswith("text/html") or bool(request.COOKIES)


class _Gzip:
    """A gzip member written by hand around raw deflate, so the header can carry a padding file name."""

    def __init__(self, *, padding: bool) -> None:
        self._z = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._crc = 0
        self._size = 0
        name = b""
        if padding:
            n = secrets.randbelow(MAX_RANDOM_BYTES) + 1
            name = "".join(secrets.choice(_ALPHABET) for _ in range(n)).encode("ascii") + b"\x00"
        # magic, deflate, FNAME flag when padded, mtime 0, no extra flags, OS unknown
        self.header = b"\x1f\x8b\x08" + (b"\x08" if name else b"\x00") + b"\x00\x00\x00\x00\x00\xff" + name

    def compress(self, data: bytes, *, flush: bool) -> bytes:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        out = self._z.compress(data)
        return out + self._z.flush(zlib.Z_SYNC_FLUSH) if flush else out

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH) + struct.pack("<II", self._crc, self._size & 0xFFFFFFFF)


class _Brotli:
    header = b""

    def __init__(self) -> None:
        self._c = brotli.Compressor(quality=BROTLI_QUALITY)

    def compress(self, data: bytes, *, flush: bool) -> bytes:
        out: bytes = self._c.process(data)
        return out + self._c.flush() if flush else out

    def finish(self) -> bytes:
        out: bytes = self._c.finish()
        return out


def _compressor(encoding: str, *, padding: bool) -> _Gzip | _Brotli:
    return _Brotli() if encoding == "br" else _Gzip(padding=padding)


def compress(body: bytes, encoding: str, *, padding: bool) -> bytes:
    """The whole body in one go (gzip or br)."""
    c = _compressor(encoding, padding=padding)
    return c.header + c.compress(body, flush=False) + c.finish()


def compress_chunks(chunks: Iterable[bytes], encoding: str, *, padding: bool) -> Iterator[bytes]:
    """A stream compressed chunk by chunk, each flushed so the client sees it at once."""
    c = _compressor(encoding, padding=padding)
    yield c.header
    for chunk in chunks:
        if chunk:
            out = c.compress(bytes(chunk), flush=True)
            if out:
                yield out
    yield c.finish()


async def acompress_chunks(
    chunks: AsyncIterator[bytes], encoding: str, *, padding: bool
) -> AsyncIterator[bytes]:
    c = _compressor(encoding, padding=padding)
    yield c.header
    async for chunk in chunks:
        if chunk:
            yield c.compress(bytes(chunk), flush=True)
    yield c.finish()


def _compress_stream(response: StreamingHttpResponse, encoding: str, *, padding: bool) -> None:
    content = response.streaming_content
    if response.is_async:
        response.streaming_content = acompress_chunks(content, encoding, padding=padding)  # type: ignore[arg-type]
    else:
        response.streaming_content = compress_chunks(content, encoding, padding=padding)  # type: ignore[arg-type]
    if response.has_header("Content-Length"):
        del response.headers["Content-Length"]


class CompressionMiddleware:
    """Compress text bodies the client accepts; says ``Vary: Accept-Encoding`` on every such body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.min_bytes = int(getattr(settings, "COMPRESSION_MIN_BYTES", MIN_BYTES))

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in COMPRESSIBLE or response.status_code in (204, 206, 304):
            return response
        if content_type == "text/html":
            patch_vary_headers(response, ("Cookie",))
        patch_vary_headers(response, ("Accept-Encoding",))
        if response.has_header("Content-Encoding"):
            return response
        streaming = isinstance(response, StreamingHttpResponse)
        if not streaming and len(response.content) < self.min_bytes:  # type: ignore[attr-defined]
            return response
        sensitive = is_sensitive(request, content_type)
        encoding = choose_encoding(request.headers.get("Accept-Encoding", ""), sensitive=sensitive)
        if encoding is None:
            return response
        if isinstance(response, StreamingHttpResponse):
            _compress_stream(response, encoding, padding=sensitive)
        else:
            body = compress(response.content, encoding, padding=sensitive)  # type: ignore[attr-defined]
            if len(body) >= len(response.content):  # type: ignore[attr-defined]
                return response
            response.content = body  # type: ignore[attr-defined]
            response.headers["Content-Length"] = str(len(body))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):  # the bytes differ per coding: a strong validator becomes weak
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = encoding
        return response
