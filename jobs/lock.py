"""One active scheduler per database: a PostgreSQL advisory lock, or a lock file for SQLite.

Both locks belong to the process (its connection or its open file): if it dies, however, the
lock goes with it, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text

__all__ = ["SchedulerLock", "ADVISORY_KEY", "lock_file_for"]

#: Key of the PostgreSQL advisory lock ("PASSERELLE" scheduler), the same for every process.
ADVISORY_KEY = 0x5053_4348  # "PSCH"


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
            if self.try_acquire():
                return True
            if not wait or stop.wait(poll):
                return False

    def release(self) -> None:
        """Give the lock back (closing the connection or file is enough, but say it)."""
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None
