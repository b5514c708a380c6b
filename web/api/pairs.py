"""``/api/v1/pairs``: the pairs coordinators follow, from the approval to a contract or their end.

A pair is a suggestion past the review: approved (by ``POST /api/v1/suggestions/{id}/decision``
or paired by hand with ``POST /api/v1/suggestions``), then contacted, interview, contract signed,
or abandoned. It keeps the suggestion's id. Here coordinators list them by stage with their
history (the audit lines), read one, move one to its next stage, or abandon it with a reason; a
stage out of order (a contract signed right after the contact) is
``POST /api/v1/suggestions/{id}/status``. Each change is the operation the pages call
(``data.operations``). Employer and candidate tokens get 403: the history holds the other side's
answers and the coordinators' reasons; they read their pairs in ``/api/v1/suggestions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marshmallow import RAISE
from sqlalchemy.orm import Session

from data import operations as ops
from data import queries
from data.errors import Conflict, NotFound
from data.models import PAIR_STATUSES, AuditEntry, Suggestion, SuggestionStatus
from data.presentation import event_line, label
from data.standing import next_stage
from web.db import get_session

from .auth import current_principal, staff_only
from .base import ID, api_blueprint, errors
from .common import load_suggestion, page_out, suggestion_dict
from .schemas import AbandonIn, NextStageIn, NoteIn, PairPage, PairQuery, PairSchema

__all__ = ["bp", "pair_dict"]

bp = api_blueprint(
    "pairs",
    "/pairs",
    "Pairs past the review, followed to a contract or their end, with their history "
    "(coordinators).",
)

PAIR = "Mise en relation"
# The operation that records each stage (the pages call the same ones).
MOVES = {
    SuggestionStatus.CONTACTED: ops.mark_contacted,
    SuggestionStatus.INTERVIEW: ops.mark_interview,
    SuggestionStatus.CONTRACT_SIGNED: ops.mark_contract_signed,
}


def _event(entry: AuditEntry) -> dict[str, Any]:
    details = entry.details or {}
    return {
        "at": entry.at,
        "action": entry.action,
        "from": details.get("from"),
        "to": details.get("to"),
        "reason": details.get("reason"),
        "actor_id": entry.actor_id,
        "api_token_id": details.get("api_token_id"),
        "text": event_line(entry.action, details),
    }


def pair_dict(
    session: Session, suggestion: Suggestion, history: list[AuditEntry] | None = None
) -> dict[str, Any]:
    """Return a pair as coordinators see it: the suggestion, its next stage, its history.

    ``history``: its audit lines when read already (a page of pairs reads them in one query).
    """
    data = suggestion_dict(suggestion)
    following = next_stage(suggestion.status)
    data["next_stage"] = following.value if following is not None else None
    if history is None:
        history = ops.pair_history(session, suggestion.id)
    data["history"] = [_event(e) for e in history]
    return data


def _load_pair(session: Session, pair_id: int) -> Suggestion:
    suggestion = load_suggestion(session, current_principal(), pair_id)
    if suggestion.status not in PAIR_STATUSES:
        raise NotFound(PAIR, pair_id)  # still a suggestion under review, or rejected
    return suggestion


@bp.route("", methods=["GET"], endpoint="list")
@staff_only
@bp.arguments(PairQuery, location="query", unknown=RAISE)
@bp.response(200, PairPage)
@errors(bp, 403, 422)
def list_pairs(query: dict[str, Any]) -> dict[str, Any]:
    """List the pairs, most recently changed first, each with its history (filter ``status``)."""
    session = get_session()
    status = SuggestionStatus(query["status"]) if "status" in query else None
    page = queries.pair_page(session, query["page"], query["page_size"], status, clamp=False)
    histories: dict[int, list[AuditEntry]] = {}

    def read_histories(rows: Sequence[Suggestion]) -> None:
        histories.update(ops.pair_histories(session, [r.id for r in rows]))

    return page_out(page, lambda s: pair_dict(session, s, histories[s.id]), read_histories)


@bp.route(f"/<{ID}:pair_id>", methods=["GET"], endpoint="detail")
@staff_only
@bp.response(200, PairSchema)
@errors(bp, 403, 404)
def get_pair(pair_id: int) -> dict[str, Any]:
    """Read one pair with its history."""
    session = get_session()
    return pair_dict(session, _load_pair(session, pair_id))


@bp.route(f"/<{ID}:pair_id>/next", methods=["POST"], endpoint="next")
@staff_only
@bp.arguments(NextStageIn)
@bp.response(200, PairSchema)
@errors(bp, 400, 403, 404, 409, 422)
def move_on(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """Move a pair to its next stage: approved, contacted, interview, contract signed.

    ``from`` is the stage the caller saw: a pair that moved meanwhile answers 409, so a call
    sent twice moves it once.
    """
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    seen = SuggestionStatus(data["from"])
    if pair.status != seen:
        raise Conflict(
            f"Cette mise en relation est à l'étape « {label(pair.status)} », "
            f"et non « {label(seen)} » : relisez-la avant de la faire avancer."
        )
    target = next_stage(pair.status)
    if target is None:
        raise Conflict(
            f"Cette mise en relation est terminée (« {label(pair.status)} ») : "
            "elle n'a pas d'étape suivante."
        )
    MOVES[target](session, pair, principal.actor)
    session.commit()
    return pair_dict(session, pair)


@bp.route(f"/<{ID}:pair_id>/abandon", methods=["POST"], endpoint="abandon")
@staff_only
@bp.arguments(AbandonIn)
@bp.response(200, PairSchema)
@errors(bp, 400, 403, 404, 409, 422)
def abandon(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """End a pair before a contract, with the reason (kept in its history)."""
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    ops.abandon_suggestion(session, pair, principal.actor, reason=data["reason"])
    session.commit()
    return pair_dict(session, pair)


@bp.route(f"/<{ID}:pair_id>/notes", methods=["POST"], endpoint="note")
@staff_only
@bp.arguments(NoteIn)
@bp.response(201, PairSchema)
@errors(bp, 400, 403, 404, 422)
def add_note(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """Add a note to a pair's story (dated, signed by the token's account; in its history)."""
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    ops.add_pair_note(session, pair, principal.actor, data["note"])
    session.commit()
    return pair_dict(session, pair)
