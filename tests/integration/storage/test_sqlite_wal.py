"""The WAL starts over while writes keep coming, instead of growing all day."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from megasale.storage.sqlite_db import SqliteDatabase


def _log_frames(path: Path) -> int:
    """Frames in the WAL now (a PASSIVE checkpoint reports them without waiting)."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


def test_the_wal_is_restarted_under_a_steady_stream_of_commits(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "wal.db", checkpoint_every_s=0.02, restart_frames=64)
    try:
        with db.write() as conn:
            conn.execute("CREATE TABLE filler (k INTEGER PRIMARY KEY, v BLOB)")
        deadline = time.monotonic() + 20
        written = 0
        while (db.wal_restarts < 3 or written < 1000) and time.monotonic() < deadline:
            with (
                db.write() as conn
            ):  # each commit appends frames; nothing pauses for the checkpointer
                conn.executemany(
                    "INSERT INTO filler (v) VALUES (?)", [(b"x" * 2000,) for _ in range(20)]
                )
            written += 20
        assert db.wal_restarts >= 3, "the checkpointer never made the log start over"
        with db.write() as conn:  # the write after a complete checkpoint starts the log over
            conn.execute("INSERT INTO filler (v) VALUES (x'00')")
        # 20 rows of 2 KB are ~12 pages a commit: without restarts the log would hold them all
        assert written * 2000 // 4096 > 4 * 64
        assert _log_frames(tmp_path / "wal.db") < 4 * 64
        with db.read() as conn:
            assert conn.execute("SELECT count(*) FROM filler").fetchone()[0] == written + 1
    finally:
        db.close()
