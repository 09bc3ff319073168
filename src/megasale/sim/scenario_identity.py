"""The things a buyer shows at checkout, as integer codes: IPs, phones, devices, payment ids.

Codes stay integers while the day is generated (cheap to sample, share and compare) and become
text only when the log is written (:mod:`megasale.sim.scenario_render`).

- IP: an IPv4 address as an integer, always in public unicast space (1.0.0.0 to 223.255.255.255,
  private, loopback, carrier-internal and documentation ranges left out).
- Phone: an 11-digit Chinese mobile number.
- Device: 60 random bits, written ``d`` + 15 hex digits. Emulator farms use *patterned* ids:
  one random 44-bit prefix and a 16-bit serial, so the first 11 hex digits repeat.
- Payment instrument: 48 random bits, written ``pm`` + 12 hex digits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from megasale.sim.scenario_types import I64

__all__ = [
    "MOBILE_PREFIXES",
    "VIRTUAL_PREFIXES",
    "device_ids",
    "ip_blocks",
    "neighbouring_ips",
    "patterned_device_ids",
    "payment_ids",
    "phone_block",
    "phones",
    "public_ips",
]

MOBILE_PREFIXES = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 198, 199,
)  # fmt: skip
"""Ordinary carrier prefixes (13x, 15x, 18x and a few more)."""
VIRTUAL_PREFIXES = (162, 165, 167, 170, 171)
"""Virtual-operator prefixes, cheap in bulk and popular with account farms."""

_NOT_PUBLIC = (  # (first address, last address) of ranges no public host uses
    (0x0A000000, 0x0AFFFFFF),  # 10/8
    (0x64400000, 0x647FFFFF),  # 100.64/10, carrier-grade NAT inside
    (0x7F000000, 0x7FFFFFFF),  # 127/8
    (0xA9FE0000, 0xA9FEFFFF),  # 169.254/16
    (0xAC100000, 0xAC1FFFFF),  # 172.16/12
    (0xC0000000, 0xC00000FF),  # 192.0.0/24
    (0xC0000200, 0xC00002FF),  # 192.0.2/24
    (0xC0586300, 0xC05863FF),  # 192.88.99/24
    (0xC0A80000, 0xC0A8FFFF),  # 192.168/16
    (0xC6120000, 0xC613FFFF),  # 198.18/15
    (0xC6336400, 0xC63364FF),  # 198.51.100/24
    (0xCB007100, 0xCB0071FF),  # 203.0.113/24
)
_FIRST_PUBLIC = 0x01000000
_END_PUBLIC = 0xE0000000  # 224.0.0.0, multicast and above


def _is_public(ips: I64) -> np.ndarray:
    ok = np.ones(len(ips), dtype=bool)
    for first, last in _NOT_PUBLIC:
        ok &= (ips < first) | (ips > last)
    return ok


def _fill(rng: np.random.Generator, n: int, draw: Callable[[int], I64], unique: bool) -> I64:
    """``n`` draws, redrawing rejected (and, if ``unique``, repeated) values until none is left."""
    out = draw(n)
    while True:
        bad = out < 0
        if unique:
            _, first = np.unique(out, return_index=True)
            repeated = np.ones(n, dtype=bool)
            repeated[first] = False
            bad |= repeated
        count = int(bad.sum())
        if count == 0:
            return out
        out[bad] = draw(count)


def public_ips(rng: np.random.Generator, n: int, unique: bool = False) -> I64:
    """``n`` random public IPv4 addresses."""

    def draw(k: int) -> I64:
        ips = rng.integers(_FIRST_PUBLIC, _END_PUBLIC, size=k, dtype=np.int64)
        ips[~_is_public(ips)] = -1
        ips[(ips & 0xFF) == 0] = -1  # keep network addresses out: they look synthetic
        return ips

    return _fill(rng, n, draw, unique)


def ip_blocks(rng: np.random.Generator, n: int) -> I64:
    """``n`` distinct public /24 networks, as their base address (last octet 0)."""
    return public_ips(rng, n, unique=True) & ~np.int64(0xFF)


def neighbouring_ips(rng: np.random.Generator, k: int) -> I64:
    """``k`` consecutive addresses in one public /24: a NAT pool or an office's egress."""
    first = int(ip_blocks(rng, 1)[0]) + int(rng.integers(1, 255 - k))
    return np.arange(first, first + k, dtype=np.int64)


def phones(rng: np.random.Generator, n: int, prefixes: tuple[int, ...] = MOBILE_PREFIXES) -> I64:
    """``n`` distinct mobile numbers with the given three-digit prefixes."""
    table = np.asarray(prefixes, dtype=np.int64)

    def draw(k: int) -> I64:
        head = table[rng.integers(0, len(table), size=k)]
        return head * 100_000_000 + rng.integers(0, 100_000_000, size=k, dtype=np.int64)

    return _fill(rng, n, draw, unique=True)


def phone_block(rng: np.random.Generator, n: int, shared_digits: int) -> I64:
    """``n`` distinct numbers sharing their first ``shared_digits`` digits (7 or 8)."""
    free = 10 ** (11 - shared_digits)
    if n > free:
        raise ValueError(f"a block sharing {shared_digits} digits holds only {free} numbers")
    head = int(phones(rng, 1)[0]) // free * free
    return np.asarray(head + rng.choice(free, size=n, replace=False), dtype=np.int64)


def device_ids(rng: np.random.Generator, n: int) -> I64:
    """``n`` random device ids (60 bits)."""
    return rng.integers(1, 1 << 60, size=n, dtype=np.int64)


def patterned_device_ids(rng: np.random.Generator, n: int) -> I64:
    """``n`` emulator-style device ids: one random prefix, consecutive serials."""
    prefix = int(rng.integers(1, 1 << 44)) << 16
    start = int(rng.integers(0, (1 << 16) - n))
    return prefix + start + np.arange(n, dtype=np.int64)


def payment_ids(rng: np.random.Generator, n: int) -> I64:
    """``n`` random payment-instrument ids (48 bits)."""
    return rng.integers(1, 1 << 48, size=n, dtype=np.int64)
