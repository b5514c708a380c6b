"""Fixtures of the soak tests: the SMTP relay and the service, stopped whatever happens.

Each test runs once per backend: SQLite with the Flask server (as `make run`), and PostgreSQL with
gunicorn (as production) when ``PASSERELLE_TEST_DATABASE_URL`` is set. When a test fails, the logs
of every process of its service are added to the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _backends
from tests.soak.harness import Database, MailCatcher, Service, make_pg_template

LOG_TAIL = 20_000  # characters of each log shown with a failure


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]):  # type: ignore[no-untyped-def]
    """Show the service's logs under a failed soak test."""
    outcome = yield
    report = outcome.get_result()
    services: list[Service] = getattr(item, "soak_services", [])
    if report.failed and report.when in ("setup", "call"):
        for service in services:
            for name, text in service.logs().items():
                report.sections.append((f"soak {service.backend} {name}", text[-LOG_TAIL:]))


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """The database of the service: "sqlite" (Flask server) or "postgresql" (gunicorn)."""
    return str(request.param)


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    """The SMTP relay, running; stopped at the end."""
    catcher = MailCatcher()
    catcher.start()
    try:
        yield catcher
    finally:
        catcher.stop()


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Return ``get()``: the name of a PostgreSQL database made by ``flask init`` (made once)."""
    made: list[Database] = []

    def get() -> str:
        if not made:
            made.append(make_pg_template(tmp_path_factory.mktemp("soak-template")))
        assert made[0].name is not None
        return made[0].name

    try:
        yield get
    finally:
        for db in made:
            db.drop()


@pytest.fixture
def make_service(
    request: pytest.FixtureRequest,
    backend: str,
    mail: MailCatcher,
    tmp_path: Path,
    pg_template: Callable[[], str],
) -> Iterator[Callable[..., Service]]:
    """Return ``make(**options)``: a :class:`Service` (not started) closed after the test.

    On PostgreSQL the service's database is a copy of one ``flask init`` made for the session.
    """
    made: list[Service] = []
    request.node.soak_services = made

    def make(**options: Any) -> Service:
        if backend == "postgresql":
            options.setdefault("template", pg_template())
        service = Service(tmp_path / f"service-{len(made)}", backend, mail, **options)
        made.append(service)
        return service

    try:
        yield make
    finally:
        for service in made:
            service.close()
