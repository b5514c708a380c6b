"""Housing needs against supply (issue 17): what the coordinators read to house apprentices.

For the candidates whose active request needs housing: how many live suggestions they have,
how many of those the engine houses (the offer's own beds or a resource near it), and how many
free beds lie near the offers they are suggested; the live pairs that no bed houses (blocked by
housing); the beds free in the published resources; and the beds the signed pairs take.

A territory narrows it all to a commune and a radius: a candidate counts when they live there
or one of their suggested offers stands there; a pair when its offer does; a resource when it
does. Distances are the engine's (:mod:`data.queries.nearby`), the radius around an offer the
engine's own (``Params.housing_radius_km``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from data.models import (
    LIVE,
    OPEN_OFFER,
    Candidate,
    HousingResource,
    Offer,
    Request,
    RequestStatus,
    Site,
    Suggestion,
    SuggestionStatus,
)
from matching import DEFAULT_PARAMS, distance_km

__all__ = [
    "HOUSED",
    "LIVE_PAIR",
    "HousingNeed",
    "HousingNeeds",
    "housed_by_signed_pairs",
    "housing_needs",
]


#: A pair that counts for a candidate's housing: alive (under review or on its way), not stale,
#: its offer open. The dashboard's « besoin de logement » and this view read the same pairs.
LIVE_PAIR = (Suggestion.status.in_(LIVE), Suggestion.stale.is_not(True), *OPEN_OFFER)
#: A pair whose candidate the engine houses: the offer's own beds or a resource near it.
HOUSED = Suggestion.housing_source.is_not(None)


@dataclass(frozen=True)
class HousingNeed:
    """A candidate who needs housing: their live suggestions, those housed, beds near them."""

    request: Request
    suggested: int
    housed: int
    beds_near: int


@dataclass(frozen=True)
class HousingNeeds:
    """The coordinators' view of housing needs against supply, over a territory or everywhere."""

    needs: list[HousingNeed]
    #: Live pairs of a candidate who needs housing that no bed houses, best score first.
    blocked: list[Suggestion]
    #: Published resources (not on a site) with their free beds.
    resources: list[tuple[HousingResource, int]]
    #: Beds the open offers reserve on their own sites.
    beds_on_offers: int
    #: Resources where signed pairs live, with how many.
    taken: list[tuple[HousingResource, int]]
    #: Signed pairs housed by their offer's own beds.
    taken_on_offers: int

    @property
    def beds_free(self) -> int:
        """Free beds of the published resources."""
        return sum(free for _, free in self.resources)

    @property
    def without_housed_suggestion(self) -> int:
        """Candidates who need housing and whom no live suggestion houses."""
        return sum(1 for n in self.needs if n.housed == 0)


def housed_by_signed_pairs(session: Session) -> dict[int, int]:
    """Return, by resource id, how many pairs with a signed contract (still running) the engine
    housed there (each took one of its beds when signed, if one was free:
    :mod:`data.operations.beds`)."""
    rows = session.execute(
        select(Suggestion.proposed_housing_id, func.count())
        .where(
            Suggestion.status == SuggestionStatus.CONTRACT_SIGNED,
            Suggestion.proposed_housing_id.is_not(None),
        )
        .group_by(Suggestion.proposed_housing_id)
    ).all()
    return {resource_id: int(n) for resource_id, n in rows if resource_id is not None}


def _points(rows: Sequence[tuple[float, float]]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def housing_needs(session: Session, territory: Sequence[str] | None = None) -> HousingNeeds:
    """Return the housing needs and supply, over ``territory`` (INSEE codes) or everywhere."""
    places = None if territory is None else set(territory)

    def inside(insee: str) -> bool:
        return places is None or insee in places

    signed = housed_by_signed_pairs(session)
    shared = session.scalars(
        select(HousingResource)
        .where(HousingResource.published.is_(True), HousingResource.site_id.is_(None))
        .options(joinedload(HousingResource.commune))
        .order_by(HousingResource.name, HousingResource.id)
    ).all()
    free = {r.id: r.beds_free for r in shared}
    resources = [(r, free[r.id]) for r in shared if inside(r.commune_insee)]

    requests = session.scalars(
        select(Request)
        .where(Request.status == RequestStatus.ACTIVE, Request.needs_housing.is_(True))
        .options(
            joinedload(Request.commune),
            joinedload(Request.candidate).load_only(Candidate.first_name),
        )
        .order_by(Request.id)
    ).all()
    live = session.scalars(
        select(Suggestion)
        .join(Request, Request.id == Suggestion.request_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(
            Request.status == RequestStatus.ACTIVE,
            Request.needs_housing.is_(True),
            *LIVE_PAIR,
        )
        .options(
            joinedload(Suggestion.offer).options(
                joinedload(Offer.site).joinedload(Site.commune), joinedload(Offer.metier)
            ),
            joinedload(Suggestion.request)
            .joinedload(Request.candidate)
            .load_only(Candidate.first_name),
        )
        .order_by(Suggestion.score.desc(), Suggestion.id)
    ).all()
    by_request: dict[int, list[Suggestion]] = {}
    for s in live:
        by_request.setdefault(s.request_id, []).append(s)

    # Free beds near each suggested offer: its own, and the resources within the engine's radius.
    offers = {s.offer_id: s.offer for s in live}
    offer_ids = sorted(offers)
    with_beds = [r for r in shared if free[r.id] > 0]
    near: dict[int, list[int]] = {o: [] for o in offer_ids}
    if offer_ids and with_beds:
        sites = _points(
            [(offers[o].site.commune.latitude, offers[o].site.commune.longitude) for o in offer_ids]
        )
        homes = _points([(r.commune.latitude, r.commune.longitude) for r in with_beds])
        km = distance_km(sites[:, None, 0], sites[:, None, 1], homes[None, :, 0], homes[None, :, 1])
        for i, j in zip(*np.nonzero(km <= DEFAULT_PARAMS.housing_radius_km), strict=True):
            near[offer_ids[int(i)]].append(with_beds[int(j)].id)

    needs: list[HousingNeed] = []
    for r in requests:
        pairs = by_request.get(r.id, [])
        if not (inside(r.commune_insee) or any(inside(s.offer.site.commune_insee) for s in pairs)):
            continue
        near_ids = {rid for s in pairs for rid in near[s.offer_id]}
        own_beds = sum(s.offer.housing_beds for s in pairs)
        needs.append(
            HousingNeed(
                request=r,
                suggested=len(pairs),
                housed=sum(1 for s in pairs if s.housing_source is not None),
                beds_near=own_beds + sum(free[rid] for rid in near_ids),
            )
        )
    blocked = [s for s in live if s.housing_source is None and inside(s.offer.site.commune_insee)]

    beds_on_offers = sum(
        session.scalars(
            select(Offer.housing_beds)
            .join(Site, Site.id == Offer.site_id)
            .where(*OPEN_OFFER, Offer.housing_beds > 0)
            .where(*(() if places is None else (Site.commune_insee.in_(sorted(places)),)))
        )
    )
    taken_rows = session.scalars(
        select(HousingResource)
        .where(HousingResource.id.in_(sorted(signed)))
        .options(joinedload(HousingResource.commune))
        .order_by(HousingResource.name, HousingResource.id)
    ).all()
    taken = [(r, signed[r.id]) for r in taken_rows if inside(r.commune_insee)]
    on_offers = session.scalar(
        select(func.count())
        .select_from(Suggestion)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .join(Site, Site.id == Offer.site_id)
        .where(
            Suggestion.status == SuggestionStatus.CONTRACT_SIGNED,
            Suggestion.housing_source == "offer",
        )
        .where(*(() if places is None else (Site.commune_insee.in_(sorted(places)),)))
    )
    return HousingNeeds(
        needs=needs,
        blocked=blocked,
        resources=resources,
        beds_on_offers=int(beds_on_offers),
        taken=taken,
        taken_on_offers=int(on_offers or 0),
    )
