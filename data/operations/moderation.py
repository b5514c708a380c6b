"""Moderation: coordinators check a new structure, suspend or reinstate one, withdraw an offer.

The structure's state (:class:`StructureCheck`) is carried to candidates by its offers' status,
so that one rule says what is offered (``OPEN_OFFER``: published, a place left; see
:mod:`data.models.employers` for why):

* an offer its employer publishes goes to ``published`` (:func:`publication_status`), or waits
  ``pending_check`` while its structure is to check and the platform's rule asks for a check
  before publication (:func:`data.platform_settings.get_structures_check`);
* checking the structure publishes its waiting offers; suspending it holds back its published
  and waiting offers (``suspended``); reinstating it publishes them again;
* a coordinator withdraws one offer (``withdrawn``) or reopens it, with a reason.

Live pairs of a suspended structure's offers are kept (the people already talk); the result
counts them so that the page and the API say it. Every action is one audit line with its reason
(:mod:`.audit`) and mails the structure's people through the outbox, after the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, ValidationError
from data.models import (
    PAIR_STAGES,
    Employer,
    Offer,
    OfferStatus,
    Site,
    StructureCheck,
    Suggestion,
    SuggestionStatus,
)
from data.platform_settings import get_structures_check

from . import audit
from ._common import load, now_or_utc, update_if
from .validation import clean_text

__all__ = [
    "EMPLOYER_OBJECT",
    "OFFER_OBJECT",
    "MAX_REASON",
    "ModerationResult",
    "publication_status",
    "check_structure",
    "suspend_structure",
    "reinstate_structure",
    "unpublish_offer",
    "reopen_offer",
    "publish_waiting_offers",
    "live_pairs",
]

#: The audit log's object types of the moderation lines.
EMPLOYER_OBJECT = "employer"
OFFER_OBJECT = "offer"
MAX_REASON = 1000

_S = StructureCheck
_O = OfferStatus
#: The pairs a suspension keeps and tells of: approved, not yet at a contract nor ended.
UNDER_WAY = tuple(s for s in PAIR_STAGES if s != SuggestionStatus.CONTRACT_SIGNED)


@dataclass
class ModerationResult:
    """What one moderation action did: the offers whose status changed, the live pairs kept."""

    employer: Employer
    offers: list[Offer] = field(default_factory=list)
    live_pairs: int = 0
    mails: int = 0


def publication_status(session: Session, employer: Employer, *, hold: bool = False) -> OfferStatus:
    """Return the status an offer of ``employer`` takes when it is published (or reopened).

    With ``hold`` (the caller is about to write that status), an offer that would wait for the
    check takes the structure's row first, while it is still to check: a coordinator checking it
    at the same instant then either waits for us and publishes our offer with the others, or
    committed first and we publish at once. Without it, an offer could wait for a check already
    made, for ever.
    """
    if employer.check_status == _S.SUSPENDED:
        return _O.SUSPENDED
    if employer.check_status == _S.TO_CHECK and (
        get_structures_check(session) == "before_publication"
    ):
        to_check = Employer.check_status == _S.TO_CHECK
        if hold and not update_if(session, employer, to_check, check_status=_S.TO_CHECK):
            return publication_status(session, employer)  # checked or suspended meanwhile
        return _O.PENDING_CHECK
    return _O.PUBLISHED


def _reason(value: object, message: str) -> str:
    """Return the cleaned reason, or raise ValidationError (``message`` when it is missing)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({"reason": [message]})
    cleaned = clean_text(value, "reason", max_length=MAX_REASON, multiline=True)
    assert cleaned is not None
    return cleaned


def _offers_of(
    session: Session, employer: Employer, statuses: Iterable[OfferStatus]
) -> list[Offer]:
    stmt = (
        select(Offer)
        .join(Site, Site.id == Offer.site_id)
        .where(Site.employer_id == employer.id, Offer.status.in_(list(statuses)))
        .order_by(Offer.id)
    )
    return list(session.scalars(stmt))


def live_pairs(session: Session, employer: Employer) -> int:
    """Count the pairs under way (approved up to an interview) on the structure's offers."""
    stmt = (
        select(func.count(Suggestion.id))
        .join(Offer, Offer.id == Suggestion.offer_id)
        .join(Site, Site.id == Offer.site_id)
        .where(Site.employer_id == employer.id, Suggestion.status.in_(UNDER_WAY))
    )
    return session.scalar(stmt) or 0


def _move(offers: Iterable[Offer], target: OfferStatus, stamp: datetime) -> list[Offer]:
    """Set each offer's status; ``updated_at`` tells the re-matching job that they changed."""
    moved = []
    for offer in offers:
        offer.status = target
        offer.updated_at = stamp
        if target == _O.PUBLISHED:
            offer.published_at = stamp
            offer.closed_at = None
        moved.append(offer)
    return moved


def _tell(
    session: Session,
    employer: Employer,
    entry_id: int,
    template: str,
    base_url: str,
    now: datetime,
    **context: Any,
) -> int:
    """Queue the mail of one action to the structure's people; return how many were queued."""
    # Imported here: data.mail imports data.operations, which imports this module early (offers).
    from data.mail.compose import queue_mail
    from data.mail.links import url
    from data.mail.recipients import employer_recipients

    queued = 0
    for recipient in employer_recipients(session, employer):
        row = queue_mail(
            session,
            recipient,
            kind=template,
            key=f"audit:{entry_id}",
            template=template,
            base_url=base_url,
            now=now,
            optional=False,
            structure=employer.name,
            home_url=url(base_url, "employer_home"),
            **context,
        )
        queued += row is not None
    return queued


def _set_state(
    session: Session,
    employer: Employer,
    actor: Actor,
    allowed: tuple[StructureCheck, ...],
    target: StructureCheck,
    stamp: datetime,
    refused: str,
    **values: object,
) -> None:
    """Move the structure to ``target`` if it still is in ``allowed`` (one of two wins)."""
    if not update_if(
        session,
        employer,
        Employer.check_status.in_(list(allowed)),
        check_status=target,
        updated_at=stamp,
        **values,
    ):
        raise Conflict(refused)


def check_structure(
    session: Session,
    employer: Employer | int,
    actor: Actor,
    *,
    base_url: str,
    now: datetime | None = None,
) -> ModerationResult:
    """Mark a structure to check as checked: its waiting offers are published, its people told."""
    employer = load(session, Employer, employer, "Structure")
    stamp = now_or_utc(now)
    if employer.check_status == _S.SUSPENDED:
        raise Conflict("Cette structure est suspendue : rétablissez-la plutôt.")
    _set_state(
        session,
        employer,
        actor,
        (_S.TO_CHECK,),
        _S.CHECKED,
        stamp,
        "Cette structure est déjà vérifiée.",
        checked_at=stamp,
        checked_by_id=actor.user_id,
    )
    offers = _move(_offers_of(session, employer, (_O.PENDING_CHECK,)), _O.PUBLISHED, stamp)
    entry = audit.record(
        session,
        actor,
        "structure_checked",
        EMPLOYER_OBJECT,
        employer.id,
        {"from": _S.TO_CHECK.value, "to": _S.CHECKED.value, "offers": [o.id for o in offers]},
        now=stamp,
    )
    mails = _tell(
        session, employer, entry.id, "structure_checked", base_url, stamp, published=len(offers)
    )
    session.flush()
    return ModerationResult(employer, offers, mails=mails)


def suspend_structure(
    session: Session,
    employer: Employer | int,
    actor: Actor,
    reason: object,
    *,
    base_url: str,
    now: datetime | None = None,
) -> ModerationResult:
    """Suspend a structure, with a reason: its offers are held back, its people told.

    Its published and waiting offers become ``suspended`` (no longer offered anywhere, the engine
    stops proposing them at its next run); its live pairs are kept, and counted in the result.
    """
    employer = load(session, Employer, employer, "Structure")
    text = _reason(reason, "Indiquez le motif de la suspension.")
    stamp = now_or_utc(now)
    before = employer.check_status
    _set_state(
        session,
        employer,
        actor,
        (_S.TO_CHECK, _S.CHECKED),
        _S.SUSPENDED,
        stamp,
        "Cette structure est déjà suspendue.",
        suspended_reason=text,
    )
    held = _offers_of(session, employer, (_O.PUBLISHED, _O.PENDING_CHECK))
    offers = _move(held, _O.SUSPENDED, stamp)
    pairs = live_pairs(session, employer)
    entry = audit.record(
        session,
        actor,
        "structure_suspended",
        EMPLOYER_OBJECT,
        employer.id,
        {
            "from": before.value,
            "to": _S.SUSPENDED.value,
            "reason": text,
            "offers": [o.id for o in offers],
            "live_pairs": pairs,
        },
        now=stamp,
    )
    mails = _tell(
        session,
        employer,
        entry.id,
        "structure_suspended",
        base_url,
        stamp,
        reason=text,
        held=len(offers),
    )
    session.flush()
    return ModerationResult(employer, offers, pairs, mails)


def reinstate_structure(
    session: Session,
    employer: Employer | int,
    actor: Actor,
    reason: object = None,
    *,
    base_url: str,
    now: datetime | None = None,
) -> ModerationResult:
    """Lift a suspension: the structure is checked, the offers it held are published again."""
    employer = load(session, Employer, employer, "Structure")
    text = clean_text(reason, "reason", required=False, max_length=MAX_REASON)
    stamp = now_or_utc(now)
    _set_state(
        session,
        employer,
        actor,
        (_S.SUSPENDED,),
        _S.CHECKED,
        stamp,
        "Cette structure n'est pas suspendue.",
        checked_at=stamp,
        checked_by_id=actor.user_id,
        suspended_reason=None,
    )
    offers = _move(_offers_of(session, employer, (_O.SUSPENDED,)), _O.PUBLISHED, stamp)
    entry = audit.record(
        session,
        actor,
        "structure_reinstated",
        EMPLOYER_OBJECT,
        employer.id,
        {
            "from": _S.SUSPENDED.value,
            "to": _S.CHECKED.value,
            "reason": text,
            "offers": [o.id for o in offers],
        },
        now=stamp,
    )
    mails = _tell(
        session,
        employer,
        entry.id,
        "structure_reinstated",
        base_url,
        stamp,
        published=len(offers),
    )
    session.flush()
    return ModerationResult(employer, offers, mails=mails)


def _offer_context(offer: Offer, base_url: str) -> dict[str, Any]:
    from data.mail.links import url  # see _tell

    return {
        "metier": offer.metier.label,
        "site": offer.site.name,
        "offer_url": url(base_url, "employer_offer", offer_id=offer.id),
    }


def unpublish_offer(
    session: Session,
    offer: Offer | int,
    actor: Actor,
    reason: object,
    *,
    base_url: str,
    now: datetime | None = None,
) -> ModerationResult:
    """Withdraw one published (or waiting) offer, with a reason; its structure's people are told.

    Its live pairs are kept (and counted); the engine stops proposing it at its next run.
    """
    offer = load(session, Offer, offer, "Offre")
    text = _reason(reason, "Indiquez le motif du retrait de l'offre.")
    stamp = now_or_utc(now)
    before = offer.status
    if not update_if(
        session,
        offer,
        Offer.status.in_([_O.PUBLISHED, _O.PENDING_CHECK]),
        status=_O.WITHDRAWN,
        updated_at=stamp,
    ):
        raise Conflict("Seule une offre publiée ou en attente de vérification peut être retirée.")
    employer = offer.site.employer
    pairs = session.scalar(
        select(func.count(Suggestion.id)).where(
            Suggestion.offer_id == offer.id, Suggestion.status.in_(UNDER_WAY)
        )
    )
    entry = audit.record(
        session,
        actor,
        "offer_withdrawn",
        OFFER_OBJECT,
        offer.id,
        {"from": before.value, "to": _O.WITHDRAWN.value, "reason": text, "live_pairs": pairs},
        now=stamp,
    )
    mails = _tell(
        session,
        employer,
        entry.id,
        "offer_withdrawn",
        base_url,
        stamp,
        reason=text,
        **_offer_context(offer, base_url),
    )
    session.flush()
    return ModerationResult(employer, [offer], pairs or 0, mails)


def reopen_offer(
    session: Session,
    offer: Offer | int,
    actor: Actor,
    reason: object,
    *,
    base_url: str,
    now: datetime | None = None,
) -> ModerationResult:
    """Reopen a withdrawn offer, with a reason: published, or waiting if its structure must be."""
    offer = load(session, Offer, offer, "Offre")
    text = _reason(reason, "Indiquez le motif de la réouverture de l'offre.")
    stamp = now_or_utc(now)
    employer = offer.site.employer
    target = publication_status(session, employer, hold=True)
    values: dict[str, object] = {"status": target, "updated_at": stamp}
    if target == _O.PUBLISHED:
        values.update(published_at=stamp, closed_at=None)
    if not update_if(session, offer, Offer.status == _O.WITHDRAWN, **values):
        raise Conflict("Seule une offre retirée par la coordination peut être rouverte.")
    entry = audit.record(
        session,
        actor,
        "offer_reopened",
        OFFER_OBJECT,
        offer.id,
        {"from": _O.WITHDRAWN.value, "to": target.value, "reason": text},
        now=stamp,
    )
    mails = _tell(
        session,
        employer,
        entry.id,
        "offer_reopened",
        base_url,
        stamp,
        reason=text,
        published=target == _O.PUBLISHED,
        **_offer_context(offer, base_url),
    )
    session.flush()
    return ModerationResult(employer, [offer], mails=mails)


def publish_waiting_offers(
    session: Session, actor: Actor, *, now: datetime | None = None
) -> list[Offer]:
    """Publish every offer waiting for its structure's check (the rule no longer asks for one)."""
    stamp = now_or_utc(now)
    waiting = session.scalars(
        select(Offer)
        .join(Site, Site.id == Offer.site_id)
        .join(Employer, Employer.id == Site.employer_id)
        .where(Offer.status == _O.PENDING_CHECK, Employer.check_status == _S.TO_CHECK)
        .order_by(Offer.id)
    )
    offers = _move(waiting, _O.PUBLISHED, stamp)
    for offer in offers:
        audit.record(
            session,
            actor,
            "offer_published_without_check",
            OFFER_OBJECT,
            offer.id,
            {"from": _O.PENDING_CHECK.value, "to": _O.PUBLISHED.value},
            now=stamp,
        )
    session.flush()
    return offers
