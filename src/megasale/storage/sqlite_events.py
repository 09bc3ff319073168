"""The outbox on SQLite: append an event inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from megasale.storage.sqlite_db import insert_many, to_micros

__all__ = ["append_event", "append_events"]

_INTO = "events (event_id, kind, payload, recorded_at)"
_INSERT = f"INSERT INTO {_INTO} VALUES (?, ?, ?, ?)"


def append_event(
    conn: sqlite3.Connection, event_id: str, kind: str, payload: bytes, at: datetime
) -> None:
    """Append one event. ``event_id`` is unique: appending the same fact twice fails loudly."""
    conn.execute(_INSERT, (event_id, kind, payload, to_micros(at)))


def append_events(conn: sqlite3.Connection, events: list[tuple[str, str, bytes, int]]) -> None:
    """Append many ``(event_id, kind, payload, recorded_at_micros)`` rows at once."""
    insert_many(conn, _INTO, events)
