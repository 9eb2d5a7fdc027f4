"""Send one webhook POST to the address that was checked: resolve the name once, refuse any answer that is
not a public address (thirdparty/webhooks/addresses.py), then connect to that IP with the name in the
``Host`` header, the TLS SNI and the certificate check. No second lookup happens, so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect the request.

urllib3 connection pools take ``server_hostname``/``assert_hostname`` for exactly this; redirects are not
followed (a 3xx is a failed attempt) and urllib3 does not retry (our own schedule does).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from dataclasses import dataclass

import urllib3

from thirdparty.webhooks.addresses import Address, address_refusal, resolve

DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(Exception):
    """The target may not be sent to (its reason is the message)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: Address

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def webhook_target(url: str, *, allow_private: bool = False) -> Target:
    """Resolve ``url``'s host once and choose the address to connect to; raises Refused."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError as exc:
        raise Refused(f"Refused: the URL is not valid ({exc}).") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise Refused("Refused: a webhook URL is http(s)://host/...")
    try:
        addresses = resolve(parts.hostname, port)
    except (OSError, UnicodeError, ValueError):
        raise Refused(f"Refused: {parts.hostname} does not resolve.") from None
    if not allow_private:
        for address in addresses:  # every answer: a name with one public and one private address is refused
            refusal = address_refusal(address)
            if refusal is not None:
                raise Refused(f"Refused: {refusal}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def _pool(target: Target, timeout: float) -> urllib3.HTTPConnectionPool:
    ip = str(target.address)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            ip,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host if not _is_ip(target.host) else None,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(ip, target.port, timeout=timeout, retries=False)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def pinned_post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``target.address``; the HTTP status. Raises urllib3's errors on a failed connection."""
    pool = _pool(target, timeout)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
        )
        return int(response.status)
    finally:
        pool.close()
