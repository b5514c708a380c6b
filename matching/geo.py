"""Distances on the WGS84 ellipsoid, vectorised.

The engine measures the straight chord between two points placed on the WGS84 ellipsoid
(earth-centred coordinates) and turns it into an arc length with the first term of the series
``arc = 2R asin(c / 2R) = c + c³ / (24 R²) + ...``. On the distances that matter here (up to a
thousand kilometres) this stays within 1e-4 of geopy's geodesic (Karney), costs a few additions
and multiplications per pair, and lets a 3-D grid of cells block pairs that are surely too far:
a chord is never longer than the arc.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ARC_K",
    "EARTH_RADIUS_KM",
    "to_ecef",
    "squared_chord",
    "chord_to_km",
    "distance_km",
]

#: WGS84 semi-major axis and flattening.
WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563
#: First eccentricity squared.
E2 = WGS84_F * (2 - WGS84_F)
#: Mean earth radius (IUGG), used only in the small chord-to-arc correction.
EARTH_RADIUS_KM = 6371.0088
#: The chord-to-arc correction's factor: arc = c · (1 + c² · ARC_K).
ARC_K = 1.0 / (24.0 * EARTH_RADIUS_KM * EARTH_RADIUS_KM)


def to_ecef(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Return earth-centred (x, y, z) coordinates in km, shape ``(..., 3)``, of points at height 0.

    >>> to_ecef(0.0, 0.0).round(3).tolist()
    [6378.137, 0.0, 0.0]
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    sin_phi, cos_phi = np.sin(phi), np.cos(phi)
    n = WGS84_A_KM / np.sqrt(1.0 - E2 * sin_phi * sin_phi)
    return np.stack(
        [n * cos_phi * np.cos(lam), n * cos_phi * np.sin(lam), n * (1.0 - E2) * sin_phi], axis=-1
    )


def squared_chord(
    a: NDArray[np.float64],
    b: NDArray[np.float64],
    out: NDArray[np.float64] | None = None,
    scratch: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Return the squared chords (km²) between earth-centred points, in [0, 4·a²].

    ``a`` and ``b`` hold the x, y and z coordinates on their first axis (``a[0]`` the x's...)
    and broadcast on the others: ``(3, k)`` against ``(3, k)`` for a list of pairs, ``(3, n, 1)``
    against ``(3, 1, m)`` for a block. ``out`` and ``scratch``, arrays of the result's shape,
    spare the allocations of the hot paths. This is the engine's only chord: every path runs
    the same operations in the same order, so a pair gets the same bits whichever way it is
    measured.

    >>> equator = to_ecef([0.0, 0.0], [0.0, 90.0]).T  # (3, 2): a quarter of a turn apart
    >>> round(float(squared_chord(equator[:, 0], equator[:, 1])), 3)  # 2·a²
    81361263.182
    """
    total: NDArray[np.float64] = np.subtract(a[0], b[0], out=out)
    total *= total
    for axis in (1, 2):
        term: NDArray[np.float64] = np.subtract(a[axis], b[axis], out=scratch)
        term *= term
        total += term
        if scratch is None and isinstance(term, np.ndarray) and term.shape == total.shape:
            scratch = term  # reuse the first term's buffer for the second
    return total


def chord_to_km(
    chord2: NDArray[np.float64],
    out: NDArray[np.float64] | None = None,
    scratch: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Turn squared chords (km²) into arc lengths (km): ``c · (1 + c² / 24R²)``, in [0, ∞).

    The same elementwise operations run for one pair and for a block of pairs, so a pair gets
    the same distance, to the last bit, whichever way it is computed. ``out`` (which may be
    ``chord2`` itself) and ``scratch`` spare the allocations of the hot paths.
    """
    factor: NDArray[np.float64] = np.multiply(chord2, ARC_K, out=scratch)
    factor += 1.0
    arc: NDArray[np.float64] = np.sqrt(chord2, out=out)
    arc *= factor
    return arc


def distance_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Return the distance in km between points, broadcasting like numpy; range [0, 20004].

    Within 0.01 % of geopy's geodesic up to 1,000 km (Bourg-en-Bresse to Oyonnax):

    >>> float(distance_km(46.2052, 5.2255, 46.2571, 5.6553).round(1))
    33.7
    """
    a = np.moveaxis(to_ecef(lat1, lon1), -1, 0)
    b = np.moveaxis(to_ecef(lat2, lon2), -1, 0)
    return chord_to_km(squared_chord(a, b))
