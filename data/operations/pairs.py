"""A pair's story after its stages: its details edited, and the undo of its last stage change.

The stages themselves are :func:`data.operations.suggestions.change_suggestion_status`; every
change here is a compare-and-set on the pair's status too, and a line of its history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data.actor import STAFF_ROLES, Actor
from data.errors import Conflict, PermissionDenied
from data.models import AuditEntry, RequestStatus, Suggestion, SuggestionStatus
from data.presentation import label

from . import audit
from ._common import load, local_today, now_or_utc
from .beds import BED_MOVE, free_bed, take_bed
from .offers import fill_one_place, free_one_place
from .pair_fields import (
    CONTRACT_FIELDS,
    INTERVIEW_FIELDS,
    STORY_FIELDS,
    clean_story,
    story_from_json,
    story_json,
)
from .requests import mark_request_matched
from .suggestions import (
    NOTE,
    OBJECT_TYPE,
    STATUS_CHANGE,
    TAKEN,
    _compare_and_set,
    other_contract,
    pair_history,
)
from .welcome_kit import build_kit, undo_signed_kit

__all__ = [
    "INTERVIEW_DETAILS",
    "CONTRACT_DETAILS",
    "STAGE_UNDONE",
    "INTERVIEW_EDITABLE",
    "CONTRACT_EDITABLE",
    "UndoCheck",
    "set_interview",
    "set_contract_details",
    "undo_check",
    "undo_last_stage",
]

S = SuggestionStatus
#: Audit actions of this module (their French lines: ``data.presentation.event_line``).
INTERVIEW_DETAILS = "interview_details"
CONTRACT_DETAILS = "contract_details"
STAGE_UNDONE = "stage_undone"
#: The stages at which the interview's and the contract's details may be edited.
INTERVIEW_EDITABLE = frozenset({S.INTERVIEW, S.CONTRACT_SIGNED, S.BROKEN})
CONTRACT_EDITABLE = frozenset({S.CONTRACT_SIGNED, S.BROKEN})
ONLY_STAFF = "Seule l'équipe de coordination suit les binômes."
#: The stages a coordinator's undo may take back: the changes of a pair past its approval (an
#: approval sent its contact mails and is never undone).
UNDOABLE_FROM = frozenset({S.APPROVED, S.CONTACTED, S.INTERVIEW, S.CONTRACT_SIGNED})
#: History lines that do not stop an undo: the coordinators' own notes.
HARMLESS = frozenset({NOTE})


def _staff(actor: Actor) -> None:
    if actor.role not in STAFF_ROLES:
        raise PermissionDenied(ONLY_STAFF)


def _set_details(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    stage: SuggestionStatus,
    given: Mapping[str, object],
    editable: frozenset[SuggestionStatus],
    action: str,
    fields: tuple[str, ...],
    now: datetime | None,
    expected: SuggestionStatus | str | None,
) -> Suggestion:
    _staff(actor)
    suggestion = load(session, Suggestion, suggestion, "Mise en relation")
    seen = suggestion.status
    if expected is not None and SuggestionStatus(expected) != seen:
        raise Conflict(TAKEN)
    if seen not in editable:
        raise Conflict(
            f"Ces renseignements ne se saisissent qu'à partir de l'étape « {label(stage)} »."
        )
    # An edit gives every field: one left empty is erased.
    values = clean_story(stage, {name: given.get(name) for name in fields}, now=now)
    before = {name: getattr(suggestion, name) for name in fields}
    if before == values:
        return suggestion
    stamp = now_or_utc(now)
    _compare_and_set(session, suggestion, seen, {**values, "updated_at": stamp})
    details = story_json(values)
    audit.record(session, actor, action, OBJECT_TYPE, suggestion.id, details, now=stamp)
    return suggestion


def set_interview(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    given: Mapping[str, object],
    *,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
) -> Suggestion:
    """Set the interview's day, time and place of a pair at the interview or later (staff).

    ``given`` holds ``interview_on``, ``interview_time``, ``interview_place``; an empty one is
    erased. The pair's two sides see them where they see the pair.
    """
    return _set_details(
        session,
        suggestion,
        actor,
        S.INTERVIEW,
        given,
        INTERVIEW_EDITABLE,
        INTERVIEW_DETAILS,
        INTERVIEW_FIELDS,
        now,
        expected,
    )


def set_contract_details(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    given: Mapping[str, object],
    *,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
) -> Suggestion:
    """Set a signed contract's details (staff): ``contract_signed_on``, ``contract_start_on``,
    ``training_centre``, ``contract_kind``; an empty one is erased. A running contract's welcome
    kit follows a new start (its items not done are re-dated)."""
    pair = _set_details(
        session,
        suggestion,
        actor,
        S.CONTRACT_SIGNED,
        given,
        CONTRACT_EDITABLE,
        CONTRACT_DETAILS,
        CONTRACT_FIELDS,
        now,
        expected,
    )
    if pair.status == S.CONTRACT_SIGNED and pair.contract_start_on is not None:
        build_kit(session, pair, actor, now=now)
    return pair


@dataclass(frozen=True)
class UndoCheck:
    """Whether the pair's last stage change may be undone now: the change, or why not."""

    entry: AuditEntry | None
    refusal: str | None

    @property
    def possible(self) -> bool:
        """Tell whether the undo is possible."""
        return self.refusal is None and self.entry is not None

    @property
    def undoes(self) -> SuggestionStatus | None:
        """The stage the undo takes back."""
        return SuggestionStatus(self.entry.details["to"]) if self.entry is not None else None

    @property
    def restores(self) -> SuggestionStatus | None:
        """The stage the undo goes back to."""
        return SuggestionStatus(self.entry.details["from"]) if self.entry is not None else None

    @property
    def frees_place(self) -> bool:
        """Whether the undo gives a place back to the offer (a contract's signing undone)."""
        return self.entry is not None and self.entry.details.get("place") == "taken"

    @property
    def takes_place(self) -> bool:
        """Whether the undo takes a place of the offer again (a rupture that reopened it)."""
        return self.entry is not None and self.entry.details.get("place") == "freed"

    @property
    def rematches_request(self) -> bool:
        """Whether the undo puts the request back to matched (a rupture that made it active)."""
        return (
            self.entry is not None
            and self.entry.details.get("to") == S.BROKEN.value
            and self.entry.details.get("request_to") == RequestStatus.ACTIVE.value
        )


NOTHING_TO_UNDO = "Cette mise en relation n'a pas de changement d'étape à annuler."
NOT_TODAY = (
    "Ce changement d'étape date d'avant aujourd'hui : il ne peut plus être annulé. "
    "Notez la correction dans l'historique."
)
ALREADY_UNDONE = "Le dernier changement d'étape a déjà été annulé."
NOT_UNDOABLE = "Une mise en relation faite ne s'annule pas : ses courriels sont partis."
MOVED_SINCE = (
    "La mise en relation a changé depuis ce changement d'étape (réponse, renseignement "
    "modifié) : il ne peut plus être annulé."
)


def undo_check(
    session: Session,
    suggestion: Suggestion,
    *,
    now: datetime | None = None,
    history: list[AuditEntry] | None = None,
) -> UndoCheck:
    """Tell whether the last stage change of ``suggestion`` may be undone at ``now``.

    Only the last change of stage, made the same day (in France), past the approval, with
    nothing since but the coordinators' notes. ``history``: the pair's audit lines when read
    already (a page of pairs reads them in one query).
    """
    if history is None:
        history = pair_history(session, suggestion.id)
    history = [e for e in history if e.action not in HARMLESS]
    moves = [e for e in history if e.action in (STATUS_CHANGE, STAGE_UNDONE)]
    if not moves:
        return UndoCheck(None, NOTHING_TO_UNDO)
    entry = moves[-1]
    if entry.action == STAGE_UNDONE:
        return UndoCheck(None, ALREADY_UNDONE)
    details = entry.details or {}
    try:
        came_from = SuggestionStatus(str(details.get("from")))
    except ValueError:
        return UndoCheck(None, NOTHING_TO_UNDO)
    if came_from not in UNDOABLE_FROM:
        return UndoCheck(None, NOT_UNDOABLE)
    if details.get("to") != suggestion.status.value or history[-1] is not entry:
        return UndoCheck(entry, MOVED_SINCE)
    if local_today(entry.at) != local_today(now):
        return UndoCheck(entry, NOT_TODAY)
    return UndoCheck(entry, None)


def undo_last_stage(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    *,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
) -> Suggestion:
    """Undo the pair's last stage change, the same day (staff; see :func:`undo_check`).

    The previous stage comes back with what the change did: the story fields it replaced, the
    offer's place (a signing undone frees it, a rupture's reopened place is taken again), the
    request's status (matched by the signing, back to what it was unless another contract of
    the request holds it; made active by the rupture, matched again while it is still active).
    Mails already queued or sent for the stage are not recalled. The history gets its own line;
    an undo is not undone.
    """
    _staff(actor)
    suggestion = load(session, Suggestion, suggestion, "Mise en relation")
    if expected is not None and SuggestionStatus(expected) != suggestion.status:
        raise Conflict(TAKEN)
    check = undo_check(session, suggestion, now=now)
    if check.refusal is not None or check.entry is None:
        raise Conflict(check.refusal or NOTHING_TO_UNDO)
    entry = check.entry
    details: dict[str, Any] = entry.details or {}
    current = suggestion.status
    restored = SuggestionStatus(details["from"])
    stamp = now_or_utc(now)
    values: dict[str, Any] = {
        "status": restored,
        "status_changed_at": stamp,
        "status_changed_by_id": actor.user_id,
        "updated_at": stamp,
    }
    # The story fields the change set get back the values the history held before it.
    story = _story_before(session, suggestion, entry)
    values.update(story)
    # The status and the moment of the change undone: a change since (another tab, the API)
    # makes this one lose.
    _compare_and_set(
        session,
        suggestion,
        current,
        values,
        Suggestion.status_changed_at == suggestion.status_changed_at,
    )
    line: dict[str, Any] = {
        "from": current.value,
        "to": restored.value,
        "undone": entry.id,
        **story_json({k: v for k, v in story.items() if k != "broken_reason"}),
    }
    offer = suggestion.offer
    if check.frees_place:
        free_one_place(session, offer, now=stamp)
        line["place"] = "freed"
        request = suggestion.request
        request_from = details.get("request_from")
        if (
            request.status == RequestStatus.MATCHED
            and request_from
            and not other_contract(session, suggestion)
        ):
            request.status = RequestStatus(request_from)
            request.updated_at = stamp
            line["request_to"] = request_from
    if details.get("welcome_kit"):  # a signing undone: its kit follows (issue 19)
        line["welcome_kit"] = undo_signed_kit(
            session, details["welcome_kit"], built=bool(details.get("welcome_kit_built"))
        )
    if check.takes_place:
        try:
            fill_one_place(session, offer, now=stamp)
        except Conflict:
            raise Conflict(
                "La place rouverte par la rupture a été pourvue depuis : "
                "la rupture ne peut plus être annulée."
            ) from None
        line["place"] = "taken"
    # The bed the undone change moved goes back: given back if it was taken, taken if given back.
    if details.get(BED_MOVE) == "taken":
        free_bed(session, suggestion.id, line, now=stamp)
    elif details.get(BED_MOVE) == "freed":
        take_bed(session, suggestion, line, now=stamp)
    if check.rematches_request:
        request = suggestion.request
        # Still active as the rupture left it: the contract holds it again. Paused or closed
        # since, or matched by another contract: the person's later state stays.
        if request.status == RequestStatus.ACTIVE:
            mark_request_matched(session, request, now=stamp)
            line["request_to"] = RequestStatus.MATCHED.value
    session.flush()
    audit.record(session, actor, STAGE_UNDONE, OBJECT_TYPE, suggestion.id, line, now=stamp)
    return suggestion


def _story_before(session: Session, suggestion: Suggestion, entry: AuditEntry) -> dict[str, Any]:
    """The values of the story fields ``entry`` set, as the history held them before it.

    Every write of a story field is a history line that names it (a stage change with the fields
    it was given, an edit with all of its part's fields, an undo with what it restored), so the
    lines before ``entry`` tell each field's previous value (None when none named it).
    """
    details = entry.details or {}
    names = [n for n in STORY_FIELDS if n in details]
    restored: dict[str, Any] = dict.fromkeys(names)
    if details.get("to") == S.BROKEN.value:
        restored["broken_reason"] = None  # the rupture's reason is the change's own
    for earlier in pair_history(session, suggestion.id):
        if earlier.id == entry.id:
            break
        if earlier.action in (STATUS_CHANGE, INTERVIEW_DETAILS, CONTRACT_DETAILS, STAGE_UNDONE):
            for name in names:
                if name in (earlier.details or {}):
                    restored[name] = earlier.details[name]
    return {
        **story_from_json({n: restored[n] for n in names}),
        **({"broken_reason": None} if "broken_reason" in restored else {}),
    }
