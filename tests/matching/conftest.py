"""Fixtures of the engine's tests: the shipped referential, and small builders."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import matching.engine as engine
import matching.grid as grid
from matching import Match, MetierReferential, OfferIn, RequestIn, Suggestions

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


# Real communes of the Ain (INSEE code -> centroid), from data/reference/communes.csv.
AIN = {
    "01053": ("Bourg-en-Bresse", 46.20503, 5.24556),
    "01283": ("Oyonnax", 46.26113, 5.65258),
    "01004": ("Ambérieu-en-Bugey", 45.96104, 5.37229),
    "01034": ("Belley", 45.74984, 5.68399),
    "01173": ("Gex", 46.34729, 6.04625),
    "01033": ("Valserhône", 46.12413, 5.79649),
}


def at(insee: str) -> tuple[float, float]:
    """Latitude and longitude of an Ain commune of :data:`AIN`."""
    _, lat, lon = AIN[insee]
    return lat, lon


#: The shipped referential, its codes, the communes of :data:`AIN`, for property tests.
REF = MetierReferential.from_records(metier_records())
CODES = list(REF.codes)
PLACES = [(lat, lon) for _, lat, lon in AIN.values()]
#: Hypothesis settings of the engine's property tests (fixtures are reset by hand).
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: A point: an Ain commune (many records at the very same point), or anywhere around.
place = st.one_of(
    st.sampled_from(PLACES),
    st.tuples(st.floats(45.6, 46.5), st.floats(4.8, 6.1)),
)


def assert_brute_force_lists(
    s: Suggestions,
    results: Iterable[object],
    reqs: list[RequestIn],
    offs: list[OfferIn],
    k: int,
) -> None:
    """Assert that ``s`` lists the ``k`` best matches of ``results`` (every pair scored on
    its own) both ways: score descending, ties by id."""
    matches = [m for m in results if isinstance(m, Match)]
    for r in reqs:
        want = sorted(
            (m for m in matches if m.request_id == r.id), key=lambda m: (-m.score, m.offer_id)
        )
        assert s.by_request[r.id] == want[:k]
    for o in offs:
        want = sorted(
            (m for m in matches if m.offer_id == o.id), key=lambda m: (-m.score, m.request_id)
        )
        assert s.by_offer[o.id] == want[:k]


@pytest.fixture(params=["dense", "blocked"])
def blocking(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each property twice: as is, and with every blocking and pruning path forced."""
    if request.param == "blocked":
        monkeypatch.setattr(engine, "DENSE_PAIRS", 0)
        monkeypatch.setattr(engine, "SPLIT_PAIRS", 8)
        monkeypatch.setattr(engine, "TILE_ELEMENTS", 24)
        monkeypatch.setattr(engine, "POOL_PER_KEY", 0)
        monkeypatch.setattr(engine, "POOL_SLACK", 0)
        monkeypatch.setattr(engine, "GRID", dataclasses.replace(grid.BLOCKS, base_km=2.0))
    return request.param


@pytest.fixture(params=["long lists", "short lists"])
def lists(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the scored allocation (centres, housing resources, binding tutors) with its lists
    as they are, and with lists of one offer at first (requests turned down get longer ones,
    the greedy runs again)."""
    if request.param == "short lists":
        import matching.allocation.scored as scored
        import matching.allocation.tuning as tuning

        monkeypatch.setattr(scored, "LIST_LENGTH", 1)
        monkeypatch.setattr(tuning, "MAX_LOST_TO", 1)
    return request.param
