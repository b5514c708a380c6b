"""User accounts: create one for a role, find it by e-mail, deactivate it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import auth
from data.models import Candidate, Employer, Role, User

from ._common import load, unique_guard
from .validation import ErrorCollector, clean_email, clean_enum, clean_text

__all__ = ["DUPLICATE_EMAIL", "create_user", "find_user_by_email", "deactivate_user"]

DUPLICATE_EMAIL = "Un compte existe déjà avec cette adresse e-mail."


def create_user(
    session: Session,
    *,
    email: str,
    role: Role | str,
    employer: Employer | int | None = None,
    candidate: Candidate | int | None = None,
    display_name: str | None = None,
) -> User:
    """Create an account; an employer account names its employer, a candidate one its candidate.

    The e-mail is stored lower-cased, so that sign-in ignores case. No password is set here:
    staff set theirs through the web service.
    """
    errors = ErrorCollector()
    email_value = errors.run(clean_email, email, "email")
    role_value = errors.run(clean_enum, role, Role, "role")
    name_value = errors.run(clean_text, display_name, "display_name", required=False)
    employer_obj = load(session, Employer, employer, "Structure") if employer is not None else None
    candidate_obj = (
        load(session, Candidate, candidate, "Candidat") if candidate is not None else None
    )
    if role_value == Role.EMPLOYER:
        if employer_obj is None:
            errors.add("employer", "Un compte employeur doit être rattaché à une structure.")
        if candidate_obj is not None:
            errors.add("candidate", "Un compte employeur ne peut pas être lié à un candidat.")
    elif role_value == Role.CANDIDATE:
        if candidate_obj is None:
            errors.add("candidate", "Un compte candidat doit être rattaché à un candidat.")
        if employer_obj is not None:
            errors.add("employer", "Un compte candidat ne peut pas être lié à une structure.")
    elif role_value is not None:
        if employer_obj is not None:
            errors.add("employer", "Un compte de l'équipe ne peut pas être lié à une structure.")
        if candidate_obj is not None:
            errors.add("candidate", "Un compte de l'équipe ne peut pas être lié à un candidat.")
    if candidate_obj is not None and candidate_obj.id is not None:
        taken = session.scalar(
            select(User.id).where(User.candidate_id == candidate_obj.id).limit(1)
        )
        if taken is not None:
            errors.add("candidate", "Ce candidat a déjà un compte.")
    if email_value is not None and find_user_by_email(session, email_value) is not None:
        errors.add("email", DUPLICATE_EMAIL)
    errors.raise_if_any()
    user = User(
        email=email_value,
        role=role_value,
        employer=employer_obj,
        candidate=candidate_obj,
        display_name=name_value,
        is_active=True,
        session_version=1,
    )
    with unique_guard(session, "email", DUPLICATE_EMAIL):
        session.add(user)
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the account with this e-mail, whatever its case and surrounding spaces, or None."""
    if not isinstance(email, str) or not email.strip():
        return None
    normalised = email.strip().lower()
    return session.scalar(select(User).where(func.lower(User.email) == normalised).limit(1))


def deactivate_user(session: Session, user: User | int) -> User:
    """Deactivate an account: its sessions and sign-in links end (see ``auth.set_active``)."""
    user = load(session, User, user, "Compte")
    auth.set_active(session, user, False)
    return user
