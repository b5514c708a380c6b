"""The third place of a pair: the training centre, chosen and scored on arrays (issue 16).

An apprenticeship is three places: the candidate's home, the employer, the training centre.
Given ``centres``, the engine chooses the centre of each pair (request, offer):

1. the request's centre (``RequestIn.training_centre``) if the candidate is enrolled;
2. else the offer's partner centre (``OfferIn.training_centre``) if it has one;
3. else the best centre preparing the offer's métier by apprenticeship within
   ``p.training_max_km`` of the candidate's home: the highest ``s_training`` below, ties by
   the distance, then by the centre's id. None when no such centre is within reach.

The training criterion, in [0, 1] (``d``: home to centre, ``M = p.training_max_km``,
``f = p.training_score_at_limit``)::

    travel(d)  = 1 − (1 − f) · d / M      d ≤ M     (1 at 0 km, f at M km)
               = 0                        d > M
    fit(start) = 1                        an intake within p.training_intake_tolerance_days
                                          (τ) of the offer's start
               = max(0, 1 − (g − τ) / (Z − τ))  g: days from the start to the nearest
                                          intake, Z = p.training_intake_zero_days (0 at Z)
               = 1                        the offer has no start and the centre has an
                                          intake on or after p.training_reference_date
                                          (any intake, if that is None)
               = p.training_unknown_intake_score   no (upcoming) intake known
    s_training = travel(d) · fit          nearest and partner centres
               = travel(d)                the candidate's own centre (its intake fits: 1)
                 · p.training_other_centre_factor  when the offer's employer works with
                                          other centres but not with the candidate's
               = 0                        no centre

With centres the score is the weighted mean of the four criteria::

    score = (w_m·s_m + w_d·s_d + w_h·s_h + w_t·s_training) / (w_m + w_d + w_h + w_t)

computed with each weight's share among the four, the training term last (the same operations
in every path, so a pair gets the same bits in :func:`~matching.suggest`,
:func:`~matching.score_pair` and :func:`~matching.allocate`).
A candidate's own centre is always "reachable"; with ``p.require_training``, pairs whose
partner or nearest centre is missing or farther than M are excluded (reason ``training``).

>>> p = Params()
>>> float(travel_score(np.array(0.0), p)), float(travel_score(np.array(60.0), p))
(1.0, 0.25)
>>> float(travel_score(np.array(61.0), p))
0.0
>>> intake_fit(date(2027, 1, 5), (date(2027, 1, 12),), p)
(1.0, datetime.date(2027, 1, 12))
>>> round(intake_fit(date(2027, 1, 5), (date(2027, 9, 6),), p)[0], 4)
0.0
>>> round(intake_fit(date(2027, 1, 5), (date(2027, 4, 5),), p)[0], 4)
0.7143

How it is computed, without a Python loop over pairs: centres are grouped by métier, and each
offer group (métier, start) holds the intake fit of every centre of its métier. Requests share
homes (commune centroids), so :class:`Training` measures each distinct home once against the
centres of each métier it asks for (those within ``M`` only, through the engine's grid, when a
métier has many) and keeps a table: per home, a column per offer group (the nearest rule's
best ``travel · fit``) and one per (partner centre, group). A block of pairs then gathers its
homes' rows and its offers' columns; the candidates' own centres are measured once per
request. The hot path reads one more table, the weighted term ``a_t · s_training`` by (home or
enrolled request, column): one gather per block. Beyond :data:`NEAR_TABLE_MAX` entries the
blocks compute their own (memory bounded).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from .arrays import F64, I64, Bools, IntArray
from .errors import InvalidInput, UnknownMetier
from .geo import chord_to_km, squared_chord, to_ecef
from .grid import cell_blocks
from .model import TRAINING_SOURCES, Params, TrainingCentre, TrainingChoice
from .referential import MetierReferential
from .tables import NO_START, OfferTable, RequestTable, check_unique

__all__ = [
    "PairChoice",
    "NEAR_TABLE_MAX",
    "NEAR_ROWS",
    "GRID_CENTRES",
    "GRID_PAIRS",
    "BLOCK_TABLE_MAX",
    "Training",
    "travel_score",
    "intake_fit",
    "training_weights",
]

_NO_DAY = -1
Item = TypeVar("Item", bound=np.generic)
#: Largest (requests x offer groups) table of nearest-rule scores computed up front (8 bytes
#: each): beyond, each block computes its own.
NEAR_TABLE_MAX = 1 << 25
#: Requests measured against a métier's centres at once when filling that table.
NEAR_ROWS = 4096
#: Beyond this many centres of a métier, requests meet only those of the grid cells around,
#: unless there are at most GRID_PAIRS (home, centre) pairs: measuring them all is cheaper.
GRID_CENTRES = 64
GRID_PAIRS = 1 << 16
#: Largest table of weighted training terms by (home or enrolled request, column) built for
#: the hot path (8 bytes each); beyond, its blocks gather the tables above (:meth:`Training.block`).
BLOCK_TABLE_MAX = 1 << 23


def training_weights(params: Params) -> tuple[float, float]:
    """(factor of the three-criteria score, share of the training criterion); they sum to 1."""
    total = params.total_weight + params.weight_training
    return params.total_weight / total, params.weight_training / total


def travel_score(d: F64, params: Params) -> F64:
    """Return the travel score ``1 − (1 − f)·d/M`` for d ≤ M, 0 beyond; in [0, 1]."""
    k = (1.0 - params.training_score_at_limit) / params.training_max_km
    t = d * k
    # 0.0 beyond, never -0.0: a maximum over some centres or over all gives the same bits.
    score: F64 = np.where(d <= params.training_max_km, 1.0 - t, 0.0)
    return score


def intake_fit(
    start: date | None, intakes: Sequence[date], params: Params
) -> tuple[float, date | None]:
    """Return (fit in [0, 1], the intake that fits best) of a centre's intakes for a start.

    The best intake is the nearest to the start (ties: the earlier); without a start, the
    first on or after ``p.training_reference_date``. See the module's formula.
    """
    days = sorted({d.toordinal() for d in intakes})
    fit, day = _fit_days(None if start is None else start.toordinal(), days, params)
    return fit, (None if day == _NO_DAY else date.fromordinal(day))


def _fit_days(start: int | None, days: list[int], params: Params) -> tuple[float, int]:
    unknown = params.training_unknown_intake_score
    if not days:
        return unknown, _NO_DAY
    if start is None:
        ref = params.training_reference_date
        upcoming = [d for d in days if ref is None or d >= ref.toordinal()]
        return (1.0, upcoming[0]) if upcoming else (unknown, _NO_DAY)
    gaps = [abs(d - start) for d in days]
    best = min(range(len(days)), key=lambda n: (gaps[n], days[n]))
    tol, zero = params.training_intake_tolerance_days, params.training_intake_zero_days
    g = gaps[best]
    fit = 1.0 if g <= tol else max(0.0, 1.0 - (g - tol) / (zero - tol))
    return fit, days[best]


def _columns(table: NDArray[Item], wanted: IntArray, homes: IntArray) -> NDArray[Item]:
    """``table[wanted][:, homes]`` (a table by column: columns x homes), copying whole rows of
    the table when they are short, else the few distinct ones."""
    if table.shape[1] <= 4 * len(homes):
        return np.take(np.take(table, wanted, axis=0), homes, axis=1)
    distinct, spread = np.unique(wanted, return_inverse=True)
    sub = np.take(np.take(table, distinct, axis=0), homes, axis=1)
    return np.take(sub, spread.ravel(), axis=0)


def _distinct_rows(xyz: F64) -> tuple[IntArray, IntArray]:
    """(the distinct point of each row, a row of each distinct point) of ``(n, 3)`` points,
    numbered in sorted order as ``np.unique(xyz, axis=0)`` does, faster (one lexsort)."""
    order = np.lexsort((xyz[:, 2], xyz[:, 1], xyz[:, 0]))
    ordered = xyz[order]
    new = np.ones(len(order), dtype=bool)
    np.any(ordered[1:] != ordered[:-1], axis=1, out=new[1:])
    point_of = np.empty(len(order), dtype=np.intp)
    point_of[order] = np.cumsum(new) - 1
    first: IntArray = order[new].astype(np.intp)
    return point_of, first


def _known(index: dict[str, int], centre_id: str, record: str, field: str) -> int:
    """The position of a centre id, or InvalidInput naming the record and field."""
    k = index.get(centre_id)
    if k is None:
        raise InvalidInput(f"unknown training centre {centre_id!r}", record=record, field=field)
    return k


@dataclass(frozen=True, eq=False)
class _Group:
    """Offers of one métier and one start: the intake fit of each centre of the métier."""

    metier: int
    fit: F64  # (centres of the métier,)
    intake: I64  # day number of the best intake, or _NO_DAY


class Training:
    """The centres and the training inputs of the requests and offers, as arrays (internal).

    Built once per call from tables sorted by id; never mutated. Raises
    :class:`~matching.InvalidInput` for a duplicate centre id or a reference to an unknown
    centre, :class:`~matching.UnknownMetier` for a programme of an unknown métier.
    """

    def __init__(
        self,
        centres: Sequence[TrainingCentre],
        requests: RequestTable,
        offers: OfferTable,
        ref: MetierReferential,
        params: Params,
    ) -> None:
        for n, c in enumerate(centres):
            if not isinstance(c, TrainingCentre):
                raise InvalidInput("a TrainingCentre is required", record=f"centre #{n}")
        items = sorted(centres, key=lambda c: c.id)
        self.ids = [c.id for c in items]
        check_unique("centre", self.ids)
        self.items = items
        self.params = params
        _k_old, self.a_t = training_weights(params)
        total = params.total_weight + params.weight_training
        #: The shares of the métier, distance and housing weights among the four.
        self.shares = (
            params.weight_metier / total,
            params.weight_distance / total,
            params.weight_housing / total,
        )
        #: The métier criterion times its share among the four (the tables' is among three).
        self.weighted_metier_score = requests.metier_score * self.shares[0]
        n_centres = len(items)
        index = {c: k for k, c in enumerate(self.ids)}
        xyz = to_ecef([c.lat for c in items], [c.lon for c in items]).reshape(n_centres, 3)
        self.xyz = xyz
        self.coords = np.ascontiguousarray(xyz.T)
        # Programmes: (métier, centre) -> sorted intake day numbers.
        metier_index = self.metier_index = {code: m for m, code in enumerate(ref.codes)}
        self.intakes: dict[tuple[int, int], list[int]] = {}
        for k, c in enumerate(items):
            for prog in c.programmes:
                m = metier_index.get(prog.metier)
                if m is None:
                    raise UnknownMetier(
                        f"unknown métier code {prog.metier!r}",
                        record=f"centre {c.id}",
                        field="programmes",
                    )
                days = self.intakes.setdefault((m, k), [])
                days.extend(d.toordinal() for d in prog.intakes)
        for key, days in self.intakes.items():
            self.intakes[key] = sorted(set(days))
        n_metiers = len(ref.codes)
        self.metier_centres: list[IntArray] = [np.zeros(0, np.intp) for _ in range(n_metiers)]
        by_metier: dict[int, list[int]] = {}
        for m, k in sorted(self.intakes):
            by_metier.setdefault(m, []).append(k)
        for m, ks in by_metier.items():
            self.metier_centres[m] = np.array(ks, dtype=np.intp)
        # Requests: the candidate's own centre.
        self.enrolled = np.full(len(requests.ids), -1, dtype=np.intp)
        for i, r in enumerate(requests.items):
            centre_id = r.training_centre
            if centre_id is not None:
                self.enrolled[i] = _known(index, centre_id, f"request {r.id}", "training_centre")
        rows = np.flatnonzero(self.enrolled >= 0).astype(np.intp)
        self.enrolled_km = np.zeros(len(requests.ids))
        if len(rows):
            self.enrolled_km[rows] = chord_to_km(
                squared_chord(requests.coords[:, rows], self.coords[:, self.enrolled[rows]])
            )
        self.enrolled_travel = travel_score(self.enrolled_km, params)
        # Offers: partner centre, employer's centres, group (métier, start).
        n_offers = len(offers.ids)
        self.partner = np.full(n_offers, -1, dtype=np.intp)
        self.has_employer = np.zeros(n_offers, dtype=bool)
        keys: list[int] = []
        for j, o in enumerate(offers.items):
            if o.training_centre is not None:
                self.partner[j] = _known(
                    index, o.training_centre, f"offer {o.id}", "training_centre"
                )
            if o.employer_centres:
                self.has_employer[j] = True
                for centre_id in o.employer_centres:
                    k = _known(index, centre_id, f"offer {o.id}", "employer_centres")
                    keys.append(j * max(n_centres, 1) + k)
        # Groups (métier, start): the start is the latest start less the tolerance.
        latest = offers.latest_start
        start_day = np.where(latest == NO_START, NO_START, latest - params.start_tolerance_days)
        # Numbered in (métier, start) order, as np.unique(axis=0) of the pairs (slower).
        starts, day_of = np.unique(start_day, return_inverse=True)
        n_days = max(len(starts), 1)
        distinct, group = np.unique(
            offers.metier.astype(np.int64) * n_days + day_of.ravel(), return_inverse=True
        )
        self.group = group.ravel().astype(np.intp)
        group_keys: list[tuple[int, int | None]] = [
            (m, None if day == NO_START else day)
            for m, day in zip(
                (distinct // n_days).tolist(), starts[distinct % n_days].tolist(), strict=True
            )
        ]
        self.employer_keys = np.unique(np.array(keys, dtype=np.int64))
        # The same as a table (candidates' centres x offers: the employer works with it), when
        # small enough; else looked up in the sorted keys.
        used, self.enrolled_local = np.unique(self.enrolled, return_inverse=True)
        self.enrolled_local = self.enrolled_local.ravel().astype(np.intp)
        self.employer_table: Bools | None = None
        if len(used) * n_offers <= NEAR_TABLE_MAX:
            table = np.zeros((len(used), n_offers), dtype=bool)
            n = max(n_centres, 1)
            keyed_centre, keyed_offer = self.employer_keys % n, self.employer_keys // n
            if len(used) and len(keyed_centre):
                local = np.searchsorted(used, keyed_centre)
                at = np.minimum(local, len(used) - 1)
                known = (local < len(used)) & (used[at] == keyed_centre)
                table[local[known], keyed_offer[known]] = True
            self.employer_table = table
        self.groups = [self._group(m, start) for m, start in group_keys]
        self.starts = [start for _m, start in group_keys]
        # The partner's fit and intake, per offer.
        self.partner_fit = np.zeros(n_offers)
        self.partner_intake = np.full(n_offers, _NO_DAY, dtype=np.int64)
        for j in np.flatnonzero(self.partner >= 0).tolist():
            m, start = group_keys[self.group[j]]
            days = self.intakes.get((m, int(self.partner[j])), [])
            self.partner_fit[j], self.partner_intake[j] = _fit_days(start, days, params)
        self.offer_metier = offers.metier
        self.request_coords = requests.coords
        self._near_table(requests)
        self._weighted_table()

    def _near_table(self, requests: RequestTable) -> None:
        """The training scores of the offers' columns, per request, computed once.

        A column per offer group (the nearest-rule score: the best ``travel · fit`` over the
        centres of the group's métier) and one per (partner centre, offer group) of the offers
        with a partner (``travel · fit``); an offer's ``col_key`` names its column. Only the
        requests compatible with the column's métier are measured (the others never pair
        validly with its offers), against the centres within reach only (through the grid);
        beyond :data:`NEAR_TABLE_MAX` entries, partner columns (then every column) are left to
        :meth:`block`, which computes them per block.
        """
        # Requests share homes (commune centroids): the table is per distinct home.
        self.point_of, first_at = _distinct_rows(requests.xyz)
        point_xyz = requests.xyz[first_at]
        self.point_coords = np.ascontiguousarray(point_xyz.T)
        n_points, n_groups = len(first_at), len(self.groups)
        self.near_score: F64 | None = None
        self.near_reach: Bools | None = None
        self.partner_table: F64 | None = None
        self.partner_reach: Bools | None = None
        self.col_key = np.full(len(self.partner), -1, dtype=np.intp)
        self.some_untabled = True
        has = np.flatnonzero(self.partner >= 0)
        # Pairs by group, hence by métier: the columns a block of one métier reads are near.
        key = self.group[has] * np.int64(max(len(self.ids), 1)) + self.partner[has]
        pairs, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        pair_partner = self.partner[has][first]
        pair_group = self.group[has][first]
        pair_fit = self.partner_fit[has][first]
        width = n_groups + len(pairs)
        if n_points * width > NEAR_TABLE_MAX:
            width = n_groups
            if n_points * max(width, 1) > NEAR_TABLE_MAX:
                return
        # Stored by column (columns x homes): built column by column, gathered by block.
        table = np.zeros((width, n_points))
        reach = np.zeros((width, n_points), dtype=bool) if self.params.require_training else None
        group_metier = np.array([g.metier for g in self.groups], dtype=np.intp)
        tabled = width > n_groups
        pair_metier = group_metier[pair_group] if tabled else np.zeros(0, dtype=np.intp)
        max_km = self.params.training_max_km
        in_metier = np.zeros(len(self.ids), dtype=bool)
        wanted = np.zeros(n_points, dtype=bool)
        for m in np.unique(np.r_[group_metier, pair_metier]).tolist():
            ks = self.metier_centres[m]
            gs = np.flatnonzero(group_metier == m)
            mine = np.flatnonzero(pair_metier == m)
            partners = pair_partner[mine]
            in_metier[ks] = True
            own_partner = in_metier[partners]
            in_metier[ks] = False
            extra = np.unique(partners[~own_partner])
            candidates = np.r_[ks, extra].astype(np.intp)
            if not len(candidates):
                continue
            # Where each pair's partner stands among ``candidates``.
            position = np.where(
                own_partner,
                np.searchsorted(ks, partners),
                len(ks) + np.searchsorted(extra, partners),
            )
            rows = np.flatnonzero(requests.metier_score[:, m] > 0).astype(np.intp)
            wanted[:] = False
            wanted[self.point_of[rows]] = True
            homes = np.flatnonzero(wanted).astype(np.intp)
            everyone = np.arange(len(candidates), dtype=np.intp)
            for part, near in self._near_blocks(point_xyz, homes, everyone, candidates):
                d = chord_to_km(
                    squared_chord(
                        self.point_coords[:, part, None], self.coords[:, None, candidates[near]]
                    )
                )
                v = travel_score(d, self.params)
                own = near < len(ks)  # centres of the métier (``near`` is sorted: first)
                n_own = int(own.sum())
                for g in gs.tolist():
                    fit = self.groups[g].fit[near[:n_own]]
                    table[g, part] = (v[:, :n_own] * fit).max(axis=1) if n_own else 0.0
                    if reach is not None:
                        reach[g, part] = np.any(d[:, :n_own] <= max_km, axis=1)
                if len(mine):
                    # Where each pair's partner stands among ``near`` (absent: too far, 0).
                    at = np.searchsorted(near, position)
                    found = (at < len(near)) & (near[np.minimum(at, len(near) - 1)] == position)
                    columns = n_groups + mine[found]
                    cell = np.ix_(columns, part)
                    table[cell] = (v[:, at[found]] * pair_fit[mine[found]]).T
                    if reach is not None:
                        reach[cell] = (d[:, at[found]] <= max_km).T
        near_offers = self.partner < 0
        self.col_key[near_offers] = self.group[near_offers]
        self.some_untabled = not tabled and len(has) > 0
        if tabled:
            self.col_key[has] = n_groups + inverse.ravel()
        # Blocks read the group columns by home (homes x groups: one copy, transposed) and
        # the few partner columns they need as they are (columns x homes).
        self.near_score = np.ascontiguousarray(table[:n_groups].T)
        self.partner_table = table[n_groups:] if tabled else None
        self.near_reach = self.partner_reach = None
        if reach is not None:
            self.near_reach = np.ascontiguousarray(reach[:n_groups].T)
            self.partner_reach = reach[n_groups:] if tabled else None

    def _weighted_table(self) -> None:
        """The hot path's table: ``a_t · s_training`` by row key and column key, so that a
        block's training term is one gather (:meth:`add_weighted`).

        Row keys: a home (candidates not enrolled), or an enrolled request (its travel to its
        own centre); column keys: the offer's column of the tables above, or the offer's own
        when its employer works with centres (the enrolled rows' factor depends on the offer).
        The values are those :meth:`block` gathers or computes, times ``a_t``: the same
        operations, hence the same bits. Only with every column tabled and below
        :data:`BLOCK_TABLE_MAX` entries.
        """
        self.weighted: F64 | None = None
        self.row_base = self.column_key = np.zeros(0, dtype=np.intp)
        if self.near_score is None or self.some_untabled:
            return
        n_groups = len(self.groups)
        n_points = self.near_score.shape[0]
        width = n_groups + (0 if self.partner_table is None else self.partner_table.shape[0])
        employer = np.flatnonzero(self.has_employer).astype(np.intp)
        # By métier, as the other columns (see _near_table): a block reads short ranges.
        employer = employer[np.argsort(self.offer_metier[employer], kind="stable")]
        mine = np.flatnonzero(self.enrolled >= 0).astype(np.intp)
        n_rows, n_cols = n_points + len(mine), width + len(employer)
        if n_rows * n_cols > BLOCK_TABLE_MAX:
            return
        table = np.empty((n_rows, n_cols))
        table[:n_points, :n_groups] = self.near_score
        if self.partner_table is not None:
            table[:n_points, n_groups:width] = self.partner_table.T
        table[:n_points, width:] = table[:n_points, self.col_key[employer]]
        # travel · 1.0 is travel: the columns of offers whose employer names no centre.
        travel = self.enrolled_travel[mine][:, None]
        table[n_points:] = travel
        if len(mine) and len(employer):
            other = self._other_centre(mine, employer, True)
            table[n_points:, width:] = travel * np.where(
                other, self.params.training_other_centre_factor, 1.0
            )
        table *= self.a_t
        column_key = self.col_key.copy()
        column_key[employer] = width + np.arange(len(employer), dtype=np.intp)
        self.weighted = table.ravel()
        self.column_key = column_key
        row_key = self.point_of.copy()
        row_key[mine] = n_points + np.arange(len(mine), dtype=np.intp)
        self.row_base = row_key * n_cols

    def add_weighted(
        self, rows: IntArray, cols: IntArray, score: F64, index: IntArray, tmp: F64
    ) -> None:
        """``score += s_training · a_t`` for a block, from the weighted table (which must
        exist); ``index`` and ``tmp``: buffers of the block's shape."""
        assert self.weighted is not None
        np.add(self.row_base[rows][:, None], self.column_key[cols][None, :], out=index)
        np.take(self.weighted, index, out=tmp, mode="clip")
        np.add(score, tmp, out=score)

    def _near_blocks(
        self,
        homes_xyz: F64,
        rows: IntArray,
        cols: IntArray,
        centres: IntArray | None = None,
    ) -> Iterator[tuple[IntArray, IntArray]]:
        """Blocks (rows, cols) holding every pair of a row with a centre within
        ``training_max_km`` (``cols`` index ``centres``, all centres by default), at most
        :data:`NEAR_ROWS` rows each, ``cols`` sorted.

        Centres beyond ``training_max_km`` score 0 (the table's start), so with many centres
        each request meets those of the grid cells around its own only; with few, all.
        """
        if len(cols) <= GRID_CENTRES or len(rows) * len(cols) <= GRID_PAIRS:
            blocks: Iterator[tuple[IntArray, IntArray]] = iter([(rows, cols)])
        else:
            xyz = self.xyz if centres is None else self.xyz[centres]
            blocks = cell_blocks(homes_xyz, rows, xyz, cols, self.params.training_max_km)
        for part, near in blocks:
            near = np.sort(near)
            for a in range(0, len(part), NEAR_ROWS):
                yield part[a : a + NEAR_ROWS], near

    def _group(self, m: int, start: int | None) -> _Group:
        ks = self.metier_centres[m].tolist()
        fit = np.zeros(len(ks))
        intake = np.full(len(ks), _NO_DAY, dtype=np.int64)
        seen: dict[tuple[int, ...], tuple[float, int]] = {}  # centres share their intakes
        for n, k in enumerate(ks):
            days = tuple(self.intakes[(m, k)])
            got = seen.get(days)
            if got is None:
                got = seen[days] = _fit_days(start, list(days), self.params)
            fit[n], intake[n] = got
        return _Group(m, fit, intake)

    # --- distances ----------------------------------------------------------------------------

    def _km(self, rows: IntArray, centres: IntArray) -> F64:
        """(rows, centres) distances from the homes to the centres."""
        d: F64 = chord_to_km(
            squared_chord(self.request_coords[:, rows, None], self.coords[:, None, centres])
        )
        return d

    def _other_centre(self, rows: IntArray, cols: IntArray, block: bool) -> Bools:
        """The offer's employer works with centres, not with the candidate's (enrolled rows)."""
        has = self.has_employer[cols][None, :] if block else self.has_employer[cols]
        if self.employer_table is not None:
            local = self.enrolled_local[rows]
            works: Bools = (
                self.employer_table[local][:, cols] if block else self.employer_table[local, cols]
            )
            return has & ~works
        e = self.enrolled[rows]
        n = max(len(self.ids), 1)
        key = (cols[None, :] * n + e[:, None]) if block else (cols * n + e)
        pos = np.searchsorted(self.employer_keys, key)
        pos = np.minimum(pos, max(len(self.employer_keys) - 1, 0))
        member = (
            self.employer_keys[pos] == key if len(self.employer_keys) else np.zeros_like(key, bool)
        )
        other: Bools = has & ~member
        return other

    def _enrolled_score(self, rows: IntArray, cols: IntArray, block: bool) -> F64:
        """``travel · factor``: the factor is 1 (an exact product) but for the offers whose
        employer works with other centres, the only columns a block looks at."""
        if not block:
            factor = np.where(
                self._other_centre(rows, cols, False),
                self.params.training_other_centre_factor,
                1.0,
            )
            pairs: F64 = self.enrolled_travel[rows] * factor
            return pairs
        base = self.enrolled_travel[rows][:, None]
        score: F64 = np.repeat(base, len(cols), axis=1)
        some = np.flatnonzero(self.has_employer[cols])
        if len(some):
            other = self._other_centre(rows, cols[some], True)
            score[:, some] = base * np.where(other, self.params.training_other_centre_factor, 1.0)
        return score

    # --- a block: rows x cols -----------------------------------------------------------------

    def block(self, rows: IntArray, cols: IntArray, want_reach: bool) -> tuple[F64, Bools | None]:
        """(s_training, reachable or None) of a block of pairs, shape (len(rows), len(cols))."""
        reach: Bools | None = None
        key = self.col_key[cols]
        partner = self.partner[cols]
        if self.near_score is not None:
            # Every column from its group's column of the table (partner columns are
            # overwritten below): the homes' rows first (contiguous copies), then the columns.
            homes = self.point_of[rows]
            group = self.group[cols]
            s = np.take(np.take(self.near_score, homes, axis=0), group, axis=1)
            if want_reach and self.near_reach is not None:
                reach = np.take(np.take(self.near_reach, homes, axis=0), group, axis=1)
            tabled = np.flatnonzero(key >= len(self.groups))
            if len(tabled) and self.partner_table is not None:
                # The block's partner columns (their rows of the table: columns x homes).
                wanted = key[tabled] - len(self.groups)
                s[:, tabled] = _columns(self.partner_table, wanted, homes).T
                if reach is not None and self.partner_reach is not None:
                    reach[:, tabled] = _columns(self.partner_reach, wanted, homes).T
        else:
            s = np.zeros((len(rows), len(cols)))
            if want_reach:
                reach = np.zeros((len(rows), len(cols)), dtype=bool)
        near = np.flatnonzero(partner < 0) if self.near_score is None else cols[:0]
        if len(near) and len(rows):
            groups = self.group[cols[near]]
            unique, inverse = np.unique(groups, return_inverse=True)
            inverse = inverse.ravel()
            metiers = np.array([self.groups[g].metier for g in unique.tolist()], dtype=np.intp)
            for m in np.unique(metiers).tolist():
                ks = self.metier_centres[m]
                if not len(ks):
                    continue
                d = self._km(rows, ks)
                v = travel_score(d, self.params)
                for u in np.flatnonzero(metiers == m).tolist():
                    cut = near[inverse == u]
                    s[:, cut] = (v * self.groups[int(unique[u])].fit).max(axis=1)[:, None]
                    if reach is not None:
                        near_any = np.any(d <= self.params.training_max_km, axis=1)
                        reach[:, cut] = near_any[:, None]
        far = np.flatnonzero((key < 0) & (partner >= 0)) if self.some_untabled else cols[:0]
        if len(far) and len(rows):
            # Each distinct home against each distinct partner of the block, then spread.
            unique, inverse = np.unique(partner[far], return_inverse=True)
            homes, home_of = np.unique(self.point_of[rows], return_inverse=True)
            d = chord_to_km(
                squared_chord(
                    self.point_coords[:, homes, None], self.coords[:, None, unique.astype(np.intp)]
                )
            )
            spread = np.ix_(home_of.ravel(), inverse.ravel())
            s[:, far] = travel_score(d, self.params)[spread] * self.partner_fit[cols[far]]
            if reach is not None:
                reach[:, far] = (d <= self.params.training_max_km)[spread]
        mine = np.flatnonzero(self.enrolled[rows] >= 0)
        if len(mine) and len(cols):
            s[mine] = self._enrolled_score(rows[mine], cols, True)
            if reach is not None:
                reach[mine] = True
        return s, reach

    # --- a list of pairs ----------------------------------------------------------------------

    def pairs(self, rows: IntArray, cols: IntArray) -> PairChoice:
        """The choice of each pair (row i with column i): the same numbers as :meth:`block`."""
        n = len(rows)
        out = PairChoice(
            score=np.zeros(n),
            reach=np.zeros(n, dtype=bool),
            centre=np.full(n, -1, dtype=np.intp),
            km=np.zeros(n),
            intake=np.full(n, _NO_DAY, dtype=np.int64),
            source=np.full(n, -1, dtype=np.intp),
            other=np.zeros(n, dtype=bool),
        )
        if not n:
            return out
        enrolled = self.enrolled[rows]
        partner = self.partner[cols]
        near = np.flatnonzero((enrolled < 0) & (partner < 0))
        groups = self.group[cols[near]]
        metiers = self.offer_metier[cols[near]]
        max_km = self.params.training_max_km
        for m in np.unique(metiers).tolist():
            ks = self.metier_centres[m]
            if not len(ks):
                continue
            at = near[metiers == m]
            d = chord_to_km(
                squared_chord(self.request_coords[:, rows[at], None], self.coords[:, None, ks])
            )
            v = travel_score(d, self.params)
            g_of = groups[metiers == m]
            fit = np.stack([self.groups[g].fit for g in g_of.tolist()])
            intakes = np.stack([self.groups[g].intake for g in g_of.tolist()])
            scores = v * fit
            best = scores.max(axis=1)
            within = d <= max_km
            tie = (scores == best[:, None]) & within
            pick = np.argmin(np.where(tie, d, np.inf), axis=1)
            found = within.any(axis=1)
            line = np.arange(len(at))
            out.score[at] = best
            out.reach[at] = found
            out.centre[at] = np.where(found, ks[pick], -1)
            out.km[at] = d[line, pick]
            out.intake[at] = np.where(found, intakes[line, pick], _NO_DAY)
            out.source[at] = 2
        far = np.flatnonzero((enrolled < 0) & (partner >= 0))
        if len(far):
            d = chord_to_km(
                squared_chord(self.request_coords[:, rows[far]], self.coords[:, partner[far]])
            )
            out.score[far] = travel_score(d, self.params) * self.partner_fit[cols[far]]
            out.reach[far] = d <= max_km
            out.centre[far] = partner[far]
            out.km[far] = d
            out.intake[far] = self.partner_intake[cols[far]]
            out.source[far] = 1
        mine = np.flatnonzero(enrolled >= 0)
        if len(mine):
            out.score[mine] = self._enrolled_score(rows[mine], cols[mine], False)
            out.reach[mine] = True
            out.centre[mine] = enrolled[mine]
            out.km[mine] = self.enrolled_km[rows[mine]]
            out.other[mine] = self._other_centre(rows[mine], cols[mine], False)
            out.source[mine] = 0
            # The intake shown only (an enrolled candidate's fit is 1): a few pairs per list.
            for at, j in zip(mine.tolist(), cols[mine].tolist(), strict=True):
                start = self.starts[int(self.group[j])]
                days = self.intakes.get((int(self.offer_metier[j]), int(enrolled[at])), [])
                out.intake[at] = _fit_days(start, days, self.params)[1]
        return out

    def prepares(self, centre: int, metier: str) -> bool:
        """Whether the centre declares a programme of this métier."""
        m = self.metier_index.get(metier)
        return m is not None and (m, centre) in self.intakes

    def choice(self, picked: PairChoice, n: int) -> TrainingChoice | None:
        """The :class:`TrainingChoice` of pair ``n`` of :meth:`pairs`, or None."""
        k = int(picked.centre[n])
        if k < 0:
            return None
        c = self.items[k]
        day = int(picked.intake[n])
        return TrainingChoice(
            centre_id=c.id,
            name=c.name,
            commune=c.commune,
            distance_km=float(picked.km[n]),
            intake=None if day == _NO_DAY else date.fromordinal(day),
            source=TRAINING_SOURCES[int(picked.source[n])],
        )


@dataclass(frozen=True, eq=False)
class PairChoice:
    """The training of each pair of a list: score, reachable, centre, distance, intake, how."""

    score: F64
    reach: Bools
    centre: IntArray
    km: F64
    intake: I64
    source: IntArray
    other: Bools


def combine_training(score: F64, s_training: F64, training: Training) -> F64:
    """``score3' + s_training · a_t``: the score with the training criterion, ``score3'``
    the three other criteria weighted by their shares among the four (``training.shares``)."""
    out: F64 = score + s_training * training.a_t
    return out
