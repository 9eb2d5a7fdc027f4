"""Secrets that ride in URLs (an export download link's ``token``, an OAuth ``code``) are cut out of log lines.

Installed on every handler of ``settings.LOGGING``; ``gunicorn.conf.py`` keeps query strings out of gunicorn's
access log. A reverse proxy in front must do the same (docs/operations.md).
"""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("token", "access_token", "refresh_token", "code", "code_verifier", "client_secret")
_PATTERN = re.compile(r"([?&;](?:%s)=)[^&;\s\"']+" % "|".join(SECRET_PARAMS), re.IGNORECASE)  # noqa: UP031


def redact(text: str) -> str:
    return _PATTERN.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites the record's message with every secret query parameter's value replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
