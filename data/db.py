"""Build engines and session factories from a database URL (SQLite file or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import CursorResult, Engine, Result, String, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

__all__ = [
    "fold",
    "folded",
    "rows_changed",
    "make_engine",
    "make_session_factory",
    "read_session",
    "is_sqlite",
    "SQLITE_BEGIN",
    "DEFERRED",
]

#: Execution option naming how a SQLite transaction begins ("IMMEDIATE" unless told otherwise).
SQLITE_BEGIN = "passerelle_sqlite_begin"
#: Execution options of a connection whose transactions only read (SQLite: ``BEGIN DEFERRED``).
DEFERRED: dict[str, Any] = {SQLITE_BEGIN: "DEFERRED"}
_BEGIN_MODES = {"DEFERRED", "IMMEDIATE"}


# --- Text compared without case or accents (searches) -------------------------------------------

_LETTERS = {
    "a": "àáâãäåā",
    "c": "çćč",
    "e": "èéêëēėę",
    "i": "ìíîïī",
    "n": "ñń",
    "o": "òóôõöøō",
    "u": "ùúûüū",
    "y": "ýÿ",
    "z": "žź",
    "s": "šś",
}
_ACCENTED = "".join(_LETTERS.values())
_PLAIN = "".join(plain * len(accented) for plain, accented in _LETTERS.items())
_FOLD_TABLE = str.maketrans(_ACCENTED + _ACCENTED.upper(), _PLAIN + _PLAIN)
#: The name of the SQLite function :func:`make_engine` registers (PostgreSQL: ``translate``).
SQLITE_FOLD = "passerelle_fold"


def fold(text: str) -> str:
    """Return ``text`` in lower case without its accents, as :func:`folded` reads a column.

    >>> fold("Hélène ÉLOÏSE Bâgé-Dommartin ça")
    'helene eloise bage-dommartin ca'
    """
    return text.translate(_FOLD_TABLE).lower()


class folded(GenericFunction[str]):  # noqa: N801  (reads as a SQL function)
    """A text column in lower case without accents, the same on both engines as :func:`fold`.

    PostgreSQL: ``translate`` (upper and lower case accented letters both listed: ``lower`` of
    a database in the C locale leaves them as they are), then ``lower``; SQLite, whose ``lower``
    knows ASCII only: the Python function :func:`make_engine` registers.
    """

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _folded_default(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    source = _ACCENTED + _ACCENTED.upper()
    target = _PLAIN + _PLAIN
    return f"lower(translate({compiler.process(element.clauses, **kw)}, '{source}', '{target}'))"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


def _sqlite_fold(value: object) -> object:
    return fold(value) if isinstance(value, str) else value


def is_sqlite(url_or_engine: str | Engine) -> bool:
    """Tell whether a URL or engine points at SQLite."""
    if isinstance(url_or_engine, Engine):
        return url_or_engine.dialect.name == "sqlite"
    return make_url(url_or_engine).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, enforce foreign keys, use WAL, let SQLAlchemy own transactions.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT semantics; SQLAlchemy's
    documented fix is to disable it on connect and emit BEGIN ourselves. We emit
    ``BEGIN IMMEDIATE``: the transaction takes the write lock when it starts, waiting for it up to
    the busy timeout. A deferred transaction that has read and then writes must upgrade its lock,
    and if another connection committed in between SQLite refuses at once ("database is locked"),
    whatever the busy timeout: the scheduler's jobs starting at the same second did just that.
    In WAL mode readers of other connections are never blocked by it. A connection whose
    transactions only read may ask for ``BEGIN DEFERRED`` with the :data:`DEFERRED` execution
    options (it then never waits behind a writer); it must not write.
    """
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    database = make_url(url).database or ""
    on_disk = database not in ("", ":memory:") and not database.startswith("file:")
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function(SQLITE_FOLD, 1, _sqlite_fold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if on_disk:
            # The web server and the scheduler share the file: with WAL, readers never block the
            # writer. synchronous stays FULL: a mail recorded as sent must survive a power cut.
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = str(conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")).upper()
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN} must be one of {sorted(_BEGIN_MODES)}, not {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory every boundary (request, job run) opens sessions from."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def read_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session that only reads: on SQLite its transaction begins DEFERRED.

    It then never waits behind a writer (WAL), and never holds the write lock while it reads,
    e.g. while the matching engine runs on what it read. It must not write; it is rolled back.
    """
    with session_factory() as session:
        session.connection(execution_options=DEFERRED)
        try:
            yield session
        finally:
            session.rollback()


def rows_changed(result: Result[Any]) -> int:
    """Return how many rows an UPDATE or DELETE matched (0 when the driver cannot tell).

    ``Session.execute`` is typed to return a plain ``Result``; a DML statement's is a
    ``CursorResult``, which carries ``rowcount``: the compare-and-set checks read it here.
    """
    if not isinstance(result, CursorResult):
        raise TypeError("rows_changed needs the result of an UPDATE or DELETE")
    return int(result.rowcount or 0)
