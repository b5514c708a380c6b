"""One active scheduler per database, and one run of each job at a time.

The scheduler's lock is a PostgreSQL advisory lock, or a lock file for SQLite. Both belong to the
process (its connection or its open file): if it dies, however, the lock goes with it, so a crash
never leaves a stale lock behind.

:func:`job_lock` keeps two runs of the same job apart on PostgreSQL (a manual ``python -m jobs
run rematch`` while the scheduler runs it): a transaction-scoped advisory lock on a connection of
its own, held for the run. On SQLite every transaction starts with ``BEGIN IMMEDIATE``
(:mod:`data.db`), so two runs' transactions take turns, and each job is idempotent (unique keys,
conditional updates, the re-matching watermark): no lock is needed.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

__all__ = ["SchedulerLock", "ADVISORY_KEY", "JOB_LOCK_SPACE", "lock_file_for", "job_lock"]

log = logging.getLogger("jobs.lock")

#: Key of the PostgreSQL advisory lock ("PASSERELLE" scheduler), the same for every process.
ADVISORY_KEY = 0x5053_4348  # "PSCH"
#: First half of the two-part advisory key of a job's lock (the second is the job's id hashed).
JOB_LOCK_SPACE = 0x504A_4F42  # "PJOB"


def _job_key(job: str) -> int:
    """Return a job id as a signed 32-bit integer, the second half of its advisory key."""
    value = zlib.crc32(job.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


@contextmanager
def job_lock(engine: Engine, job: str) -> Iterator[bool]:
    """Hold the right to run ``job`` on this database for the block; yield whether it was free.

    PostgreSQL: ``pg_try_advisory_xact_lock`` in a transaction of a connection of its own, which
    ends (and releases the lock) with the block, or with the connection if the process dies.
    SQLite: always free (see the module's docstring).
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    conn = engine.connect()
    try:
        conn.begin()
        got = conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:space, :key)"),
            {"space": JOB_LOCK_SPACE, "key": _job_key(job)},
        ).scalar()
        yield bool(got)
    finally:
        try:
            conn.close()  # rolls back: the lock goes with the transaction
        except Exception:  # the connection was lost meanwhile: so was the lock
            log.warning("job %s: its lock's connection was already closed", job, exc_info=True)


def lock_file_for(engine: Engine, instance_dir: str | os.PathLike[str]) -> Path:
    """Return the lock file of a SQLite database: next to the file, else in the instance."""
    database = engine.url.database
    if database and database != ":memory:":
        return Path(database).with_name(Path(database).name + ".scheduler.lock")
    return Path(instance_dir) / "scheduler.lock"


class SchedulerLock:
    """The right to run the scheduler; :meth:`acquire` may wait for the holder to stop."""

    def __init__(self, engine: Engine, instance_dir: str | os.PathLike[str]) -> None:
        self.engine = engine
        self.instance_dir = instance_dir
        self._conn: Connection | None = None
        self._file: IO[Any] | None = None
        #: The lock's connection was lost and the lock not taken again yet.
        self._lost = False
        #: Jobs run in several threads: one checks the lock at a time.
        self._checking = threading.Lock()

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        """Take the lock if free; return whether this process holds it now."""
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            if got.scalar():
                self._conn = conn
                return True
            conn.close()
            return False
        path = lock_file_for(self.engine, self.instance_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        f = path.open("a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            return False
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return True

    def acquire(self, *, wait: bool, stop: threading.Event, poll: float = 5.0) -> bool:
        """Take the lock, waiting for it if ``wait`` until ``stop`` is set; return success."""
        while True:
            try:
                if self.try_acquire():
                    return True
            except DBAPIError as exc:  # the database restarts: go on waiting
                if not wait:
                    raise
                log.warning("cannot reach the database to take the lock (%s)", type(exc).__name__)
            if not wait or stop.wait(poll):
                return False

    def still_held(self) -> bool:
        """Tell whether this process still holds the lock; take it again if it was lost.

        PostgreSQL's advisory lock lives in its connection: a restart of the server drops the
        connection and the lock with it, and another scheduler waiting for the lock may take
        it. Checked before each job run: a lost lock is taken again if it is free, else the
        caller stops. Raises ``DBAPIError`` while the database cannot be reached.
        """
        with self._checking:
            return self._still_held()

    def _still_held(self) -> bool:
        if self._file is not None:
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("the scheduler lock's connection was lost: taking the lock again")
                self._forget_connection()
                self._lost = True
        if not self._lost:
            return False
        got = self.try_acquire()  # raises while the database cannot be reached: lost still
        if got:
            log.info("the scheduler lock is held again")
        self._lost = False
        return got

    def _forget_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except DBAPIError:  # already dead, and its lock with it
                pass

    def release(self) -> None:
        """Give the lock back (closing the connection or file is enough, but say it)."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            except DBAPIError:  # the connection was lost (server restarted): so was the lock
                log.warning("the scheduler lock's connection was already lost")
            finally:
                self._forget_connection()
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None
