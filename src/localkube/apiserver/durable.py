"""The API's objects on disk: one SQLite database in WAL mode (stdlib sqlite3), as k3s's kine keeps
Kubernetes' state in SQLite.

Every write is its own transaction, committed before the store returns, so before the client gets
its answer. In WAL mode a commit is one append to the log file: once `commit()` returns, the write
survives the process being killed at any moment (SIGKILL, OOM). `synchronous=NORMAL` does not fsync
each commit, so a power failure may lose the last commits but never corrupts the database;
`sync=True` (`localkube up --fsync`) fsyncs every commit for that too, at a cost in writes/s.

The table holds the current objects (their JSON, exactly as served, each with its resourceVersion)
and the resourceVersion of the last deletion: so resourceVersions never go back after a restart.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

Key = tuple[str, str]  # (group, plural)

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    grp TEXT NOT NULL,
    plural TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    rv INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (grp, plural, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('resourceVersion', 0);
"""


@dataclass(frozen=True)
class Row:
    key: Key
    rv: int
    raw: bytes


class StateFile:
    """The database at `path`, created if missing. Used from the server's event loop thread only."""

    def __init__(self, path: Path, *, sync: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Secrets live here: SQLite gives its -wal and -shm files the database file's mode
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        # autocommit mode: each write below is one explicit transaction
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if sync else 'NORMAL'}")
        self._db.executescript(SCHEMA)

    def last_rv(self) -> int:
        """The last resourceVersion handed out before the restart."""
        row = self._db.execute(
            "SELECT MAX((SELECT value FROM counters WHERE name='resourceVersion'),"
            " (SELECT COALESCE(MAX(rv), 0) FROM objects))"
        ).fetchone()
        return int(row[0]) if row else 0

    def rows(self) -> Iterator[Row]:
        """Every stored object, oldest write first (so owners are seen before what they own)."""
        for grp, plural, rv, data in self._db.execute(
            "SELECT grp, plural, rv, data FROM objects ORDER BY rv"
        ):
            yield Row((grp, plural), int(rv), bytes(data))

    def put(self, key: Key, namespace: str, name: str, rv: int, raw: bytes) -> None:
        # One statement is one transaction in autocommit mode; the row's rv is the newest
        # resourceVersion, so the counter needs no update (load() takes the larger of the two).
        self._db.execute(
            "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?)", (*key, namespace, name, rv, raw)
        )

    def delete(self, key: Key, namespace: str, name: str, rv: int) -> None:
        self._write(
            "DELETE FROM objects WHERE grp=? AND plural=? AND namespace=? AND name=?",
            (*key, namespace, name),
            rv,
        )

    def drop(self, key: Key) -> None:
        """Forget a whole resource (a deleted CRD's objects)."""
        self._write("DELETE FROM objects WHERE grp=? AND plural=?", key, None)

    def _write(self, sql: str, args: tuple[object, ...], rv: int | None) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(sql, args)
            if rv is not None:
                db.execute("UPDATE counters SET value=? WHERE name='resourceVersion'", (rv,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
