"""Fixtures of the engine's tests: the shipped referential, and small builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matching import MetierReferential, OfferIn, RequestIn

ROOT = Path(__file__).resolve().parents[2]
METIERS_JSON = ROOT / "data" / "reference" / "metiers.json"


def metier_records() -> list[dict[str, Any]]:
    """The shipped referential's records."""
    with METIERS_JSON.open(encoding="utf-8") as f:
        return list(json.load(f)["metiers"])


@pytest.fixture(scope="session")
def ref() -> MetierReferential:
    """The shipped métier referential."""
    return MetierReferential.from_records(metier_records())


def offer(id: str, metier: str, lat: float, lon: float, places: int = 1, **kw: Any) -> OfferIn:
    """An offer with short positional arguments."""
    return OfferIn(id=id, metier=metier, lat=lat, lon=lon, places=places, **kw)


def request(
    id: str, metiers: tuple[str, ...] | str, lat: float, lon: float, max_km: float = 30, **kw: Any
) -> RequestIn:
    """A request with short positional arguments."""
    codes = (metiers,) if isinstance(metiers, str) else tuple(metiers)
    return RequestIn(id=id, metiers=codes, lat=lat, lon=lon, max_km=max_km, **kw)
