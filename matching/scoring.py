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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInput, UnknownMetier
from .geo import _ARC_K, chord_to_km, to_ecef
from .model import (
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
_EMPTY = np.zeros((0, 0), dtype=bool)

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
    xyz: F64  # (n, 3) earth-centred coordinates, km
    coords: F64  # the same, (3, n), each axis contiguous
    max_km: F64
    kfac: F64
    needs: B
    acc: B
    lic: B
    avail: NDArray[np.int64]
    level: NDArray[np.int64]
    cm: F64  # (n, n_metiers): métier score of each offer métier
    cmw: F64  # cm times the métier weight's share

    @classmethod
    def build(
        cls, requests: Sequence[RequestIn], ref: MetierReferential, params: Params
    ) -> RequestTable:
        items = sorted(requests, key=attrgetter("id"))
        ids = [r.id for r in items]
        _check_unique("request", ids)
        codes = ref.codes
        index = {c: i for i, c in enumerate(codes)}
        n, m = len(items), len(codes)
        # Requests share a few combinations of métiers: each is resolved once.
        combos: dict[tuple[str, ...], int] = {}
        rows: list[list[int]] = []
        which = np.empty(n, dtype=np.intp)
        for pos, r in enumerate(items):
            c = combos.get(r.metiers)
            if c is None:
                row = []
                for code in r.metiers:
                    k = index.get(code)
                    if k is None:
                        raise UnknownMetier(
                            f"unknown métier code {code!r}",
                            record=f"request {r.id}",
                            field="metiers",
                        )
                    row.append(k)
                c = combos[r.metiers] = len(rows)
                rows.append(row)
            which[pos] = c
        by_combo = np.zeros((len(rows), m), dtype=bool)
        for c, row in enumerate(rows):
            by_combo[c, row] = True
        same = by_combo[which] if n else np.zeros((0, m), dtype=bool)
        rel = np.zeros((m, m), dtype=np.int64)
        for k, c in enumerate(codes):
            rel[k, [index[o] for o in ref.related(c)]] = 1
        related = (same.astype(np.int64) @ rel) > 0
        cm = np.where(same, 1.0, np.where(related, params.related_metier_score, 0.0))
        max_km = np.fromiter(map(attrgetter("max_km"), items), np.float64, n)
        xyz = to_ecef([r.lat for r in items], [r.lon for r in items]).reshape(n, 3)
        return cls(
            ids=ids,
            items=items,
            xyz=xyz,
            coords=np.ascontiguousarray(xyz.T),
            max_km=max_km,
            kfac=(1.0 - params.distance_score_at_limit) / max_km,
            needs=np.fromiter(map(attrgetter("needs_housing"), items), bool, n),
            acc=np.fromiter(map(attrgetter("accepts_relocation"), items), bool, n),
            lic=np.fromiter(map(attrgetter("has_licence"), items), bool, n),
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
            cmw=cm * _weights(params)[0],
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
        xyz = to_ecef([o.lat for o in items], [o.lon for o in items]).reshape(n, 3)
        return cls(
            ids=[o.id for o in items],
            items=items,
            xyz=xyz,
            coords=np.ascontiguousarray(xyz.T),
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
#
# Two implementations of the same arithmetic: ``kernel`` for lists of pairs (and blocks in rare
# paths), allocating its arrays; ``BlockKernel`` for the hot path, writing into preallocated
# buffers (fresh multi-megabyte arrays cost page faults: half the time of the naive version).
# Both run the same elementwise operations in the same order, so the numbers are bit-identical
# (a test checks it).


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


def _weights(params: Params) -> tuple[float, float, float]:
    w = params.total_weight
    return params.weight_metier / w, params.weight_distance / w, params.weight_housing / w


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

    a_m, a_d, a_h = _weights(params)
    # Squared chord, then arc: the operations of geo._chord2 and geo.chord_to_km.
    dx = row(RT.coords[0]) - col(OT.coords[0])
    d = dx * dx
    tmp = row(RT.coords[1]) - col(OT.coords[1])
    tmp *= tmp
    d += tmp
    tmp = row(RT.coords[2]) - col(OT.coords[2])
    tmp *= tmp
    d += tmp
    d = chord_to_km(d)
    if block:
        s_metier = RT.cm[ri][:, OT.metier[ci]]
        score = RT.cmw[ri][:, OT.metier[ci]]
    else:
        s_metier = RT.cm[ri, OT.metier[ci]]
        score = RT.cmw[ri, OT.metier[ci]]
    compat = score > 0
    within = d <= row(RT.max_km if radius is None else radius)
    eligible = None
    if RT.acc[ri].any() and OT.hasbeds[ci].any():
        eligible = row(RT.acc) & col(OT.hasbeds)
    t = d * row(RT.kfac)
    if eligible is not None:
        np.minimum(t, 1.0 - params.relocation_distance_score, out=t, where=eligible)
    tmp = 1.0 - t
    tmp *= a_d
    score += tmp
    needs = row(RT.needs)
    s_housing = _housing_table(params)[needs.astype(np.intp) * 2 + ~col(OT.hasbeds)]
    score += s_housing * a_h
    fails = _fails(RT, ri, OT, ci, params)
    return Terms(
        d,
        s_metier,
        t,
        s_housing,
        score,
        compat,
        within,
        eligible,
        (row(RT.level) < col(OT.entry)) if fails[0] else None,
        (row(~RT.lic) & col(OT.lic)) if fails[1] else None,
        (row(RT.avail) > col(OT.start_tol)) if fails[2] else None,
        (needs & col(~OT.hasbeds)) if fails[3] else None,
    )


def _fails(
    RT: RequestTable, ri: NDArray[np.intp], OT: OfferTable, ci: NDArray[np.intp], params: Params
) -> tuple[bool, bool, bool, bool]:
    """Which of diploma, licence, date, housing may fail somewhere among these rows and columns."""
    level, entry = RT.level[ri], OT.entry[ci]
    avail, start = RT.avail[ri], OT.start_tol[ci]
    return (
        bool(level.min(initial=_NO_LEVEL) < entry.max(initial=0)),
        bool((~RT.lic[ri]).any() and OT.lic[ci].any()),
        bool(avail.max(initial=_NO_AVAIL) > start.min(initial=_NO_START)),
        bool(params.exclude_without_housing and RT.needs[ri].any() and (~OT.hasbeds[ci]).any()),
    )


class BlockKernel:
    """The hot path: score a block of pairs into preallocated buffers, count its exclusions.

    Same arithmetic as :func:`kernel` (block=True), without allocating block-sized arrays.
    With ``metier >= 0`` every column has that métier and every row is compatible with it
    (métier blocking); with ``metier = -1`` columns mix métiers and the kernel looks them up.
    """

    FAILS = ("diploma", "licence", "date", "housing")

    def __init__(self, RT: RequestTable, OT: OfferTable, params: Params, size: int) -> None:
        self.RT, self.OT, self.params = RT, OT, params
        self._f = [np.empty(size) for _ in range(3)]
        self._b = [np.empty(size, dtype=bool) for _ in range(4)]
        self.a_m, self.a_d, self.a_h = _weights(params)
        table = _housing_table(params)
        # Housing term per (needs, column): row 0 for candidates who need no housing, row 1 else.
        self._h2 = table[np.array([0, 2])[:, None] + ~OT.hasbeds[None, :]] * self.a_h
        self._reloc = 1.0 - params.relocation_distance_score

    def _view(self, buf: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        return buf[: shape[0] * shape[1]].reshape(shape)

    def run(
        self,
        ri: NDArray[np.intp],
        ci: NDArray[np.intp],
        metier: int,
        relocation_pass: bool,
        on_fail: Callable[[str, B, int], None],
        want_beyond: bool = False,
    ) -> tuple[F64, B, int, B]:
        """Return (masked scores, valid mask, number within reach, compat & beyond mask or empty).

        ``on_fail(reason, mask, count)`` is told of each hard constraint that excludes pairs
        (the mask is only valid during the call).
        """
        RT, OT = self.RT, self.OT
        shape = (len(ri), len(ci))
        d, tmp, s = (self._view(b, shape) for b in self._f)
        ok, fb = (self._view(b, shape) for b in self._b[:2])
        rc, cc = RT.coords[:, ri], OT.coords[:, ci]
        np.subtract(rc[0][:, None], cc[0][None, :], out=d)
        np.multiply(d, d, out=d)
        for axis in (1, 2):
            np.subtract(rc[axis][:, None], cc[axis][None, :], out=tmp)
            np.multiply(tmp, tmp, out=tmp)
            np.add(d, tmp, out=d)
        np.multiply(d, _ARC_K, out=tmp)  # chord_to_km, in place
        np.add(tmp, 1.0, out=tmp)
        np.sqrt(d, out=d)
        np.multiply(d, tmp, out=d)
        np.less_equal(d, RT.max_km[ri][:, None], out=ok)
        if relocation_pass:
            np.logical_not(ok, out=ok)
        if metier < 0:  # mixed métiers: métier score by lookup, incompatible pairs out
            compat = self._view(self._b[2], shape)
            np.take(RT.cmw[ri], OT.metier[ci], axis=1, out=s)
            np.greater(s, 0.0, out=compat)
            beyond = (compat & ~ok) if want_beyond and not relocation_pass else _EMPTY
            np.logical_and(ok, compat, out=ok)
        else:
            beyond = ~ok if want_beyond and not relocation_pass else _EMPTY
        reach = n = int(np.count_nonzero(ok))
        flags = _fails(RT, ri, OT, ci, self.params)
        for reason, flag in zip(self.FAILS, flags, strict=True):
            if not flag or n == 0:
                continue
            if reason == "diploma":
                np.less(RT.level[ri][:, None], OT.entry[ci][None, :], out=fb)
            elif reason == "licence":
                np.logical_and(~RT.lic[ri][:, None], OT.lic[ci][None, :], out=fb)
            elif reason == "date":
                np.greater(RT.avail[ri][:, None], OT.start_tol[ci][None, :], out=fb)
            else:
                np.logical_and(RT.needs[ri][:, None], ~OT.hasbeds[ci][None, :], out=fb)
            np.logical_and(fb, ok, out=fb)
            failed = int(np.count_nonzero(fb))
            if failed:
                on_fail(reason, fb, failed)
                np.logical_xor(ok, fb, out=ok)
                n -= failed
        if n == 0:
            return s, ok, reach, beyond
        np.multiply(d, RT.kfac[ri][:, None], out=tmp)
        acc, hasbeds = RT.acc[ri], OT.hasbeds[ci]
        if acc.any() and hasbeds.any():
            eligible = acc[:, None] & hasbeds[None, :]
            np.minimum(tmp, self._reloc, out=tmp, where=eligible)
        np.subtract(1.0, tmp, out=tmp)
        np.multiply(tmp, self.a_d, out=tmp)
        if metier < 0:
            np.add(s, tmp, out=s)
        else:  # every pair here has this métier: same number as the lookup
            np.add(RT.cmw[ri, metier][:, None], tmp, out=s)
        needs = RT.needs[ri]
        if needs.any():
            np.take(self._h2[:, ci], needs.astype(np.intp), axis=0, out=tmp)
            np.add(s, tmp, out=s)
        else:  # the same number: 1.0 * a_h
            np.add(s, self.a_h * 1.0, out=s)
        np.multiply(s, ok, out=s)
        return s, ok, reach, beyond

    def scratch(self, shape: tuple[int, int]) -> B:
        """A bool buffer of ``shape`` free to use between runs."""
        return self._view(self._b[3], shape)


def _housing_table(params: Params) -> F64:
    return np.array([1.0, 1.0, 1.0, params.no_housing_score])


# --- explanations ---------------------------------------------------------------------------------


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _km(d: float) -> str:
    return "Moins de 1 km" if d < 1.0 else f"{int(d + 0.5)} km"


def _max_km(r: float) -> str:
    return f"{r:g}" if r == int(r) else f"{r:.1f}".replace(".", ",")


def _reasons(
    req: RequestIn, off: OfferIn, label: str, d: float, s_metier: float, eligible: bool
) -> tuple[str, str, str]:
    m_reason = f"Même métier : {label}" if s_metier >= 1.0 else f"Métier proche : {label}"
    if eligible and d > req.max_km:
        d_reason = f"{_km(d)} de votre commune, logement sur place"
    else:
        d_reason = f"{_km(d)} de votre commune"
    beds = off.housing_beds
    if not req.needs_housing:
        h_reason = "Logement non demandé"
    elif beds > 0:
        h_reason = f"Logement proposé sur place ({beds} place{'s' if beds > 1 else ''})"
    else:
        h_reason = "Pas de logement proposé"
    return m_reason, d_reason, h_reason


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
    a_m, a_d, a_h = _weights(params)
    label = _lower_first(ref.label(off.metier))
    m_reason, d_reason, h_reason = _reasons(req, off, label, d, s_metier, eligible)
    criteria = {
        "metier": Criterion(s_metier, a_m, m_reason),
        "distance": Criterion(1.0 - t, a_d, d_reason),
        "housing": Criterion(s_housing, a_h, h_reason),
    }
    reasons = (m_reason, d_reason, h_reason) if req.needs_housing else (m_reason, d_reason)
    return Match(req.id, off.id, score, d, criteria, reasons)


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
    eligible = (zeros if k.eligible is None else k.eligible).tolist()
    bad = np.zeros(len(ri), dtype=bool)
    for mask in fails.values():
        bad |= mask
    a_m, a_d, a_h = _weights(params)
    labels = {c: _lower_first(ref.label(c)) for c in {OT.items[j].metier for j in ci.tolist()}}
    d_l, sm_l, t_l = k.d.tolist(), k.s_metier.tolist(), k.t.tolist()
    sh_l, sc_l = k.s_housing.tolist(), k.score.tolist()
    out: list[Match | Exclusion] = []
    # Criteria are immutable, and those of the métier and housing take a few values: each is
    # made once and shared.
    shared: dict[tuple[object, ...], Criterion] = {}
    for n, (i, j, is_bad) in enumerate(zip(ri.tolist(), ci.tolist(), bad.tolist(), strict=True)):
        req, off = RT.items[i], OT.items[j]
        d = d_l[n]
        if is_bad:
            failed = tuple(reason for reason in EXCLUSION_REASONS if fails[reason][n])
            messages = tuple(exclusion_message(f, req, off, ref, d) for f in failed)
            out.append(Exclusion(req.id, off.id, failed, messages, d))
            continue
        m_reason, d_reason, h_reason = _reasons(
            req, off, labels[off.metier], d, sm_l[n], eligible[n]
        )
        m_key, h_key = ("metier", sm_l[n], m_reason), ("housing", sh_l[n], h_reason)
        metier = shared.get(m_key) or shared.setdefault(m_key, Criterion(sm_l[n], a_m, m_reason))
        housing = shared.get(h_key) or shared.setdefault(h_key, Criterion(sh_l[n], a_h, h_reason))
        criteria = {
            "metier": metier,
            "distance": Criterion(1.0 - t_l[n], a_d, d_reason),
            "housing": housing,
        }
        reasons = (m_reason, d_reason, h_reason) if req.needs_housing else (m_reason, d_reason)
        out.append(Match(req.id, off.id, sc_l[n], d, criteria, reasons))
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
