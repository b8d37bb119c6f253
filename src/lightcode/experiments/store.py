"""Resumable result store: one SQLite row per finished sweep point, committed as soon as it arrives.

WAL mode + one short transaction per row: a sweep killed at any instant (SIGKILL included) keeps every
row committed before it, and the UNIQUE(spec_hash, point_key) constraint makes a re-run unable to
duplicate one. Only the client process writes; workers never touch the database.

Each row keeps the model fingerprint it was computed under (fingerprint.py: code + hardware files); a row
whose fingerprint is not the current one is stale, and its recomputed outcome replaces it. Databases from
before the column gain it empty (NULL: unknown, hence stale).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator, Optional

from lightcode.errors import BadInputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS specs (
    spec_hash   TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    spec_json   TEXT NOT NULL,
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS points (
    id          INTEGER PRIMARY KEY,
    spec_hash   TEXT NOT NULL,
    point_key   TEXT NOT NULL,
    params      TEXT NOT NULL,              -- the Point as JSON
    status      TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    result      TEXT,                       -- run_compile(...).to_json_dict() as JSON (status ok)
    error_type  TEXT,
    error       TEXT,
    retryable   INTEGER NOT NULL DEFAULT 0, -- 1: lost to infrastructure (worker death …), re-run retries it
    started_at  REAL,
    finished_at REAL NOT NULL,
    duration_s  REAL,                       -- wall time of the point function on its worker
    worker      TEXT,
    model_fp    TEXT,                       -- fingerprint.py: the code and hardware files it was computed under
    UNIQUE (spec_hash, point_key)
);
CREATE INDEX IF NOT EXISTS points_spec ON points (spec_hash);
-- points a running sweep is computing: a second sweep on the same database skips them instead of
-- computing them twice (a claim whose process is gone is taken over)
CREATE TABLE IF NOT EXISTS claims (
    spec_hash   TEXT NOT NULL,
    point_key   TEXT NOT NULL,
    owner       TEXT NOT NULL,              -- host:pid of the claiming sweep
    claimed_at  REAL NOT NULL,
    PRIMARY KEY (spec_hash, point_key)
);
"""


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's sweep: trust its claim
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise BadInputError(f"results database {str(self.path)!r} is a directory; give a file path (--db)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise BadInputError(f"cannot create the directory of results database {str(self.path)!r} "
                                f"({e.strerror or type(e).__name__}); choose a writable --db") from None
        self.owner = _owner()
        try:
            # isolation_level=None: autocommit; each write below is its own transaction.
            self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable against process death
            self.conn.executescript(SCHEMA)
            self._migrate()
        except (sqlite3.DatabaseError, sqlite3.OperationalError) as e:
            raise BadInputError(f"cannot open results database {str(self.path)!r}: {e}") from None

    def _migrate(self) -> None:
        """A database written before a column existed gains it (its old rows NULL there)."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(points)")}
        if "model_fp" not in cols:
            try:
                self.conn.execute("ALTER TABLE points ADD COLUMN model_fp TEXT")
            except sqlite3.OperationalError as e:  # another sweep opening the same database added it first
                if "duplicate column" not in str(e):
                    raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- writing ----------------------------------------------------------------------------------
    def register_spec(self, spec_hash: str, name: str, spec_json: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO specs (spec_hash, name, spec_json, created_at) VALUES (?, ?, ?, ?)",
            (spec_hash, name, spec_json, time.time()),
        )

    def record(self, spec_hash: str, point_key: str, params: dict[str, Any], *, status: str,
               result: Optional[dict[str, Any]] = None, error_type: Optional[str] = None,
               error: Optional[str] = None, retryable: bool = False, started_at: Optional[float] = None,
               duration_s: Optional[float] = None, worker: Optional[str] = None,
               model_fp: Optional[str] = None) -> bool:
        """Commit one point computed under fingerprint `model_fp`. A finished row is never overwritten,
        except a retryable error row or a row of another fingerprint (stale), which a later outcome
        replaces. Returns False when the point was already finished (nothing written)."""
        cur = self.conn.execute(
            """INSERT INTO points (spec_hash, point_key, params, status, result, error_type, error, retryable,
                                   started_at, finished_at, duration_s, worker, model_fp)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (spec_hash, point_key) DO UPDATE SET
                   params=excluded.params, status=excluded.status, result=excluded.result,
                   error_type=excluded.error_type, error=excluded.error, retryable=excluded.retryable,
                   started_at=excluded.started_at, finished_at=excluded.finished_at,
                   duration_s=excluded.duration_s, worker=excluded.worker, model_fp=excluded.model_fp
               WHERE points.retryable = 1 OR points.model_fp IS NOT excluded.model_fp""",
            (spec_hash, point_key, json.dumps(params, sort_keys=True), status,
             None if result is None else json.dumps(result, sort_keys=True), error_type, error,
             int(retryable), started_at, time.time(), duration_s, worker, model_fp),
        )
        return cur.rowcount > 0

    def claim(self, spec_hash: str, keys: list[str]) -> set[str]:
        """Claim `keys` for this process; returns those it now holds (not finished, not held by another
        live sweep). Claims of processes that died are taken over."""
        mine: set[str] = set()
        now = time.time()
        for k in keys:
            self.conn.execute("INSERT OR IGNORE INTO claims VALUES (?, ?, ?, ?)", (spec_hash, k, self.owner, now))
            row = self.conn.execute("SELECT owner FROM claims WHERE spec_hash=? AND point_key=?",
                                    (spec_hash, k)).fetchone()
            if row[0] != self.owner and not _owner_alive(row[0]):
                self.conn.execute("UPDATE claims SET owner=?, claimed_at=? WHERE spec_hash=? AND point_key=?",
                                  (self.owner, now, spec_hash, k))
                row = (self.owner,)
            if row[0] == self.owner:
                mine.add(k)
        return mine

    def release_claims(self) -> None:
        self.conn.execute("DELETE FROM claims WHERE owner=?", (self.owner,))

    def forget_non_optimal(self, spec_hash: str) -> int:
        """`--retry-feasible`: drop finished rows whose solver did not prove optimality (a time-out under
        load), so that the next run solves them again."""
        rows = self.conn.execute("SELECT point_key, result FROM points WHERE spec_hash=? AND status='ok'",
                                 (spec_hash,)).fetchall()
        drop = [k for k, r in rows if json.loads(r or "{}").get("solver", {}).get("status", "OPTIMAL") != "OPTIMAL"]
        for k in drop:
            self.conn.execute("DELETE FROM points WHERE spec_hash=? AND point_key=?", (spec_hash, k))
        return len(drop)

    def forget_errors(self, spec_hash: str) -> int:
        """`--retry-errors`: drop the error rows of a spec so that the next run computes them again."""
        return self.conn.execute("DELETE FROM points WHERE spec_hash=? AND status='error'", (spec_hash,)).rowcount

    # --- reading ----------------------------------------------------------------------------------
    def finished_keys(self, spec_hash: str) -> set[str]:
        """Points finished under some model: successes and deterministic failures (e.g. infeasible)."""
        return set(self.finished(spec_hash))

    def finished(self, spec_hash: str) -> dict[str, Optional[str]]:
        """point_key -> the model fingerprint of each finished point (None: stored before fingerprints).
        A re-run skips those whose fingerprint is the current one."""
        rows = self.conn.execute("SELECT point_key, model_fp FROM points WHERE spec_hash=? AND retryable=0",
                                 (spec_hash,))
        return dict(rows.fetchall())

    def count(self, spec_hash: Optional[str] = None) -> dict[str, int]:
        q = "SELECT status, COUNT(*) FROM points"
        args: tuple = ()
        if spec_hash:
            q += " WHERE spec_hash=?"
            args = (spec_hash,)
        return dict(self.conn.execute(q + " GROUP BY status", args).fetchall())

    def rows(self, spec_hash: Optional[str] = None) -> Iterator[dict[str, Any]]:
        q = ("SELECT p.spec_hash, s.name, p.point_key, p.params, p.status, p.result, p.error_type, p.error, "
             "p.duration_s, p.worker, p.finished_at, p.model_fp FROM points p LEFT JOIN specs s USING (spec_hash)")
        args: tuple = ()
        if spec_hash:
            q += " WHERE p.spec_hash=?"
            args = (spec_hash,)
        for r in self.conn.execute(q + " ORDER BY p.id", args):
            yield {
                "spec_hash": r[0], "spec_name": r[1], "point_key": r[2], "params": json.loads(r[3]),
                "status": r[4], "result": None if r[5] is None else json.loads(r[5]), "error_type": r[6],
                "error": r[7], "duration_s": r[8], "worker": r[9], "finished_at": r[10], "model_fp": r[11],
            }

    def specs(self) -> list[dict[str, Any]]:
        return [
            {"spec_hash": h, "name": n, "spec": json.loads(j)}
            for h, n, j in self.conn.execute("SELECT spec_hash, name, spec_json FROM specs ORDER BY created_at")
        ]


def open_existing(path: str | Path) -> Store:
    """For export/plot: the database must already exist."""
    if not Path(path).is_file():
        raise BadInputError(f"results database {str(path)!r} not found (run `lightcode sweep SPEC --db …` first)")
    return Store(path)
