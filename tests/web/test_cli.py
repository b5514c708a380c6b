"""``flask --app web`` commands on a fresh SQLite file: init, demo, users, tokens create."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import auth, demo
from data.models import Commune, Metier, Role, User
from data.models.auth import ApiToken
from tests.data import factories as f
from web import create_app
from web.db import state

DEMO_STAFF = (demo.ADMIN_EMAIL, demo.COORDINATOR_EMAIL)


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
        assert s.scalar(select(func.count()).select_from(Metier)) == 16
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
        # Outside development the demo staff get no password: nobody can sign in as them.
        staff = s.scalars(select(User).where(User.email.in_(DEMO_STAFF))).all()
        assert len(staff) == 2 and all(u.password_hash is None for u in staff)
    assert "Mot de passe" not in result.output and "Secret TOTP" not in result.output
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


def test_tokens_create_for_a_candidate_needs_the_right_link(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    with _session(fresh_app) as s, s.begin():
        candidate_id = f.make_candidate(s).id
        employer_id = f.make_employer(s).id

    def candidate_tokens() -> list[tuple[int | None, int | None]]:
        with _session(fresh_app) as s:
            stmt = select(ApiToken.candidate_id, ApiToken.employer_id).where(
                ApiToken.role == Role.CANDIDATE
            )
            return [tuple(row) for row in s.execute(stmt)]

    result = runner.invoke(
        args=["tokens", "create", "--role", "candidate", "--candidate", str(candidate_id)]
    )
    assert result.exit_code == 0, result.output
    assert "(candidate)" in result.output
    raw = result.output.strip().splitlines()[-1]
    with _session(fresh_app) as s:
        token = auth.authenticate_api_token(s, raw)
        assert token is not None and token.role == Role.CANDIDATE
        assert (token.candidate_id, token.employer_id) == (candidate_id, None)
    assert candidate_tokens() == [(candidate_id, None)]

    refusals = {
        ("--role", "candidate"): "désigne son candidat (--candidate)",
        ("--role", "candidate", "--candidate", "999999"): "Aucun candidat ne porte le numéro",
        (
            "--role",
            "candidate",
            "--candidate",
            str(candidate_id),
            "--employer",
            str(employer_id),
        ): "Seul un jeton employeur désigne un employeur",
        (
            "--role",
            "employer",
            "--employer",
            str(employer_id),
            "--candidate",
            str(candidate_id),
        ): "Seul un jeton candidat désigne un candidat",
        ("--role", "admin", "--candidate", str(candidate_id)): "Seul un jeton candidat",
    }
    for args, message in refusals.items():
        refused = runner.invoke(args=["tokens", "create", *args])
        assert refused.exit_code == 1, (args, refused.output)
        assert message in refused.output, (args, refused.output)
        assert "Jeton n°" not in refused.output
    assert candidate_tokens() == [(candidate_id, None)]


def test_tokens_create_for_staff_names_the_account_and_stops_with_it(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    with _session(fresh_app) as s, s.begin():
        email = f.make_user(s, Role.COORDINATOR).email
        before = s.scalar(select(func.count()).select_from(ApiToken))
    unnamed = runner.invoke(args=["tokens", "create", "--role", "coordinator"])
    assert unnamed.exit_code == 1 and "désigne le compte de la personne" in unnamed.output
    unknown = runner.invoke(
        args=["tokens", "create", "--role", "coordinator", "--email", "nobody@example.org"]
    )
    assert unknown.exit_code == 1 and "Aucun compte à l'adresse" in unknown.output
    wrong = runner.invoke(args=["tokens", "create", "--role", "admin", "--email", email.upper()])
    assert wrong.exit_code == 1 and "n'a pas ce rôle" in wrong.output
    made = runner.invoke(args=["tokens", "create", "--role", "coordinator", "--email", email])
    assert made.exit_code == 0, made.output
    raw = made.output.strip().splitlines()[-1]
    with _session(fresh_app) as s, s.begin():
        assert s.scalar(select(func.count()).select_from(ApiToken)) == before + 1
        token = auth.authenticate_api_token(s, raw)
        assert token is not None and token.user is not None and token.user.email == email
        auth.set_active(s, token.user, False)
    with _session(fresh_app) as s:
        assert auth.authenticate_api_token(s, raw) is None


def test_development_only_commands_refuse_elsewhere(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    code = runner.invoke(args=["users", "totp-code", "--email", demo.ADMIN_EMAIL])
    assert code.exit_code != 0 and "réservée au mode développement" in code.output
    renew = runner.invoke(args=["demo", "--new-staff-secrets"])
    assert renew.exit_code != 0 and "réservée au mode développement" in renew.output


@pytest.fixture(scope="module")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """An app in development (what `make run` starts) on its own SQLite file, initialised."""
    instance = tmp_path_factory.mktemp("dev")
    app = create_app({"TESTING": True, "ENV": "development", "INSTANCE_DIR": str(instance)})
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance}/passerelle.db"
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return app


def _secrets(output: str, email: str) -> tuple[str, str]:
    block = output[output.index(f"  {email} (") :]
    password = re.search(r"Mot de passe : (\S+)", block).group(1)
    secret = re.search(r"Secret TOTP\s*: (\S+)", block).group(1)
    return password, secret


def _signs_in(app: Flask, email: str, password: str, secret: str, at: datetime) -> bool:
    with _session(app) as s, s.begin():
        try:
            auth.authenticate_staff(s, email, password, auth.totp_code(secret, at), now=at)
        except auth.SignInFailed:
            return False
    return True


def test_demo_in_development_gives_the_staff_a_way_in_once(dev_app: Flask) -> None:
    runner = dev_app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    out = first.output
    assert out.count("Mot de passe :") == 2 and "otpauth://totp/Passerelle" in out
    assert "/dev/courriels" in out and "totp-code --email" in out and "@example.org" in out
    given = {email: _secrets(out, email) for email in DEMO_STAFF}
    at = datetime.now(UTC)
    for email, (password, secret) in given.items():
        assert _signs_in(dev_app, email, password, secret, at)

    # A second `make run`: nothing reloaded, no new secret, the old ones still work.
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "Mot de passe :" not in again.output
    assert "déjà affiché" in again.output and "--new-staff-secrets" in again.output
    later = datetime.fromtimestamp(at.timestamp() + 60, UTC)  # a fresh TOTP step
    assert _signs_in(dev_app, demo.ADMIN_EMAIL, *given[demo.ADMIN_EMAIL], later)

    renewed = runner.invoke(args=["demo", "--new-staff-secrets"])
    assert renewed.exit_code == 0 and renewed.output.count("Mot de passe :") == 2
    password, secret = _secrets(renewed.output, demo.ADMIN_EMAIL)
    even_later = datetime.fromtimestamp(at.timestamp() + 120, UTC)
    assert not _signs_in(dev_app, demo.ADMIN_EMAIL, *given[demo.ADMIN_EMAIL], even_later)
    assert _signs_in(dev_app, demo.ADMIN_EMAIL, password, secret, even_later)


def test_totp_code_prints_the_current_code_in_development(dev_app: Flask) -> None:
    runner = dev_app.test_cli_runner()
    with _session(dev_app) as s, s.begin():
        _user, _password, secret = auth.create_staff_user(
            s, email="totp@ain.example", role="coordinator"
        )
    before = auth.totp_code(secret, datetime.now(UTC))
    result = runner.invoke(args=["users", "totp-code", "--email", "TOTP@ain.example"])
    after = auth.totp_code(secret, datetime.now(UTC))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() in {before, after}  # the step may turn between the two
    assert "Valable encore" in result.stderr
    for email in ("nobody@ain.example", DEMO_STAFF[0].replace("admin", "x")):
        missing = runner.invoke(args=["users", "totp-code", "--email", email])
        assert missing.exit_code != 0 and "Aucun compte" in missing.output
