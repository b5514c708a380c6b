"""Best matches both ways, at any scale: blocking, vectorised scoring, top-k selection.

How :func:`suggest` avoids the n×m loop:

* **Métier blocking**: a block of requests meets the offers of one métier at a time, and only
  the requests compatible with that métier take part (small blocks are scored at once, the
  métier looked up per pair).
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

from .arrays import F64, IntArray
from .errors import InvalidInput
from .explanations import pair_results, scoring_tables
from .grid import BLOCKS, cell_blocks
from .housing import Housing
from .model import (
    DEFAULT_PARAMS,
    EXCLUSION_REASONS,
    Exclusions,
    HousingResource,
    Match,
    OfferIn,
    Params,
    RequestIn,
    Suggestions,
    TrainingCentre,
    Tutor,
)
from .pairs import best_first
from .referential import MetierReferential
from .scoring import BlockKernel, kernel
from .tables import OfferTable, RequestTable
from .training import Training

__all__ = [
    "suggest",
    "widen",
    "MatchLists",
    "GRID",
    "DENSE_PAIRS",
    "SPLIT_PAIRS",
    "TILE_ELEMENTS",
    "POOL_PER_KEY",
    "POOL_SLACK",
]

#: Below this many (request, offer) pairs, no spatial blocking: one dense pass is cheaper.
DENSE_PAIRS = 1 << 21
#: Pairs scored at once (a tile): a few arrays of this size fit in the CPU's cache.
TILE_ELEMENTS = 1 << 18
#: Blocks of at most this many pairs are scored in one tile, métiers mixed.
SPLIT_PAIRS = 1 << 16
#: Candidates kept for the per-offer lists before the pool is pruned (per key: this times k).
POOL_PER_KEY = 16
POOL_SLACK = 100_000
_SAMPLES = 3
#: From this many candidates on, a radix sort (:func:`~matching.pairs.best_first`) orders them
#: faster than ``lexsort``; the order is the same.
RADIX_FROM = 8192
_TINY = float(np.nextafter(0.0, 1.0))  # a valid pair always scores more than this

#: The grid of the spatial blocking (see :mod:`matching.grid`).
GRID = BLOCKS


def _groups(
    requests: RequestTable, rows: IntArray, offers: OfferTable, cols: IntArray, radius: F64
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield (rows, cols) blocks such that each pair within ``radius`` is in exactly one.

    Requests are split into bands of radius; per band, into the cells of :data:`GRID`; a
    cell's requests meet the offers of the cells within reach of it (see :mod:`matching.grid`).
    """
    if len(rows) == 0 or len(cols) == 0:
        return
    if len(rows) * len(cols) <= DENSE_PAIRS:
        yield rows, cols
        return
    band = GRID.bands(radius[rows])
    for b in np.unique(band).tolist():
        band_rows = rows[band == b]
        if len(band_rows) * len(cols) <= DENSE_PAIRS:
            yield band_rows, cols
            continue
        yield from cell_blocks(
            requests.xyz, band_rows, offers.xyz, cols, GRID.cell_km(b), GRID.cells_per_radius
        )


def _by_metier(
    requests: RequestTable, rows: IntArray, offers: OfferTable, cols: IntArray
) -> Iterator[tuple[int, IntArray, IntArray]]:
    """Métier blocking: per offer métier, the requests compatible with it and its offers."""
    metier = offers.metier[cols]
    order = np.argsort(metier, kind="stable")
    bounds = np.searchsorted(metier[order], np.arange(requests.metier_score.shape[1] + 1))
    for m in range(requests.metier_score.shape[1]):
        metier_cols = cols[order[bounds[m] : bounds[m + 1]]]
        if len(metier_cols):
            metier_rows = rows[requests.metier_score[rows, m] > 0]
            if len(metier_rows):
                yield m, metier_rows, metier_cols


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


def _kth_bound(scores: NDArray[np.float64], k: int, axis: int) -> NDArray[np.float64] | None:
    """A lower bound of the k-th largest value along ``axis``, per line of the other axis.

    Split the line into ``groups`` interleaved groups (index mod ``groups``): k groups whose
    maximum is at least the k-th largest group maximum hold k values at least that large.
    """
    n = scores.shape[axis]
    groups = max(k, n // 16)
    per = n // groups
    if per < 2:
        return None
    if axis == 1:
        maxima = scores[:, : per * groups].reshape(scores.shape[0], per, groups).max(axis=1)
    else:
        maxima = scores[: per * groups].reshape(per, groups, scores.shape[1]).max(axis=0).T
    return np.partition(maxima, groups - k, axis=1)[:, groups - k]


def _best_order(key: IntArray, other: IntArray, scores: NDArray[np.float64]) -> IntArray:
    """The order by key, score descending, then other: ``lexsort((other, -scores, key))``."""
    if len(key) < RADIX_FROM:
        order: IntArray = np.lexsort((other, -scores, key))
        return order
    return best_first(key, other, scores)


def _group_rank(key_sorted: NDArray[np.intp]) -> NDArray[np.intp]:
    """Position of each element within its run of equal keys (``key_sorted`` is sorted)."""
    n = len(key_sorted)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(key_sorted[1:], key_sorted[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    rank: NDArray[np.intp] = np.arange(n) - starts[np.cumsum(new) - 1]
    return rank


def _prune(
    pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]],
    key_side: int,
    bound: NDArray[np.float64],
    k: int,
) -> int:
    """Keep the k best candidates of each key (ties by the other id); raise the keys' bounds.

    Replaces ``pool``'s content by one array triple sorted by key, score descending, other id;
    returns its size.
    """
    rows = np.concatenate([p[0] for p in pool])
    cols = np.concatenate([p[1] for p in pool])
    scores = np.concatenate([p[2] for p in pool])
    key = rows if key_side == 0 else cols
    above = scores >= bound[key]  # bounds rose since some were pooled
    rows, cols, scores, key = rows[above], cols[above], scores[above], key[above]
    other = cols if key_side == 0 else rows
    order = _best_order(key, other, scores)
    key_sorted = key[order]
    rank = _group_rank(key_sorted)
    kth = rank == k - 1
    at = key_sorted[kth]  # each key once
    bound[at] = np.maximum(bound[at], scores[order[kth]])
    keep = order[rank < k]
    pool[:] = [(rows[keep], cols[keep], scores[keep])]
    return len(keep)


def _bound_prune(
    pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]],
    key_side: int,
    bound: NDArray[np.float64],
    k: int,
    bins: int = 128,
) -> int:
    """Raise each key's bound from a histogram of its candidates' scores; drop those below.

    Linear time: if k candidates of a key score in bin b or above, the key's k-th best score is
    at least the bin's lower edge. Replaces ``pool``'s content; returns its new size.
    """
    rows = np.concatenate([p[0] for p in pool])
    cols = np.concatenate([p[1] for p in pool])
    scores = np.concatenate([p[2] for p in pool])
    key = rows if key_side == 0 else cols
    b = np.minimum((scores * bins).astype(np.intp), bins - 1)
    counts = np.bincount(key * bins + b, minlength=len(bound) * bins).reshape(len(bound), bins)
    above = counts[:, ::-1].cumsum(axis=1)  # candidates in this bin or higher, from the top
    enough = above[:, -1] >= k
    top_bin = bins - 1 - np.argmax(above >= k, axis=1)
    np.maximum(bound, np.where(enough, top_bin / bins, 0.0), out=bound)
    keep = scores >= bound[key]
    pool[:] = [(rows[keep], cols[keep], scores[keep])]
    return int(keep.sum())


@dataclass(eq=False)
class _Run:
    """State of one scoring run: running bounds, candidate pools, exclusion counts."""

    requests: RequestTable
    offers: OfferTable
    params: Params
    k_rows: int
    k_cols: int  # 0: no per-offer lists
    training: Training | None = None
    housing: Housing | None = None
    row_bound: NDArray[np.float64] = field(init=False)
    col_bound: NDArray[np.float64] = field(init=False)
    row_pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]] = field(default_factory=list)
    col_pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EXCLUSION_REASONS, 0))
    samples: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: {r: [] for r in EXCLUSION_REASONS}
    )
    reach: int = 0
    valid: NDArray[np.int64] = field(init=False)
    kernel: BlockKernel = field(init=False)

    group_pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]] = field(default_factory=list)
    col_size: int = 0

    def __post_init__(self) -> None:
        self.kernel = BlockKernel(
            self.requests, self.offers, self.params, TILE_ELEMENTS, self.training, self.housing
        )
        self.col_limit = POOL_PER_KEY * max(1, self.k_cols) * len(self.offers.ids) + POOL_SLACK
        self.row_bound = np.full(len(self.requests.ids), _TINY)
        self.col_bound = np.full(len(self.offers.ids), _TINY)
        self.valid = np.zeros(len(self.requests.ids), dtype=np.int64)

    def _sample(self, reason: str, mask: NDArray[np.bool_], rows: IntArray, cols: IntArray) -> None:
        have = self.samples[reason]
        if len(have) >= _SAMPLES:
            return
        flat = np.flatnonzero(mask)[: _SAMPLES - len(have)]
        nc = mask.shape[1]
        have.extend((int(rows[f // nc]), int(cols[f % nc])) for f in flat.tolist())

    def tile(self, rows: IntArray, cols: IntArray, metier: int, relocation_pass: bool) -> None:
        """Score one tile, count its exclusions, keep the candidates of both top-k lists."""

        def on_fail(reason: str, mask: NDArray[np.bool_], count: int) -> None:
            self.counts[reason] += count
            self._sample(reason, mask, rows, cols)

        want_beyond = len(self.samples["distance"]) < _SAMPLES
        scores, ok, reach, beyond = self.kernel.run(
            rows, cols, metier, relocation_pass, on_fail, want_beyond
        )
        self.reach += reach
        if len(self.samples["distance"]) < _SAMPLES and beyond.size:
            movers, has_beds = self.requests.accepts_relocation[rows], self.offers.has_beds[cols]
            if movers.any() and has_beds.any():
                beyond &= ~(movers[:, None] & has_beds[None, :])
            self._sample("distance", beyond, rows, cols)
        valid = np.count_nonzero(ok, axis=1)
        if not valid.any():
            return
        self.valid[rows] += valid
        self._select(scores, rows, cols)

    def _select(self, scores: NDArray[np.float64], rows: IntArray, cols: IntArray) -> None:
        """Pool the pairs of a tile that score at least their row's (column's) running bound,
        after raising the bounds with the tile's own k-th best."""
        mask = self.kernel.scratch((scores.shape[0], scores.shape[1]))
        kth = _kth_bound(scores, self.k_rows, axis=1)
        floor = self.row_bound[rows]
        if kth is not None:
            np.maximum(floor, kth, out=floor)
            self.row_bound[rows] = floor
        hit = np.flatnonzero(np.greater_equal(scores, floor[:, None], out=mask))
        hit_rows, hit_cols = np.divmod(hit, scores.shape[1])
        self.group_pool.append((rows[hit_rows], cols[hit_cols], scores[hit_rows, hit_cols]))
        if not self.k_cols:
            return
        kth = _kth_bound(scores, self.k_cols, axis=0)
        floor = self.col_bound[cols]
        if kth is not None:
            np.maximum(floor, kth, out=floor)
            self.col_bound[cols] = floor
        hit = np.flatnonzero(np.greater_equal(scores, floor[None, :], out=mask))
        hit_rows, hit_cols = np.divmod(hit, scores.shape[1])
        self.col_pool.append((rows[hit_rows], cols[hit_cols], scores[hit_rows, hit_cols]))
        self.col_size += len(hit_rows)
        if self.col_size > self.col_limit:
            self.col_size = _bound_prune(self.col_pool, 1, self.col_bound, self.k_cols)
            self.col_limit = max(self.col_limit, 2 * self.col_size)

    def run(
        self, rows: IntArray, cols: IntArray, radius: NDArray[np.float64], relocation_pass: bool
    ) -> None:
        requests, offers = self.requests, self.offers
        if relocation_pass:
            for m, metier_rows, metier_cols in _by_metier(requests, rows, offers, cols):
                for tile_rows, tile_cols in _tiles(metier_rows, metier_cols):
                    self.tile(tile_rows, tile_cols, m, relocation_pass)
            self._flush_group()
            return
        for block_rows, block_cols in _groups(requests, rows, offers, cols, radius):
            if len(block_rows) * len(block_cols) <= SPLIT_PAIRS:
                # Small block: one tile, métiers looked up; offers no row wants left out.
                wanted = np.count_nonzero(requests.metier_score[block_rows] > 0, axis=0) > 0
                block_cols = block_cols[wanted[offers.metier[block_cols]]]
                if len(block_cols):
                    self.tile(block_rows, block_cols, -1, relocation_pass)
            else:
                for m, metier_rows, metier_cols in _by_metier(
                    requests, block_rows, offers, block_cols
                ):
                    for tile_rows, tile_cols in _tiles(metier_rows, metier_cols):
                        self.tile(tile_rows, tile_cols, m, relocation_pass)
            self._flush_group()

    def _flush_group(self) -> None:
        """The rows of a finished group have all their candidates: keep their k best only."""
        if self.group_pool:
            if sum(len(p[0]) for p in self.group_pool) > 4 * self.k_rows * len(self.requests.ids):
                _bound_prune(self.group_pool, 0, self.row_bound, self.k_rows)  # linear, first
            _prune(self.group_pool, 0, self.row_bound, self.k_rows)
            self.row_pool.extend(self.group_pool)
            self.group_pool = []

    def execute(self, rows: IntArray | None = None, cols: IntArray | None = None) -> None:
        """Score every request (or those of ``rows``, sorted) against the offers with a place
        left (or those of ``cols``, sorted, with a place left)."""
        requests, offers = self.requests, self.offers
        if rows is None:
            rows = np.arange(len(requests.ids), dtype=np.intp)
        live = np.flatnonzero(offers.has_place).astype(np.intp)
        if cols is not None:
            live = cols[offers.has_place[cols]]
        self.run(rows, live, requests.max_km, relocation_pass=False)
        # Candidates who accept to move meet every offer with a bed, however far.
        movers = rows[requests.accepts_relocation[rows]]
        housed = live[offers.has_beds[live]]
        if len(movers) and len(housed):
            self.run(movers, housed, requests.max_km, relocation_pass=True)
        if len(movers) and len(housed) and self.row_pool:
            # Movers have candidates from both passes: merge them; the others are final.
            is_mover = np.zeros(len(requests.ids), dtype=bool)
            is_mover[movers] = True
            rows_all = np.concatenate([p[0] for p in self.row_pool])
            cols_all = np.concatenate([p[1] for p in self.row_pool])
            scores_all = np.concatenate([p[2] for p in self.row_pool])
            m = is_mover[rows_all]
            merged = [(rows_all[m], cols_all[m], scores_all[m])]
            _prune(merged, 0, self.row_bound, self.k_rows)
            self.row_pool = [(rows_all[~m], cols_all[~m], scores_all[~m]), *merged]

    def exclusions(self) -> Exclusions:
        """Count exclusions over every pair (analytic for métier, places and distance)."""
        requests, offers = self.requests, self.offers
        counts = dict(self.counts)
        compat_by_metier = (
            np.count_nonzero(requests.metier_score > 0, axis=0)
            if len(requests.ids)
            else np.zeros(requests.metier_score.shape[1], dtype=np.int64)
        )
        compat = compat_by_metier[offers.metier] if len(offers.ids) else np.zeros(0, dtype=np.int64)
        counts["metier"] = len(requests.ids) * len(offers.ids) - int(compat.sum())
        # An offer without a place counts under "places"; one with a place but whose tutor has
        # none left, under "tutor" (the reason that follows).
        tutor_full = offers.tutor_full
        no_place = ~offers.has_place if tutor_full is None else ~offers.has_place & ~tutor_full
        counts["places"] = int(compat[no_place].sum())
        counts["distance"] = int(compat[offers.has_place].sum()) - self.reach
        samples = {
            r: [(requests.ids[i], offers.ids[j]) for i, j in s] for r, s in self.samples.items()
        }
        samples["metier"] = self._metier_samples()
        samples["places"] = self._places_samples(no_place)
        if tutor_full is not None:
            counts["tutor"] = int(compat[tutor_full].sum())
            samples["tutor"] = self._places_samples(tutor_full)
        # Without centres, no pair can fail on training; without a minor or a night-work offer,
        # none on night work; without an offer naming a tutor, none on the tutor: such a reason
        # is not reported at all.
        night = bool(requests.minor.any() or offers.night_work.any())
        reasons = tuple(
            r
            for r in EXCLUSION_REASONS
            if (r != "training" or self.training is not None)
            and (r != "night" or night)
            and (r != "tutor" or tutor_full is not None)
        )
        ordered = {r: counts[r] for r in reasons}
        return Exclusions(ordered, {r: tuple(samples[r]) for r in reasons})

    def _metier_samples(self) -> list[tuple[str, str]]:
        requests, offers = self.requests, self.offers
        if not len(requests.ids) or not len(offers.ids):
            return []
        incompatible = requests.metier_score == 0
        first = np.argmax(incompatible, axis=0)
        has = incompatible.any(axis=0)
        js = [j for j in range(len(offers.ids)) if has[offers.metier[j]]][: 4 * _SAMPLES]
        pairs = sorted((int(first[offers.metier[j]]), j) for j in js)[:_SAMPLES]
        return [(requests.ids[i], offers.ids[j]) for i, j in pairs]

    def _places_samples(self, closed: NDArray[np.bool_]) -> list[tuple[str, str]]:
        """A few pairs of a compatible request and one of the ``closed`` offers."""
        requests, offers = self.requests, self.offers
        if not len(requests.ids):
            return []
        compatible = requests.metier_score > 0
        first = np.argmax(compatible, axis=0)
        has = np.count_nonzero(compatible, axis=0) > 0
        out = []
        for j in np.flatnonzero(closed).tolist():
            if has[offers.metier[j]]:
                out.append((requests.ids[int(first[offers.metier[j]])], offers.ids[j]))
                if len(out) == _SAMPLES:
                    break
        return out


def _top(
    pool: list[tuple[IntArray, IntArray, NDArray[np.float64]]],
    key_side: int,
    n_keys: int,
    k: int,
    bound: NDArray[np.float64] | None = None,
    presorted: bool = False,
) -> tuple[NDArray[np.intp], IntArray, IntArray, NDArray[np.float64]]:
    """Keep the k best of each key: (indptr, rows, cols, scores), score descending then id.

    ``bound``: per key, a lower bound of its k-th best score (candidates below it are dropped
    before sorting). ``presorted``: each key's candidates are already in order and at most k,
    only the keys need gathering.
    """
    if pool:
        rows = np.concatenate([p[0] for p in pool])
        cols = np.concatenate([p[1] for p in pool])
        scores = np.concatenate([p[2] for p in pool])
    else:
        rows = cols = np.zeros(0, dtype=np.intp)
        scores = np.zeros(0)
    if bound is not None and len(scores):
        keep = scores >= bound[rows if key_side == 0 else cols]
        rows, cols, scores = rows[keep], cols[keep], scores[keep]
    key, other = (rows, cols) if key_side == 0 else (cols, rows)
    if presorted:
        keep = np.argsort(key, kind="stable")
    else:
        order = _best_order(key, other, scores)
        keep = order[_group_rank(key[order]) < k]
    indptr = np.searchsorted(key[keep], np.arange(n_keys + 1)).astype(np.intp)
    return indptr, rows[keep], cols[keep], scores[keep]


class MatchLists(Mapping[str, list[Match]]):
    """A read-only mapping id -> list of matches, each list built on first access.

    Scores and order are settled by :func:`suggest`; only the :class:`Match` objects (criteria,
    French reasons) are made lazily, so a caller that reads a few lists pays for those only.
    """

    CHUNK = 256  # lists built together

    def __init__(
        self,
        ids: list[str],
        indptr: NDArray[np.intp],
        build: Callable[[int, int], list[Match]],
        ranked: tuple[list[str], IntArray, NDArray[np.float64]],
    ) -> None:
        self._ids = ids
        self._index = {i: n for n, i in enumerate(ids)}
        self._indptr = indptr
        self._build = build
        self._ranked = ranked  # the other side's ids, each entry's index there, its score
        self._cache: dict[str, list[Match]] = {}

    def __getitem__(self, key: str) -> list[Match]:
        cached = self._cache.get(key)
        if cached is None:
            # Build this list and the next ones in one go: reading them all stays cheap.
            n = self._index[key]
            last = min(len(self._ids), n + self.CHUNK)
            a, z = int(self._indptr[n]), int(self._indptr[last])
            built = self._build(a, z)
            for m in range(n, last):
                lo, hi = int(self._indptr[m]) - a, int(self._indptr[m + 1]) - a
                self._cache.setdefault(self._ids[m], built[lo:hi])
            cached = self._cache[key]
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

    def firsts(self) -> dict[str, tuple[str, float]]:
        """The first entry (other id, score) of every list that has one, by id, without
        building matches: what :meth:`ranked` gives first, for every list in one pass."""
        others, index, scores = self._ranked
        starts, ends = self._indptr[:-1], self._indptr[1:]
        held = np.flatnonzero(ends > starts)
        at = starts[held]
        return {
            self._ids[n]: (others[j], s)
            for n, j, s in zip(held.tolist(), index[at].tolist(), scores[at].tolist(), strict=True)
        }

    def ranked(self, key: str) -> list[tuple[str, float]]:
        """The list of ``key`` as (other id, score) pairs, in order, without building matches."""
        others, index, scores = self._ranked
        n = self._index[key]
        a, z = int(self._indptr[n]), int(self._indptr[n + 1])
        return [
            (others[j], s) for j, s in zip(index[a:z].tolist(), scores[a:z].tolist(), strict=True)
        ]


def widen(
    requests: RequestTable,
    offers: OfferTable,
    rows: IntArray,
    params: Params,
    training: Training | None = None,
    housing: Housing | None = None,
) -> dict[int, float | None]:
    """For requests without a match: the smallest widening step that would bring some."""
    steps = params.widening_steps_km
    n_min = params.widening_min_results
    out: dict[int, float | None] = {}
    if not len(rows):
        return out
    largest = steps[-1] if steps else 0.0
    # Requests that no live offer could take at any distance (métier, diploma) need no search.
    n_metiers = requests.metier_score.shape[1]
    # (Given centres and housing resources, an offer may be housed near a pair's centre.)
    far_beds = training is not None and housing is not None
    housing_fine = offers.has_place & (
        offers.has_beds | (not params.exclude_without_housing) | far_beds
    )
    offered = np.bincount(offers.metier[offers.has_place], minlength=n_metiers) > 0
    offered_housed = np.bincount(offers.metier[housing_fine], minlength=n_metiers) > 0
    entry = np.zeros(n_metiers, dtype=np.int64)
    entry[offers.metier] = offers.entry_level
    has_offer = np.where(
        requests.needs_housing[rows][:, None], offered_housed[None, :], offered[None, :]
    )
    feasible = (
        (requests.metier_score[rows] > 0)
        & has_offer
        & (requests.diploma_level[rows][:, None] >= entry[None, :])
    ).any(axis=1)
    hopeless = (requests.max_km[rows] >= largest) | ~feasible
    todo = rows[~hopeless]
    for i in rows[hopeless].tolist():
        out[i] = None
    if not len(todo):
        return out
    radius = np.full(len(requests.ids), float(largest))
    best = np.full((len(requests.ids), n_min), np.inf)
    live = np.flatnonzero(offers.has_place).astype(np.intp)
    for _m, metier_rows, metier_cols in _by_metier(requests, todo, offers, live):
        for block_rows, block_cols in _groups(requests, metier_rows, offers, metier_cols, radius):
            for tile_rows, tile_cols in _tiles(block_rows, block_cols):
                k = kernel(
                    requests,
                    tile_rows,
                    offers,
                    tile_cols,
                    params,
                    block=True,
                    radius=radius,
                    training=training if params.require_training or housing is not None else None,
                    housing=housing,
                )
                ok = k.compat & k.within
                for fail in (
                    k.f_diploma,
                    k.f_licence,
                    k.f_night,
                    k.f_date,
                    k.f_housing,
                    k.f_training,
                ):
                    if fail is not None:
                        ok &= ~fail
                D = np.where(ok, k.d, np.inf)
                if n_min == 1:
                    best[tile_rows, 0] = np.minimum(best[tile_rows, 0], D.min(axis=1))
                else:
                    merged = np.concatenate([best[tile_rows], D], axis=1)
                    best[tile_rows] = np.partition(merged, n_min - 1, axis=1)[:, :n_min]
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
    *,
    centres: Sequence[TrainingCentre] | None = None,
    housing: Sequence[HousingResource] | None = None,
    tutors: Sequence[Tutor] | None = None,
) -> Suggestions:
    """Return the best ``top_k`` offers of each request and requests of each offer.

    Lists are sorted by score descending, ties broken by id; exclusions are counted per reason;
    requests without any match get a widening hint. Inputs are not mutated and their order does
    not matter. Raises :class:`~matching.errors.InvalidInput` on duplicate ids or unknown codes.
    ``centres``: the training centres; each pair then gets its centre and the training
    criterion (:mod:`matching.training`). Without them, the results are those of three criteria.
    ``housing``: the housing resources; each pair of a request that needs housing then gets
    its source (on site, a resource near the offer, or near the pair's centre) and a graded
    housing criterion (:mod:`matching.housing`). Without them, the results are as before.
    ``tutors``: the maîtres d'apprentissage and their capacities (:mod:`matching.tutors`); an
    offer whose tutor has capacity 0 is then excluded (reason ``tutor``). Without them, an
    offer's ``tutor`` is ignored and the results are as before.
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise InvalidInput("must be an integer >= 1", record="suggest", field="top_k")
    request_table, offer_table, training, beds = scoring_tables(
        requests, offers, referential, params, centres, housing, tutors
    )
    run = _Run(
        request_table,
        offer_table,
        params,
        k_rows=top_k,
        k_cols=top_k,
        training=training,
        housing=beds,
    )
    run.execute()
    empty = np.flatnonzero(run.valid == 0).astype(np.intp)
    widening = {
        request_table.ids[i]: km
        for i, km in sorted(
            widen(request_table, offer_table, empty, params, training, beds).items()
        )
    }

    by_req = _top(run.row_pool, 0, len(request_table.ids), top_k, presorted=True)
    if sum(len(p[0]) for p in run.col_pool) > 2 * top_k * len(offer_table.ids):
        _bound_prune(run.col_pool, 1, run.col_bound, top_k)  # linear: shrinks the sort below
    by_off = _top(run.col_pool, 1, len(offer_table.ids), top_k, run.col_bound)

    def builder(rows: IntArray, cols: IntArray) -> Callable[[int, int], list[Match]]:
        def build(a: int, z: int) -> list[Match]:
            results = pair_results(
                request_table,
                rows[a:z],
                offer_table,
                cols[a:z],
                referential,
                params,
                training,
                housing=beds,
            )
            assert all(isinstance(m, Match) for m in results)
            return results  # type: ignore[return-value]

        return build

    return Suggestions(
        by_request=MatchLists(
            request_table.ids,
            by_req[0],
            builder(by_req[1], by_req[2]),
            (offer_table.ids, by_req[2], by_req[3]),
        ),
        by_offer=MatchLists(
            offer_table.ids,
            by_off[0],
            builder(by_off[1], by_off[2]),
            (request_table.ids, by_off[1], by_off[3]),
        ),
        excluded=run.exclusions(),
        widening=widening,
        top_k=top_k,
    )
