"""Where each request stands once the allocation is settled: the numbers its explanation gives.

* an assigned request's **rank** (:func:`ranks`): 1 + the compatible offers it ranks above the
  one it holds, counted exactly with a join bounded by its own score;
* an unassigned request's **compatible offers** (:func:`reach`): counted per ball of requests
  (one point, one radius) and class of offers, no pair scored; with them, first guesses of where
  its best offers lie, for :func:`~matching.allocation.best_offers.best_offers`;
* for a request with none, the **widening step** that would bring some (:func:`widening`);
* for a request with some, the requests that hold its best offers and rank above it
  (:func:`lost_to`).

Each is checked against brute force by the property tests (tests/matching/test_properties.py).
"""

from __future__ import annotations

import numpy as np

from ..arrays import F64, I64, Bools, IntArray
from ..grid import ranges
from ..pairs import OfferPoints, any_per_run, group_balls, near_groups
from ..tables import RequestTable
from . import tuning
from .best_offers import FirstRound, best_offers
from .levels import PreferenceLists
from .space import Space, in_parts, relocation_counts

__all__ = ["ranks", "reach", "widening", "lost_to", "holders_above", "Balls"]


# --- ranks of the assigned requests --------------------------------------------------------------


def ranks(space: Space, rows: IntArray, held_offer: IntArray, held_score: F64) -> I64:
    """1 + the number of compatible offers each row ranks above the one it holds."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)

    def count(part: slice, limit: int | None) -> I64:
        return _ranks_of(space, rows[part], held_offer, held_score, limit)

    return np.concatenate(in_parts(len(rows), count))


def _ranks_of(
    space: Space, rows: IntArray, held_offer: IntArray, held_score: F64, limit: int | None
) -> I64:
    n = len(space.requests.ids)
    entries = space.entries(rows, space.penalty_for(held_score[rows]))
    pair_rows, pair_cols, score, _d = space.within(
        entries.rows, space.open_offers, entries.radius, entries.wants, limit=limit
    )
    mine = held_score[pair_rows]
    better = (score > mine) | ((score == mine) & (pair_cols < held_offer[pair_rows]))
    count = np.bincount(pair_rows[better], minlength=n)[rows]
    # Relocation pairs beyond the join: a class of a related métier was joined within the
    # radius of its own entry, beyond which its pairs score its floor (or less than the row's
    # score, then they count for nothing).
    every_bed = entries.every_bed[: len(rows)]
    if every_bed.any():
        movers = rows[every_bed]
        is_mover = np.zeros(n, dtype=bool)
        is_mover[movers] = True
        sel = is_mover[pair_rows]
        found_rows, found_cols = pair_rows[sel], pair_cols[sel]
        position, cls, beyond_all = relocation_counts(space, movers, found_rows, found_cols, None)
        _, _, beyond_before = relocation_counts(
            space, movers, found_rows, found_cols, held_offer[movers]
        )
        floor = space.floor_scores(movers[position], cls)
        own = held_score[movers[position]]
        extra = np.where(floor > own, beyond_all, np.where(floor == own, beyond_before, 0))
        add = np.bincount(position, weights=extra, minlength=len(movers)).astype(np.int64)
        count[np.flatnonzero(every_bed)] += add
    ranked: I64 = 1 + count
    return ranked


# --- compatible offers, counted by ball, class and ring ------------------------------------------


class Balls:
    """Rows grouped in balls (one point, one radius), with what their rows accept.

    ``ball``: each row's ball; ``coords`` and ``radius``: per ball; ``order``: the rows in ball
    order, and ``start``: where each ball starts in it; ``accepts``: the rows' accepted classes
    in that order; ``mask``: the classes each ball's rows accept (balls x classes).
    """

    def __init__(self, space: Space, rows: IntArray, radius: F64) -> None:
        self.ball, self.coords, self.radius, self.order = group_balls(
            rows, space.request_points, radius
        )
        self.start = np.searchsorted(self.ball[self.order], np.arange(len(self.radius) + 1))
        self.accepts = space.accepts[rows[self.order]]
        self.mask = any_per_run(self.accepts, self.start[:-1])


def _near_groups(
    coords: F64, radius: F64, mask: Bools, groups: OfferPoints, limit: int | None = None
) -> tuple[IntArray, F64, I64]:
    """(ball, distance, offer group) for the groups within each ball's radius whose class one
    of the ball's rows accepts (:class:`~matching.pairs.TooManyPairs` beyond ``limit``)."""
    ball, group, distance = near_groups(coords, radius, mask, groups, limit)
    return ball, distance, group


def reach(
    space: Space, rows: IntArray, k: int, first: FirstRound | None = None
) -> tuple[I64, F64, F64]:
    """Per row: the number of offers it could take (valid pairs), and first guesses of where
    its k best offers lie.

    Offers are counted by ball (point and radius of requests), class and ring of distance, no
    pair scored. ``guess``: the distance penalty of the smallest ring holding k offers of the
    row's own métier (they all score above any pair beyond it), ``inf`` where its radius holds
    fewer. ``related``: for those rows (but candidates who accept to move), the smallest ring
    (a fraction of the radius) of offers of related métiers that, with the offers of its own
    métier scoring as much, makes k; ``inf`` where none does.

    ``first``: where to make, from the pairs counted, the first round of the search for the
    k best offers of the rows it may be made for (see :class:`.best_offers.FirstRound`).
    """
    counts = np.zeros(len(rows), dtype=np.int64)
    guess = np.full(len(rows), np.inf)
    related = np.full(len(rows), np.inf)
    if not len(rows) or not space.classes.n:
        return counts, guess, related
    balls = Balls(space, rows, space.requests.max_km[rows])
    groups = OfferPoints.build(space.open_offers, space.offer_points, space.classes.of)

    def count(part: slice, limit: int | None) -> None:
        _count_rings(space, rows, balls, groups, part, limit, k, (counts, guess, related), first)

    in_parts(len(balls.radius), count, tuning.BALLS_AT_ONCE)
    return counts, guess, related


def _count_rings(
    space: Space,
    rows: IntArray,
    balls: Balls,
    groups: OfferPoints,
    part: slice,
    limit: int | None,
    k: int,
    out: tuple[I64, F64, F64],
    first: FirstRound | None = None,
) -> None:
    """:func:`reach` for the balls ``part``: fills its three results for their rows (and
    ``first``)."""
    requests, classes, rings = space.requests, space.classes, tuning.RINGS
    counts, guess, related = out
    a, z = part.start, part.stop
    near = _near_groups(balls.coords[:, a:z], balls.radius[a:z], balls.mask[a:z], groups, limit)
    ball, distance, group = near
    fraction = np.divide(
        distance, balls.radius[a:z][ball], out=np.zeros(len(distance)), where=distance > 0
    )
    cell = ball * np.int64(classes.n) + groups.group_key[group]
    weight = groups.group_count[group]
    total = np.bincount(cell, weights=weight, minlength=(z - a) * classes.n)
    total = total.reshape(z - a, classes.n)
    sel = balls.order[balls.start[a] : balls.start[z]]
    ball_rows, local = rows[sel], balls.ball[sel] - a
    accepts = balls.accepts[balls.start[a] : balls.start[z]]
    anywhere = requests.accepts_relocation[ball_rows][:, None] & classes.has_beds[None, :]
    counts[sel] = (accepts * np.where(anywhere, classes.size[None, :], total[local])).sum(axis=1)
    cells = _Cells(cell, np.searchsorted(rings, fraction), weight, (z - a) * classes.n)
    own = _ring_counts(accepts & space.same_metier[ball_rows], local, cells)
    enough = own >= k
    ring = np.argmax(enough, axis=1)
    guess[sel] = np.where(enough[:, -1], rings[ring] * space.limit_penalty, np.inf)
    needy = ~enough[:, -1] & ~requests.accepts_relocation[ball_rows]
    if needy.any():
        # Own-métier offers as far as a related ring's offers score: the ring just inside.
        limit_penalty = space.limit_penalty
        as_far = np.minimum(1.0, (space.related_shift + rings * limit_penalty) / limit_penalty)
        inside = np.searchsorted(rings, as_far, side="right") - 1
        take = accepts & space.related_metier[ball_rows] & needy[:, None]
        enough = own[:, inside] + _ring_counts(take, local, cells) >= k
        enough &= needy[:, None]
        ring = np.argmax(enough, axis=1)
        related[sel] = np.where(enough[:, -1], rings[ring], np.inf)
    if first is not None:
        some = counts[sel] > 0
        near_groups_ = (ball, group, distance)
        first.add(
            ball_rows[some], guess[sel][some], related[sel][some], local[some], near_groups_, groups
        )


class _Cells:
    """The offer groups near some balls: their (ball, class) cell, ring and offer count."""

    def __init__(self, cell: I64, ring: IntArray, weight: I64, n_cells: int) -> None:
        self.cell, self.ring, self.weight, self.n_cells = cell, ring, weight, n_cells


def _ring_counts(take: Bools, local: IntArray, cells: _Cells) -> F64:
    """Per row, the offers of the classes ``take`` marks (rows x classes) within each ring,
    cumulated. ``local``: each row's ball. Rings are counted for the cells some row takes only,
    numbered compactly."""
    position, cls = np.nonzero(take)
    n_rings = len(tuning.RINGS)
    taken = np.zeros(cells.n_cells, dtype=bool)
    taken[local[position] * take.shape[1] + cls] = True
    number = np.cumsum(taken) - 1
    mine = taken[cells.cell]
    flat = number[cells.cell[mine]] * n_rings + cells.ring[mine]
    near = np.bincount(flat, weights=cells.weight[mine], minlength=int(taken.sum()) * n_rings)
    per_ring = np.zeros((len(take), n_rings))
    if len(position):
        runs = np.searchsorted(position, np.arange(len(take)))
        has = np.diff(np.append(runs, len(position))) > 0
        counted = near.reshape(-1, n_rings)[number[local[position] * take.shape[1] + cls]]
        per_ring[has] = np.add.reduceat(counted, runs[has], axis=0)
    cumulated: F64 = np.cumsum(per_ring, axis=1)
    return cumulated


# --- widening steps of the requests with no compatible offer -------------------------------------


def widening(space: Space, rows: IntArray) -> dict[int, float | None]:
    """For rows with no compatible offer: the smallest widening step (``Params``) within which
    ``widening_min_results`` offers would be compatible, ``None`` if none does.

    Step by step, offers are counted by point of the requests still without one and class, as
    :func:`reach` does; steps not beyond a row's own radius hold nothing for it.
    """
    requests, classes, params = space.requests, space.classes, space.params
    steps, n_min = params.widening_steps_km, params.widening_min_results
    out: dict[int, float | None] = dict.fromkeys(rows.tolist())
    largest = steps[-1] if steps else 0.0
    if not classes.n:
        return out
    pending = rows[(requests.max_km[rows] < largest) & space.accepts[rows].any(axis=1)]
    groups = OfferPoints.build(space.open_offers, space.offer_points, classes.of)

    def reached(todo: IntArray, step: float, limit: int | None) -> IntArray:
        """The rows of ``todo`` with ``n_min`` compatible offers within ``step`` km."""
        balls = Balls(space, todo, np.full(len(todo), float(step)))
        ball, _distance, group = _near_groups(balls.coords, balls.radius, balls.mask, groups, limit)
        near = np.bincount(
            ball * np.int64(classes.n) + groups.group_key[group],
            weights=groups.group_count[group],
            minlength=len(balls.radius) * classes.n,
        )
        near_by_row = near.reshape(len(balls.radius), classes.n)[balls.ball[balls.order]]
        count = (balls.accepts * near_by_row).sum(axis=1)
        enough: IntArray = todo[balls.order][count >= n_min]
        return enough

    for step in steps:
        todo = pending[requests.max_km[pending] < step]

        def within_step(
            part: slice, limit: int | None, todo: IntArray = todo, step: float = step
        ) -> IntArray:
            return reached(todo[part], step, limit)

        parts = in_parts(len(todo), within_step)
        done = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
        out.update(dict.fromkeys(done.tolist(), float(step)))
        pending = np.setdiff1d(pending, done, assume_unique=True)
    return out


# --- to whom an unassigned request lost its best offers ------------------------------------------


def lost_to(
    space: Space,
    rows: IntArray,
    held_offer: IntArray,
    held_score: F64,
    guess: F64,
    related_ring: F64,
    first: FirstRound | None = None,
) -> tuple[list[str], list[int]]:
    """For each row: up to MAX_LOST_TO requests holding its best offers and ranked above it.

    Its best offers in its order; each offer's holders best first (score, then id). Returns
    the ids of every row's holders, in row order, and where each row's start (and the end).
    """
    if not len(rows):
        return [], [0]
    best = best_offers(space, rows, tuning.MAX_LOST_TO, guess, related_ring, first)
    return holders_above(space.requests, len(space.offers.ids), rows, best, held_offer, held_score)


def holders_above(
    requests: RequestTable,
    n_offers: int,
    rows: IntArray,
    best: PreferenceLists,
    held_offer: IntArray,
    held_score: F64,
) -> tuple[list[str], list[int]]:
    """For each row: up to MAX_LOST_TO requests holding its ``best`` offers (lists over
    ``rows``, best first) and ranked above it; as :func:`lost_to` returns them."""
    k = tuning.MAX_LOST_TO
    # Holders of every offer, best first.
    assigned = np.flatnonzero(held_offer >= 0)
    order = np.lexsort((assigned, -held_score[assigned], held_offer[assigned]))
    holder_of_rank = assigned[order]
    holders_start = np.searchsorted(held_offer[holder_of_rank], np.arange(n_offers + 1))
    # (row, its k-th offer, a holder of it), in that order.
    position = np.repeat(np.arange(len(rows)), np.diff(best.start))
    per_offer = holders_start[best.offer + 1] - holders_start[best.offer]
    row_position = np.repeat(position, per_offer)
    holder = holder_of_rank[ranges(holders_start[best.offer], per_offer)]
    row_score = np.repeat(best.score, per_offer)
    row = rows[row_position]
    holder_score = held_score[holder]
    above = (holder_score > row_score) | ((holder_score == row_score) & (holder < row))
    row_position, holder = row_position[above], holder[above]
    # First occurrence of each holder per row, in order; then the first MAX_LOST_TO.
    key = row_position * np.int64(len(requests.ids)) + holder
    _, first = np.unique(key, return_index=True)
    first.sort()
    row_position, holder = row_position[first], holder[first]
    starts = np.searchsorted(row_position, row_position)
    keep = np.arange(len(row_position)) - starts < k
    row_position, holder = row_position[keep], holder[keep]
    bounds = np.searchsorted(row_position, np.arange(len(rows) + 1)).tolist()
    return np.asarray(requests.ids, dtype=object)[holder].tolist(), bounds
