"""The engine's one spatial grid: earth-centred cubes, in bands of radius.

Points live in earth-centred coordinates (km, see :mod:`matching.geo`). A search for the points
within a radius of others puts both in cubic *cells* and looks only at the cells near each
other: since a chord is never longer than the arc, two points within ``r`` km of each other lie
in cells at most ``ceil(r / side)`` apart along each axis, so nothing within reach is missed.

Radii vary (5 km for some candidates, 80 for others, 0 for "the very same point"), so searches
go *band by band*: band ``b`` holds the radii up to ``base_km · factor**b`` and uses cells of
``base_km · factor**b / cells_per_radius`` km, whose neighbours within ``cells_per_radius``
cells along each axis hold every point in reach. :class:`Banding` is that rule; its two users
pick their numbers for what they do with a pair of cells:

* :func:`matching.engine.suggest` scores whole blocks (a cell's requests against the offers of
  the cells around): :data:`BLOCKS`, cells as wide as the band's radius, bands 2^(1/4) apart
  from 4 km, so the blocks are few and large enough to fill the scoring tiles;
* the allocation's joins (:func:`matching.pairs.near_pairs`) expand pairs one by one:
  :data:`JOINS`, cells half the radius wide, bands 2^(1/2) apart from 0.5 km (its levels join
  at small radii), so fewer candidate pairs are made (125 cells of r/2 cover less volume than
  27 of r).

A cell's key packs its three integer coordinates in one int64, z in the lowest bits; the cells of
a *column* (same x and y, consecutive z) have consecutive keys, so a sorted array of keys finds
a column's occupied cells with two ``searchsorted``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .arrays import F64, I64, IntArray

__all__ = [
    "Banding",
    "BLOCKS",
    "JOINS",
    "KEYED",
    "cell_keys",
    "cell_blocks",
    "occupied_cells",
    "neighbour_cells",
    "STRIDES",
    "ranges",
]

#: Bits per axis in a cell key, and the offset that keeps every cell coordinate positive.
AXIS_BITS = np.int64(21)
AXIS_BIAS = np.int64(1 << 20)


@dataclass(frozen=True)
class Banding:
    """Bands of radius, and the cell side of each: see the module's docstring."""

    #: Radius of band 0 (smaller radii go there too).
    base_km: float
    #: Each band's radius is this times the previous one's.
    factor: float
    #: Cells per band radius; also how many cells around a cell hold every point in reach.
    cells_per_radius: int

    def bands(self, radius: F64) -> I64:
        """Return the band of each radius (>= 0): the first whose radius is at least it."""
        ratio = np.maximum(radius, self.base_km) / self.base_km
        band: I64 = np.ceil(np.log(ratio) / np.log(self.factor)).astype(np.int64)
        band += radius > self.base_km * self.factor**band  # rounding never shrinks a band
        return band

    def cell_km(self, band: int) -> float:
        """Return the side of the cells of ``band``, in km."""
        return float(self.base_km * self.factor**band / self.cells_per_radius)


#: The grid of :func:`matching.engine.suggest`'s blocks.
BLOCKS = Banding(base_km=4.0, factor=2**0.25, cells_per_radius=1)
#: The grid of the allocation's joins (:func:`matching.pairs.near_pairs`).
JOINS = Banding(base_km=0.5, factor=2**0.5, cells_per_radius=2)
#: The grid of the allocation's joins made per key (:func:`matching.pairs.near_groups`).
KEYED = Banding(base_km=0.5, factor=2**0.5, cells_per_radius=1)


def cell_keys(xyz: F64, cell_km: float) -> I64:
    """Return the key of the cell of each point; ``xyz`` is ``(n, 3)``, earth-centred km."""
    ijk = np.floor(xyz / cell_km).astype(np.int64) + AXIS_BIAS
    keys: I64 = (ijk[:, 0] << (2 * AXIS_BITS)) + (ijk[:, 1] << AXIS_BITS) + ijk[:, 2]
    return keys


def occupied_cells(keys: I64) -> tuple[I64, I64, IntArray]:
    """Return the distinct keys (sorted), where each cell's items start (and the end), and the
    items in that order (by key, then index)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    if len(sorted_keys):
        new = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    else:
        new = np.zeros(0, dtype=bool)
    first = np.flatnonzero(new)
    return sorted_keys[first], np.append(first, len(sorted_keys)).astype(np.int64), order


#: Key strides of a cell's x and y coordinates (z's is 1), as :func:`cell_keys` packs them.
STRIDES = (1 << (2 * int(AXIS_BITS)), 1 << int(AXIS_BITS))


def _column_offsets(reach: int, strides: tuple[int, int]) -> I64:
    """Key offsets of the columns of cells within ``reach`` of a cell (x and y only)."""
    span = range(-reach, reach + 1)
    return np.array([dx * strides[0] + dy * strides[1] for dx in span for dy in span], np.int64)


def neighbour_cells(
    probe: I64, target: I64, reach: int, strides: tuple[int, int] = STRIDES
) -> tuple[I64, I64]:
    """Every (probe cell, target cell) at most ``reach`` cells apart along each axis.

    ``probe`` and ``target`` are sorted distinct keys. Returns their indices, by probe cell,
    then target key: one range of ``target`` per column of cells around each probe cell.
    ``strides``: how keys pack the x and y coordinates (z's stride is 1); no coordinate may
    wrap within ``reach`` of an occupied cell (see :func:`cell_keys` and
    :func:`matching.pairs.near_groups`).
    """
    columns = _column_offsets(reach, strides)
    column = (probe[:, None] + columns[None, :]).ravel()
    lo = np.searchsorted(target, column - reach)
    found = np.searchsorted(target, column + reach, side="right") - lo
    probe_index = np.repeat(np.arange(len(column)) // len(columns), found)
    return probe_index, ranges(lo, found)


def ranges(starts: I64, lengths: I64) -> I64:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, without a loop."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    out: I64 = np.repeat(starts - (ends - lengths), lengths) + np.arange(total)
    return out


def cell_blocks(
    row_xyz: F64, rows: IntArray, col_xyz: F64, cols: IntArray, cell: float, reach: int = 1
) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield each cell's rows with the columns of the cells around it (``reach`` cells along
    each axis), cell by cell: every (row, column) pair within ``cell · reach`` km is in
    exactly one block. ``row_xyz`` and ``col_xyz``: the earth-centred points, ``(n, 3)``."""
    request_keys, request_bounds, by_cell = occupied_cells(cell_keys(row_xyz[rows], cell))
    offer_keys, offer_bounds, offer_order = occupied_cells(cell_keys(col_xyz[cols], cell))
    near_request, near_offer = neighbour_cells(request_keys, offer_keys, reach)
    # Every cell's columns at once: ranges of the columns sorted by cell, concatenated.
    per_cell = offer_bounds[near_offer + 1] - offer_bounds[near_offer]
    col_lists = cols[offer_order[ranges(offer_bounds[near_offer], per_cell)]]
    first_pair = np.searchsorted(near_request, np.arange(len(request_keys) + 1))
    col_bounds = np.r_[0, np.cumsum(per_cell)][first_pair]
    for u in range(len(request_keys)):
        a, z = int(col_bounds[u]), int(col_bounds[u + 1])
        if z > a:
            yield rows[by_cell[request_bounds[u] : request_bounds[u + 1]]], col_lists[a:z]
