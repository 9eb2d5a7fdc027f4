"""Name matching that ignores case, punctuation and spacing. Pure: no Django."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def search_key(name: str) -> str:
    """``"Reliant Energy, Inc."`` → ``"reliantenergyinc"``: lower case letters and digits only."""
    folded = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub("", folded.replace("&", "and"))
