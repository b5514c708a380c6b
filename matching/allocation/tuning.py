"""The allocation's tunables: how it splits its work. None of them changes a result.

The property tests run the allocation with other values (one level, tiny joins, balls counted
two at a time...) and check that the result is the same; they patch this module, which the
other modules of the package read at call time.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LEVELS", "PAIRS_LIMIT", "MAX_LOST_TO", "RINGS", "BALLS_AT_ONCE", "JOIN_SLACK"]

#: The levels, as the distance penalty ``t`` (0 at the candidate's commune, ``1 - e`` at the
#: limit of the radius) a same-métier pair may have at most; ``inf``: every remaining pair.
LEVELS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0, float("inf"))
#: At most this many pairs in one join: beyond, a level is split in finer ones, and a
#: search is made for fewer requests at a time (memory stays bounded on dense data).
PAIRS_LIMIT = 1 << 23
#: At most this many request ids in an unassigned request's ``lost_to`` (this one is part of
#: the result: the length of that list).
MAX_LOST_TO = 10
#: Rings of distance (fractions of a request's radius, 2^(1/4) apart) that the search for an
#: unassigned request's best offers starts from.
RINGS = np.r_[0.0, 2.0 ** -np.arange(6.0, -0.25, -0.25)]
#: Balls (requests at one point with one radius) whose rings are counted at once.
BALLS_AT_ONCE = 4096
#: Relative slack of the join radii (their bounds are computed in floating point).
JOIN_SLACK = 1e-9
