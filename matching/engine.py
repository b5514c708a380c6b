"""Best matches both ways, at any scale: blocking, vectorised scoring, top-k selection.

How :func:`suggest` avoids the n×m loop:

* **Métier blocking**: requests are grouped by the set of offer métiers they are compatible
  with, and each group only meets the offers of those métiers.
* **Spatial blocking** (when there are more than :data:`DENSE_PAIRS` pairs): requests are put in
  bands of maximum distance (16, 32, 64... km) and, per band, in a 3-D grid of earth-centred
  cells as large as the band's radius. A request only meets the offers of its cell and the 26
  around it; since a chord is never longer than the arc, no pair within reach is missed.
  Candidates who accept to move meet every offer with a bed in a second pass.
* Each block of pairs is scored at once by :func:`matching.scoring.kernel` (numpy, a few tens of
  elementwise operations per pair), in tiles that fit in the CPU cache.
* Top-k both ways without sorting the blocks: per tile, the k-th largest of the maxima of small
  groups of columns (rows) is a lower bound of a row's (column's) k-th best score; only the
  pairs above the running bound are kept, and the few survivors are sorted at the end by
  (score descending, id).

Inputs are first sorted by id, so results do not depend on the order of the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .errors import InvalidInput
from .model import (
    DEFAULT_PARAMS,
    EXCLUSION_REASONS,
    Exclusions,
    Match,
    OfferIn,
    Params,
    RequestIn,
    Suggestions,
)
from .referential import MetierReferential
from .scoring import OfferTable, RequestTable, kernel, pair_results

__all__ = ["suggest", "DENSE_PAIRS", "TILE_ELEMENTS"]

#: Below this many (request, offer) pairs, no spatial blocking: one dense pass is cheaper.
DENSE_PAIRS = 1 << 25
#: Pairs scored at once (a tile): a few arrays of this size fit in the CPU's cache.
TILE_ELEMENTS = 1 << 18
#: Radius of the first band of maximum distances (bands double: 16, 32, 64... km).
BAND_BASE_KM = 16.0
#: Requests with different métier sets are grouped until a group has this many rows.
MIN_RUN_ROWS = 64
_SAMPLES = 3
_TINY = float(np.nextafter(0.0, 1.0))  # a valid pair always scores more than this

IntArray = NDArray[np.intp]

_SHIFT = np.int64(21)
_BIAS = np.int64(1 << 20)
_NEIGHBOURS = np.array(
    [(dx << 42) + (dy << 21) + dz for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)],
    dtype=np.int64,
)


def _cell_keys(xyz: NDArray[np.float64], cell_km: float) -> NDArray[np.int64]:
    ijk = np.floor(xyz / cell_km).astype(np.int64) + _BIAS
    return (ijk[:, 0] << (2 * _SHIFT)) + (ijk[:, 1] << _SHIFT) + ijk[:, 2]


def _groups(
    RT: RequestTable, rows: IntArray, OT: OfferTable, cols: IntArray, radius: NDArray[np.float64]
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield (rows, cols) blocks such that each pair within ``radius`` is in exactly one."""
    if len(rows) == 0 or len(cols) == 0:
        return
    if len(rows) * len(cols) <= DENSE_PAIRS:
        yield rows, cols
        return
    band = np.maximum(0, np.ceil(np.log2(radius[rows] / BAND_BASE_KM))).astype(np.int64)
    for b in np.unique(band).tolist():
        rb = rows[band == b]
        if len(rb) * len(cols) <= DENSE_PAIRS:
            yield rb, cols
            continue
        cell = BAND_BASE_KM * float(2**b)
        okeys = _cell_keys(OT.xyz[cols], cell)
        order = np.argsort(okeys, kind="stable")
        skeys, scols = okeys[order], cols[order]
        ukeys, inverse = np.unique(_cell_keys(RT.xyz[rb], cell), return_inverse=True)
        neighbours = ukeys[:, None] + _NEIGHBOURS[None, :]
        lo = np.searchsorted(skeys, neighbours, "left")
        hi = np.searchsorted(skeys, neighbours, "right")
        by_cell = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[by_cell], np.arange(len(ukeys) + 1))
        for u in range(len(ukeys)):
            parts = [
                scols[a:z] for a, z in zip(lo[u].tolist(), hi[u].tolist(), strict=True) if z > a
            ]
            if parts:
                yield rb[by_cell[bounds[u] : bounds[u + 1]]], np.sort(np.concatenate(parts))


def _runs(
    RT: RequestTable, rows: IntArray, OT: OfferTable, cols: IntArray, use_masks: bool
) -> Iterator[tuple[IntArray, IntArray]]:
    """Split a block by the requests' métier sets; each part meets only compatible offers."""
    if not use_masks:
        yield rows, cols
        return
    masks = RT.mask[rows]
    order = np.lexsort((rows, masks))
    rows, masks = rows[order], masks[order]
    change = np.flatnonzero(np.diff(masks)) + 1
    starts = [0, *change.tolist()]
    ends = [*change.tolist(), len(rows)]
    if len(rows) * len(cols) <= TILE_ELEMENTS:
        starts, ends = [0], [len(rows)]
    col_bits = np.int64(1) << OT.metier[cols].astype(np.int64)
    s = 0
    while s < len(starts):
        a, e = starts[s], ends[s]
        s += 1
        while e - a < MIN_RUN_ROWS and s < len(starts):
            e = ends[s]
            s += 1
        union = np.bitwise_or.reduce(masks[a:e])
        keep = cols[(col_bits & union) != 0]
        if len(keep):
            yield rows[a:e], keep


def _tiles(rows: IntArray, cols: IntArray) -> Iterator[tuple[IntArray, IntArray]]:
    nr, nc = len(rows), len(cols)
    if nr * nc <= TILE_ELEMENTS:
        yield rows, cols
        return
    side = int(TILE_ELEMENTS**0.5)
    col_chunk = min(nc, max(side, TILE_ELEMENTS // max(1, min(nr, side))))
    row_chunk = max(1, TILE_ELEMENTS // col_chunk)
    for a in range(0, nr, row_chunk):
        for b in range(0, nc, col_chunk):
            yield rows[a : a + row_chunk], cols[b : b + col_chunk]


def _kth_bound(S: NDArray[np.float64], k: int, axis: int) -> NDArray[np.float64] | None:
    """Lower bound of the k-th largest value along ``axis`` (k-th largest of group maxima)."""
    n = S.shape[axis]
    g = min(32, n // (4 * k))
    if g < 1 or n // g < k:
        return None
    maxima = np.maximum.reduceat(S, np.arange(0, n, g), axis=axis)
    if axis == 0:
        maxima = maxima.T
    groups = maxima.shape[1]
    return np.partition(maxima, groups - k, axis=1)[:, groups - k]


@dataclass(eq=False)
class _Run:
    """State of one scoring run: running bounds, candidate pools, exclusion counts."""

    RT: RequestTable
    OT: OfferTable
    params: Params
    k_rows: int
    k_cols: int  # 0: no per-offer lists
    row_thr: NDArray[np.float64] = field(init=False)
    col_thr: NDArray[np.float64] = field(init=False)
    row_pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]] = field(default_factory=list)
    col_pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))
    samples: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: {r: [] for r in EXCLUSION_REASONS}
    )
    reach: int = 0
    valid: NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        self.row_thr = np.full(len(self.RT.ids), _TINY)
        self.col_thr = np.full(len(self.OT.ids), _TINY)
        self.valid = np.zeros(len(self.RT.ids), dtype=np.int64)

    def _sample(self, reason: str, mask: NDArray[np.bool_], ri: IntArray, ci: IntArray) -> None:
        have = self.samples[reason]
        if len(have) >= _SAMPLES:
            return
        flat = np.flatnonzero(mask)[: _SAMPLES - len(have)]
        nc = mask.shape[1]
        have.extend((int(ri[f // nc]), int(ci[f % nc])) for f in flat.tolist())

    def tile(self, ri: IntArray, ci: IntArray, relocation_pass: bool) -> None:
        """Score one tile, count its exclusions, keep the candidates of both top-k lists."""
        k = kernel(self.RT, ri, self.OT, ci, self.params, block=True)
        if relocation_pass:
            reach = k.compat & ~k.within
        else:
            reach = k.compat & k.within
            if len(self.samples["distance"]) < _SAMPLES:
                far = k.compat & ~k.within
                if k.eligible is not None:
                    far &= ~k.eligible
                self._sample("distance", far, ri, ci)
        n = int(np.count_nonzero(reach))
        self.reach += n
        ok = reach
        for reason, fail in (
            ("diploma", k.f_diploma),
            ("licence", k.f_licence),
            ("date", k.f_date),
            ("housing", k.f_housing),
        ):
            if fail is None:
                continue
            kept = ok & ~fail
            n_kept = int(np.count_nonzero(kept))
            if n_kept < n:
                self.counts[reason] += n - n_kept
                self._sample(reason, ok & fail, ri, ci)
            ok, n = kept, n_kept
        if n == 0:
            return
        S = k.score
        S *= ok
        self.valid[ri] += np.count_nonzero(ok, axis=1)
        self._select(S, ri, ci)

    def _select(self, S: NDArray[np.float64], ri: IntArray, ci: IntArray) -> None:
        bound = _kth_bound(S, self.k_rows, axis=1)
        thr = self.row_thr[ri]
        if bound is not None:
            np.maximum(thr, bound, out=thr)
            self.row_thr[ri] = thr
        rr, cc = np.nonzero(S >= thr[:, None])
        self.row_pool.append((ri[rr], ci[cc], S[rr, cc]))
        if not self.k_cols:
            return
        bound = _kth_bound(S, self.k_cols, axis=0)
        thr = self.col_thr[ci]
        if bound is not None:
            np.maximum(thr, bound, out=thr)
            self.col_thr[ci] = thr
        rr, cc = np.nonzero(S >= thr[None, :])
        self.col_pool.append((ri[rr], ci[cc], S[rr, cc]))

    def run(
        self, rows: IntArray, cols: IntArray, radius: NDArray[np.float64], relocation_pass: bool
    ) -> None:
        use_masks = self.RT.cm.shape[1] <= 62
        for rg, cg in _groups(self.RT, rows, self.OT, cols, radius):
            for rr, cc in _runs(self.RT, rg, self.OT, cg, use_masks):
                for rt, ct in _tiles(rr, cc):
                    self.tile(rt, ct, relocation_pass)

    def execute(self, rows: IntArray | None = None) -> None:
        """Score every request (or ``rows``) against every offer with a place left."""
        RT, OT = self.RT, self.OT
        rows = np.arange(len(RT.ids), dtype=np.intp) if rows is None else rows
        live = np.flatnonzero(OT.live).astype(np.intp)
        self.run(rows, live, RT.max_km, relocation_pass=False)
        movers = rows[RT.acc[rows]]
        housed = live[OT.hasbeds[live]]
        # Candidates who accept to move meet every offer with a bed, however far.
        for rr, cc in _runs(RT, movers, OT, housed, RT.cm.shape[1] <= 62):
            for rt, ct in _tiles(rr, cc):
                self.tile(rt, ct, relocation_pass=True)

    def exclusions(self, all_rows: bool = True) -> Exclusions:
        """Count exclusions over every pair (analytic for métier, places and distance)."""
        RT, OT = self.RT, self.OT
        counts = dict(self.counts)
        compat_by_metier = (
            np.count_nonzero(RT.cm > 0, axis=0)
            if len(RT.ids)
            else np.zeros(RT.cm.shape[1], dtype=np.int64)
        )
        compat = compat_by_metier[OT.metier] if len(OT.ids) else np.zeros(0, dtype=np.int64)
        counts["metier"] = len(RT.ids) * len(OT.ids) - int(compat.sum())
        counts["places"] = int(compat[~OT.live].sum())
        counts["distance"] = int(compat[OT.live].sum()) - self.reach
        samples = {r: [(RT.ids[i], OT.ids[j]) for i, j in s] for r, s in self.samples.items()}
        samples["metier"] = self._metier_samples()
        samples["places"] = self._places_samples()
        ordered = {r: counts[r] for r in EXCLUSION_REASONS}
        return Exclusions(ordered, {r: tuple(samples[r]) for r in EXCLUSION_REASONS})

    def _metier_samples(self) -> list[tuple[str, str]]:
        RT, OT = self.RT, self.OT
        if not len(RT.ids) or not len(OT.ids):
            return []
        incompatible = RT.cm == 0
        first = np.argmax(incompatible, axis=0)
        has = incompatible.any(axis=0)
        js = [j for j in range(len(OT.ids)) if has[OT.metier[j]]][: 4 * _SAMPLES]
        pairs = sorted((int(first[OT.metier[j]]), j) for j in js)[:_SAMPLES]
        return [(RT.ids[i], OT.ids[j]) for i, j in pairs]

    def _places_samples(self) -> list[tuple[str, str]]:
        RT, OT = self.RT, self.OT
        if not len(RT.ids):
            return []
        compatible = RT.cm > 0
        first = np.argmax(compatible, axis=0)
        has = compatible.any(axis=0)
        out = []
        for j in np.flatnonzero(~OT.live).tolist():
            if has[OT.metier[j]]:
                out.append((RT.ids[int(first[OT.metier[j]])], OT.ids[j]))
                if len(out) == _SAMPLES:
                    break
        return out


def _top(
    pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]], key_side: int, n_keys: int, k: int
) -> tuple[NDArray[np.intp], IntArray, IntArray]:
    """Keep the k best of each key: (indptr, rows, cols), score descending then other id."""
    if pool:
        rows = np.concatenate([p[0] for p in pool])
        cols = np.concatenate([p[1] for p in pool])
        scores = np.concatenate([p[2] for p in pool])
    else:
        rows = cols = np.zeros(0, dtype=np.intp)
        scores = np.zeros(0)
    key, other = (rows, cols) if key_side == 0 else (cols, rows)
    order = np.lexsort((other, -scores, key))
    key_sorted = key[order]
    starts = np.searchsorted(key_sorted, np.arange(n_keys + 1))
    rank = np.arange(len(order)) - starts[key_sorted]
    keep = order[rank < k]
    indptr = np.searchsorted(key[keep], np.arange(n_keys + 1)).astype(np.intp)
    return indptr, rows[keep], cols[keep]


class MatchLists(Mapping[str, list[Match]]):
    """A read-only mapping id -> list of matches, each list built on first access.

    Scores and order are settled by :func:`suggest`; only the :class:`Match` objects (criteria,
    French reasons) are made lazily, so a caller that reads a few lists pays for those only.
    """

    def __init__(
        self, ids: list[str], indptr: NDArray[np.intp], build: Callable[[int, int], list[Match]]
    ) -> None:
        self._ids = ids
        self._index = {i: n for n, i in enumerate(ids)}
        self._indptr = indptr
        self._build = build
        self._cache: dict[str, list[Match]] = {}

    def __getitem__(self, key: str) -> list[Match]:
        cached = self._cache.get(key)
        if cached is None:
            n = self._index[key]
            cached = self._build(int(self._indptr[n]), int(self._indptr[n + 1]))
            self._cache[key] = cached
        return list(cached)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __repr__(self) -> str:
        return f"<MatchLists of {len(self._ids)} ids>"

    def count(self, key: str) -> int:
        """Number of matches of ``key`` without building them."""
        n = self._index[key]
        return int(self._indptr[n + 1] - self._indptr[n])


def _prepare(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params,
) -> tuple[RequestTable, OfferTable]:
    for kind, items, cls in (("request", requests, RequestIn), ("offer", offers, OfferIn)):
        for n, item in enumerate(items):
            if not isinstance(item, cls):
                raise InvalidInput(f"a {cls.__name__} is required", record=f"{kind} #{n}")
    return (
        RequestTable.build(requests, referential, params),
        OfferTable.build(offers, referential, params),
    )


def _widen(run: _Run, rows: IntArray, params: Params) -> dict[int, float | None]:
    """For requests without a match: the smallest widening step that would bring some."""
    RT, OT = run.RT, run.OT
    steps = params.widening_steps_km
    n_min = params.widening_min_results
    out: dict[int, float | None] = {}
    if not len(rows):
        return out
    largest = steps[-1] if steps else 0.0
    todo = rows[RT.max_km[rows] < largest]
    for i in rows[RT.max_km[rows] >= largest].tolist():
        out[i] = None
    if not len(todo):
        return out
    radius = np.full(len(RT.ids), float(largest))
    best = np.full((len(RT.ids), n_min), np.inf)
    live = np.flatnonzero(OT.live).astype(np.intp)
    use_masks = RT.cm.shape[1] <= 62
    for rg, cg in _groups(RT, todo, OT, live, radius):
        for rr, cc in _runs(RT, rg, OT, cg, use_masks):
            for rt, ct in _tiles(rr, cc):
                k = kernel(RT, rt, OT, ct, params, block=True, radius=radius)
                ok = k.compat & k.within
                for fail in (k.f_diploma, k.f_licence, k.f_date, k.f_housing):
                    if fail is not None:
                        ok &= ~fail
                D = np.where(ok, k.d, np.inf)
                merged = np.concatenate([best[rt], D], axis=1)
                best[rt] = np.partition(merged, n_min - 1, axis=1)[:, :n_min]
    needed = np.sort(best[todo], axis=1)[:, n_min - 1]
    for i, km in zip(todo.tolist(), needed.tolist(), strict=True):
        out[i] = next((float(s) for s in steps if s >= km), None) if np.isfinite(km) else None
    return out


def suggest(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
    top_k: int = 10,
) -> Suggestions:
    """Return the best ``top_k`` offers of each request and requests of each offer.

    Lists are sorted by score descending, ties broken by id; exclusions are counted per reason;
    requests without any match get a widening hint. Inputs are not mutated and their order does
    not matter. Raises :class:`~matching.errors.InvalidInput` on duplicate ids or unknown codes.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise InvalidInput("must be an integer >= 1", record="suggest", field="top_k")
    RT, OT = _prepare(requests, offers, referential, params)
    run = _Run(RT, OT, params, k_rows=top_k, k_cols=top_k)
    run.execute()
    empty = np.flatnonzero(run.valid == 0).astype(np.intp)
    widening = {RT.ids[i]: km for i, km in sorted(_widen(run, empty, params).items())}

    by_req = _top(run.row_pool, 0, len(RT.ids), top_k)
    by_off = _top(run.col_pool, 1, len(OT.ids), top_k)

    def builder(rows: IntArray, cols: IntArray) -> Callable[[int, int], list[Match]]:
        def build(a: int, z: int) -> list[Match]:
            results = pair_results(RT, rows[a:z], OT, cols[a:z], referential, params)
            assert all(isinstance(m, Match) for m in results)
            return results  # type: ignore[return-value]

        return build

    return Suggestions(
        by_request=MatchLists(RT.ids, by_req[0], builder(by_req[1], by_req[2])),
        by_offer=MatchLists(OT.ids, by_off[0], builder(by_off[1], by_off[2])),
        excluded=run.exclusions(),
        widening=widening,
        top_k=top_k,
    )
