"""Registration codes: printed on the bill, typed at sign-up, unguessable, encrypted at rest.

The key is REGISTRATION_CODE_KEY (comma-separated to rotate keys: the first encrypts, all decrypt), kept
apart from SECRET_KEY so that rotating one does not void codes already printed on bills.
"""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# No look-alikes: no 0/O, no 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEV_KEY_MATERIAL = "development-only-registration-code-key"


def _fernet_for(material: str) -> Fernet:
    digest = hashlib.sha256(material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _cipher() -> MultiFernet:
    keys = [k.strip() for k in (settings.REGISTRATION_CODE_KEY or "").split(",") if k.strip()]
    return MultiFernet([_fernet_for(k) for k in (keys or [DEV_KEY_MATERIAL])])


def code_generate(length: int | None = None) -> str:
    """A fresh random code of at least 8 characters from the unambiguous alphabet."""
    length = max(8, length or settings.REGISTRATION_CODE_LENGTH)
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def code_normalize(typed: str) -> str:
    """What a person types, as stored: upper case, without spaces or dashes; O→0-free alphabet kept."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def code_encrypt(code: str) -> bytes:
    return _cipher().encrypt(code.encode())


def code_decrypt(token: bytes) -> str | None:
    """The code, or None when the key that encrypted it is no longer configured."""
    try:
        return _cipher().decrypt(bytes(token)).decode()
    except InvalidToken:
        return None


def code_matches(token: bytes, typed: str) -> bool:
    code = code_decrypt(token)
    return code is not None and hmac.compare_digest(code, code_normalize(typed))


def code_display(code: str) -> str:
    """Grouped for printing on a bill: ABCDE-FGHJK."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))
