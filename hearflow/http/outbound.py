"""Where the server may connect: audio_url and webhook_url never reach loopback, private or
link-local addresses (the server's own network) unless the operator allows them.

The check resolves the host name and looks at every address it gets, right before connecting.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from hearflow.http.errors import ApiError


def _blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (address.is_loopback or address.is_private or address.is_link_local or address.is_reserved
            or address.is_multicast or address.is_unspecified)


class OutboundPolicy:
    def __init__(self, allow: tuple[str, ...] = ()):
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in allow if "/" in entry]
        self.hosts = {entry.lower() for entry in allow if "/" not in entry}

    def _allowed(self, address) -> bool:
        return any(address in network for network in self.networks if network.version == address.version)

    def check(self, url: str, *, field: str, resolve: bool = True) -> None:
        """Raise ``url_not_allowed`` for a URL reaching a blocked address. Without ``resolve`` only
        what the URL itself says is checked (a literal address, localhost): cheap, for submit time."""
        host = (urlsplit(url).hostname or "").lower()
        if not host:
            raise ApiError(f"{field}: {url!r} has no host", code="validation_error")
        if host in self.hosts:
            return
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            if not resolve:
                if host == "localhost" or host.endswith(".localhost"):
                    addresses = [ipaddress.ip_address("127.0.0.1")]
                else:
                    return
            else:
                addresses = self._resolve(host, url, field)
        for address in addresses:
            if _blocked(address) and not self._allowed(address):
                raise ApiError(f"{field}: {host} is a loopback, private or link-local address ({address})",
                               code="url_not_allowed",
                               hint="the operator can allow it with hearflow api --allow-outbound CIDR")

    @staticmethod
    def _resolve(host: str, url: str, field: str) -> list:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise ApiError(f"{field}: cannot resolve {host} ({exc})", code="url_unavailable") from None
        return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
