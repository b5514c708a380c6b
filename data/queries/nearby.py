"""Distances from a commune, measured the engine's way (``matching.distance_km``), and only there.

The database first keeps the rows whose commune lies in a latitude/longitude box that holds the
circle of the radius (it spares the database and Python the far rows); the engine's distance then
decides, for a whole batch of rows at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from data.models import Commune
from matching import distance_km
from matching.geo import EARTH_RADIUS_KM

__all__ = ["BOX_MARGIN", "communes_within", "distances_from", "measured", "within_box"]

#: How much wider than the circle on the mean sphere the box is drawn. On the WGS84 ellipsoid a
#: degree of latitude is at least 110.57 km (at the equator), 0.6 % less than on the sphere, and
#: a degree of longitude is longer (the ellipsoid's radius of curvature is at least its
#: semi-major axis): 2 % more never drops a row, whatever the rounding.
BOX_MARGIN = 1.02


def within_box(near: Commune, max_km: float) -> list[ColumnElement[bool]]:
    """Return conditions on :class:`Commune` keeping the box around ``near`` that holds the circle.

    Within ``max_km`` of ``near``, a point differs by at most delta = max_km / R in latitude and
    asin(sin delta / cos lat) in longitude (on the sphere; see :data:`BOX_MARGIN`).
    """
    delta = max_km / EARTH_RADIUS_KM * BOX_MARGIN
    dlat = math.degrees(delta)
    conditions: list[ColumnElement[bool]] = [
        Commune.latitude.between(near.latitude - dlat, near.latitude + dlat)
    ]
    ratio = math.sin(delta) / max(math.cos(math.radians(near.latitude)), 1e-12)
    if ratio < 1:  # else the circle reaches a pole: every longitude
        dlon = math.degrees(math.asin(ratio))
        conditions.append(Commune.longitude.between(near.longitude - dlon, near.longitude + dlon))
    return conditions


def distances_from(near: Commune, communes: list[tuple[float, float]]) -> list[float]:
    """Return the distance in km from ``near`` to each (latitude, longitude), the engine's way."""
    if not communes:
        return []
    points = np.asarray(communes, dtype=np.float64)
    km = distance_km(near.latitude, near.longitude, points[:, 0], points[:, 1])
    return [float(d) for d in km]


def measured(
    session: Session,
    stmt: Select[Any],
    key: InstrumentedAttribute[int],
    near: Commune,
    max_km: float | None,
) -> list[tuple[float, int]]:
    """Return (distance, ``key``) of the rows of ``stmt`` within ``max_km`` of ``near``.

    ``stmt`` must join :class:`Commune` (the place measured); the rows keep its order. Reads
    narrow rows (the key and coordinates), not the entities: the caller loads those it shows.
    """
    if max_km is not None:
        stmt = stmt.where(*within_box(near, max_km))
    rows = session.execute(stmt.with_only_columns(key, Commune.latitude, Commune.longitude)).all()
    km = distances_from(near, [(lat, lon) for _, lat, lon in rows])
    return [
        (d, row_key)
        for d, (row_key, _, _) in zip(km, rows, strict=True)
        if max_km is None or d <= max_km
    ]


def communes_within(session: Session, near: Commune, max_km: float) -> list[str]:
    """Return the INSEE codes of the communes within ``max_km`` of ``near`` (itself included).

    A list filtered on a territory keeps the rows placed in one of them: the communes are few
    and measured once, whatever the number of rows.
    """
    stmt = select(Commune.insee, Commune.latitude, Commune.longitude).where(
        *within_box(near, max_km)
    )
    rows = session.execute(stmt).all()
    km = distances_from(near, [(lat, lon) for _, lat, lon in rows])
    return sorted(insee for d, (insee, _, _) in zip(km, rows, strict=True) if d <= max_km)
