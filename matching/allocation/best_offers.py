"""The k best compatible offers of some requests, found without scoring all their pairs.

An unassigned request's ``lost_to`` names the requests that hold its best offers; finding those
offers is a search outward from the request: join the offers within some distance penalty,
keep those that surely are among its k best, and double the penalty for the requests that do
not have k yet. :func:`~matching.allocation.standings.reach` gives each request a first guess
(the smallest ring holding k offers of its own métier) that is right for most, so most searches
take one join.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..arrays import F64, Bools, IntArray, Pairs, concat_pairs, no_pairs
from ..grid import ranges
from ..pairs import OfferPoints, distance_at
from ..scoring import pair_terms
from .levels import PreferenceLists, best_first
from .space import JoinEntries, Space, in_parts, relocation_counts

__all__ = ["best_offers", "FirstRound"]


def best_offers(
    space: Space,
    rows: IntArray,
    k: int,
    guess: F64,
    related_ring: F64,
    first: FirstRound | None = None,
) -> PreferenceLists:
    """The k best compatible offers of each of ``rows`` (lists over ``rows``), best first.

    Each row starts where ``guess`` says (a distance penalty) and doubles the penalty until k
    offers are surely its best (``inf``: every compatible offer at once). A row with too few
    offers of its own métier in reach (``guess`` is ``inf``) but a ring of related offers to
    start from (``related_ring``, a fraction of its radius) meets the related offers within that
    ring only, and the offers of its own métier that score as much; it doubles the ring. Within a
    group of offers at one point and of one class, all score the same for a row and rank by
    index: only the first k of a group can be among its k best, so the join takes no more.

    ``first``: the first round of some rows, made from the pairs that counted their offers
    (:meth:`FirstRound.add`); those rows go on from their second round, if they need one.
    """
    search = _Search(space, rows, k, guess, related_ring)
    found: list[Pairs] = []
    pending = rows
    if first is not None:
        found.append(first.pairs())
        tried, done = first.tried[rows], first.done[rows]
        search.widen(rows[tried & ~done])
        pending = rows[~done]
    while len(pending):
        results = in_parts(len(pending), partial(search.round, pending))
        found += [pairs for pairs, _done in results]
        done = np.concatenate([done for _pairs, done in results])
        pending = pending[~done]
        search.widen(pending)
    return _first_k(rows, concat_pairs(found), k)


class _Search:
    """Where each row's search stands: the distance penalty (and related ring) it reached."""

    def __init__(self, space: Space, rows: IntArray, k: int, guess: F64, related_ring: F64):
        self.space, self.k = space, k
        n = len(space.requests.ids)
        # t at the limit of the radius: beyond it, a search takes every pair at once.
        self.limit_penalty = space.limit_penalty
        self.penalty_of = np.zeros(n)
        self.penalty_of[rows] = np.where(guess >= self.limit_penalty, np.inf, guess)
        self.ring_of = np.full(n, np.inf)  # the related ring (a fraction of the radius), if any
        with_ring = (
            ~np.isfinite(self.penalty_of[rows])
            & np.isfinite(related_ring)
            & ~space.requests.accepts_relocation[rows]
        )
        self.ring_of[rows[with_ring]] = related_ring[with_ring]
        self.penalty_of[rows[with_ring]] = (
            space.related_shift + related_ring[with_ring] * self.limit_penalty
        )

    def round(self, among: IntArray, part: slice, limit: int | None) -> tuple[Pairs, Bools]:
        """The pairs of the rows ``among[part]`` that are surely among their best, and which
        of these rows have k."""
        space, k = self.space, self.k
        rows = among[part]
        position_of = np.zeros(len(space.requests.ids), dtype=np.intp)
        position_of[rows] = np.arange(len(rows))
        penalty = self.penalty_of[rows]
        threshold = space.threshold(penalty)
        entries = space.entries(rows, penalty)
        pair_rows, pair_cols, score, _d = space.within(
            entries.rows, space.open_offers, entries.radius, entries.wants, k, limit
        )
        parts = [(pair_rows, pair_cols, score)]
        every_bed = entries.every_bed[: len(rows)]
        if every_bed.any():
            related_radius, _ = space.radius(rows, np.maximum(penalty - space.related_shift, 0.0))
            radius = (entries.radius[: len(rows)], related_radius)
            parts.append(_floor_pairs(space, rows, every_bed, radius, pair_rows, pair_cols, k))
        pair_rows, pair_cols, score = concat_pairs(parts)
        at = position_of[pair_rows]
        certain = score >= threshold[at]
        pair_rows, pair_cols, score, at = (
            pair_rows[certain],
            pair_cols[certain],
            score[certain],
            at[certain],
        )
        done = (np.bincount(at, minlength=len(rows)) >= k) | ~np.isfinite(penalty)
        keep = done[at]
        return (pair_rows[keep], pair_cols[keep], score[keep]), done

    def widen(self, pending: IntArray) -> None:
        """Double the penalty (or the related ring) of the rows still without k offers."""
        grown = self.penalty_of[pending] * 2.0
        self.penalty_of[pending] = np.where(grown >= self.limit_penalty, np.inf, grown)
        ring = self.ring_of[pending] * 2.0
        wider = np.isfinite(ring)  # a row with a ring: a ring twice as wide, or every offer
        self.ring_of[pending[wider]] = np.where(ring[wider] >= 1.0, np.inf, ring[wider])
        self.penalty_of[pending[wider]] = np.where(
            ring[wider] >= 1.0, np.inf, self.space.related_shift + ring[wider] * self.limit_penalty
        )


class FirstRound:
    """The first round of the search of some rows, made from the pairs that counted their
    offers (:func:`~matching.allocation.standings.reach`) instead of a join of its own.

    Those pairs hold every group of offers (one point, one class) within a row's radius whose
    class one of the rows of its ball accepts, with its distance: all that the first round of
    :func:`best_offers` joins for a row that does not accept to move (for one who does, offers
    with a bed beyond the radius count too, and its first round is made by the search).
    """

    def __init__(self, space: Space, k: int) -> None:
        self.space, self.k = space, k
        n = len(space.requests.ids)
        self.tried = np.zeros(n, dtype=bool)
        self.done = np.zeros(n, dtype=bool)
        self.found: list[Pairs] = []

    def pairs(self) -> Pairs:
        """The pairs of the rows done (those their first round settles)."""
        return concat_pairs(self.found)

    def add(
        self,
        rows: IntArray,
        guess: F64,
        related_ring: F64,
        ball_of: IntArray,
        near: tuple[IntArray, IntArray, F64],
        groups: OfferPoints,
    ) -> None:
        """Make the first round of ``rows`` but those who accept to move, as the search would
        start it from ``guess`` and ``related_ring`` (see :class:`_Search`).

        ``ball_of``: each row's ball; ``near``: (ball, group, distance) of every group within
        the balls' radii (the rows' ``max_km``) whose class one of their rows accepts;
        ``groups``: those groups.
        """
        space, k = self.space, self.k
        requests = space.requests
        stay = ~requests.accepts_relocation[rows]
        rows, ball_of = rows[stay], ball_of[stay]
        if not len(rows):
            return
        search = _Search(space, rows, k, guess[stay], related_ring[stay])
        penalty = search.penalty_of[rows]
        self.tried[rows] = True
        position_of = np.zeros(len(requests.ids), dtype=np.intp)
        position_of[rows] = np.arange(len(rows))
        entries = space.entries(rows, penalty)
        pair_rows, pair_cols, score = self._pairs(
            entries, ball_of[position_of[entries.rows]], near, groups
        )
        row_at = position_of[pair_rows]
        certain = score >= space.threshold(penalty)[row_at]
        done = np.bincount(row_at[certain], minlength=len(rows)) >= k
        done |= ~np.isfinite(penalty)
        self.done[rows[done]] = True
        keep = certain & done[row_at]
        self.found.append((pair_rows[keep], pair_cols[keep], score[keep]))

    def _pairs(
        self,
        entries: JoinEntries,
        ball_of: IntArray,
        near: tuple[IntArray, IntArray, F64],
        groups: OfferPoints,
    ) -> Pairs:
        """The valid pairs of the entries (``ball_of``: each one's ball) within their radii,
        the first k offers of a group at most, from the groups ``near`` their balls."""
        space, classes = self.space, self.space.classes
        ball, group, d = near
        # (entry, class) items by (ball, class), then join radius descending (radii ranked).
        entry, cls = np.nonzero(entries.wants)
        if not len(entry) or not len(ball):
            return no_pairs()
        radii, rank = np.unique(entries.radius, return_inverse=True)
        n_radii = np.int64(len(radii))
        n_cells = (max(int(ball_of.max()), int(ball.max())) + 1) * classes.n
        item_cell = ball_of[entry] * np.int64(classes.n) + cls
        item_key = item_cell * n_radii + (n_radii - 1 - rank.ravel()[entry])
        by_key = np.argsort(item_key, kind="stable")
        item_key, item_row, item_cell = (
            item_key[by_key],
            entries.rows[entry[by_key]],
            item_cell[by_key],
        )
        # Per (ball, class): where its items start, and the widest radius among them.
        first = np.zeros(n_cells, dtype=np.intp)
        widest = np.full(n_cells, -np.inf)
        runs = np.flatnonzero(np.r_[True, item_cell[1:] != item_cell[:-1]])
        first[item_cell[runs]] = runs
        widest[item_cell[runs]] = entries.radius[entry[by_key[runs]]]
        # The groups within the widest radius of the items of their (ball, class).
        cell = ball * np.int64(classes.n) + groups.group_key[group]
        some = np.flatnonzero(d <= widest[cell])
        group, d, cell = group[some], d[some], cell[some]
        lo = first[cell]
        # Their items whose radius holds them: a prefix of those of their cell.
        need = np.searchsorted(radii, d)
        hi = np.searchsorted(item_key, cell * n_radii + (n_radii - 1 - need), side="right")
        at = np.repeat(np.arange(len(group)), hi - lo)
        pair_rows = item_row[ranges(lo, hi - lo)]
        # The first k offers of each group (one point, one class: they score alike).
        take = np.minimum(groups.group_count[group[at]], self.k)
        pair_cols = groups.members[ranges(groups.group_start[group[at]], take)]
        pair_rows, d = np.repeat(pair_rows, take), np.repeat(d[at], take)
        score, valid = pair_terms(
            space.requests, pair_rows, space.offers, pair_cols, d, space.params
        )
        return pair_rows[valid], pair_cols[valid], score[valid]


def _first_k(rows: IntArray, pairs: Pairs, k: int) -> PreferenceLists:
    """Each row's first k pairs, best first, as lists over ``rows``."""
    pair_rows, pair_cols, score = pairs
    order = best_first(pair_rows, pair_cols, score)
    pair_rows = pair_rows[order]
    if len(pair_rows):
        first = np.flatnonzero(np.r_[True, pair_rows[1:] != pair_rows[:-1]])
    else:
        first = np.zeros(0, np.intp)
    keep = ranges(first, np.minimum(np.diff(np.append(first, len(pair_rows))), k))
    top = order[keep]
    pair_rows, pair_cols, score = pair_rows[keep], pair_cols[top], score[top]
    start = np.searchsorted(np.searchsorted(rows, pair_rows), np.arange(len(rows) + 1))
    return PreferenceLists(start.astype(np.intp), pair_cols, score)


def _floor_pairs(
    space: Space,
    rows: IntArray,
    every_bed: Bools,
    radius: tuple[F64, F64],
    pair_rows: IntArray,
    pair_cols: IntArray,
    k: int,
) -> Pairs:
    """For movers: the offers of each bed class beyond their radius that may be among their
    k best.

    Beyond the radius, every offer of a class scores the relocation floor (within it, at least
    the floor), so they rank by id: those among a row's k best are in the class's first
    k + (members the join found within the radius). A join that kept only the first k offers
    of a group found fewer, but then that group alone holds k offers scoring at least as much.
    ``radius``: the join radii of each row, for the classes of its own métier and for those of
    a related one (see :meth:`Space.entries`).
    """
    requests, classes = space.requests, space.classes
    movers = rows[every_bed]
    is_mover = np.zeros(len(requests.ids), dtype=bool)
    is_mover[movers] = True
    mine = is_mover[pair_rows]
    position, cls, beyond_count = relocation_counts(
        space, movers, pair_rows[mine], pair_cols[mine], None
    )
    seen = classes.size[cls] - beyond_count  # members the join found within the radius
    take = np.minimum(classes.size[cls], k + seen)
    members = ranges(classes.start[cls], take)
    at = np.repeat(position, take)
    far_rows, far_cols = movers[at], classes.members[members]
    d = distance_at(requests.coords, far_rows, space.offers.coords, far_cols)
    own, related = radius[0][every_bed][at], radius[1][every_bed][at]
    beyond = d > np.where(space.same_metier[far_rows, classes.of[far_cols]], own, related)
    far_rows, far_cols, d = far_rows[beyond], far_cols[beyond], d[beyond]
    score, ok = pair_terms(requests, far_rows, space.offers, far_cols, d, space.params)
    return far_rows[ok], far_cols[ok], score[ok]
