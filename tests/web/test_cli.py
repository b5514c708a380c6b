"""``flask --app web`` commands on a fresh SQLite file: init, users create-staff, tokens create."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import auth
from data.models import Commune, Metier, Role, User
from data.models.auth import ApiToken
from tests.data import factories as f
from web import create_app
from web.db import state


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An app on its own empty SQLite file, initialised once by the command under test."""
    db = tmp_path_factory.mktemp("cli") / "cli.db"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{db}"})
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return app


def _session(app: Flask) -> Session:
    return state(app).session_factory()


def test_init_migrates_and_loads_the_reference_idempotently(fresh_app: Flask) -> None:
    result = fresh_app.test_cli_runner().invoke(args=["init"])  # a second time: nothing breaks
    assert result.exit_code == 0, result.output
    assert re.search(r"\d+ métiers, \d+ communes", result.output)
    with _session(fresh_app) as s:
        assert s.scalar(select(func.count()).select_from(Metier)) == 8
        assert s.get(Commune, "01053").name == "Bourg-en-Bresse"


def test_create_staff_prints_password_and_totp_once(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-staff", "--email", "Chloe@Ain.example", "--role", "coordinator"]
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"connexion\) : (\S+)", result.output).group(1)
    secret = re.search(r"Secret TOTP : (\S+)", result.output).group(1)
    assert "otpauth://totp/Passerelle" in result.output
    with _session(fresh_app) as s:
        user = auth.authenticate_staff(
            s, "chloe@ain.example", password, auth.totp_code(secret, datetime.now(UTC))
        )
        assert user.role == Role.COORDINATOR
        assert password not in (user.password_hash or "")
    again = runner.invoke(
        args=["users", "create-staff", "--email", "chloe@ain.example", "--role", "admin"]
    )
    assert again.exit_code != 0 and "Un compte existe déjà" in again.output


def test_demo_command_loads_the_demo_dataset(fresh_app: Flask) -> None:
    result = fresh_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with _session(fresh_app) as s:
        users = s.scalar(select(func.count()).select_from(User))
        assert users > 10
    # Once there is data, loading again adds nothing.
    again = fresh_app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0
    with _session(fresh_app) as s:
        assert s.scalar(select(func.count()).select_from(User)) == users


def test_tokens_create_prints_a_working_token(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    with _session(fresh_app) as s, s.begin():
        employer_id = f.make_employer(s).id
    result = runner.invoke(
        args=["tokens", "create", "--role", "employer", "--employer", str(employer_id)]
    )
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    with _session(fresh_app) as s:
        token = auth.authenticate_api_token(s, raw)
        assert token is not None and token.employer_id == employer_id
    missing = runner.invoke(args=["tokens", "create", "--role", "employer", "--employer", "999"])
    assert missing.exit_code != 0 and "Aucun employeur" in missing.output
    no_employer = runner.invoke(args=["tokens", "create", "--role", "employer"])
    assert no_employer.exit_code != 0
    with _session(fresh_app) as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 1
