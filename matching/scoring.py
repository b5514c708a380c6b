"""Score one pair, or a block of pairs at once, with the same elementwise formulas.

Criteria (each in [0, 1]) and the score of a valid pair::

    s_metier   = 1                      same métier (one of the request's codes)
               = p.related_metier_score a related métier (declared in the referential)
    s_distance = 1 − (1 − e) · d / r    e = p.distance_score_at_limit, r = request.max_km, d ≤ r
               = max(that, p.relocation_distance_score) if the offer has a bed and the
                 candidate accepts to move (then d may exceed r)
    s_housing  = 1                      candidate needs no housing, or the offer has a bed
               = p.no_housing_score     candidate needs housing, the offer has none
    score      = (w_m·s_metier + w_d·s_distance + w_h·s_housing) / (w_m + w_d + w_h)

A pair is excluded (hard constraints, :data:`~matching.model.EXCLUSION_REASONS`) when the métier is
neither the same nor related, the offer has no place left, d > r (unless relocation applies),
the candidate's diploma level is below the training's entry level, a driving licence is required
and not held, the candidate is available more than ``p.start_tolerance_days`` after the start,
or (with ``p.exclude_without_housing``) housing is needed and the offer has no bed.

Every function here works on numpy arrays that broadcast: ``(n, 1)`` rows against ``(1, m)``
columns for a block, ``(n,)`` against ``(n,)`` for a list of pairs. The operations are the same,
elementwise and in the same order, so a pair gets bit-identical numbers either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInput, UnknownMetier
from .geo import _chord2, chord_to_km, to_ecef
from .model import (
    CRITERIA,
    DEFAULT_PARAMS,
    EXCLUSION_REASONS,
    Criterion,
    Exclusion,
    Match,
    OfferIn,
    Params,
    RequestIn,
)
from .referential import MetierReferential

__all__ = [
    "metier_score",
    "distance_score",
    "housing_score",
    "combine",
    "score_pair",
    "LEVEL_NAMES",
]

#: How a diploma level reads in an exclusion reason.
LEVEL_NAMES = {3: "CAP", 4: "bac", 5: "bac + 2", 6: "bac + 3", 7: "bac + 5", 8: "doctorat"}

_NO_AVAIL = np.iinfo(np.int64).min // 4  # available at any time
_NO_START = np.iinfo(np.int64).max // 4  # no start date
_NO_LEVEL = 99  # unknown diploma level: never excluded on it

F64 = NDArray[np.float64]
B = NDArray[np.bool_]


# --- the criteria, on scalars or arrays -----------------------------------------------------------


def metier_score(
    request_codes: Sequence[str],
    offer_code: str,
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
) -> float:
    """Return the métier criterion in {0, p.related_metier_score, 1}.

    1 if the offer's métier is one of the request's, ``p.related_metier_score`` if it is related
    to one of them, 0 otherwise (the pair is then excluded).
    """
    if offer_code in request_codes:
        return 1.0
    related = referential.related(offer_code)
    return params.related_metier_score if any(c in related for c in request_codes) else 0.0


def distance_score(
    distance_km: F64 | float,
    max_km: F64 | float,
    params: Params = DEFAULT_PARAMS,
    relocation: B | bool = False,
) -> F64:
    """Return the distance criterion ``1 − (1 − e)·d/r``, in [e, 1] for d ≤ r; vectorised.

    With ``relocation`` (an offer with a bed, a candidate who accepts to move) the score is at
    least ``p.relocation_distance_score``, whatever the distance. Beyond ``r`` without
    relocation the pair is excluded and the value (below e, possibly negative) is meaningless.

    >>> float(distance_score(0.0, 30.0))
    1.0
    >>> float(distance_score(30.0, 30.0))
    0.25
    >>> float(distance_score(90.0, 30.0, relocation=True))
    0.5
    """
    d = np.asarray(distance_km, dtype=np.float64)
    k = (1.0 - params.distance_score_at_limit) / np.asarray(max_km, dtype=np.float64)
    return 1.0 - _penalty(d, k, np.asarray(relocation, dtype=bool), params)


def _penalty(d: F64, kfac: F64, relocation: B, params: Params) -> F64:
    t = np.array(d * kfac, dtype=np.float64)  # an array even for scalars: ``out=`` needs one
    if relocation.any():
        np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=relocation)
    return t


def housing_score(
    needs_housing: B | bool, beds: NDArray[np.int64] | int, params: Params = DEFAULT_PARAMS
) -> F64:
    """Return the housing criterion: 1 if not needed or a bed is offered, else p.no_housing_score.

    >>> float(housing_score(True, 0)), float(housing_score(True, 2)), float(housing_score(False, 0))
    (0.1, 1.0, 1.0)
    """
    table = np.array([1.0, 1.0, 1.0, params.no_housing_score])
    idx = np.asarray(needs_housing, dtype=np.intp) * 2 + (np.asarray(beds) <= 0)
    return table[idx]


def combine(s_metier: F64, s_distance: F64, s_housing: F64, params: Params = DEFAULT_PARAMS) -> F64:
    """Return the score ``(w_m·s_m + w_d·s_d + w_h·s_h) / (w_m + w_d + w_h)``, in [0, 1].

    >>> round(float(combine(1.0, 0.25, 0.1)), 4)
    0.6025
    """
    w = params.total_weight
    out = np.asarray(s_metier, dtype=np.float64) * (params.weight_metier / w)
    out = out + np.asarray(s_distance) * (params.weight_distance / w)
    out += np.asarray(s_housing) * (params.weight_housing / w)
    return out


# --- tables: the inputs as arrays, in id order ----------------------------------------------------


@dataclass(frozen=True, eq=False)
class RequestTable:
    """Requests as arrays, sorted by id (internal)."""

    ids: list[str]
    items: list[RequestIn]
    xyz: F64
    max_km: F64
    kfac: F64
    needs: B
    acc: B
    lic: B
    avail: NDArray[np.int64]
    level: NDArray[np.int64]
    cm: F64  # (n, n_metiers): métier score of each offer métier
    mask: NDArray[np.int64]  # bit m set when cm[:, m] > 0
    first_code: NDArray[np.intp]  # (n, n_metiers): index in request.metiers of the best code

    @classmethod
    def build(
        cls, requests: Sequence[RequestIn], ref: MetierReferential, params: Params
    ) -> RequestTable:
        items = sorted(requests, key=lambda r: r.id)
        _check_unique("request", [r.id for r in items])
        codes = ref.codes
        index = {c: i for i, c in enumerate(codes)}
        n, m = len(items), len(codes)
        cm = np.zeros((n, m), dtype=np.float64)
        first = np.zeros((n, m), dtype=np.intp)
        related = [[index[o] for o in sorted(ref.related(c))] for c in codes]
        for i, r in enumerate(items):
            for j, code in reversed(list(enumerate(r.metiers))):
                if code not in index:
                    raise UnknownMetier(
                        f"unknown métier code {code!r}", record=f"request {r.id}", field="metiers"
                    )
                k = index[code]
                for o in related[k]:
                    if cm[i, o] < 1.0:
                        cm[i, o] = params.related_metier_score
                        first[i, o] = j
            for j, code in reversed(list(enumerate(r.metiers))):
                cm[i, index[code]] = 1.0
                first[i, index[code]] = j
        bits = (np.int64(1) << np.arange(m, dtype=np.int64)) if m else np.zeros(0, np.int64)
        max_km = np.array([float(r.max_km) for r in items], dtype=np.float64)
        return cls(
            ids=[r.id for r in items],
            items=items,
            xyz=to_ecef([r.lat for r in items], [r.lon for r in items]).reshape(n, 3),
            max_km=max_km,
            kfac=(1.0 - params.distance_score_at_limit) / max_km,
            needs=np.array([r.needs_housing for r in items], dtype=bool),
            acc=np.array([r.accepts_relocation for r in items], dtype=bool),
            lic=np.array([r.has_licence for r in items], dtype=bool),
            avail=np.array(
                [
                    _NO_AVAIL if r.available_from is None else r.available_from.toordinal()
                    for r in items
                ],
                dtype=np.int64,
            ),
            level=np.array(
                [_NO_LEVEL if r.diploma_level is None else r.diploma_level for r in items],
                dtype=np.int64,
            ),
            cm=cm,
            mask=((cm > 0) * bits).sum(axis=1).astype(np.int64)
            if m < 63
            else np.zeros(n, np.int64),
            first_code=first,
        )


@dataclass(frozen=True, eq=False)
class OfferTable:
    """Offers as arrays, sorted by id (internal)."""

    ids: list[str]
    items: list[OfferIn]
    xyz: F64
    metier: NDArray[np.intp]
    places: NDArray[np.int64]
    live: B
    beds: NDArray[np.int64]
    hasbeds: B
    lic: B
    start_tol: NDArray[np.int64]
    entry: NDArray[np.int64]

    @classmethod
    def build(cls, offers: Sequence[OfferIn], ref: MetierReferential, params: Params) -> OfferTable:
        items = sorted(offers, key=lambda o: o.id)
        _check_unique("offer", [o.id for o in items])
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
        return cls(
            ids=[o.id for o in items],
            items=items,
            xyz=to_ecef([o.lat for o in items], [o.lon for o in items]).reshape(n, 3),
            metier=metier,
            places=places,
            live=places > 0,
            beds=beds,
            hasbeds=beds > 0,
            lic=np.array([o.licence_required for o in items], dtype=bool),
            start_tol=np.array(
                [
                    _NO_START
                    if o.start is None
                    else o.start.toordinal() + params.start_tolerance_days
                    for o in items
                ],
                dtype=np.int64,
            ),
            entry=entry_by_code[metier] if n else np.zeros(0, np.int64),
        )


def _check_unique(kind: str, ids: list[str]) -> None:
    for a, b in zip(ids, ids[1:], strict=False):
        if a == b:
            raise InvalidInput("duplicate id", record=f"{kind} {a}", field="id")


# --- the kernel ----------------------------------------------------------------------------------


@dataclass(eq=False)
class Terms:
    """Everything the kernel computes for a block or a list of pairs (broadcast shapes)."""

    d: F64
    s_metier: F64
    t: F64  # distance penalty: s_distance = 1 - t
    s_housing: F64
    score: F64
    compat: B
    within: B
    eligible: B | None  # relocation applies (accepts to move, offer has a bed)
    f_diploma: B | None
    f_licence: B | None
    f_date: B | None
    f_housing: B | None


def kernel(
    RT: RequestTable,
    ri: NDArray[np.intp],
    OT: OfferTable,
    ci: NDArray[np.intp],
    params: Params,
    *,
    block: bool,
    radius: F64 | None = None,
) -> Terms:
    """Evaluate rows ``ri`` against columns ``ci``: a block (``block=True``) or pairs.

    ``radius`` replaces the requests' ``max_km`` for the within test (widening searches).
    A ``None`` fail mask means "fails nowhere here" (skipped for speed).
    """
    if block:

        def row(a: np.ndarray) -> np.ndarray:
            return a[ri][:, None]

        def col(a: np.ndarray) -> np.ndarray:
            return a[ci][None, :]
    else:

        def row(a: np.ndarray) -> np.ndarray:
            return a[ri]

        def col(a: np.ndarray) -> np.ndarray:
            return a[ci]

    rxyz, cxyz = RT.xyz[ri], OT.xyz[ci]
    if block:
        rxyz, cxyz = rxyz[:, None, :], cxyz[None, :, :]
    d = chord_to_km(_chord2(rxyz, cxyz))
    cm = RT.cm[ri]
    s_metier = cm[:, OT.metier[ci]] if block else cm[np.arange(len(ri)), OT.metier[ci]]
    compat = s_metier > 0
    r = row(RT.max_km if radius is None else radius)
    within = d <= r
    acc, hasbeds = RT.acc[ri], OT.hasbeds[ci]
    eligible = None
    if acc.any() and hasbeds.any():
        eligible = row(RT.acc) & col(OT.hasbeds)
    t = d * row(RT.kfac)
    if eligible is not None:
        np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=eligible)
    needs = row(RT.needs)
    s_housing = _housing_table(params)[needs.astype(np.intp) * 2 + ~col(OT.hasbeds)]
    w = params.total_weight
    score = s_metier * (params.weight_metier / w)
    score += (1.0 - t) * (params.weight_distance / w)
    score += s_housing * (params.weight_housing / w)

    level, entry = RT.level[ri], OT.entry[ci]
    f_diploma = (
        row(RT.level) < col(OT.entry)
        if (level.min(initial=_NO_LEVEL) < entry.max(initial=0))
        else None
    )
    nolic = ~RT.lic[ri]
    f_licence = (row(~RT.lic) & col(OT.lic)) if (nolic.any() and OT.lic[ci].any()) else None
    avail, start = RT.avail[ri], OT.start_tol[ci]
    f_date = (
        (row(RT.avail) > col(OT.start_tol))
        if avail.max(initial=_NO_AVAIL) > start.min(initial=_NO_START)
        else None
    )
    f_housing = None
    if params.exclude_without_housing and RT.needs[ri].any() and (~hasbeds).any():
        f_housing = needs & col(~OT.hasbeds)
    return Terms(
        d,
        s_metier,
        t,
        s_housing,
        score,
        compat,
        within,
        eligible,
        f_diploma,
        f_licence,
        f_date,
        f_housing,
    )


def _housing_table(params: Params) -> F64:
    return np.array([1.0, 1.0, 1.0, params.no_housing_score])


# --- explanations ---------------------------------------------------------------------------------


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _km(d: float) -> str:
    return "Moins de 1 km" if d < 1.0 else f"{int(d + 0.5)} km"


def _max_km(r: float) -> str:
    return f"{r:g}" if r == int(r) else f"{r:.1f}".replace(".", ",")


def explain(
    req: RequestIn,
    off: OfferIn,
    ref: MetierReferential,
    params: Params,
    *,
    d: float,
    s_metier: float,
    t: float,
    s_housing: float,
    score: float,
    eligible: bool,
) -> Match:
    """Build the :class:`Match` of one valid pair from its kernel terms."""
    w = params.total_weight
    label = _lower_first(ref.label(off.metier))
    m_reason = f"Même métier : {label}" if s_metier >= 1.0 else f"Métier proche : {label}"
    if eligible and d > req.max_km:
        d_reason = f"{_km(d)} de votre commune, logement sur place"
    else:
        d_reason = f"{_km(d)} de votre commune"
    beds = off.housing_beds
    if req.needs_housing:
        h_reason = (
            f"Logement proposé sur place ({beds} place{'s' if beds > 1 else ''})"
            if beds > 0
            else "Pas de logement proposé"
        )
    else:
        h_reason = "Logement non demandé"
    criteria = {
        "metier": Criterion(s_metier, params.weight_metier / w, m_reason),
        "distance": Criterion(1.0 - t, params.weight_distance / w, d_reason),
        "housing": Criterion(s_housing, params.weight_housing / w, h_reason),
    }
    reasons = [m_reason, d_reason]
    if req.needs_housing:
        reasons.append(h_reason)
    assert tuple(criteria) == CRITERIA
    return Match(req.id, off.id, score, d, criteria, tuple(reasons))


def exclusion_message(
    reason: str, req: RequestIn, off: OfferIn, ref: MetierReferential, d: float
) -> str:
    """Return the French text of one exclusion reason for a pair."""
    if reason == "metier":
        return "Métier différent"
    if reason == "places":
        return "Plus de place"
    if reason == "distance":
        return f"Trop loin ({_km(d)} pour {_max_km(req.max_km)} km maximum)"
    if reason == "diploma":
        level = ref.entry_level_min(off.metier)
        return f"Niveau {LEVEL_NAMES.get(level, str(level))} requis pour cette formation"
    if reason == "licence":
        return "Permis B exigé"
    if reason == "date":
        start = off.start or date.min
        return f"Disponible trop tard (après le {start:%d/%m/%Y})"
    if reason == "housing":
        return "Pas de logement proposé"
    raise ValueError(reason)


def pair_results(
    RT: RequestTable,
    ri: NDArray[np.intp],
    OT: OfferTable,
    ci: NDArray[np.intp],
    ref: MetierReferential,
    params: Params,
) -> list[Match | Exclusion]:
    """Evaluate a list of pairs and explain each one: a Match or an Exclusion."""
    if len(ri) == 0:
        return []
    k = kernel(RT, ri, OT, ci, params, block=False)
    fails: dict[str, B] = {
        "metier": ~k.compat,
        "places": ~OT.live[ci],
        "distance": ~k.within if k.eligible is None else (~k.within & ~k.eligible),
    }
    zeros = np.zeros(len(ri), dtype=bool)
    fails["diploma"] = zeros if k.f_diploma is None else k.f_diploma
    fails["licence"] = zeros if k.f_licence is None else k.f_licence
    fails["date"] = zeros if k.f_date is None else k.f_date
    fails["housing"] = zeros if k.f_housing is None else k.f_housing
    eligible = zeros if k.eligible is None else k.eligible
    out: list[Match | Exclusion] = []
    for n, (i, j) in enumerate(zip(ri.tolist(), ci.tolist(), strict=True)):
        req, off = RT.items[i], OT.items[j]
        failed = tuple(reason for reason in EXCLUSION_REASONS if fails[reason][n])
        d = float(k.d[n])
        if failed:
            out.append(
                Exclusion(
                    req.id,
                    off.id,
                    failed,
                    tuple(exclusion_message(f, req, off, ref, d) for f in failed),
                    d,
                )
            )
        else:
            out.append(
                explain(
                    req,
                    off,
                    ref,
                    params,
                    d=d,
                    s_metier=float(k.s_metier[n]),
                    t=float(k.t[n]),
                    s_housing=float(k.s_housing[n]),
                    score=float(k.score[n]),
                    eligible=bool(eligible[n]),
                )
            )
    return out


def score_pair(
    request: RequestIn,
    offer: OfferIn,
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
) -> Match | Exclusion:
    """Score one pair: a :class:`Match` with its criteria, or the :class:`Exclusion` ruling it out.

    The numbers are bit-identical to those :func:`matching.suggest` gives the same pair.
    """
    RT = RequestTable.build([request], referential, params)
    OT = OfferTable.build([offer], referential, params)
    zero = np.zeros(1, dtype=np.intp)
    return pair_results(RT, zero, OT, zero, referential, params)[0]
