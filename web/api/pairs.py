"""``/api/v1/pairs``: the pairs coordinators follow, from the approval to a contract or their end.

A pair is a suggestion past the review: approved (by ``POST /api/v1/suggestions/{id}/decision``
or paired by hand with ``POST /api/v1/suggestions``), then contacted, interview, contract signed,
or abandoned; a signed contract may break off (broken). It keeps the suggestion's id. Here
coordinators list them by stage with their history (the audit lines), read one, move one to its
next stage (with the interview's or the contract's details), abandon it with a reason, set its
interview and its contract's details, record a contract's rupture, and undo the last stage change
of the day; a stage out of order (a contract signed right after the contact) is
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
from data.errors import Conflict, NotFound, ValidationError
from data.models import PAIR_STATUSES, AuditEntry, Suggestion, SuggestionStatus
from data.presentation import event_line, label
from data.standing import next_stage
from web.db import get_session

from .auth import current_principal, staff_only
from .base import ID, api_blueprint, errors
from .common import load_suggestion, page_out, suggestion_dict
from .schemas import (
    AbandonIn,
    ContractEditIn,
    InterviewEditIn,
    NextStageIn,
    NoteIn,
    PairPage,
    PairQuery,
    PairSchema,
    RuptureIn,
    UndoIn,
)

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
    s = suggestion
    data["interview"] = (
        {
            "date": s.interview_on,
            "time": s.interview_time.strftime("%H:%M") if s.interview_time else None,
            "place": s.interview_place,
        }
        if s.interview_on is not None or s.interview_place is not None
        else None
    )
    told = (s.contract_signed_on, s.contract_start_on, s.training_centre, s.contract_kind)
    data["contract"] = (
        {
            "signed_on": s.contract_signed_on,
            "start_on": s.contract_start_on,
            "training_centre": s.training_centre,
            "kind": s.contract_kind,
        }
        if any(v is not None for v in told)
        else None
    )
    data["rupture"] = (
        {
            "broken_on": s.broken_on,
            "reason": s.broken_reason or "",
            "broken_by": s.broken_by,
            "cause": s.broken_cause,
            "after_trial": s.broken_after_trial,
        }
        if s.status == SuggestionStatus.BROKEN and s.broken_on is not None
        else None
    )
    if history is None:
        history = ops.pair_history(session, suggestion.id)
    check = ops.undo_check(session, s, history=history)
    data["undo"] = {
        "possible": check.possible,
        "restores": check.restores if check.possible else None,
        "refusal": check.refusal,
    }
    following = next_stage(suggestion.status)
    data["next_stage"] = following.value if following is not None else None
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
    story = _story(data, target)
    if story:
        ops.change_suggestion_status(
            session, pair, target, principal.actor, expected=seen, story=story
        )
    else:
        MOVES[target](session, pair, principal.actor)
    session.commit()
    return pair_dict(session, pair)


#: The API's names of a pair's story fields -> the operations' (``data.operations.pair_fields``).
INTERVIEW_NAMES = {"date": "interview_on", "time": "interview_time", "place": "interview_place"}
CONTRACT_NAMES = {
    "signed_on": "contract_signed_on",
    "start_on": "contract_start_on",
    "training_centre": "training_centre",
    "kind": "contract_kind",
}


def _story(data: dict[str, Any], target: SuggestionStatus) -> dict[str, Any]:
    """The story fields a move to ``target`` carries (422 for the other stage's)."""
    parts = {
        "interview": (SuggestionStatus.INTERVIEW, INTERVIEW_NAMES),
        "contract": (SuggestionStatus.CONTRACT_SIGNED, CONTRACT_NAMES),
    }
    story: dict[str, Any] = {}
    for key, (stage, names) in parts.items():
        if key not in data:
            continue
        if stage != target:
            raise ValidationError(
                {key: [f"Ce champ accompagne l'étape « {label(stage)} », pas « {label(target)} »."]}
            )
        story.update({names[k]: v for k, v in data[key].items()})
    return story


def _edit(data: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {ours: data.get(theirs) for theirs, ours in names.items()}


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


@bp.route(f"/<{ID}:pair_id>/interview", methods=["PUT"], endpoint="interview")
@staff_only
@bp.arguments(InterviewEditIn)
@bp.response(200, PairSchema)
@errors(bp, 400, 403, 404, 409, 422)
def set_interview(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """Set the interview's day, time and place (at the interview stage or later); a field left
    out or null is erased. Both sides read them with their pairs."""
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    ops.set_interview(
        session, pair, principal.actor, _edit(data, INTERVIEW_NAMES), expected=data.get("from")
    )
    session.commit()
    return pair_dict(session, pair)


@bp.route(f"/<{ID}:pair_id>/contract", methods=["PUT"], endpoint="contract")
@staff_only
@bp.arguments(ContractEditIn)
@bp.response(200, PairSchema)
@errors(bp, 400, 403, 404, 409, 422)
def set_contract(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """Set a signed contract's details (signed or broken pairs); a field left out is erased."""
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    ops.set_contract_details(
        session, pair, principal.actor, _edit(data, CONTRACT_NAMES), expected=data.get("from")
    )
    session.commit()
    return pair_dict(session, pair)


@bp.route(f"/<{ID}:pair_id>/rupture", methods=["POST"], endpoint="rupture")
@staff_only
@bp.arguments(RuptureIn)
@bp.response(200, PairSchema)
@errors(bp, 400, 403, 404, 409, 422)
def rupture(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """Record that a signed contract broke off (its day; its cause from the list or a reason,
    who ended it, whether after the 45 days); with ``reopen_place`` the offer
    gets its place back, with ``reopen_request`` the person's matched request is active again
    (422 when it cannot be). The pair stays, as broken, in the figures. No mail is sent."""
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    ops.break_contract(
        session,
        pair,
        principal.actor,
        data["broken_on"],
        data["reason"],
        broken_by=data["broken_by"],
        cause=data["cause"],
        after_trial=data["after_trial"],
        reopen_place=data["reopen_place"],
        reopen_request=data["reopen_request"],
        expected=data.get("from"),
    )
    session.commit()
    return pair_dict(session, pair)


@bp.route(f"/<{ID}:pair_id>/undo", methods=["POST"], endpoint="undo")
@staff_only
@bp.arguments(UndoIn)
@bp.response(200, PairSchema)
@errors(bp, 400, 403, 404, 409, 422)
def undo(data: dict[str, Any], pair_id: int) -> dict[str, Any]:
    """Undo the pair's last stage change: the same day (in France), past the approval, nothing
    changed since but notes (409 with the French reason otherwise; ``undo`` in the pair says
    beforehand). What the stage changed comes back (a place freed or taken again); mails already
    queued or sent are not recalled."""
    principal = current_principal()
    session = get_session()
    pair = _load_pair(session, pair_id)
    ops.undo_last_stage(session, pair, principal.actor, expected=data["from"])
    session.commit()
    return pair_dict(session, pair)
