"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}.{body}"`` with the application's webhook secret.

The header sent with every delivery::

    SMT-Signature: t=1764221400,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

A receiver recomputes ``hmac_sha256(secret, f"{t}.{raw_body}")``, compares it in constant time with ``v1``
and refuses timestamps more than five minutes away from its clock (replay protection). Pure Python, no Django.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "SMT-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={ts},v1={signature_compute(secret=secret, timestamp=ts, body=body)}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``header`` is a valid signature of ``body`` made within ``tolerance`` seconds of now."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        ts = int(parts["t"])
    except (ValueError, KeyError):
        return False
    now = time.time() if now is None else now
    if abs(now - ts) > tolerance:
        return False
    expected = signature_compute(secret=secret, timestamp=ts, body=body)
    candidates = [v for k, v in (item.split("=", 1) for item in header.split(",")) if k == "v1"]
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


def backoff_seconds(attempt: int, *, base: int = 60, cap: int = 6 * 3600) -> int:
    """Delay before attempt ``attempt + 1`` after ``attempt`` failures: 1, 2, 4, ... minutes, at most ``cap``."""
    return min(cap, base * 2 ** max(0, attempt - 1))


def retry_schedule(max_attempts: int, *, base: int = 60, cap: int = 6 * 3600) -> list[int]:
    """The delays between consecutive attempts, for documentation and tests."""
    return [backoff_seconds(n, base=base, cap=cap) for n in range(1, max_attempts)]
