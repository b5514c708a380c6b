"""Fixtures shared by the whole suite.

Every test that uses ``engine`` (directly or through ``session``, ``app``...) runs once per database
backend: SQLite always, PostgreSQL too when ``PASSERELLE_TEST_DATABASE_URL`` names one.
Each test runs inside an outer transaction rolled back at the end, so tests leave no trace.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from data import migrate
from data.db import make_engine
from data.reference import load_reference

PG_ENV = "PASSERELLE_TEST_DATABASE_URL"


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get(PG_ENV):
        backends.append("postgresql")
    elif os.environ.get("PASSERELLE_REQUIRE_POSTGRES"):
        raise pytest.UsageError(f"PASSERELLE_REQUIRE_POSTGRES is set but {PG_ENV} is not")
    return backends


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, give each worker a PostgreSQL database of its own.

    ``make test`` runs the suite in three processes (``-n 3``); every test that reads
    ``PASSERELLE_TEST_DATABASE_URL`` (and every process it starts) then finds its worker's
    database, ``<name>_gw0``..., created here on the same server and empty.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get(PG_ENV)
    if not worker or not url:
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ[PG_ENV] = base.set(database=name).render_as_string(hide_password=False)


#: The files whose tests mostly wait on real processes (servers, schedulers, a database
#: restarted): under pytest-xdist one worker runs them all, one after the other, from the start,
#: while the other workers keep both cores busy with the rest. Run by separate workers, two of
#: them waiting at once left a core idle (the suite took 11 min 25 s instead of about 9).
PROCESS_FILES = (
    "soak/test_faults.py",
    "soak/test_day.py",
    "test_readme.py",
    "test_run_local.py",
)
#: The xdist group of :data:`PROCESS_FILES`; every other test's group is its file.
PROCESS_GROUP = "processes"

#: The other files that take longest (half a minute to two minutes), longest first. They start
#: first, so that under pytest-xdist (``make test``: ``--dist loadgroup --no-loadscope-reorder``,
#: one group per worker at a time, in this order) no worker is left running one of them alone at
#: the end while the others wait.
SLOW_FILES = (
    "web/test_api_schema.py",
    "web/test_browser.py",
    "web/test_signin_challenge.py",
    "matching/test_properties.py",
    "web/test_matrix.py",
    "data/test_demo_scale.py",
    "web/test_browser_welcome_kit.py",
    "web/test_browser_discovery.py",
)


def _file(item: pytest.Item) -> str:
    path = item.path.as_posix()
    return path[path.rindex("tests/") + len("tests/") :] if "tests/" in path else path


def _slowness(item: pytest.Item) -> int:
    name = _file(item)
    if name in PROCESS_FILES:
        return -1
    return SLOW_FILES.index(name) if name in SLOW_FILES else len(SLOW_FILES)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the process files first, then the slow ones (:data:`SLOW_FILES`), each file's tests
    kept together and in order, and group them for pytest-xdist (``--dist loadgroup``): the
    process files in one group, every other file a group of its own; run tests marked
    ``one_engine`` on SQLite only: what they check (a page's HTML in a browser, its
    accessibility) is the same on both engines, whose own paths other tests run."""
    items.sort(key=_slowness)
    dropped = [
        item
        for item in items
        if item.get_closest_marker("one_engine") is not None
        and getattr(getattr(item, "callspec", None), "params", {}).get("engine") == "postgresql"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
    for item in items:
        name = _file(item)
        item.add_marker(pytest.mark.xdist_group(PROCESS_GROUP if name in PROCESS_FILES else name))


def _reset_postgres(url: str) -> None:
    """Start from an empty schema; refuse any database whose name does not say it is for tests."""
    name = make_url(url).database or ""
    if "test" not in name:
        raise pytest.UsageError(f"refusing to wipe database {name!r}: its name must contain 'test'")
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


def make_test_engine(backend: str, tmp_dir: os.PathLike[str]) -> Engine:
    """Build an empty, migrated engine for ``backend`` with the reference data loaded."""
    if backend == "postgresql":
        url = os.environ[PG_ENV]
        _reset_postgres(url)
    else:
        url = f"sqlite:///{os.fspath(tmp_dir)}/test.db"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as s, s.begin():
        load_reference(s)
    return engine


@pytest.fixture(scope="session", params=_backends())
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database with the reference data, one per backend for the whole run."""
    eng = make_test_engine(request.param, tmp_path_factory.mktemp(request.param))
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            if trans.is_active:
                trans.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """An ORM session whose commits become savepoints of the outer transaction."""
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()


# --- No network: a test may talk to this machine only. -----------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address: object) -> None:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost",):
            return
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
        raise RuntimeError(f"network access attempted in a test: {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Fail any test that opens a connection beyond the loopback interface."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
