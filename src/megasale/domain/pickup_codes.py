"""One-time pickup codes: short enough to read out at a counter, with a check character.

A code is :data:`BODY_LENGTH` symbols of the 32-symbol alphabet below (50 random bits) and one
check character, shown in groups: ``7K3M-QX9P-2TRW``. The alphabet leaves out ``I L O U`` so that
nothing reads like ``1`` or ``0``; a clerk who types them anyway gets the digit they stand for.

The check character is Luhn mod 32: every single-character substitution within the alphabet
changes the check sum, so a typo is refused before any lookup, and most swaps of two adjacent
characters are caught as well.
"""

from __future__ import annotations

import secrets

from megasale.domain.errors import MistypedPickupCode

__all__ = [
    "ALPHABET",
    "BODY_LENGTH",
    "CODE_LENGTH",
    "check_character",
    "code_from_bits",
    "format_code",
    "new_pickup_code",
    "normalise_code",
]

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 10
CODE_LENGTH = BODY_LENGTH + 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = {"O": "0", "I": "1", "L": "1"}
_N = len(ALPHABET)


def check_character(body: str) -> str:
    """The Luhn mod 32 check character of ``body`` (symbols of :data:`ALPHABET`)."""
    total = 0
    double = True  # the rightmost body symbol is doubled, as in Luhn's original
    for symbol in reversed(body):
        value = _VALUE[symbol]
        if double:
            value *= 2
            value = value // _N + value % _N
        total += value
        double = not double
    return ALPHABET[(_N - total % _N) % _N]


def new_pickup_code() -> str:
    """A fresh code, normalised (no separators): 50 random bits then the check character."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def code_from_bits(bits: int) -> str:
    """The code whose body spells the low 50 bits of ``bits`` (for codes derived by a key)."""
    symbols = []
    for _ in range(BODY_LENGTH):
        bits, value = divmod(bits, _N)
        symbols.append(ALPHABET[value])
    body = "".join(symbols)
    return body + check_character(body)


def normalise_code(text: str) -> str:
    """The code as typed, upper-cased, without spaces or dashes; refused if mistyped.

    Raises :class:`MistypedPickupCode` for a wrong length, a symbol outside the alphabet or a
    check character that does not match: no lookup is needed to know such a code is wrong.
    """
    cleaned = "".join(text.split()).replace("-", "").upper()
    cleaned = "".join(_READ_AS.get(c, c) for c in cleaned)
    if len(cleaned) != CODE_LENGTH:
        raise MistypedPickupCode(
            f"a pickup code has {CODE_LENGTH} characters; this one has {len(cleaned)}"
        )
    bad = sorted({c for c in cleaned if c not in _VALUE})
    if bad:
        raise MistypedPickupCode(f"a pickup code never contains {', '.join(bad)}")
    if check_character(cleaned[:BODY_LENGTH]) != cleaned[BODY_LENGTH]:
        raise MistypedPickupCode("the code does not check out: a character is mistyped")
    return cleaned


def format_code(code: str) -> str:
    """``7K3MQX9P2TR`` as ``7K3M-QX9P-2TR``, for reading out."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
