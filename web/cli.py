"""``flask --app web`` commands: init, demo, users create-staff / totp-code, tokens create."""

from __future__ import annotations

import secrets

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import auth, demo, demo_scale, migrate
from data.errors import ValidationError
from data.models import Role, User, utcnow
from data.presentation import describe_counts
from data.reference import load_reference
from web.config import dev_tools_enabled
from web.db import state

__all__ = ["register"]

users = AppGroup("users", help="Manage staff accounts.")
tokens = AppGroup("tokens", help="Manage JSON API tokens.")

DEV_ONLY = "Commande réservée au mode développement (PASSERELLE_ENV=development)."
#: How a person runs a development command from another terminal, in the checkout (README).
DEV_FLASK = "PASSERELLE_ENV=development .venv/bin/flask --app web"
TOTP_COMMAND = f"{DEV_FLASK} users totp-code"


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
@click.option(
    "--new-staff-secrets",
    is_flag=True,
    help="Development only: give the demo staff a new password and TOTP secret.",
)
@click.option(
    "--scale",
    metavar="offers=N,requests=M",
    help="Instead of the hand-written demo, a synthetic one of that size (load tests).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the scaled demo.")
@with_appcontext
def demo_command(new_staff_secrets: bool, scale: str | None, seed: int) -> None:
    """Load the demo dataset (fictitious employers, offers, candidates).

    In development (ENV "development") the demo admin and coordinator also get a password and a
    TOTP secret, printed once with how everyone signs in; elsewhere they get none. With
    ``--scale offers=10000,requests=50000`` the dataset is synthetic, of that size, at real
    communes of the Ain and around (data.demo_scale).
    """
    from flask import current_app

    dev = dev_tools_enabled(current_app)
    if new_staff_secrets and not dev:
        raise click.ClickException(DEV_ONLY)
    try:
        sizes = demo_scale.parse_scale(scale) if scale is not None else None
    except ValidationError as exc:
        _fail(exc)
    st = state(current_app)
    with st.session_factory() as session, session.begin():
        if sizes is None:
            result = demo.load_demo(session)
        else:
            result = demo_scale.load_scaled_demo(session, seed=seed, **sizes)
    if any(result.values()):
        click.echo("Données de démonstration chargées : " + describe_counts(result))
    else:
        click.echo("La base contient déjà des données : rien n'a été ajouté.")
    if dev:
        _demo_sign_in(current_app, renew=new_staff_secrets)


def _demo_sign_in(app: Flask, *, renew: bool) -> None:
    """Give the demo staff lacking a password one (all if ``renew``); print how to sign in."""
    base = app.config["BASE_URL"]
    fresh: list[tuple[str, str, str, str]] = []  # email, role, password, TOTP secret
    kept: list[str] = []
    with state(app).session_factory() as session, session.begin():
        for email in (demo.ADMIN_EMAIL, demo.COORDINATOR_EMAIL):
            user = _staff_user(session, email)
            if user is None:
                continue
            if user.password_hash and user.totp_secret and not renew:
                kept.append(user.email)
                continue
            password, secret = secrets.token_urlsafe(15), auth.new_totp_secret()
            user.password_hash = auth.hash_password(password)
            user.totp_secret = secret
            auth.end_all_sessions(session, user)
            fresh.append((user.email, user.role.value, password, secret))
        examples = [
            session.scalar(select(User.email).where(User.role == role).order_by(User.id).limit(1))
            for role in (Role.EMPLOYER, Role.CANDIDATE)
        ]
    if not fresh and not kept:
        return
    lines = [
        "",
        "=== Se connecter à la démonstration (mode développement) ===",
        f"Équipe : {base}/connexion/equipe (adresse, mot de passe et code à 6 chiffres)",
    ]
    for email, role, password, secret in fresh:
        lines += [
            f"  {email} ({role})",
            f"    Mot de passe : {password}",
            f"    Secret TOTP  : {secret}",
            f"    URI TOTP     : {auth.totp_uri(secret, email)}",
        ]
    if kept:
        lines.append(
            f"  {', '.join(kept)} : mot de passe déjà affiché lors d'un lancement précédent ;"
            f" pour en obtenir un nouveau : {DEV_FLASK} demo --new-staff-secrets"
        )
    lines += [
        "  Sans application d'authentification, le code du moment s'obtient dans un autre"
        " terminal, depuis le dossier de Passerelle, avec :",
        f"    {TOTP_COMMAND} --email {demo.ADMIN_EMAIL}",
        f"Employeurs et candidats : connexion par lien sur {base}/connexion",
        f"  (par exemple {' ou '.join(e for e in examples if e)}) ;"
        if any(examples)
        else "  (adresse d'un compte employeur ou candidat) ;",
    ]
    if str(app.config.get("MAIL_BACKEND") or "file").lower() == "file":
        lines.append(f"  le lien arrive dans la boîte de réception locale : {base}/dev/courriels")
    else:
        lines.append("  le lien part par la messagerie configurée.")
    if fresh:
        lines.append("Ces mots de passe et secrets ne seront plus affichés.")
    click.echo("\n".join(lines) + "\n")


def _staff_user(session: Session, email: str) -> User | None:
    return session.scalar(
        select(User).where(
            func.lower(User.email) == auth.normalize_email(email),
            User.role.in_([Role.COORDINATOR, Role.ADMIN]),
        )
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


@users.command("totp-code")
@click.option("--email", required=True, help="Sign-in address of a coordinator or admin.")
def totp_code_command(email: str) -> None:
    """Development only: print a staff account's current TOTP code (no authenticator app needed)."""
    from flask import current_app

    if not dev_tools_enabled(current_app):
        raise click.ClickException(DEV_ONLY)
    with state(current_app).session_factory() as session:
        user = _staff_user(session, email)
        secret = user.totp_secret if user is not None else None
    if not secret:
        raise click.ClickException("Aucun compte de l'équipe avec un secret TOTP à cette adresse.")
    now = utcnow()
    left = auth.TOTP_PERIOD - int(now.timestamp()) % auth.TOTP_PERIOD
    click.echo(auth.totp_code(secret, now))
    click.echo(
        f"Valable encore {left} s ; un code ne sert qu'une fois (attendez le suivant au besoin).",
        err=True,
    )


@tokens.command("create")
@click.option(
    "--role", type=click.Choice(["employer", "candidate", "coordinator", "admin"]), required=True
)
@click.option("--employer", "employer_id", type=int, default=None, help="Employer id (employer).")
@click.option(
    "--candidate", "candidate_id", type=int, default=None, help="Candidate id (candidate)."
)
@click.option(
    "--email",
    default=None,
    help="The account the token acts for: required for coordinator and admin, optional for an "
    "employer (an account of that structure). The token stops with the account.",
)
@click.option("--label", default="", help="What the token is for.")
def create_token(
    role: str, employer_id: int | None, candidate_id: int | None, email: str | None, label: str
) -> None:
    """Create a JSON API bearer token; print it once.

    An employer token names its employer (--employer), a candidate token its candidate
    (--candidate); coordinator and admin tokens name the staff account they act for (--email).
    """
    from flask import current_app

    with state(current_app).session_factory() as session, session.begin():
        user_id = None
        if email is not None:
            user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
            if user is None:
                raise click.ClickException(f"Aucun compte à l'adresse {email}.")
            user_id = user.id
        try:
            token, raw = auth.create_api_token(
                session,
                role=role,
                employer_id=employer_id,
                candidate_id=candidate_id,
                user_id=user_id,
                label=label,
            )
        except ValidationError as exc:
            _fail(exc)
        token_id = token.id
    click.echo(f"Jeton n° {token_id} créé ({role}). Il ne sera plus affiché :")
    click.echo(raw)
