"""Who is calling and from where: the bearer token, the client IP, the device id."""

from __future__ import annotations

import ipaddress
from typing import Any, TypeAlias

from litestar import Request

from megasale.config import Network
from megasale.domain.errors import InvalidInput
from megasale.services.platform import Platform
from megasale.services.ports import Account
from megasale.web.problems import Unauthenticated

__all__ = [
    "HttpRequest",
    "account_of",
    "authenticate",
    "check_device_id",
    "client_ip",
    "platform_of",
]

MAX_DEVICE_ID = 128

HttpRequest: TypeAlias = Request[Any, Any, Any]


def platform_of(request: HttpRequest) -> Platform:
    platform: Platform = request.app.state["platform"]
    return platform


def account_of(request: HttpRequest) -> Account:
    return authenticate(platform_of(request), request.headers.get("authorization"))


def authenticate(platform: Platform, header: str | None) -> Account:
    """The account whose bearer token is in ``header`` (the Authorization header's value)."""
    if header is None:
        raise Unauthenticated("send Authorization: Bearer <token>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    account = platform.accounts.authenticate(token.strip())
    if account is None:
        raise Unauthenticated("the bearer token is not valid")
    return account


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_ip(request: HttpRequest) -> str:
    """The socket peer, or the ``X-Forwarded-For`` client when the peer is a trusted proxy.

    Walks the forwarded chain from the right, past trusted proxies, to the first address that
    is not one: the left part of the header is whatever the client wrote and proves nothing.
    """
    peer = request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label, not a bind
    proxies: tuple[Network, ...] = request.app.state["trusted_proxies"]
    if not proxies or not _trusted(peer, proxies):
        return peer
    chain = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")]
    for hop in reversed([part for part in chain if part]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            return peer
        if not _trusted(address, proxies):
            return address
    return peer


def check_device_id(value: str | None) -> str | None:
    """The X-Device-Id header's value, ``None`` when absent or empty."""
    if value is None or value == "":
        return None
    if len(value) > MAX_DEVICE_ID or not value.isprintable():
        raise InvalidInput("X-Device-Id", f"must be at most {MAX_DEVICE_ID} printable characters")
    return value
