"""Engines built by data.db: SQLite pragmas that the service relies on."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, make_session_factory, read_session


def test_sqlite_file_engine_uses_wal_foreign_keys_and_full_sync(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


def test_sqlite_memory_engine_keeps_its_journal(tmp_path) -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def _impatient(url: str) -> sessionmaker[Session]:
    """Sessions on another engine that give up at once when the database is locked."""
    engine = make_engine(url)
    event.listen(engine, "connect", lambda raw, _record: raw.execute("PRAGMA busy_timeout = 0"))
    return make_session_factory(engine)


def test_sqlite_transactions_take_the_write_lock_when_they_begin_unless_read_only(
    tmp_path,
) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    factory, impatient = make_session_factory(engine), _impatient(url)
    with factory() as first:
        first.execute(text("SELECT count(*) FROM t"))  # reads only, yet holds the write lock
        with impatient() as second, pytest.raises(OperationalError, match="database is locked"):
            second.execute(text("SELECT 1"))
        # A read-only session still reads (WAL: readers never wait).
        with read_session(impatient) as reader:
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        first.execute(text("INSERT INTO t VALUES (1)"))
        first.commit()

    # Why: a deferred transaction that read, then writes after another one committed, fails at
    # once whatever the busy timeout. One that began IMMEDIATE waited for its turn instead.
    with read_session(factory) as deferred:
        assert deferred.execute(text("SELECT count(*) FROM t")).scalar() == 1
        with engine.begin() as other:
            other.exec_driver_sql("INSERT INTO t VALUES (2)")
        with pytest.raises(OperationalError, match="database is locked"):
            deferred.execute(text("INSERT INTO t VALUES (3)"))
    with factory() as reader_writer:
        assert reader_writer.execute(text("SELECT count(*) FROM t")).scalar() == 2
        reader_writer.execute(text("INSERT INTO t VALUES (3)"))
        reader_writer.commit()
    impatient.kw["bind"].dispose()
    engine.dispose()


FOLDED = ["Hélène", "ÉLOÏSE", "Bâgé-Dommartin", "Françoise", "Noël", "Zoé", "Œuvre", "a_b%", ""]


def test_folded_reads_text_as_fold_does_on_both_engines(session: Session) -> None:
    """The SQL search folding (PostgreSQL's translate, SQLite's registered function) gives what
    the Python twin gives, upper-case accented letters included (lower() of a C-locale database
    or of SQLite leaves them)."""
    from sqlalchemy import literal, select

    from data.db import fold, folded

    got = [session.scalar(select(folded(literal(t)))) for t in FOLDED]
    assert got == [fold(t) for t in FOLDED]
    assert got[:4] == ["helene", "eloise", "bage-dommartin", "francoise"]
