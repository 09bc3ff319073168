"""Carrier webhook signatures: unsigned, tampered or stale calls are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from megasale.domain.errors import InvalidInput, WebhookRefused
from megasale.services.carrier_webhook import (
    carrier_secret,
    check_signature,
    decode_report,
    sign,
)

NOW = datetime(2026, 11, 11, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(minutes=5)
SECRET = carrier_secret(b"k" * 32, "sf")
BODY = b'{"event_id":"e1","tracking_number":"SF1","status":"picked_up","at":"2026-11-11T12:00:00Z"}'


def ts(at: datetime = NOW) -> str:
    return str(int(at.timestamp()))


def test_a_call_signed_with_the_carriers_secret_passes():
    check_signature(SECRET, ts(), sign(SECRET, int(ts()), BODY), BODY, NOW, TOLERANCE)


def test_each_carrier_has_its_own_secret():
    assert carrier_secret(b"k" * 32, "zto") != SECRET
    assert carrier_secret(b"j" * 32, "sf") != SECRET


@pytest.mark.parametrize(
    ("timestamp", "signature", "body", "why"),
    [
        (None, None, BODY, "needs"),
        (ts(), None, BODY, "needs"),
        (ts(), sign(SECRET, int(ts()), BODY), BODY.replace(b"picked_up", b"delivered"), "match"),
        (ts(), sign(carrier_secret(b"k" * 32, "zto"), int(ts()), BODY), BODY, "match"),
        (str(int(ts()) + 1), sign(SECRET, int(ts()), BODY), BODY, "match"),
        ("12:00", "v1=00", BODY, "Unix seconds"),
    ],
)
def test_an_unsigned_or_tampered_call_is_refused(timestamp, signature, body, why):
    with pytest.raises(WebhookRefused, match=why):
        check_signature(SECRET, timestamp, signature, body, NOW, TOLERANCE)


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_call_signed_too_far_from_our_clock_is_refused(skew):
    stale = int((NOW + skew).timestamp())
    with pytest.raises(WebhookRefused, match="away from our clock"):
        check_signature(SECRET, str(stale), sign(SECRET, stale, BODY), BODY, NOW, TOLERANCE)


def test_a_report_names_a_status_carriers_may_send():
    report, status = decode_report(BODY)
    assert (report.event_id, status.value) == ("e1", "picked_up")
    with pytest.raises(InvalidInput, match="awaiting_handover"):
        decode_report(BODY.replace(b"picked_up", b"awaiting_handover"))
    with pytest.raises(InvalidInput, match="offset"):
        decode_report(BODY.replace(b"00Z", b"00"))
