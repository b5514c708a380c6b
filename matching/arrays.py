"""The array types the engine passes around, named by what they hold, and lists of pairs.

Rows are requests and columns offers, by their position in id order (see
:mod:`matching.tables`); a list of pairs is three arrays of one length: the rows, the columns,
and a number per pair (a score, or a distance).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["IntArray", "I64", "F64", "Bools", "Masks", "Pairs", "no_pairs", "concat_pairs"]

#: Indices: request rows, offer columns, positions.
IntArray = NDArray[np.intp]
#: Counts, day numbers, cell keys.
I64 = NDArray[np.int64]
#: Kilometres, scores, penalties.
F64 = NDArray[np.float64]
#: Masks: one flag per item or per pair.
Bools = NDArray[np.bool_]
#: Bit sets, one row of 64-bit words per item (see :func:`matching.pairs.pack`).
Masks = NDArray[np.uint64]
#: A list of pairs: (rows, columns, a number per pair).
Pairs = tuple[IntArray, IntArray, F64]


def no_pairs() -> Pairs:
    """Return an empty list of pairs."""
    none = np.zeros(0, dtype=np.intp)
    return none, none, np.zeros(0)


def concat_pairs(parts: list[Pairs]) -> Pairs:
    """Return the lists of pairs one after the other."""
    if not parts:
        return no_pairs()
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )
