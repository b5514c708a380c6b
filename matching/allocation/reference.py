"""The specification of the allocation: a greedy pass over every valid pair, best first.

Both sides rank by the same score, with the same tie breaks (score, then request id, then offer
id), so the stable allocation is unique, and it is what this greedy pass gives: take the pairs
from the best down, and place a request on an offer if the request is still free, the offer
has a place left and, for a candidate who needs housing, a bed left.

Given housing resources, beds are shared and the pass is, by definition, the allocation
(:mod:`.shared` says what stability then means): a candidate who needs housing takes a bed on
the offer's site if one is left, else at the best resource near the offer with a bed left,
else (given centres) at the best resource near the pair's centre with a bed left; a pair with
no bed left is skipped. The resources are ranked here from the records themselves (the
formula of :func:`matching.housing.housing_grade`, :func:`matching.geo.distance_km`), not
from the engine's arrays.

Given tutors (maîtres d'apprentissage), a pair whose offer names a tutor with no place left is
skipped too, and an assignment takes one of its tutor's places: no tutor ends over their
capacity, across all the offers that name them (:mod:`.shared` says what stability then means).

:func:`allocate_reference` scores every pair in Python (:func:`~matching.score_pair`): it is
slow (a few thousand pairs a second) and meant for small inputs. :func:`~matching.allocate`
must give the same assignments on any input; the property tests check it
(tests/matching/test_properties.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..explanations import score_pair, score_pairs
from ..geo import distance_km
from ..housing import housing_grade
from ..model import (
    DEFAULT_PARAMS,
    Exclusion,
    HousingChoice,
    HousingResource,
    Match,
    OfferIn,
    Params,
    RequestIn,
    TrainingCentre,
    Tutor,
)
from ..referential import MetierReferential

__all__ = ["allocate_reference"]


def allocate_reference(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
    *,
    centres: Sequence[TrainingCentre] | None = None,
    housing: Sequence[HousingResource] | None = None,
    tutors: Sequence[Tutor] | None = None,
) -> dict[str, Match]:
    """Return each assigned request's match (request id -> :class:`Match`), by request id.

    Given ``housing``, each match's ``housing`` is the bed the assignment takes. Given
    ``tutors``, each tutor's capacity is shared by the offers naming them (an offer naming an
    unknown tutor raises :class:`KeyError`: :func:`~matching.allocate` checks its inputs).

    >>> from matching import OfferIn, RequestIn
    >>> ref = MetierReferential.from_records([
    ...     {"code": "aide-soignant", "label": "Aide-soignant", "related": []}])
    >>> offer = OfferIn("o1", "aide-soignant", 46.2, 5.2, places=1)
    >>> near = RequestIn("near", ("aide-soignant",), 46.2, 5.2, 30)
    >>> far = RequestIn("far", ("aide-soignant",), 46.3, 5.3, 30)
    >>> {r: m.offer_id for r, m in allocate_reference([far, near], [offer], ref).items()}
    {'near': 'o1'}
    """
    # Candidates who need housing only ever go where there is a bed.
    strict = replace(params, exclude_without_housing=True)
    if centres is None and housing is None:
        pairs = [score_pair(r, o, referential, strict) for r in requests for o in offers]
    else:  # one call: the centres and resources are read once
        ids = [(r.id, o.id) for r in requests for o in offers]
        pairs = score_pairs(
            requests, offers, ids, referential, strict, centres=centres, housing=housing
        )
    tutor = _Tutors(offers, tutors)
    if housing is not None:
        return _shared(requests, offers, pairs, strict, housing, centres or (), tutor)
    matches = [m for m in pairs if isinstance(m, Match)]
    matches.sort(key=lambda m: (-m.score, m.request_id, m.offer_id))
    places = {o.id: o.places for o in offers}
    beds = {o.id: o.housing_beds for o in offers}
    needs_housing = {r.id: r.needs_housing for r in requests}
    assigned: dict[str, Match] = {}
    for m in matches:
        if m.request_id in assigned or places[m.offer_id] == 0:
            continue
        if not tutor.free(m.offer_id):
            continue
        if needs_housing[m.request_id]:
            if beds[m.offer_id] == 0:
                continue
            beds[m.offer_id] -= 1
        tutor.take(m.offer_id)
        places[m.offer_id] -= 1
        assigned[m.request_id] = m
    return dict(sorted(assigned.items()))


class _Tutors:
    """The places left to each tutor, by offer id (no tutors given: every offer is free)."""

    def __init__(self, offers: Sequence[OfferIn], tutors: Sequence[Tutor] | None) -> None:
        self.left = {} if tutors is None else {t.id: t.capacity for t in tutors}
        self.of = {} if tutors is None else {o.id: o.tutor for o in offers if o.tutor}

    def free(self, offer_id: str) -> bool:
        """Whether the offer names no tutor, or one with a place left."""
        t = self.of.get(offer_id)
        return t is None or self.left[t] > 0

    def take(self, offer_id: str) -> None:
        """Take a place of the offer's tutor, if it names one."""
        t = self.of.get(offer_id)
        if t is not None:
            self.left[t] -= 1


def _shared(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    pairs: Sequence[Match | Exclusion],
    params: Params,
    housing: Sequence[HousingResource],
    centres: Sequence[TrainingCentre],
    tutor: _Tutors,
) -> dict[str, Match]:
    """The greedy pass with shared beds (see the module)."""
    matches = [m for m in pairs if isinstance(m, Match)]
    matches.sort(key=lambda m: (-m.score, m.request_id, m.offer_id))
    places = {o.id: o.places for o in offers}
    on_site = {o.id: o.housing_beds for o in offers}
    by_offer = {o.id: o for o in offers}
    by_request = {r.id: r for r in requests}
    by_centre = {c.id: c for c in centres}
    live = [h for h in housing if h.beds > 0]
    beds = {h.id: h.beds for h in live}

    def ranked(
        lat: float, lon: float, radius: float, base: str
    ) -> list[tuple[HousingResource, float]]:
        near = []
        for h in live:
            km = float(distance_km(lat, lon, h.lat, h.lon))
            if km <= radius:
                near.append((housing_grade(base, h.monthly_cost_eur, params), km, h.id, h))
        near.sort(key=lambda t: (-t[0], t[1], t[2]))
        return [(h, km) for _g, km, _id, h in near]

    assigned: dict[str, Match] = {}
    for m in matches:
        if m.request_id in assigned or places[m.offer_id] == 0:
            continue
        if not tutor.free(m.offer_id):
            continue
        choice: HousingChoice | None = None
        request, offer = by_request[m.request_id], by_offer[m.offer_id]
        if request.needs_housing:
            if on_site[offer.id] > 0:
                on_site[offer.id] -= 1
                choice = HousingChoice("offer", None, None, None, 0.0, None, True)
            else:
                near = ranked(offer.lat, offer.lon, params.housing_radius_km, "near")
                got = next((h for h, _km in near if beds[h.id] > 0), None)
                far = False
                if got is None and m.training is not None:
                    c = by_centre[m.training.centre_id]
                    around = ranked(c.lat, c.lon, request.max_km, "far")
                    got = next((h for h, _km in around if beds[h.id] > 0), None)
                    far = got is not None
                if got is None:
                    continue
                beds[got.id] -= 1
                km = float(distance_km(offer.lat, offer.lon, got.lat, got.lon))
                choice = HousingChoice(
                    "resource", got.id, got.name, got.kind, km, got.monthly_cost_eur, not far
                )
        tutor.take(m.offer_id)
        places[m.offer_id] -= 1
        assigned[m.request_id] = replace(m, housing=choice)
    return dict(sorted(assigned.items()))
