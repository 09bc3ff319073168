"""What the event log says about brushing rings: the contract between detector and consumers.

The streaming detector appends these to the event log (``storage/sqlite_events.append_event``)
in the same transaction as whatever it holds or records; the live screen reads them.

- ``brushing.ring_flagged``: a ring was found, naming its orders and buyers. Flagging the same
  ring again (a new event id, the same ``ring_id``) adds the orders it names to the ring.
- ``brushing.ring_cleared``: an analyst found the ring innocent; its orders count again.
- ``brushing.ring_confirmed``: an analyst confirmed it; its orders stay out for good.

Event ids: ``brushing.ring_flagged:<ring_id>:<revision>`` and ``<kind>:<ring_id>`` for the
rulings, so that a redelivered event is recognised by its id.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "RING_CLEARED",
    "RING_CONFIRMED",
    "RING_FLAGGED",
    "RingFlagged",
    "RingRuling",
    "decode_ring_flagged",
    "decode_ring_ruling",
    "ring_flagged",
    "ring_ruling",
]

RING_FLAGGED = "brushing.ring_flagged"
RING_CLEARED = "brushing.ring_cleared"
RING_CONFIRMED = "brushing.ring_confirmed"


class RingFlagged(msgspec.Struct, frozen=True):
    """A ring of buyers whose orders look like brushing or subsidy farming.

    ``gmv_fen`` and ``subsidy_fen`` are the detector's own totals over ``order_ids``, for
    display; consumers that keep figures sum the orders themselves, each order once.
    ``evidence`` is a one-line summary for people (the full evidence lives with the detector).
    """

    ring_id: str
    kind: str
    score: float
    order_ids: list[str]
    buyer_ids: list[str]
    gmv_fen: int
    subsidy_fen: int
    at: str
    evidence: str = ""


class RingRuling(msgspec.Struct, frozen=True):
    """An analyst's ruling on a ring: cleared (innocent) or confirmed."""

    ring_id: str
    at: str


_encoder = msgspec.json.Encoder()
_flagged_decoder = msgspec.json.Decoder(RingFlagged)
_ruling_decoder = msgspec.json.Decoder(RingRuling)


def ring_flagged(event: RingFlagged, revision: int = 1) -> tuple[str, str, bytes]:
    """``(event_id, kind, payload)`` of a flag; ``revision`` counts flags of the same ring."""
    event_id = f"{RING_FLAGGED}:{event.ring_id}:{revision}"
    return event_id, RING_FLAGGED, _encoder.encode(event)


def ring_ruling(kind: str, event: RingRuling) -> tuple[str, str, bytes]:
    """``(event_id, kind, payload)`` of a ruling; ``kind`` is cleared or confirmed."""
    if kind not in (RING_CLEARED, RING_CONFIRMED):
        raise ValueError(f"a ruling is {RING_CLEARED} or {RING_CONFIRMED}, not {kind!r}")
    return f"{kind}:{event.ring_id}", kind, _encoder.encode(event)


def decode_ring_flagged(payload: bytes) -> RingFlagged:
    return _flagged_decoder.decode(payload)


def decode_ring_ruling(payload: bytes) -> RingRuling:
    return _ruling_decoder.decode(payload)
