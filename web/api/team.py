"""A structure's people (list, invite, remove) and one's sign-in address change, by token.

The same operations as the « Mon équipe » page (``data.operations.team``) and the address forms
(``data.operations.account_email``), with the same rules: an employer token reaches its own
structure only (another structure's: 404), coordinators any; candidates never (403). An address
change is asked for the account a token acts for: a candidate token's account, or the account an
employer token names (409 for a token that names none).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import RAISE
from sqlalchemy import select

from data.errors import Conflict, NotFound
from data.models import Employer, JoinRequestStatus, Role, StructureJoinRequest, User
from data.operations import account_email
from data.operations import employers as employer_ops
from data.operations import team as team_ops
from data.queries.pages import Page
from web.db import get_session
from web.mailing import base_url
from web.views import signin

from .auth import Principal, current_principal, not_candidate, roles_only
from .base import ID, api_blueprint, errors
from .common import page_out
from .fields import INT32_MAX
from .schemas import (
    EmailChangeIn,
    EmailChangeOut,
    InviteIn,
    JoinDecisionIn,
    JoinDecisionOut,
    JoinRequestPage,
    PageQuery,
    TeamMemberPage,
    TeamMemberSchema,
)

bp = api_blueprint(
    "team",
    "/employers",
    "The people of a structure: each signs in with their own address. Employer tokens reach "
    "their own structure only; coordinators any.",
)
account = api_blueprint(
    "account",
    "/account",
    "The sign-in address of the account a token acts for (employer and candidate tokens).",
)

NO_ACCOUNT = (
    "Ce jeton n'agit pour aucun compte : l'adresse de connexion se change avec le jeton d'une "
    "personne (créé avec --email), ou depuis son espace."
)


def _structure(principal: Principal, employer_id: int) -> Employer:
    """Return the structure the caller may act for; 404 otherwise (existence is not told)."""
    if not 0 < employer_id <= INT32_MAX:
        raise NotFound("Structure", employer_id)
    if principal.is_employer and principal.employer_id != employer_id:
        raise NotFound("Structure", employer_id)
    employer = get_session().get(Employer, employer_id)
    if employer is None:
        raise NotFound("Structure", employer_id)
    return employer


def member_dict(user: User) -> dict[str, Any]:
    """Return a person of a structure as the API shows them."""
    return {
        "id": user.id,
        "name": user.display_name,
        "email": user.email,
        "last_login_at": user.last_login_at,
    }


@bp.route(f"/<{ID}:employer_id>/team", methods=["GET"], endpoint="team")
@not_candidate
@bp.arguments(PageQuery, location="query", unknown=RAISE)
@bp.response(200, TeamMemberPage)
@errors(bp, 403, 404, 422)
def list_team(query: dict[str, Any], employer_id: int) -> dict[str, Any]:
    """List the people of a structure (its active accounts), by name."""
    employer = _structure(current_principal(), employer_id)
    members = team_ops.team_members(get_session(), employer)
    size, number = query["page_size"], query["page"]
    items = members[(number - 1) * size : number * size]
    return page_out(Page(items, number, size, len(members)), member_dict)


@bp.route(f"/<{ID}:employer_id>/team", methods=["POST"], endpoint="invite")
@not_candidate
@bp.arguments(InviteIn)
@bp.response(201, TeamMemberSchema)
@errors(bp, 400, 403, 404, 422)
def invite(data: dict[str, Any], employer_id: int) -> dict[str, Any]:
    """Invite a colleague: their account is created and a sign-in link mailed to them (422 for
    an address that is already an account's)."""
    principal = current_principal()
    session = get_session()
    employer = _structure(principal, employer_id)
    user = team_ops.invite_colleague(
        session,
        principal.actor,
        employer,
        name=data["name"],
        email=data["email"],
        base_url=base_url(),
        valid_days=current_app.config["INVITATION_DAYS"],
    )
    session.commit()
    return member_dict(user)


@bp.route(f"/<{ID}:employer_id>/team/<{ID}:user_id>", methods=["DELETE"], endpoint="remove")
@not_candidate
@bp.response(204)
@errors(bp, 403, 404, 409)
def remove(employer_id: int, user_id: int) -> None:
    """Remove a person from the structure: their account is closed (sessions, links and the
    tokens naming them stop), their offers' contact falls back to none. 409 for the last one."""
    principal = current_principal()
    session = get_session()
    employer = _structure(principal, employer_id)
    team_ops.remove_colleague(session, principal.actor, employer, user_id)
    session.commit()


def join_dict(join: StructureJoinRequest) -> dict[str, Any]:
    """Return a request to join as the API shows it to the structure's people."""
    return {
        "id": join.id,
        "name": join.name,
        "email": join.email,
        "phone": join.phone,
        "message": join.message,
        "created_at": join.created_at,
    }


@bp.route(f"/<{ID}:employer_id>/join-requests", methods=["GET"], endpoint="join_requests")
@not_candidate
@bp.arguments(PageQuery, location="query", unknown=RAISE)
@bp.response(200, JoinRequestPage)
@errors(bp, 403, 404, 422)
def list_join_requests(query: dict[str, Any], employer_id: int) -> dict[str, Any]:
    """List the pending requests to join a structure (people who signed up with its SIRET),
    oldest first, as the structure's page shows them."""
    employer = _structure(current_principal(), employer_id)
    joins = employer_ops.pending_join_requests(get_session(), employer.id)
    size, number = query["page_size"], query["page"]
    items = joins[(number - 1) * size : number * size]
    return page_out(Page(items, number, size, len(joins)), join_dict)


@bp.route(
    f"/<{ID}:employer_id>/join-requests/<{ID}:join_id>/decision",
    methods=["POST"],
    endpoint="join_decision",
)
@not_candidate
@bp.arguments(JoinDecisionIn)
@bp.response(200, JoinDecisionOut)
@errors(bp, 400, 403, 404, 409, 422)
def decide_join(data: dict[str, Any], employer_id: int, join_id: int) -> dict[str, Any]:
    """Accept a request to join (the person's account is created and a sign-in link mailed) or
    refuse it (a neutral mail). 409 when someone decided first, or the address has an account."""
    principal = current_principal()
    session = get_session()
    employer = _structure(principal, employer_id)
    join = session.get(StructureJoinRequest, join_id)
    if join is None or join.employer_id != employer.id:
        raise NotFound("Demande", join_id)
    accept = data["decision"] == "accept"
    message = signin.decide_join_request(join, principal.actor, accept=accept)
    member = None
    if accept:
        created = session.scalar(select(User).where(User.email == join.email))
        member = member_dict(created) if created is not None else None
    return {
        "message": message,
        "status": (JoinRequestStatus.ACCEPTED if accept else JoinRequestStatus.REFUSED).value,
        "member": member,
    }


def _own_account(principal: Principal) -> User:
    """Return the account a token acts for; 409 when it names none."""
    session = get_session()
    if principal.is_candidate:
        user = session.scalar(select(User).where(User.candidate_id == principal.candidate_id))
    elif principal.user_id is not None:
        user = session.get(User, principal.user_id)
    else:
        user = None
    if user is None:
        raise Conflict(NO_ACCOUNT)
    return user


@account.route("/email", methods=["POST"], endpoint="email")
@roles_only(
    Role.EMPLOYER,
    Role.CANDIDATE,
    message="Action réservée aux employeurs et aux candidats (leur propre adresse).",
)
@account.arguments(EmailChangeIn)
@account.response(202, EmailChangeOut)
@errors(account, 400, 403, 409, 422)
def change_email(data: dict[str, Any]) -> dict[str, Any]:
    """Ask to change the sign-in address: a link goes to the new address, a notice to the old
    one; the address changes only when the link is followed (422 for an address in use)."""
    principal = current_principal()
    session = get_session()
    user = _own_account(principal)
    change = account_email.request_email_change(
        session, principal.actor, user, data["email"], base_url=base_url()
    )
    session.commit()
    return {
        "message": (
            f"Un lien de confirmation est envoyé à {change.new_email} : l'adresse de connexion "
            "changera quand il aura été ouvert. L'adresse actuelle en est avertie."
        ),
        "new_email": change.new_email,
        "expires_at": change.expires_at,
    }
