"""Real-name identity numbers: the checks they must pass, and how they may be kept and shown.

Two kinds of number back a shop:

- an 18-digit **resident ID** (GB 11643-1999): a 6-digit region code, an 8-digit birth date,
  a 3-digit sequence and an ISO 7064 MOD 11-2 check character (``0-9`` or ``X``);
- an 18-character **unified social credit code** (GB 32100-2015): registration authority,
  organisation type, 6-digit region code, 9-character organisation code and a MOD 31 check
  character, over an alphabet of 31 characters (no I, O, S, V, Z).

Every refusal says what is wrong without echoing the number. The clear number only lives in
a :class:`ValidIdentity` for as long as it takes to hash it: :func:`identity_digest` is a keyed
HMAC-SHA-256 (the key is kept outside the database) and :func:`mask` the only form ever shown.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from megasale.domain.errors import InvalidIdentity

__all__ = [
    "USCC_ALPHABET",
    "IdentityKind",
    "ValidIdentity",
    "check_resident_id",
    "check_uscc",
    "identity_digest",
    "mask",
    "parse_identity",
    "resident_id_check_char",
    "uscc_check_char",
]

#: provinces and the like (first two digits of a region code)
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, ...
_USCC_AUTHORITIES = frozenset("123456789ANY")
_USCC_TYPES = frozenset("1239")


class IdentityKind(StrEnum):
    RESIDENT_ID = "resident_id"
    USCC = "uscc"


@dataclass(frozen=True, slots=True)
class ValidIdentity:
    """A number that passed its checks. ``number`` is clear: hash it, mask it, drop it."""

    kind: IdentityKind
    number: str = field(repr=False)

    @property
    def masked(self) -> str:
        return mask(self.number)


def _normalise(number: str) -> str:
    return "".join(number.split()).upper()


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits.

    >>> resident_id_check_char("11010519491231002")
    'X'
    """
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character of the first 17 characters.

    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_resident_id(number: str, *, today: date | None = None) -> ValidIdentity:
    """A resident ID that passes format, region, birth date and check digit, or the reason."""
    n = _normalise(number)
    field_name = "number"
    if len(n) != 18:
        raise InvalidIdentity(field_name, f"a resident ID has 18 characters, this one has {len(n)}")
    if not n[:17].isdigit() or not n[:17].isascii():
        raise InvalidIdentity(field_name, "the first 17 characters of a resident ID are digits")
    if not (n[17].isdigit() and n[17].isascii()) and n[17] != "X":
        raise InvalidIdentity(field_name, "the last character of a resident ID is a digit or X")
    if int(n[:2]) not in _PROVINCES:
        raise InvalidIdentity(field_name, "the region code does not name a province")
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise InvalidIdentity(
            field_name, "the birth date (characters 7-14) is not a date"
        ) from None
    if born.year < 1900 or (today is not None and born > today):
        raise InvalidIdentity(field_name, "the birth date (characters 7-14) is out of range")
    if resident_id_check_char(n[:17]) != n[17]:
        raise InvalidIdentity(field_name, "the check digit does not match: a character is wrong")
    return ValidIdentity(IdentityKind.RESIDENT_ID, n)


def check_uscc(number: str) -> ValidIdentity:
    """A unified social credit code that passes format and check character, or the reason."""
    n = _normalise(number)
    field_name = "number"
    if len(n) != 18:
        raise InvalidIdentity(field_name, f"a credit code has 18 characters, this one has {len(n)}")
    if any(c not in USCC_ALPHABET for c in n):
        raise InvalidIdentity(
            field_name, "a credit code uses only digits and capitals other than I, O, S, V, Z"
        )
    if n[0] not in _USCC_AUTHORITIES:
        raise InvalidIdentity(field_name, "the first character is not a registration authority")
    if n[1] not in _USCC_TYPES:
        raise InvalidIdentity(field_name, "the second character is not an organisation type")
    if not n[2:8].isdigit() or int(n[2:4]) not in _PROVINCES:
        raise InvalidIdentity(field_name, "characters 3-8 are not a region code")
    if uscc_check_char(n[:17]) != n[17]:
        raise InvalidIdentity(
            field_name, "the check character does not match: a character is wrong"
        )
    return ValidIdentity(IdentityKind.USCC, n)


def parse_identity(kind: str, number: str, *, today: date | None = None) -> ValidIdentity:
    if kind == IdentityKind.RESIDENT_ID:
        return check_resident_id(number, today=today)
    if kind == IdentityKind.USCC:
        return check_uscc(number)
    raise InvalidIdentity("kind", "must be resident_id or uscc")


def mask(number: str) -> str:
    """The number as it may be shown: the first two and last two characters.

    >>> mask("11010519491231002X")
    '11**************2X'
    """
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def identity_digest(key: bytes, identity: ValidIdentity) -> bytes:
    """HMAC-SHA-256 of kind and number: equal for the same identity, useless without the key."""
    if len(key) < 16:
        raise ValueError("the identity key must have at least 16 bytes")
    message = f"{identity.kind.value}:{identity.number}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).digest()
