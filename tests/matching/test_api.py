"""The public API other packages code against (docs/engine_api contract)."""

from __future__ import annotations

import dataclasses

import pytest

import matching
from matching import (
    ENGINE_VERSION,
    InvalidInput,
    Match,
    MatchingError,
    MetierReferential,
    OfferIn,
    Params,
    RequestIn,
    suggest,
)

from .conftest import metier_records, offer, request

BOURG = (46.2052, 5.2255)


def test_public_names_are_exported() -> None:
    for name in (
        "MetierReferential",
        "Resolution",
        "OfferIn",
        "RequestIn",
        "Params",
        "Match",
        "Criterion",
        "Suggestions",
        "suggest",
        "score_pair",
        "ENGINE_VERSION",
        "MatchingError",
        "InvalidInput",
    ):
        assert name in matching.__all__
        assert hasattr(matching, name)
    assert isinstance(ENGINE_VERSION, str) and ENGINE_VERSION.count(".") == 2


def test_errors_inherit_the_builtin_they_mean() -> None:
    assert issubclass(InvalidInput, MatchingError)
    assert issubclass(InvalidInput, ValueError)


def test_referential_lookups(ref: MetierReferential) -> None:
    assert "aide-soignant" in ref.codes
    assert ref.label("aide-soignant") == "Aide-soignant"
    assert ref.label("aide-soignant", feminine=True) == "Aide-soignante"
    assert "accompagnant-educatif-social" in ref.related("aide-soignant")
    assert "aide-soignant" in ref.related("accompagnant-educatif-social")
    assert ref.entry_level_min("educateur-specialise") == 4
    with pytest.raises(KeyError):
        ref.label("boulanger")


def test_relations_are_symmetric(ref: MetierReferential) -> None:
    for code in ref.codes:
        assert code not in ref.related(code)
        for other in ref.related(code):
            assert code in ref.related(other)


def test_referential_rejects_unknown_related_code() -> None:
    records = metier_records()[:1]
    with pytest.raises(InvalidInput, match="related"):
        MetierReferential.from_records(records)


def test_inputs_are_frozen_and_validated() -> None:
    o = offer("o1", "aide-soignant", *BOURG)
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.places = 3  # type: ignore[misc]
    with pytest.raises(InvalidInput, match="offer o1, field places"):
        OfferIn("o1", "aide-soignant", *BOURG, places=-1)
    with pytest.raises(InvalidInput, match="field lat"):
        OfferIn("o1", "aide-soignant", 91.0, 5.0, places=1)
    with pytest.raises(InvalidInput, match="request r1, field max_km"):
        RequestIn("r1", ("aide-soignant",), *BOURG, max_km=-3)
    with pytest.raises(InvalidInput, match="field needs_housing"):
        RequestIn("r1", ("aide-soignant",), *BOURG, max_km=3, needs_housing=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="field id"):
        RequestIn("", ("aide-soignant",), *BOURG, max_km=3)


def test_params_are_validated() -> None:
    with pytest.raises(InvalidInput, match="weight_metier"):
        Params(weight_metier=0)
    with pytest.raises(InvalidInput, match="widening_steps_km"):
        Params(widening_steps_km=(50, 10))


def test_suggest_returns_matches_both_ways(ref: MetierReferential) -> None:
    reqs = [request("r1", "aide-soignant", *BOURG)]
    offs = [offer("o1", "aide-soignant", *BOURG), offer("o2", "educateur-specialise", *BOURG)]
    s = suggest(reqs, offs, ref)
    assert [m.offer_id for m in s.by_request["r1"]] == ["o1"]
    assert [m.request_id for m in s.by_offer["o1"]] == ["r1"]
    assert s.by_offer["o2"] == []
    m = s.by_request["r1"][0]
    assert isinstance(m, Match) and m.score == pytest.approx(1.0)
    assert set(m.criteria) == {"metier", "distance", "housing"}
    assert m.to_dict()["offer"] == "o1"
    assert s.excluded.counts["metier"] == 1


def test_suggest_rejects_duplicate_ids_and_unknown_codes(ref: MetierReferential) -> None:
    o = offer("o1", "aide-soignant", *BOURG)
    with pytest.raises(InvalidInput, match="offer o1, field id: duplicate"):
        suggest([], [o, o], ref)
    with pytest.raises(InvalidInput, match="request r1, field metiers"):
        suggest([request("r1", "boulanger", *BOURG)], [o], ref)
    with pytest.raises(InvalidInput, match="top_k"):
        suggest([], [o], ref, top_k=0)
