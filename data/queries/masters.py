"""A structure's maîtres d'apprentissage (issue 19): their places left, and who names them.

The capacity of a master, what the matching engine reads as a :class:`matching.Tutor`, is::

    capacity = limit − supervised_elsewhere − signed      (never below 0)

``limit``: the rule ``master_max_apprentices`` in force on the day (:mod:`data.models.legal`: two
apprentices at a time, Code du travail R6223-6; the repeating apprentice the law allows besides,
``master_extra_repeating``, is never placed by the platform, so it is not counted);
``supervised_elsewhere``: the apprentices the structure declares the master supervises outside
the platform; ``signed``: the pairs at « contrat signé » of the offers naming the master (a
broken contract frees its place). Without a limit in force, no capacity is known and the engine
is given none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import ApprenticeshipMaster, Offer, RuleKey, Suggestion, SuggestionStatus

from .pay import rule_in_force, rule_value

__all__ = ["MasterLimit", "master_limit", "master_capacities", "masters_of", "offers_by_master"]


@dataclass(frozen=True)
class MasterLimit:
    """The legal limit in force: apprentices at a time, repeating ones besides, and the
    source of the first (the rules' rows, :mod:`data.models.legal`)."""

    apprentices: int
    repeating: int
    source: str


def master_limit(session: Session, day: date | None = None) -> MasterLimit | None:
    """The legal limit in force on ``day`` (today in France by default), or None if no limit
    is in force."""
    from data.operations._common import local_today

    when = day or local_today()
    row = rule_in_force(session, RuleKey.MASTER_MAX_APPRENTICES, when)
    if row is None:
        return None
    repeating = rule_value(session, RuleKey.MASTER_EXTRA_REPEATING, when) or 0
    return MasterLimit(int(row.value), repeating, row.source)


def master_capacities(
    session: Session, ids: list[int] | None = None, *, day: date | None = None
) -> dict[int, int] | None:
    """Each master's capacity (see the module), by id (``ids``: those only); None when no
    legal limit is in force on ``day`` (nothing is known then)."""
    limit = master_limit(session, day)
    if limit is None:
        return None
    apprentices = limit.apprentices
    query = select(ApprenticeshipMaster.id, ApprenticeshipMaster.supervised_elsewhere)
    signed_query = (
        select(Offer.master_id, func.count(Suggestion.id))
        .join(Suggestion, Suggestion.offer_id == Offer.id)
        .where(
            Offer.master_id.is_not(None),
            Suggestion.status == SuggestionStatus.CONTRACT_SIGNED,
        )
        .group_by(Offer.master_id)
    )
    if ids is not None:  # a page's few masters: only their contracts are counted
        query = query.where(ApprenticeshipMaster.id.in_(ids))
        signed_query = signed_query.where(Offer.master_id.in_(ids))
    signed: dict[int | None, int] = {m: n for m, n in session.execute(signed_query)}
    return {
        master_id: max(0, apprentices - elsewhere - signed.get(master_id, 0))
        for master_id, elsewhere in session.execute(query)
    }


def masters_of(session: Session, employer_id: int) -> list[ApprenticeshipMaster]:
    """The masters of a structure, by name then id."""
    return list(
        session.scalars(
            select(ApprenticeshipMaster)
            .where(ApprenticeshipMaster.employer_id == employer_id)
            .order_by(ApprenticeshipMaster.name, ApprenticeshipMaster.id)
        )
    )


def offers_by_master(session: Session, master_ids: list[int]) -> dict[int, list[Offer]]:
    """The offers naming each of ``master_ids`` (by offer id); a master naming none is absent."""
    out: dict[int, list[Offer]] = {}
    if not master_ids:
        return out
    for offer in session.scalars(
        select(Offer).where(Offer.master_id.in_(master_ids)).order_by(Offer.id)
    ):
        assert offer.master_id is not None
        out.setdefault(offer.master_id, []).append(offer)
    return out
