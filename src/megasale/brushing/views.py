"""Views of an order that survive IP rotation: building, subnet and phone block.

Pure functions over strings (one value, for the streaming detector and for tests) and the
same rules as polars expressions (a whole column at once, for the batch reader).
"""

from __future__ import annotations

import re

import polars as pl

__all__ = [
    "DEVICE_SERIAL_CHARS",
    "PHONE_BLOCK_DIGITS",
    "building_expr",
    "building_of",
    "device_family_expr",
    "device_family_of",
    "phone_block_expr",
    "phone_block_of",
    "subnet_expr",
    "subnet_of",
]

PHONE_BLOCK_DIGITS = 4
"""Trailing digits dropped from a phone number: a block is 10,000 consecutive numbers, what a
reseller of SIM cards sells in bulk (a Chinese mobile number's first seven digits)."""
DEVICE_SERIAL_CHARS = 4
"""Trailing characters dropped from a device id to get its family: emulators and device farms
hand out consecutive serials under one prefix."""

# Where the unit-level part of an address starts: room, flat, unit, floor, or the Chinese
# 单元 (entrance), 室 (room), 层 (floor), 户 (flat). Everything from there on is dropped.
_UNIT_START = (
    r"(?:[,\s]+(?:room|rm|unit|apt|apartment|flat|suite|floor)\b"
    r"|\s*#|[0-9a-z-]+\s*(?:单元|室|层|户|号房)).*$"
)
_TRIM = " ,;，"


def building_of(address: str) -> str:
    """The building an address points at: lower case, cut where the unit or room begins.

    >>> building_of("Hangzhou, Xihu District, Wenhua Road No. 128, Building 7, Unit 2, Room 1502")
    'hangzhou, xihu district, wenhua road no. 128, building 7'
    >>> building_of("北京市朝阳区建国路88号3号楼2单元1203室")
    '北京市朝阳区建国路88号3号楼'
    """
    return re.sub(_UNIT_START, "", address.lower(), count=1).strip(_TRIM)


def building_expr(column: str) -> pl.Expr:
    """:func:`building_of` over a column; empty results become missing."""
    text = pl.col(column).str.to_lowercase().str.replace(_UNIT_START, "").str.strip_chars(_TRIM)
    return pl.when(text.str.len_bytes() > 0).then(text).otherwise(None)


def subnet_of(ip: str) -> str:
    """The coarse network of an address: /24 for IPv4, the first four groups (/64) for IPv6.

    >>> subnet_of("10.1.2.3")
    '10.1.2'
    >>> subnet_of("2001:db8:1:2:3:4:5:6")
    '2001:db8:1:2'
    """
    if ":" in ip:
        return ":".join(ip.lower().split(":")[:4])
    return ip.rsplit(".", 1)[0]


def subnet_expr(column: str) -> pl.Expr:
    """:func:`subnet_of` over a column.

    IPv4 addresses lose their last ``.`` part without a capture group (the regex engine's
    fast path, about three times cheaper); only addresses with a ``:`` take the IPv6 rule.
    """
    text = pl.col(column).str.to_lowercase()
    v6 = text.str.replace(r"^([^:]*:[^:]*:[^:]*:[^:]*):.*$", "${1}")
    v4 = text.str.replace(r"\.[^.]*$", "")
    return pl.when(text.str.contains(":", literal=True)).then(v6).otherwise(v4)


def phone_block_of(phone: str) -> str:
    """The block of 10,000 consecutive numbers a phone number belongs to (digits only).

    >>> phone_block_of("+86 138-0013-8042")
    '861380013'
    """
    digits = re.sub(r"\D", "", phone)
    return digits[:-PHONE_BLOCK_DIGITS] if len(digits) > PHONE_BLOCK_DIGITS else digits


def phone_block_expr(column: str) -> pl.Expr:
    """:func:`phone_block_of` over a column."""
    digits = pl.col(column).str.replace_all(r"\D", "")
    length = digits.str.len_chars()
    block = digits.str.slice(0, length - PHONE_BLOCK_DIGITS)
    return pl.when(length > PHONE_BLOCK_DIGITS).then(block).otherwise(digits)


def device_family_of(device: str) -> str:
    """A device id without its serial: ids handed out in sequence share it.

    >>> device_family_of("d0123456789abcdef")
    'd0123456789ab'
    """
    return device[:-DEVICE_SERIAL_CHARS] if len(device) > 2 * DEVICE_SERIAL_CHARS else device


def device_family_expr(column: str) -> pl.Expr:
    """:func:`device_family_of` over a column."""
    length = pl.col(column).str.len_chars()
    family = pl.col(column).str.slice(0, length - DEVICE_SERIAL_CHARS)
    return pl.when(length > 2 * DEVICE_SERIAL_CHARS).then(family).otherwise(pl.col(column))
