"""Forget a person: the one erasure of a candidate, for every path that asks for it.

« Supprimer mon compte », a coordinator's erasure on the person's request and the retention job
all call :func:`erase_candidate`: the same tables are emptied, the same statistics kept, the same
transitions made. What goes: the identity, the account and everything signed in with it, every
mail to the person and the text of every mail about them (in the outbox and as ``.eml`` files),
the free text typed about them (refusal reasons, notes), opt-outs, unsubscribe and answer links,
rate-limit counters keyed by their address; their API tokens are revoked and lose their label.
What stays, without a name: the request's commune and métiers, the pairs and their stages (a
signed contract stays counted, and the offer's places filled with it), the audit lines (who did
what, when), without their free text.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from data.actor import SYSTEM, Actor
from data.db import rows_changed
from data.mail.actions import STILL_LOOKING
from data.mail.outbox import withdraw
from data.models import (
    MATCH_SUBJECT,
    PAIR_SUBJECT,
    AuditEntry,
    Base,
    Candidate,
    CheckinCall,
    DiscoveryMatch,
    KitItemNudge,
    NotifyFrequency,
    Questionnaire,
    RequestMetier,
    RequestStatus,
    Suggestion,
    SuggestionStatus,
    User,
    WelcomeKit,
    WelcomeKitItem,
)
from data.models.auth import ApiToken, LoginToken, RateLimitWindow, TotpUse
from data.models.mail import (
    ActionToken,
    MailOptOut,
    NotificationPreference,
    NotifiedLibraryResource,
    NotifiedSession,
    NotifiedSuggestion,
    OutboxMessage,
    UnsubscribeToken,
)
from data.models.users import EmailChange
from data.operations import audit
from data.operations import discovery as discovery_ops
from data.operations._common import load, now_or_utc
from data.operations.cv import discard_cv_file
from data.operations.requests import close_request
from data.operations.suggestions import OBJECT_TYPE as PAIR
from data.operations.suggestions import change_suggestion_status

from .mailfiles import erase_mail_files
from .person import Person, find_person
from .registry import AUDIT_FREE_TEXT_KEYS, Kind, columns_of_kind

__all__ = [
    "ANONYMOUS_NAME",
    "ERASURE_ACTION",
    "ERASED_REASON",
    "ErasureCause",
    "ErasureReport",
    "erase_candidate",
]

ANONYMOUS_NAME = "Anonyme"
ERASURE_ACTION = "erasure"
#: The reason written on the pairs an erasure stops (no name in it).
ERASED_REASON = "Les données de la personne ont été effacées."
#: What is left of a mail about an erased person: the row (each mail stays unique), no text.
ERASED_SUBJECT = "Courriel effacé"
#: Why the pending mails to and about the person were withdrawn.
WITHDRAWN = "données effacées"
#: Pairs still alive and where an erasure takes them, through their life cycle.
STOPPED_PAIRS: dict[SuggestionStatus, SuggestionStatus] = {
    SuggestionStatus.PROPOSED: SuggestionStatus.REJECTED,
    SuggestionStatus.APPROVED: SuggestionStatus.ABANDONED,
    SuggestionStatus.CONTACTED: SuggestionStatus.ABANDONED,
    SuggestionStatus.INTERVIEW: SuggestionStatus.ABANDONED,
}
#: Request statuses an erasure closes (a matched request stays matched: a contract was signed).
CLOSED_BY_ERASURE = frozenset({RequestStatus.ACTIVE, RequestStatus.PAUSED})
#: Answer links whose object is a request.
REQUEST_ACTIONS = (STILL_LOOKING,)


class ErasureCause(enum.StrEnum):
    """Who asked for an erasure; the audit line keeps it."""

    PERSON = "person"  # « supprimer mon compte »
    COORDINATOR = "coordinator"  # a coordinator, on the person's request
    RETENTION = "retention"  # two years without activity


CAUSE_LABELS = {
    ErasureCause.PERSON: "À la demande de la personne, depuis son espace",
    ErasureCause.COORDINATOR: "Par l'équipe de coordination, à la demande de la personne",
    ErasureCause.RETENTION: "Après la durée de conservation, sans activité",
}


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure did, by place (counts of rows or files)."""

    candidate_id: int
    counts: dict[str, int]
    """Rows or files per place, named as job runs name them (``presentation.COUNT_LABELS``)."""


def erase_candidate(
    session: Session,
    candidate: Candidate | int,
    *,
    cause: ErasureCause,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    mail_dir: str | Path | None = None,
    cv_dir: str | Path | None = None,
) -> ErasureReport:
    """Erase a candidate's personal data everywhere it lives, keep the anonymous facts; flushes.

    ``actor`` is who asked (the person, a coordinator), the platform for the retention job.
    ``mail_dir`` is the folder of the file mail transport: its ``.eml`` files to or about the
    person are deleted (they are copies of sent mail; the database changes commit with the caller).
    ``cv_dir`` is the CV folder: the person's CV file is deleted (without it, the row forgets
    the file and the retention job's sweep deletes it within days).
    Idempotent: erasing an erased person finds nothing more and keeps the first erasure date.
    """
    candidate = load(session, Candidate, candidate, "Candidat")
    stamp = now_or_utc(now)
    person = find_person(session, candidate)
    # The person erasing themself is gone at the end: their own lines name no account.
    by = SYSTEM if actor.user_id in person.user_ids else actor
    counts: Counter[str] = Counter()
    counts["mails_withdrawn"] = withdraw(
        session,
        recipients=person.addresses,
        keys=person.contact_keys,
        reason=WITHDRAWN,
        now=stamp,
    )
    counts.update(_blank_free_text(session, person))
    counts.update(_stop(session, candidate, person, by, stamp))
    counts.update(_forget_mail(session, person))
    counts.update(_forget_access(session, person, stamp))
    cv_file = candidate.cv_file
    _anonymise(session, candidate, stamp)
    audit.record(
        session,
        by,
        ERASURE_ACTION,
        audit.CANDIDATE,
        candidate.id,
        {"cause": cause.value},
        now=stamp,
    )
    session.flush()
    if mail_dir is not None:
        counts["mail_files_deleted"] = erase_mail_files(Path(mail_dir), person.identifiers())
    if cv_dir is not None and discard_cv_file(cv_file, cv_dir):
        counts["cv_files_deleted"] = 1
    return ErasureReport(candidate.id, {k: v for k, v in counts.items() if v})


def _blank_free_text(session: Session, person: Person) -> Counter[str]:
    """Blank what others typed about the person: reasons on pairs, texts of audit lines."""
    counts: Counter[str] = Counter()
    if person.pair_ids:
        texts = _about_columns(Suggestion)
        counts["pair_reasons_erased"] = _rows(
            session,
            update(Suggestion)
            .where(Suggestion.id.in_(person.pair_ids), or_(*(c.is_not(None) for c in texts)))
            .values(_blanks(texts)),
            synchronize="fetch",  # the pairs are read again just after, to stop them
        )
    if person.pair_ids:
        counts["pair_reasons_erased"] += _rows(
            session,
            update(CheckinCall)
            .where(CheckinCall.suggestion_id.in_(person.pair_ids), CheckinCall.note != "")
            .values(note=""),
            synchronize="fetch",
        )
    if person.discovery_ids:
        counts["pair_reasons_erased"] += _rows(
            session,
            update(DiscoveryMatch)
            .where(DiscoveryMatch.id.in_(person.discovery_ids), DiscoveryMatch.reason.is_not(None))
            .values(reason=None),
            synchronize="fetch",
        )
    about = [
        (audit.CANDIDATE, person.candidate_id),
        *((PAIR, i) for i in person.pair_ids),
        *((MATCH_SUBJECT, i) for i in person.discovery_ids),
    ]
    for entry in _audit_lines(session, about):
        if any(entry.details.get(k) for k in AUDIT_FREE_TEXT_KEYS):
            entry.details = {
                k: ("" if k in AUDIT_FREE_TEXT_KEYS else v) for k, v in entry.details.items()
            }
            counts["audit_texts_erased"] += 1
    if person.request_id is not None:
        counts["metier_texts_erased"] = _rows(
            session,
            update(RequestMetier)
            .where(
                RequestMetier.request_id == person.request_id,
                RequestMetier.metier_code.is_(None),
                RequestMetier.text != "",
            )
            .values(text=""),
            synchronize="fetch",  # the request's métiers are loaded with it
        )
    return counts


def _audit_lines(session: Session, objects: list[tuple[str, int]]) -> list[AuditEntry]:
    by_type: dict[str, list[int]] = {}
    for object_type, object_id in objects:
        by_type.setdefault(object_type, []).append(object_id)
    clauses = [
        (AuditEntry.object_type == t) & AuditEntry.object_id.in_(ids) for t, ids in by_type.items()
    ]
    return list(session.scalars(select(AuditEntry).where(or_(*clauses)).order_by(AuditEntry.id)))


def _stop(
    session: Session,
    candidate: Candidate,
    person: Person,
    actor: Actor,
    now: datetime,
) -> Counter[str]:
    """Stop the pairs still alive and close the request, through their life cycles."""
    counts: Counter[str] = Counter()
    for pair in session.scalars(
        select(Suggestion).where(Suggestion.id.in_(person.pair_ids)).order_by(Suggestion.id)
    ):
        target = STOPPED_PAIRS.get(pair.status)
        if target is not None:
            change_suggestion_status(
                session, pair, target, actor, reason=ERASED_REASON, now=now, expected=pair.status
            )
            counts["pairs_stopped"] += 1
    if person.pair_ids:  # the kit speaks of the person: deleted with its checklist
        kits = select(WelcomeKit.id).where(WelcomeKit.suggestion_id.in_(person.pair_ids))
        items = select(WelcomeKitItem.id).where(WelcomeKitItem.kit_id.in_(kits))
        _rows(session, delete(KitItemNudge).where(KitItemNudge.item_id.in_(items)))
        _rows(session, delete(WelcomeKitItem).where(WelcomeKitItem.kit_id.in_(kits)))
        counts["welcome_kits_deleted"] = _rows(
            session, delete(WelcomeKit).where(WelcomeKit.suggestion_id.in_(person.pair_ids))
        )
    stopped = discovery_ops.stop_discoveries_of(
        session, candidate.id, actor, ERASED_REASON, now=now
    )
    if stopped:
        counts["pairs_stopped"] += stopped
    # The questionnaires of the person's discoveries and of their contracts' check-ins, both
    # sides' (what a structure answers is about the person).
    asked = [
        (Questionnaire.subject_type == subject) & Questionnaire.subject_id.in_(ids)
        for subject, ids in ((MATCH_SUBJECT, person.discovery_ids), (PAIR_SUBJECT, person.pair_ids))
        if ids
    ]
    if asked:
        counts["answer_links_deleted"] += _rows(session, delete(Questionnaire).where(or_(*asked)))
    request = candidate.request
    if request is not None and request.status in CLOSED_BY_ERASURE:
        close_request(session, request, now=now, by_person=False)
        counts["requests_closed"] = 1
    return counts


def _contains_any(column: ColumnElement[str], identifiers: list[str]) -> ColumnElement[bool]:
    """Tell whether a text column holds one of ``identifiers`` (lower-cased), in SQL."""
    lowered = func.lower(func.coalesce(column, ""))
    return or_(*(lowered.contains(i, autoescape=True) for i in identifiers))


def _forget_mail(session: Session, person: Person) -> Counter[str]:
    """Delete the mails to the person and their mail state; empty the mails about them."""
    counts: Counter[str] = Counter()
    to_person = []
    if person.addresses:
        to_person.append(func.lower(OutboxMessage.recipient).in_(person.addresses))
    if person.user_ids:
        to_person.append(OutboxMessage.user_id.in_(person.user_ids))
    if to_person:
        counts["mails_to_person_deleted"] = _rows(
            session, delete(OutboxMessage).where(or_(*to_person))
        )
    identifiers = person.identifiers()
    about: list[ColumnElement[bool]] = []
    if person.pair_ids:
        about.append(OutboxMessage.key.in_(person.contact_keys))
    texts = _about_columns(OutboxMessage)
    if identifiers:
        about += [_contains_any(c, identifiers) for c in texts]
    if about:
        counts["mails_about_person_emptied"] = _rows(
            session,
            update(OutboxMessage)
            .where(or_(*about))
            .values({**_blanks(texts), "subject": ERASED_SUBJECT}),
        )
    if person.addresses:
        counts["unsubscribe_links_deleted"] = _rows(
            session, delete(UnsubscribeToken).where(UnsubscribeToken.email.in_(person.addresses))
        )
        counts["optouts_deleted"] = _rows(
            session, delete(MailOptOut).where(MailOptOut.email.in_(person.addresses))
        )
        counts["digest_marks_deleted"] = _rows(
            session,
            delete(NotifiedSuggestion).where(NotifiedSuggestion.recipient.in_(person.addresses)),
        )
        counts["deadline_marks_deleted"] = _rows(
            session,
            delete(NotifiedSession).where(NotifiedSession.recipient.in_(person.addresses)),
        )
        counts["library_marks_deleted"] = _rows(
            session,
            delete(NotifiedLibraryResource).where(
                NotifiedLibraryResource.recipient.in_(person.addresses)
            ),
        )
    if person.request_id is not None:
        counts["answer_links_deleted"] = _rows(
            session,
            delete(ActionToken).where(
                ActionToken.purpose.in_(REQUEST_ACTIONS), ActionToken.object_id == person.request_id
            ),
        )
    return counts


def _forget_access(session: Session, person: Person, now: datetime) -> Counter[str]:
    """Delete the account and what signs in with it: links, rate-limit counters; revoke tokens."""
    counts: Counter[str] = Counter()
    if person.user_ids:
        counts["sign_in_links_deleted"] = _rows(
            session, delete(LoginToken).where(LoginToken.user_id.in_(person.user_ids))
        )
        counts["address_changes_deleted"] = _rows(
            session, delete(EmailChange).where(EmailChange.user_id.in_(person.user_ids))
        )
        for model in (TotpUse, NotificationPreference):
            _rows(session, delete(model).where(model.user_id.in_(person.user_ids)))
        for user in session.scalars(select(User).where(User.id.in_(person.user_ids))):
            session.delete(user)
            counts["accounts_deleted"] += 1
    # The token rows stay, revoked and without their label: audit lines name them by number.
    counts["api_tokens_revoked"] = _rows(
        session,
        update(ApiToken)
        .where(ApiToken.candidate_id == person.candidate_id)
        .values(revoked_at=func.coalesce(ApiToken.revoked_at, now), label=""),
    )
    if person.addresses:
        counts["rate_limit_counters_deleted"] = _rows(
            session,
            delete(RateLimitWindow).where(RateLimitWindow.key_hash.in_(person.rate_key_hashes)),
        )
    return counts


def _about_columns(model: type[Base]) -> list[Column[Any]]:
    """Return the model's free-text columns about a person, as the registry declares them."""
    table = Base.metadata.tables[model.__tablename__]
    return [table.c[c] for t, c in columns_of_kind(Kind.ABOUT) if t == table.name]


def _blanks(columns: list[Column[Any]]) -> dict[str, str | None]:
    """Return the blank value of each column: NULL, or an empty text where NULL is not allowed."""
    return {c.name: (None if c.nullable else "") for c in columns}


def _anonymise(session: Session, candidate: Candidate, now: datetime) -> None:
    if candidate.anonymised_at is None:
        candidate.anonymised_at = now
    candidate.first_name = ANONYMOUS_NAME
    candidate.last_name = ANONYMOUS_NAME
    candidate.email = None
    candidate.phone = None
    candidate.presentation = None
    candidate.cv_file = None
    candidate.cv_size = None
    candidate.cv_uploaded_at = None
    candidate.notify_frequency = NotifyFrequency.NEVER


def _rows(session: Session, statement: Executable, *, synchronize: str | bool = False) -> int:
    """Run a bulk UPDATE or DELETE; return how many rows it changed."""
    result = session.execute(statement.execution_options(synchronize_session=synchronize))
    return rows_changed(result)
