"""Carrier webhooks: each call is signed with the carrier's shared secret and used once.

A carrier sends ``X-Megasale-Timestamp`` (Unix seconds) and ``X-Megasale-Signature:
v1=<hex>``, the HMAC-SHA256 of ``"<timestamp>." + body`` under its secret. A call is refused
when the signature is missing or wrong, or when its timestamp is further than the tolerance
from our clock; the event id inside the body is then taken once (the store keeps them), so a
captured call replayed within the tolerance is refused too.

Secrets are derived from the fulfilment key and the carrier id, so none is kept in the
database; ``megasale carrier-secret`` prints one to hand to the carrier.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import msgspec

from megasale.domain.errors import InvalidInput, WebhookRefused
from megasale.domain.shipments import REPORTED, ShipmentStatus

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CarrierReport",
    "carrier_secret",
    "check_signature",
    "decode_report",
    "sign",
]

TIMESTAMP_HEADER = "X-Megasale-Timestamp"
SIGNATURE_HEADER = "X-Megasale-Signature"


class CarrierReport(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """What a carrier tells us about one parcel."""

    event_id: str
    tracking_number: str
    status: str
    at: datetime


_decoder = msgspec.json.Decoder(CarrierReport)


def carrier_secret(fulfilment_key: bytes, carrier_id: str) -> str:
    """The shared secret of ``carrier_id`` (64 hex digits) derived from the fulfilment key.

    The carrier uses the text itself as its HMAC key.
    """
    return hmac.new(fulfilment_key, f"carrier-webhook:{carrier_id}".encode(), "sha256").hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    key = secret.encode()
    mac = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def check_signature(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    tolerance: timedelta,
) -> None:
    """Refuse an unsigned, wrongly signed or out-of-time call with :class:`WebhookRefused`."""
    if not timestamp or not signature:
        raise WebhookRefused(f"a carrier call needs {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRefused(f"{TIMESTAMP_HEADER} must be Unix seconds")
    expected = sign(secret, int(timestamp), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookRefused("the signature does not match the body and timestamp")
    skew = abs(now.timestamp() - int(timestamp))
    if skew > tolerance.total_seconds():
        raise WebhookRefused(
            f"the call was signed {int(skew)} s away from our clock; at most "
            f"{int(tolerance.total_seconds())} s is accepted"
        )


def decode_report(body: bytes) -> tuple[CarrierReport, ShipmentStatus]:
    """The report in a (signed) body, and the status it claims."""
    try:
        report = _decoder.decode(body)
    except msgspec.ValidationError as error:
        raise InvalidInput("body", str(error)) from None
    except msgspec.DecodeError:
        raise InvalidInput("body", "not JSON") from None
    if report.at.tzinfo is None:
        raise InvalidInput("at", "must carry an offset, e.g. 2026-11-11T10:00:00+08:00")
    if not 1 <= len(report.event_id) <= 128 or not 1 <= len(report.tracking_number) <= 64:
        raise InvalidInput("event_id", "event_id and tracking_number must be short and present")
    try:
        status = ShipmentStatus(report.status)
    except ValueError:
        status = None
    if status not in REPORTED:
        allowed = ", ".join(sorted(REPORTED))
        raise InvalidInput("status", f"{report.status!r} is not one of {allowed}")
    assert status is not None
    return report, status
