"""What coordinators read to moderate: the structures to check or suspended, what each declared."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from data.models import (
    AuditEntry,
    Employer,
    Offer,
    OfferStatus,
    Role,
    Site,
    StructureCheck,
    User,
)

__all__ = [
    "MODERATION_ACTIONS",
    "StructureRow",
    "structure_rows",
    "structures_to_check_count",
    "moderation_history",
]

#: The audit lines of moderation, about a structure or one of its offers.
MODERATION_ACTIONS = (
    "structure_checked",
    "structure_suspended",
    "structure_reinstated",
    "offer_withdrawn",
    "offer_reopened",
    "offer_published_without_check",
)


@dataclass
class StructureRow:
    """A structure as the moderation queue shows it: what it declared, and since when."""

    employer: Employer
    sites: int = 0
    offers: Counter[OfferStatus] = field(default_factory=Counter)
    accounts: int = 0
    last_offer_at: datetime | None = None

    @property
    def waiting(self) -> int:
        """Its offers waiting for the check."""
        return self.offers[OfferStatus.PENDING_CHECK]


def structures_to_check_count(session: Session) -> int:
    """Count the structures nobody checked yet."""
    stmt = select(func.count(Employer.id)).where(Employer.check_status == StructureCheck.TO_CHECK)
    return session.scalar(stmt) or 0


def structure_rows(
    session: Session, state: StructureCheck, *, employer_id: int | None = None
) -> list[StructureRow]:
    """Return the structures in ``state``, oldest first, each with its sites, offers, accounts.

    Four queries whatever the number of structures.
    """
    stmt = (
        select(Employer)
        .where(Employer.check_status == state)
        .options(selectinload(Employer.sites).selectinload(Site.commune))
        .order_by(Employer.created_at, Employer.id)
    )
    if employer_id is not None:
        stmt = stmt.where(Employer.id == employer_id)
    rows = {e.id: StructureRow(e, sites=len(e.sites)) for e in session.scalars(stmt)}
    if not rows:
        return []
    ids = list(rows)
    offers = session.execute(
        select(Site.employer_id, Offer.status, func.count(Offer.id), func.max(Offer.created_at))
        .join(Site, Site.id == Offer.site_id)
        .where(Site.employer_id.in_(ids))
        .group_by(Site.employer_id, Offer.status)
    )
    for employer_id_, status, n, last in offers:
        row = rows[employer_id_]
        row.offers[OfferStatus(status)] = n
        if last is not None and (row.last_offer_at is None or last > row.last_offer_at):
            row.last_offer_at = last
    accounts = session.execute(
        select(User.employer_id, func.count(User.id))
        .where(User.employer_id.in_(ids), User.role == Role.EMPLOYER, User.is_active.is_(True))
        .group_by(User.employer_id)
    )
    for owner_id, count in accounts:
        if owner_id is not None:  # the IN clause leaves none; the column is nullable
            rows[owner_id].accounts = count
    return list(rows.values())


def moderation_history(session: Session, employer: Employer) -> list[AuditEntry]:
    """Return the moderation lines about a structure and its offers, oldest first."""
    offer_ids = (
        select(Offer.id).join(Site, Site.id == Offer.site_id).where(Site.employer_id == employer.id)
    )
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.action.in_(MODERATION_ACTIONS),
            ((AuditEntry.object_type == "employer") & (AuditEntry.object_id == employer.id))
            | ((AuditEntry.object_type == "offer") & AuditEntry.object_id.in_(offer_ids)),
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(stmt))
