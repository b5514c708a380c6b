"""The contact mails of an approved pair: each side gets the other's details, once.

Queued by the operation that approves the pair (``data.operations.suggestions``), in the same
transaction as the approval, so the promise « les deux parties vont recevoir les coordonnées par
courriel » holds whatever happens to the pair afterwards. The contacts job queues them too for
pairs approved before that (the outbox's unique key on (recipient, ``contact:<pair id>``) keeps
each mail single).

A contact mail is not optional: it is what the person asked the platform for, and the
notification settings promise it (« Les courriels de connexion et de mise en relation vous sont
toujours envoyés »). So it carries no unsubscribe link and a one-click opt-out (which stops the
« courriels d'information ») does not suppress it. A person without an address (anonymised,
account deleted, none given) gets none; :func:`unreached_sides` tells the coordinator so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data.models import AgeBand, DiscoveryMatch, Suggestion
from data.presentation.formatters import period_fr

from .compose import default_base_url, queue_mail
from .links import url
from .recipients import (
    Recipient,
    candidate_recipient,
    employer_recipients,
    offer_contact,
    offer_recipients,
)

__all__ = [
    "CANDIDATE_KIND",
    "EMPLOYER_KIND",
    "ContactMails",
    "contact_key",
    "discovery_key",
    "queue_discovery_mails",
    "DISCOVERY_CANDIDATE_KIND",
    "DISCOVERY_EMPLOYER_KIND",
    "DISCOVERY_CANCELLED_CANDIDATE_KIND",
    "DISCOVERY_CANCELLED_EMPLOYER_KIND",
    "queue_discovery_cancelled_mails",
    "queue_contact_mails",
    "unreached_sides",
]

CANDIDATE_KIND = "contact_candidate"
EMPLOYER_KIND = "contact_employer"
DISCOVERY_CANDIDATE_KIND = "discovery_candidate"
DISCOVERY_EMPLOYER_KIND = "discovery_employer"
DISCOVERY_CANCELLED_CANDIDATE_KIND = "discovery_cancelled_candidate"
DISCOVERY_CANCELLED_EMPLOYER_KIND = "discovery_cancelled_employer"
CANDIDATE_SIDE = "candidate"
EMPLOYER_SIDE = "employer"


def contact_key(pair_id: int) -> str:
    """Return the outbox key of a pair's contact mails.

    >>> contact_key(12)
    'contact:12'
    """
    return f"contact:{pair_id}"


@dataclass(frozen=True)
class ContactMails:
    """What queuing a pair's contact mails did."""

    ids: tuple[int, ...]  # rows queued now (a mail queued before is not counted again)
    unreached: tuple[str, ...]  # sides with no address: "candidate", "employer"


#: One side's mail: who receives it (None: no address), its kind (also its template's name)
#: and what it says.
_ToPerson = tuple[Recipient | None, str, dict[str, Any]]
_ToStructure = tuple[list[Recipient], str, dict[str, Any]]


def _queue_to_sides(
    session: Session,
    *,
    key: str,
    base: str,
    now: datetime | None,
    person: _ToPerson | None,
    structure: _ToStructure | None,
) -> ContactMails:
    """Queue one mail to the person and one to each of the structure's recipients, not optional
    (a side given as None is not told); a side with no address is counted as unreached."""
    ids: list[int | None] = []
    unreached: list[str] = []
    sides: list[tuple[str, _ToStructure | None]] = [(EMPLOYER_SIDE, structure)]
    if person is not None:  # the person, first: one recipient or none
        only, kind, values = person
        sides.insert(0, (CANDIDATE_SIDE, ([] if only is None else [only], kind, values)))
    for side, mail in sides:
        if mail is None:
            continue
        recipients, kind, values = mail
        if not recipients:
            unreached.append(side)
        for recipient in recipients:
            ids.append(
                queue_mail(
                    session,
                    recipient,
                    kind=kind,
                    key=key,
                    template=kind,
                    base_url=base,
                    now=now,
                    optional=False,
                    **values,
                )
            )
    return ContactMails(tuple(i for i in ids if i is not None), tuple(unreached))


def queue_contact_mails(
    session: Session,
    pair: Suggestion,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
) -> ContactMails:
    """Queue the contact mails of ``pair`` to the candidate and to the employer; flushes only."""
    base = default_base_url(base_url)
    offer, request = pair.offer, pair.request
    site, employer, candidate = offer.site, offer.site.employer, request.candidate
    contact = offer_contact(session, offer)
    to_person = {
        "first_name": candidate.first_name,
        "employer": employer.name,
        "metier": offer.metier.label,
        "commune": site.commune.name,
        "address": site.address,
        "start_date": offer.start_date,
        "contact_name": contact.name,
        "contact_email": contact.email,
        "contact_phone": contact.phone,
        "home_url": url(base, "candidate_home"),
        # Where the engine houses the candidate, when at a resource near the offer.
        "housing": pair.proposed_housing,
        "housing_km": pair.proposed_housing_km,
        "housing_url": (
            None
            if pair.proposed_housing_id is None
            else url(base, "public_housing", resource_id=pair.proposed_housing_id)
        ),
    }
    to_structure = {
        "metier": offer.metier.label,
        "site": site.name,
        "commune": site.commune.name,
        "candidate_name": f"{candidate.first_name} {candidate.last_name}",
        "candidate_email": candidate.email,
        "candidate_phone": candidate.phone,
        "candidate_commune": request.commune.name,
        "offer_url": url(base, "employer_offer", offer_id=offer.id),
    }
    return _queue_to_sides(
        session,
        key=contact_key(pair.id),
        base=base,
        now=now,
        person=(candidate_recipient(session, candidate), CANDIDATE_KIND, to_person),
        structure=(offer_recipients(session, offer), EMPLOYER_KIND, to_structure),
    )


def unreached_sides(session: Session, pair: Suggestion) -> tuple[str, ...]:
    """Return the sides of ``pair`` that no contact mail can reach (no address)."""
    sides = []
    if candidate_recipient(session, pair.request.candidate) is None:
        sides.append(CANDIDATE_SIDE)
    if not offer_recipients(session, pair.offer):
        sides.append(EMPLOYER_SIDE)
    return tuple(sides)


def discovery_key(match_id: int) -> str:
    """Return the outbox key of a planned discovery's contact mails.

    >>> discovery_key(7)
    'discovery:7'
    """
    return f"discovery:{match_id}"


def queue_discovery_mails(
    session: Session,
    match: DiscoveryMatch,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
) -> ContactMails:
    """Queue a planned discovery's mails to the person and to the structure; flushes only.

    Not optional mails, like an approved pair's: the person asked for the discovery, the
    structure opened it. The person reads where, when, who welcomes and what to bring; the
    structure reads who comes and how to reach them (and that they are a minor, when so).
    """
    base = default_base_url(base_url)
    day, wish = match.day, match.wish
    site, employer, candidate = day.site, day.employer, wish.candidate
    period = period_fr(day.starts_on, day.ends_on)
    to_person = {
        "first_name": candidate.first_name,
        "employer": employer.name,
        "metier": day.metier.label,
        "period": period,
        "site": site.name,
        "address": site.address,
        "commune": site.commune.name,
        "meeting_time": day.meeting_time.strftime("%H:%M") if day.meeting_time else None,
        "meeting_place": day.meeting_place,
        "host": ", ".join(p for p in (day.host_name, day.host_role) if p),
        "contact_name": employer.contact_name,
        "contact_email": employer.contact_email,
        "contact_phone": employer.contact_phone,
        "what_to_bring": day.what_to_bring,
        "home_url": url(base, "candidate_discovery"),
        "metier_url": url(base, "public_metier", code=day.metier_code),
    }
    to_structure = {
        "metier": day.metier.label,
        "period": period,
        "site": site.name,
        "commune": site.commune.name,
        "candidate_name": f"{candidate.first_name} {candidate.last_name}",
        "candidate_email": candidate.email,
        "candidate_phone": candidate.phone,
        "minor": wish.age_band == AgeBand.UNDER_18,
        "day_url": url(base, "employer_discovery_day", day_id=day.id),
    }
    return _queue_to_sides(
        session,
        key=discovery_key(match.id),
        base=base,
        now=now,
        person=(candidate_recipient(session, candidate), DISCOVERY_CANDIDATE_KIND, to_person),
        structure=(employer_recipients(session, employer), DISCOVERY_EMPLOYER_KIND, to_structure),
    )


def queue_discovery_cancelled_mails(
    session: Session,
    match: DiscoveryMatch,
    *,
    by: str | None,
    name_the_person: bool = True,
    base_url: str | None = None,
    now: datetime | None = None,
) -> ContactMails:
    """Tell the sides of a planned discovery that did not cancel it that it is cancelled;
    flushes only. ``by``: the side that cancelled (``CANDIDATE_SIDE``, ``EMPLOYER_SIDE``), None
    for the coordination (both sides are told). The reason is not told: it was written for the
    coordination. Each side is told once (the outbox's key per recipient). Without
    ``name_the_person`` (the person's data is being erased) the structure reads no name."""
    base = default_base_url(base_url)
    day, wish = match.day, match.wish
    employer, candidate = day.employer, wish.candidate
    key = f"discovery-cancelled:{match.id}"
    common: dict[str, Any] = {
        "metier": day.metier.label,
        "period": period_fr(day.starts_on, day.ends_on),
        "site": day.site.name,
        "commune": day.site.commune.name,
        "by": by,
    }
    to_person = {
        "first_name": candidate.first_name,
        "employer": employer.name,
        "home_url": url(base, "candidate_discovery"),
        **common,
    }
    to_structure = {
        "first_name": candidate.first_name if name_the_person else None,
        "day_url": url(base, "employer_discovery_day", day_id=day.id),
        **common,
    }
    return _queue_to_sides(
        session,
        key=key,
        base=base,
        now=now,
        person=(
            None
            if by == CANDIDATE_SIDE
            else (
                candidate_recipient(session, candidate),
                DISCOVERY_CANCELLED_CANDIDATE_KIND,
                to_person,
            )
        ),
        structure=(
            None
            if by == EMPLOYER_SIDE
            else (
                employer_recipients(session, employer),
                DISCOVERY_CANCELLED_EMPLOYER_KIND,
                to_structure,
            )
        ),
    )
