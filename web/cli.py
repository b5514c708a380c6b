"""``flask --app web`` commands: init, demo, users create-staff, tokens create."""

from __future__ import annotations

import importlib
import importlib.util

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from data import auth, migrate
from data.errors import ValidationError
from data.reference import load_reference
from web.db import state

__all__ = ["register"]

users = AppGroup("users", help="Manage staff accounts.")
tokens = AppGroup("tokens", help="Manage JSON API tokens.")


def register(app: Flask) -> None:
    """Attach the commands to ``app``."""
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(users)
    app.cli.add_command(tokens)


def _fail(exc: ValidationError) -> None:
    messages = "; ".join(m for ms in exc.errors.values() for m in ms)
    raise click.ClickException(messages)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database to the latest schema and load the reference data (idempotent)."""
    from flask import current_app

    st = state(current_app)
    migrate.upgrade(st.engine)
    with st.session_factory() as session, session.begin():
        counts = load_reference(session)
    click.echo(
        f"Base à jour ; référentiel chargé : {counts['metiers']} métiers, "
        f"{counts['communes']} communes."
    )


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo dataset (fictitious employers, offers, candidates)."""
    from flask import current_app

    if importlib.util.find_spec("data.demo") is None:
        raise click.ClickException("Le jeu de démonstration n'est pas disponible.")
    load_demo = importlib.import_module("data.demo").load_demo
    with state(current_app).session_factory() as session, session.begin():
        result = load_demo(session)
    if not any(result.values()):
        click.echo("La base contient déjà des données : rien n'a été ajouté.")
        return
    click.echo(
        "Données de démonstration chargées : " + ", ".join(f"{k} {v}" for k, v in result.items())
    )


@users.command("create-staff")
@click.option("--email", required=True, help="Sign-in address.")
@click.option("--role", type=click.Choice(["coordinator", "admin"]), required=True)
@click.option("--name", "display_name", default=None, help="Name shown to colleagues.")
def create_staff(email: str, role: str, display_name: str | None) -> None:
    """Create a coordinator or admin; print the one-time password and the TOTP secret."""
    from flask import current_app

    with state(current_app).session_factory() as session, session.begin():
        try:
            user, password, secret = auth.create_staff_user(
                session, email=email, role=role, display_name=display_name
            )
        except ValidationError as exc:
            _fail(exc)
        uri = auth.totp_uri(secret, user.email)
    click.echo(f"Compte créé : {user.email} ({role})")
    click.echo(f"Mot de passe (à changer à la première connexion) : {password}")
    click.echo(f"Secret TOTP : {secret}")
    click.echo(f"URI pour l'application d'authentification : {uri}")
    click.echo("Ces secrets ne seront plus affichés.")


@tokens.command("create")
@click.option("--role", type=click.Choice(["employer", "coordinator", "admin"]), required=True)
@click.option("--employer", "employer_id", type=int, default=None, help="Employer id (employer).")
@click.option("--label", default="", help="What the token is for.")
def create_token(role: str, employer_id: int | None, label: str) -> None:
    """Create a JSON API bearer token; print it once."""
    from flask import current_app

    with state(current_app).session_factory() as session, session.begin():
        try:
            token, raw = auth.create_api_token(
                session, role=role, employer_id=employer_id, label=label
            )
        except ValidationError as exc:
            _fail(exc)
        token_id = token.id
    click.echo(f"Jeton n° {token_id} créé ({role}). Il ne sera plus affiché :")
    click.echo(raw)
