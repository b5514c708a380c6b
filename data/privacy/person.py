"""Who a candidate is to the database: their ids, addresses, phone and names, found in one place."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.auth import ADDRESS_RATE_KINDS, address_rate_key, hash_secret
from data.mail.contacts import contact_key, discovery_key
from data.models import Candidate, DiscoveryMatch, DiscoveryWish, Suggestion, User

__all__ = ["Person", "find_person"]

#: A name or phone shorter than this is not searched in free text (too many false hits).
MIN_SEARCHED_LENGTH = 5


@dataclass(frozen=True)
class Person:
    """What identifies one candidate across the tables, read before anything is erased."""

    candidate_id: int
    request_id: int | None
    pair_ids: tuple[int, ...]
    user_ids: tuple[int, ...]
    addresses: tuple[str, ...]
    phone: str | None
    names: tuple[str, ...] = field(default=())
    #: The person's discoveries of a métier (issue 18): the matches of their asks.
    discovery_ids: tuple[int, ...] = field(default=())

    @property
    def contact_keys(self) -> list[str]:
        """Return the outbox keys of the contact mails about the person's pairs and discoveries."""
        return [contact_key(i) for i in self.pair_ids] + [
            discovery_key(i) for i in self.discovery_ids
        ]

    @property
    def rate_key_hashes(self) -> list[str]:
        """Return the stored hashes of every rate-limit key derived from the person's addresses."""
        return [
            hash_secret(address_rate_key(kind, address))
            for address in self.addresses
            for kind in ADDRESS_RATE_KINDS
        ]

    def identifiers(self) -> list[str]:
        """Return the lower-cased strings that, found in free text, point at the person.

        Addresses, the phone as stored and as digits only, the full name both ways round, and
        each of them as HTML writes it (an apostrophe becomes an entity).
        """
        found: dict[str, None] = {}
        values = [*self.addresses, *self.names]
        if self.phone:
            values += [self.phone, re.sub(r"\D", "", self.phone)]
        for value in values:
            value = value.strip().lower()
            if len(value) >= MIN_SEARCHED_LENGTH:
                found.setdefault(value, None)
                found.setdefault(html.escape(value), None)
                found.setdefault(html.escape(value, quote=False), None)
        return list(found)


def find_person(session: Session, candidate: Candidate) -> Person:
    """Collect what identifies ``candidate``: request, pairs, accounts, addresses, phone, names."""
    request_id = candidate.request.id if candidate.request is not None else None
    pair_ids: tuple[int, ...] = ()
    if request_id is not None:
        pair_ids = tuple(
            session.scalars(
                select(Suggestion.id)
                .where(Suggestion.request_id == request_id)
                .order_by(Suggestion.id)
            )
        )
    users = list(
        session.execute(select(User.id, User.email).where(User.candidate_id == candidate.id))
    )
    addresses: dict[str, None] = {}
    for email in (candidate.email, *(u.email for u in users)):
        if email and email.strip():
            addresses.setdefault(email.strip().lower(), None)
    names: tuple[str, ...] = ()
    if candidate.anonymised_at is None:
        first, last = candidate.first_name.strip(), candidate.last_name.strip()
        names = (f"{first} {last}", f"{last} {first}")
    discovery_ids = tuple(
        session.scalars(
            select(DiscoveryMatch.id)
            .join(DiscoveryWish, DiscoveryWish.id == DiscoveryMatch.wish_id)
            .where(DiscoveryWish.candidate_id == candidate.id)
            .order_by(DiscoveryMatch.id)
        )
    )
    return Person(
        candidate_id=candidate.id,
        discovery_ids=discovery_ids,
        request_id=request_id,
        pair_ids=pair_ids,
        user_ids=tuple(u.id for u in users),
        addresses=tuple(addresses),
        phone=candidate.phone,
        names=names,
    )
