"""The specification of the allocation: a greedy pass over every valid pair, best first.

Both sides rank by the same score, with the same tie breaks (score, then request id, then offer
id), so the stable allocation is unique, and it is what this greedy pass gives: take the pairs
from the best down, and place a request on an offer if the request is still free, the offer
has a place left and, for a candidate who needs housing, a bed left.

:func:`allocate_reference` scores every pair in Python (:func:`~matching.score_pair`): it is
slow (a few thousand pairs a second) and meant for small inputs. :func:`~matching.allocate`
must give the same assignments on any input; the property tests check it
(tests/matching/test_properties.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..explanations import score_pair, score_pairs
from ..model import DEFAULT_PARAMS, Match, OfferIn, Params, RequestIn, TrainingCentre
from ..referential import MetierReferential

__all__ = ["allocate_reference"]


def allocate_reference(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
    *,
    centres: Sequence[TrainingCentre] | None = None,
) -> dict[str, Match]:
    """Return each assigned request's match (request id -> :class:`Match`), by request id.

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
    if centres is None:
        pairs = [score_pair(r, o, referential, strict) for r in requests for o in offers]
    else:  # one call: the centres are read once
        ids = [(r.id, o.id) for r in requests for o in offers]
        pairs = score_pairs(requests, offers, ids, referential, strict, centres=centres)
    matches = [m for m in pairs if isinstance(m, Match)]
    matches.sort(key=lambda m: (-m.score, m.request_id, m.offer_id))
    places = {o.id: o.places for o in offers}
    beds = {o.id: o.housing_beds for o in offers}
    needs_housing = {r.id: r.needs_housing for r in requests}
    assigned: dict[str, Match] = {}
    for m in matches:
        if m.request_id in assigned or places[m.offer_id] == 0:
            continue
        if needs_housing[m.request_id]:
            if beds[m.offer_id] == 0:
                continue
            beds[m.offer_id] -= 1
        places[m.offer_id] -= 1
        assigned[m.request_id] = m
    return dict(sorted(assigned.items()))
