"""SQLite connections for megasale: WAL, ``synchronous=FULL``, one connection per thread."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import IO

from megasale.domain.times import from_micros, to_micros
from megasale.storage.sqlite_migrations import migrate

__all__ = ["SqliteDatabase", "from_micros", "insert_many", "to_micros", "value_rows"]

_CACHED_STATEMENTS = 4096
_MAX_PARAMETERS = 32_766  # SQLite's bound on host parameters per statement (3.32 and later)


def insert_many(
    conn: sqlite3.Connection, into: str, rows: Sequence[Sequence[object]], *, then: str = ""
) -> int:
    """``INSERT INTO {into} VALUES (...), (...) {then}``: many rows in few statements.

    ``executemany`` steps the statement once per row, and each step releases and takes back
    the interpreter lock; with the event loop running beside the order writer, each take-back
    could wait for the loop's switch interval. A statement of many rows is one step. Returns
    the number of rows changed (for an upsert: inserted plus updated), as ``rowcount`` counts.
    """
    if not rows:
        return 0
    width = len(rows[0])
    per_statement = max(1, _MAX_PARAMETERS // width)
    changed = 0
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        sql = _insert_sql(into, width, len(chunk), then)
        changed += conn.execute(sql, [value for row in chunk for value in row]).rowcount
    return changed


@lru_cache(maxsize=1024)
def _insert_sql(into: str, width: int, count: int, then: str) -> str:
    return f"INSERT INTO {into} VALUES {value_rows(width, count)} {then}"


@lru_cache(maxsize=4096)
def value_rows(width: int, count: int) -> str:
    """``count`` rows of ``width`` placeholders, for a ``VALUES`` list: ``(?,?),(?,?)``."""
    one = "(" + ",".join("?" * width) + ")"
    return ",".join([one] * count)


class SqliteDatabase:
    """Opens one connection per thread on the same file and applies the schema once.

    Writes go through :meth:`write`: ``BEGIN IMMEDIATE`` takes the file's write lock up front, so
    what a write transaction reads cannot change under it, in this process or any other.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_ms: int = 30_000,
        checkpoint_every_s: float = 2.0,
        restart_frames: int = 4096,
        checkpoint: bool = True,
    ) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.RLock()
        self._lock_file: IO[bytes] | None = None
        self._stop = threading.Event()
        # A round copies each page the log holds once, however many commits rewrote it: the
        # tail pages of the appended tables change in every batch, and a buyer's leaf comes
        # back every few seconds. Every 2 s instead of 0.5 s: orders/s +5.9% (median of 10
        # paired bursts, 9 faster, more so as the database grew; bench_ab.py), for a log of
        # up to some 200 MB at 10,000 orders/s.
        self._checkpoint_every_s = checkpoint_every_s
        #: WAL length (pages) past which the checkpointer makes the log start over
        self.restart_frames = restart_frames
        self.wal_restarts = 0
        self._checkpointer: threading.Thread | None = None
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
        migrate(conn, self.write)
        if checkpoint and self.path != ":memory:":
            self._checkpointer = threading.Thread(
                target=self._checkpoint_forever, name="sqlite-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # A batch's statements have one shape per row count (multi-row VALUES lists), so a
            # writer sees hundreds of shapes; with the default cache of 128 prepared statements
            # most were parsed again each time (12-18% more CPU per order in batches of 1-64).
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=30.0,
                cached_statements=_CACHED_STATEMENTS,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA cache_size=-65536")
            # statement journals and ephemeral tables in memory: on disk, each order batch
            # created, unlinked and wrote a file in /var/tmp (five system calls and more)
            conn.execute("PRAGMA temp_store=MEMORY")
            # no checkpoint inside a commit: a commit that also copies the WAL into the database
            # stalls every order of its batch for 100 ms or more; the checkpointer does it
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction: commits on success, rolls back on any exception."""
        conn = conn or self.connection()
        with self._exclusive():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold this file's writer lock: no write of this process or any other meanwhile.

        Writers queue on locks of their own before asking SQLite for the file's: SQLite's busy
        handler waits by sleeping in steps of up to 100 ms, which would stall the order writer
        behind another writer, while a lock hands over at once. Threads of this process queue
        on a thread lock, processes on an ``flock`` of a file beside the database (the
        operating system wakes the next waiter). ``busy_timeout`` stays as the last resort.
        """
        with self._writer:
            lock_file = self._lock_file  # close() may drop it meanwhile; unlock what was locked
            if lock_file is not None:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if lock_file is not None and not lock_file.closed:
                    fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _checkpoint_forever(self) -> None:
        """Copy the WAL into the database beside the writers, and keep the WAL from growing.

        A PASSIVE checkpoint never blocks a writer, but under a steady stream of commits it
        never catches up with the end of the log either, and SQLite starts the log over only
        when a checkpoint has copied all of it: left alone, the WAL grew by about 4 KiB per
        order all day (190 MB after 30,000 orders), and with it the cost of every page lookup.
        So once the log is longer than ``restart_frames``, after a PASSIVE round has copied
        most of it, this thread takes the writers' lock for a second round that copies only
        what was appended meanwhile (a few milliseconds); the next write then starts the log
        over from its beginning (unless a reader still reads an old snapshot from the log; then
        a later round does it).
        """
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
            while not self._stop.wait(self._checkpoint_every_s):
                try:
                    _busy, log, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if log >= self.restart_frames:
                        with self._exclusive():
                            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                        self.wal_restarts += 1
                except sqlite3.Error:  # busy or closing: the next round tries again
                    continue
        finally:
            conn.close()

    @property
    def checkpointing(self) -> bool:
        """Whether this process copies the WAL into the database (a thread of its own)."""
        return self._checkpointer is not None

    def stop_checkpointer(self) -> None:
        """Stop copying the WAL into the database (at close; a benchmark counting the WAL's
        frames stops it so that the log keeps them all)."""
        self._stop.set()
        if self._checkpointer is not None:  # its round in hand finishes first
            self._checkpointer.join(timeout=30)
            self._checkpointer = None

    def close(self) -> None:
        self.stop_checkpointer()
        with self._writer, self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
