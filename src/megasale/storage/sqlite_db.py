"""SQLite connections for megasale: WAL, ``synchronous=FULL``, one connection per thread."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO

__all__ = ["SqliteDatabase", "from_micros", "to_micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(at: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, no float)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    seconds, rest = divmod(micros, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest)


class SqliteDatabase:
    """Opens one connection per thread on the same file and applies the schema once.

    Writes go through :meth:`write`: ``BEGIN IMMEDIATE`` takes the file's write lock up front, so
    what a write transaction reads cannot change under it, in this process or any other.
    """

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.RLock()
        self._lock_file: IO[bytes] | None = None
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = Path(self.path + ".write.lock").open("ab")  # noqa: SIM115
        # schema.sql first, then each capability's schema_<name>.sql. executescript runs each
        # statement in autocommit mode; every statement is IF NOT EXISTS, so several processes
        # opening one file at once all end with the same schema.
        package = resources.files("megasale.storage")
        names = sorted(
            (
                f.name
                for f in package.iterdir()
                if f.name.startswith("schema") and f.name.endswith(".sql")
            ),
            key=lambda name: (name != "schema.sql", name),
        )
        conn = self.connection()
        for name in names:
            conn.executescript(package.joinpath(name).read_text("utf-8"))

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction: commits on success, rolls back on any exception.

        Writers queue on locks of their own before asking SQLite for the file's: SQLite's busy
        handler waits by sleeping in steps of up to 100 ms, which would stall the order writer
        behind another writer, while a lock hands over at once. Threads of this process queue
        on a thread lock, processes on an ``flock`` of a file beside the database (the
        operating system wakes the next waiter). ``busy_timeout`` stays as the last resort.
        """
        conn = conn or self.connection()
        with self._writer:
            if self._lock_file is not None:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                if self._lock_file is not None:
                    fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
