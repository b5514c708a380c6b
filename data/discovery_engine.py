"""The engine's bridge for the discovery days (issue 18): the same pipeline as the offers.

Open discovery days become the engine's offers (:class:`matching.OfferIn`: the métier, the
site's commune, the places left, the first day as start, day work) and active wishes its
requests (:class:`matching.RequestIn`: the métier, the commune and distance, the first day the
person is free as ``available_from``, the age band as ``minor``); :func:`matching.suggest` scores
them with the parameters of :data:`DISCOVERY_PARAMS`, so that only métier, distance and dates
count. The matches are written by :func:`data.recompute.write_pairs`, as the suggestions are:
new ones proposed, existing ones refreshed, vanished proposed ones stale, decided ones never
proposed again.

Dates: the engine excludes a day that starts before the person is free (``available_from`` after
the start, with no tolerance). It has no notion of the end of a person's availability: a day
that ends after it is left out here, before the engine, since a discovery is only worth
proposing when all its days fit (an offer, months long, has no such end). Days that start today
or earlier are not proposed either (too late to plan them). An ask answered by a discovery planned
or done is left out: its other proposals become stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from data.models import (
    AgeBand,
    DiscoveryDay,
    DiscoveryDayStatus,
    DiscoveryMatch,
    DiscoveryMatchStatus,
    DiscoveryWish,
    DiscoveryWishStatus,
    Site,
    utcnow,
)
from data.recompute import PairTable, engine_id, match_values, shipped_referential, take_turn
from data.recompute import write_pairs as _write_pairs
from matching import MetierReferential, OfferIn, Params, RequestIn, suggest

__all__ = [
    "DISCOVERY_PARAMS",
    "DISCOVERY_PAIRS",
    "DiscoveryReport",
    "day_input",
    "recompute_discovery",
    "wish_input",
]

#: Only métier, distance and dates count: no housing criterion (a discovery is near home), no
#: training centre (none is given), and a day must not start before the person is free.
DISCOVERY_PARAMS = Params(weight_housing=0.0, start_tolerance_days=0)
DISCOVERY_PAIRS = PairTable(DiscoveryMatch, "wish_id", "day_id", DiscoveryMatchStatus.PROPOSED)
#: PostgreSQL advisory lock that discovery recomputations take in turn ("DISC").
DISCOVERY_LOCK_KEY = 0x4449_5343
#: The engine's top-k of each side: a day has a few places, a person tries a few métiers.
TOP_K = 10


@dataclass(frozen=True)
class DiscoveryReport:
    """What a recomputation of the discovery matches did."""

    created: int
    updated: int
    staled: int
    wishes: int
    days: int


def day_input(day: DiscoveryDay) -> OfferIn:
    """One open discovery day as the engine's offer (its places left; day work)."""
    return OfferIn(
        id=engine_id(day.id),
        metier=day.metier_code,
        lat=day.site.commune.latitude,
        lon=day.site.commune.longitude,
        places=day.places_left,
        start=day.starts_on,
        night_work=False,
    )


def wish_input(wish: DiscoveryWish) -> RequestIn:
    """One active wish as the engine's request (the law for minors through ``minor``)."""
    return RequestIn(
        id=engine_id(wish.id),
        metiers=(wish.metier_code,),
        lat=wish.commune.latitude,
        lon=wish.commune.longitude,
        max_km=float(wish.max_distance_km),
        available_from=wish.free_from,
        minor=wish.age_band == AgeBand.UNDER_18,
    )


def recompute_discovery(
    session: Session,
    *,
    today: date,
    now: datetime | None = None,
    referential: MetierReferential | None = None,
) -> DiscoveryReport:
    """Run the engine on the open days and active wishes and write the matches; flush only."""
    take_turn(session, DISCOVERY_LOCK_KEY)
    ref = referential or shipped_referential()
    days = session.scalars(
        select(DiscoveryDay)
        .where(
            DiscoveryDay.status == DiscoveryDayStatus.OPEN,
            DiscoveryDay.starts_on > today,
            DiscoveryDay.places_taken < DiscoveryDay.places,
        )
        .options(joinedload(DiscoveryDay.site).joinedload(Site.commune))
        .order_by(DiscoveryDay.id)
    ).all()
    wishes = session.scalars(
        select(DiscoveryWish)
        .where(
            DiscoveryWish.status == DiscoveryWishStatus.ACTIVE,
            DiscoveryWish.free_until > today,
            # An ask answered by a discovery planned or done gets no more proposals.
            ~exists().where(
                DiscoveryMatch.wish_id == DiscoveryWish.id,
                DiscoveryMatch.status.in_(
                    [DiscoveryMatchStatus.PLANNED, DiscoveryMatchStatus.DONE]
                ),
            ),
        )
        .options(joinedload(DiscoveryWish.commune))
        .order_by(DiscoveryWish.id)
    ).all()
    days = [d for d in days if d.metier_code in ref]
    wishes = [w for w in wishes if w.metier_code in ref]
    result = suggest(
        [wish_input(w) for w in wishes],
        [day_input(d) for d in days],
        ref,
        DISCOVERY_PARAMS,
        # The end-of-availability filter comes after the engine: its lists must not be cut
        # before it, or days that end too late would crowd out those that fit.
        top_k=max(TOP_K, len(days)),
    )
    ends = {d.id: d.ends_on for d in days}
    free_until = {w.id: w.free_until for w in wishes}
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for lists in (result.by_request, result.by_offer):
        for key in lists:
            for m in lists[key]:
                wish_id, day_id = int(m.request_id), int(m.offer_id)
                if ends[day_id] > free_until[wish_id]:
                    continue  # the days end after the person's free period (see the docstring)
                values = match_values(m)
                rows.setdefault(
                    (wish_id, day_id),
                    {k: values[k] for k in ("score", "distance_km", "criteria", "reasons")}
                    | {"engine_version": values["engine_version"], "stale": False},
                )
    created, updated, staled = _write_pairs(
        session, DISCOVERY_PAIRS, rows, rows.keys(), now=now or utcnow()
    )
    return DiscoveryReport(created, updated, staled, len(wishes), len(days))
