"""The inputs as arrays: one table of requests, one of offers, each sorted by id.

The engine's hot paths index these arrays by row (a request's position in id order) and column
(an offer's); every field is a full-length numpy array, never a Python loop's object. Built once
per call by :func:`prepare_tables`, never mutated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from .arrays import F64, Bools
from .errors import InvalidInput, UnknownMetier
from .geo import to_ecef
from .model import OfferIn, Params, RequestIn
from .referential import MetierReferential

__all__ = [
    "ANY_TIME",
    "NO_START",
    "UNKNOWN_LEVEL",
    "RequestTable",
    "OfferTable",
    "prepare_tables",
    "metier_scores",
    "score_weights",
    "housing_table",
]

#: ``available_from`` of a candidate available at any time.
ANY_TIME = np.iinfo(np.int64).min // 4
#: ``latest_start`` of an offer without a start date.
NO_START = np.iinfo(np.int64).max // 4
#: ``diploma_level`` of a candidate whose level is unknown: never excluded on it.
UNKNOWN_LEVEL = 99


def score_weights(params: Params) -> tuple[float, float, float]:
    """Return the shares (métier, distance, housing) of the three weights; they sum to 1."""
    w = params.total_weight
    return params.weight_metier / w, params.weight_distance / w, params.weight_housing / w


def housing_table(params: Params) -> F64:
    """Housing score by ``2 * needs_housing + (no bed)``: only needing one where none is scores
    less than 1."""
    return np.array([1.0, 1.0, 1.0, params.no_housing_score])


@dataclass(frozen=True, eq=False)
class RequestTable:
    """Requests as arrays, sorted by id (internal)."""

    ids: list[str]
    items: list[RequestIn]
    xyz: F64  # (n, 3) earth-centred coordinates, km
    coords: F64  # the same, (3, n), each axis contiguous
    max_km: F64
    penalty_per_km: F64  # distance penalty per km: (1 - e) / max_km
    needs_housing: Bools
    accepts_relocation: Bools
    has_licence: Bools
    minor: Bools  # under 18: never offered night work
    available_from: NDArray[np.int64]  # a day number, ANY_TIME if not given
    diploma_level: NDArray[np.int64]  # UNKNOWN_LEVEL if not given
    metier_score: F64  # (n, n_metiers): the métier criterion against an offer of each métier
    weighted_metier_score: F64  # metier_score times the métier weight's share

    @classmethod
    def build(
        cls, requests: Sequence[RequestIn], ref: MetierReferential, params: Params
    ) -> RequestTable:
        items = sorted(requests, key=attrgetter("id"))
        ids = [r.id for r in items]
        check_unique("request", ids)
        n = len(items)
        metier_score = metier_scores(items, ref, params)
        max_km = np.fromiter(map(attrgetter("max_km"), items), np.float64, n)
        xyz = to_ecef([r.lat for r in items], [r.lon for r in items]).reshape(n, 3)
        return cls(
            ids=ids,
            items=items,
            xyz=xyz,
            coords=np.ascontiguousarray(xyz.T),
            max_km=max_km,
            penalty_per_km=(1.0 - params.distance_score_at_limit) / max_km,
            needs_housing=np.fromiter(map(attrgetter("needs_housing"), items), bool, n),
            accepts_relocation=np.fromiter(map(attrgetter("accepts_relocation"), items), bool, n),
            has_licence=np.fromiter(map(attrgetter("has_licence"), items), bool, n),
            minor=np.fromiter(map(attrgetter("minor"), items), bool, n),
            available_from=np.array(
                [
                    ANY_TIME if r.available_from is None else r.available_from.toordinal()
                    for r in items
                ],
                dtype=np.int64,
            ),
            diploma_level=np.array(
                [UNKNOWN_LEVEL if r.diploma_level is None else r.diploma_level for r in items],
                dtype=np.int64,
            ),
            metier_score=metier_score,
            weighted_metier_score=metier_score * score_weights(params)[0],
        )


@dataclass(frozen=True, eq=False)
class OfferTable:
    """Offers as arrays, sorted by id (internal)."""

    ids: list[str]
    items: list[OfferIn]
    xyz: F64
    coords: F64
    metier: NDArray[np.intp]
    places: NDArray[np.int64]
    has_place: Bools  # places > 0
    beds: NDArray[np.int64]
    has_beds: Bools
    licence_required: Bools
    night_work: Bools
    latest_start: NDArray[np.int64]  # the start's day number plus the tolerance; NO_START
    entry_level: NDArray[np.int64]  # the métier's minimum diploma level
    #: Given housing resources: ``has_beds`` means housed (on site or near, see
    #: :mod:`matching.housing`) and this is ``s_housing`` of a request that needs housing.
    housing_grade: F64 | None = None
    #: Given tutors, when some offer names one: the offers whose tutor has no place left (their
    #: ``has_place`` is False, and ``places`` is clipped to the tutor's capacity, see
    #: :mod:`matching.tutors`); ``None`` otherwise.
    tutor_full: Bools | None = None

    @classmethod
    def build(cls, offers: Sequence[OfferIn], ref: MetierReferential, params: Params) -> OfferTable:
        items = sorted(offers, key=lambda o: o.id)
        check_unique("offer", [o.id for o in items])
        index = {c: i for i, c in enumerate(ref.codes)}
        for o in items:
            if o.metier not in index:
                raise UnknownMetier(
                    f"unknown métier code {o.metier!r}", record=f"offer {o.id}", field="metier"
                )
        n = len(items)
        metier = np.array([index[o.metier] for o in items], dtype=np.intp)
        entry_by_code = np.array([ref.entry_level_min(c) for c in ref.codes], dtype=np.int64)
        places = np.array([o.places for o in items], dtype=np.int64)
        beds = np.array([o.housing_beds for o in items], dtype=np.int64)
        xyz = to_ecef([o.lat for o in items], [o.lon for o in items]).reshape(n, 3)
        return cls(
            ids=[o.id for o in items],
            items=items,
            xyz=xyz,
            coords=np.ascontiguousarray(xyz.T),
            metier=metier,
            places=places,
            has_place=places > 0,
            beds=beds,
            has_beds=beds > 0,
            licence_required=np.array([o.licence_required for o in items], dtype=bool),
            night_work=np.array([o.night_work for o in items], dtype=bool),
            latest_start=np.array(
                [
                    NO_START
                    if o.start is None
                    else o.start.toordinal() + params.start_tolerance_days
                    for o in items
                ],
                dtype=np.int64,
            ),
            entry_level=entry_by_code[metier] if n else np.zeros(0, np.int64),
        )


def metier_scores(items: Sequence[RequestIn], ref: MetierReferential, params: Params) -> F64:
    """The métier criterion of each request (rows) against an offer of each métier (columns):
    1 for one of its métiers, ``related_metier_score`` for a related one, else 0."""
    codes = ref.codes
    index = {code: k for k, code in enumerate(codes)}
    n_requests, n_metiers = len(items), len(codes)
    # Requests share a few combinations of métiers: each is resolved once.
    combos: dict[tuple[str, ...], int] = {}
    combo_metiers: list[list[int]] = []
    combo_of = np.empty(n_requests, dtype=np.intp)
    for pos, r in enumerate(items):
        combo = combos.get(r.metiers)
        if combo is None:
            wanted = []
            for code in r.metiers:
                k = index.get(code)
                if k is None:
                    raise UnknownMetier(
                        f"unknown métier code {code!r}",
                        record=f"request {r.id}",
                        field="metiers",
                    )
                wanted.append(k)
            combo = combos[r.metiers] = len(combo_metiers)
            combo_metiers.append(wanted)
        combo_of[pos] = combo
    by_combo = np.zeros((len(combo_metiers), n_metiers), dtype=bool)
    for combo, wanted in enumerate(combo_metiers):
        by_combo[combo, wanted] = True
    same = by_combo[combo_of] if n_requests else np.zeros((0, n_metiers), dtype=bool)
    relation = np.zeros((n_metiers, n_metiers), dtype=np.int64)
    for k, code in enumerate(codes):
        relation[k, [index[other] for other in ref.related(code)]] = 1
    related = (same.astype(np.int64) @ relation) > 0
    score: F64 = np.where(same, 1.0, np.where(related, params.related_metier_score, 0.0))
    return score


def check_unique(kind: str, ids: list[str]) -> None:
    """Raise :class:`InvalidInput` on the first id that repeats (``ids`` sorted)."""
    for a, b in zip(ids, ids[1:], strict=False):
        if a == b:
            raise InvalidInput("duplicate id", record=f"{kind} {a}", field="id")


def prepare_tables(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params,
) -> tuple[RequestTable, OfferTable]:
    """Check that the inputs are records of the right kind and build both tables."""
    for kind, items, cls in (("request", requests, RequestIn), ("offer", offers, OfferIn)):
        for n, item in enumerate(items):
            if not isinstance(item, cls):
                raise InvalidInput(f"a {cls.__name__} is required", record=f"{kind} #{n}")
    return (
        RequestTable.build(requests, referential, params),
        OfferTable.build(offers, referential, params),
    )
