"""``python -m matching``'s output (issue 21): fast, and the same data however it is written.

The command line writes with orjson when it is installed, else with the standard library's
encoder; compact by default, indented with ``--indent``. Each pair listed both ways (in its
request's list and its offer's) is written once and shown twice. Every way must print what the
previous implementation printed (each match's ``to_dict`` without the list's own id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import DEFAULT_PARAMS, Match, MetierReferential, OfferIn, RequestIn, cli, suggest
from matching.explanations import ListedPairs, pair_results, rounded
from matching.model import Suggestions
from matching.tables import prepare_tables

from . import test_training, test_tutors


def load_referential() -> MetierReferential:
    """The shipped referential, as the command line reads it."""
    path = cli.shipped_reference("metiers.json")
    assert path is not None
    return cli.load_referential(path)


GOLDEN = Path(__file__).resolve().parent / "golden"
ENCODERS = ["orjson", "stdlib"]

#: name -> the command line's arguments (input files under golden/ or written by the test).
CASES: dict[str, list[str]] = {
    "small-suggest": [
        "suggest",
        "--offers",
        "small-offers.json",
        "--requests",
        "small-requests.json",
    ],
    "small-allocate": [
        "allocate",
        "--offers",
        "small-offers.json",
        "--requests",
        "small-requests.json",
    ],
    "ain-suggest": [
        "suggest",
        "--offers",
        "ain-offers.json",
        "--requests",
        "ain-requests.json",
        "--top",
        "5",
    ],
    "housing-suggest": [
        "suggest",
        "--offers",
        "housing-offers.json",
        "--requests",
        "housing-requests.json",
        "--housing",
        "housing-resources.json",
    ],
    "training-suggest": [
        "suggest",
        "--offers",
        "o.json",
        "--requests",
        "r.json",
        "--training",
        "t.json",
    ],
    "tutors-suggest": [
        "suggest",
        "--offers",
        "o.json",
        "--requests",
        "r.json",
        "--tutors",
        "t.json",
    ],
}
#: The inputs that the test writes (o.json, r.json, t.json), by case.
WRITTEN: dict[str, tuple[Any, Any, Any]] = {
    "training-suggest": (test_training.OFFERS, test_training.REQUESTS, test_training.CENTRES),
    "tutors-suggest": (
        [
            *test_tutors.OFFERS,
            {"id": "o3", "metier": "aide-soignant", "commune": "01053", "places": 1, "tutor": "t2"},
            {"id": "o4", "metier": "aide-soignant", "commune": "01004", "places": 2},
        ],
        test_tutors.REQUESTS,
        [{"id": "t1", "capacity": 1}, {"id": "t2", "capacity": 0}],
    ),
}


def _argv(case: str, tmp_path: Path) -> list[str]:
    folder = GOLDEN
    if case in WRITTEN:
        for name, data in zip(("o.json", "r.json", "t.json"), WRITTEN[case], strict=True):
            (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
        folder = tmp_path
    return [str(folder / a) if a.endswith(".json") else a for a in CASES[case]]


def _use(encoder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if encoder == "orjson":
        pytest.importorskip("orjson")
        assert cli._orjson is not None
    else:
        monkeypatch.setattr(cli, "_orjson", None)


def _print(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _previous(s: Suggestions, listed: object = None) -> dict[str, Any]:
    """The lists as the command line wrote them before issue 21 (from the matches)."""

    def entry(match: dict[str, Any], drop: str) -> dict[str, Any]:
        return {k: v for k, v in match.items() if k != drop}

    return {
        "requests": {
            rid: [entry(m.to_dict(), "request") for m in s.by_request[rid]] for rid in s.by_request
        },
        "offers": {
            oid: [entry(m.to_dict(), "offer") for m in s.by_offer[oid]] for oid in s.by_offer
        },
    }


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_way_prints_what_the_previous_implementation_printed(
    case: str,
    encoder: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(encoder, monkeypatch)
    argv = _argv(case, tmp_path)
    compact = _print(argv, capsys)
    indented = _print([*argv, "--indent", "2"], capsys)
    by_three = _print([*argv, "--indent", "3"], capsys)
    monkeypatch.setattr(cli, "_suggestions", _previous)
    assert _print(argv, capsys) == compact  # same keys, values and order: same text
    assert _print([*argv, "--indent", "2"], capsys) == indented
    assert compact.count("\n") == 1 and indented.count("\n") > 10
    data = json.loads(compact)
    assert json.loads(indented) == data and json.loads(by_three) == data
    assert json.dumps(json.loads(indented)) == json.dumps(data)  # in the same order


@pytest.mark.parametrize("case", sorted(CASES))
def test_orjson_and_the_standard_library_write_the_same_text(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _use("orjson", monkeypatch)
    argv = _argv(case, tmp_path)
    fast = [_print(argv, capsys), _print([*argv, "--indent", "2"], capsys)]
    monkeypatch.setattr(cli, "_orjson", None)
    assert [_print(argv, capsys), _print([*argv, "--indent", "2"], capsys)] == fast


def test_a_float_below_1e_4_is_the_same_number_written_two_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use("orjson", monkeypatch)
    data = {"km": 2.5e-05, "score": 0.1234, "text": "Même métier"}
    fast = cli.encode(data)
    assert fast == '{"km":0.000025,"score":0.1234,"text":"Même métier"}'.encode()
    monkeypatch.setattr(cli, "_orjson", None)
    assert cli.encode(data) == '{"km":2.5e-05,"score":0.1234,"text":"Même métier"}'.encode()
    assert json.loads(fast) == json.loads(cli.encode(data)) == data


def test_a_pair_listed_both_ways_is_written_once(tmp_path: Path) -> None:
    """Its details are one object, shown in its request's list and in its offer's."""
    ref = load_referential()
    offers = [OfferIn(f"o{i}", "aide-soignant", 46.2 + i / 100, 5.2, 1) for i in range(3)]
    requests = [RequestIn(f"r{i}", ("aide-soignant",), 46.2 + i / 50, 5.21, 30.0) for i in range(4)]
    out = cli._suggestions(suggest(requests, offers, ref, top_k=2))
    shown = 0
    for rid, matches in out["requests"].items():
        for m in matches:
            twin = [t for t in out["offers"][m["offer"]] if t["request"] == rid]
            if twin:
                shown += 1
                assert twin[0]["criteria"] is m["criteria"]
                assert twin[0]["reasons"] is m["reasons"]
    assert shown >= 2


# --- explaining the lists in bulk (matching.explanations.ListedPairs) ---------------------------


def _ain(ref: MetierReferential) -> tuple[list[RequestIn], list[OfferIn]]:
    """The generated Ain of the golden files (2,000 x 800: housing, movers, constraints)."""
    communes = cli._Communes(cli.shipped_reference("communes.csv"))
    requests, offers, _, _ = cli._parse(
        GOLDEN / "ain-offers.json", GOLDEN / "ain-requests.json", ref, communes
    )
    return requests, offers


def test_the_lists_explained_in_bulk_are_those_of_the_matches() -> None:
    """From the lists' arrays (:meth:`MatchLists.ranked` and the tables made again) each pair is
    explained once, without a Match: the same data, in the same order, as from the matches."""
    ref = load_referential()
    requests, offers = _ain(ref)
    s = suggest(requests, offers, ref, top_k=5)
    listed = cli._listed_pairs(s, requests, offers, ref, None, None, None)
    assert listed is not None
    fast = cli._suggestions(s, listed)
    assert cli.encode(fast) == cli.encode(cli._suggestions(s))
    # A pair listed both ways is explained once.
    twins = 0
    for rid, matches in fast["requests"].items():
        for m in matches:
            for t in fast["offers"][m["offer"]]:
                if t["request"] == rid:
                    twins += 1
                    assert t["criteria"] is m["criteria"]
    assert twins > 100
    # Movers beyond their reach and candidates who need housing are among them.
    entries = [m for ms in fast["requests"].values() for m in ms]
    assert any(m["criteria"]["distance"]["fact"]["relocation"] for m in entries)
    assert any(m["criteria"]["housing"]["fact"]["needed"] for m in entries)


def test_pairs_explained_in_bulk_are_those_of_pair_results() -> None:
    """Matches or not (an excluded pair: each pair is then ``pair_results``'s)."""
    ref = load_referential()
    requests, offers = _ain(ref)
    request_table, offer_table = prepare_tables(requests, offers, ref, DEFAULT_PARAMS)
    none = (np.zeros(1, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp))
    listed = ListedPairs(request_table, offer_table, none, none, ref, DEFAULT_PARAMS)
    rng = np.random.default_rng(21)
    rows = rng.integers(0, len(request_table.ids), 3000).astype(np.intp)
    cols = rng.integers(0, len(offer_table.ids), 3000).astype(np.intp)
    explained = pair_results(request_table, rows, offer_table, cols, ref, DEFAULT_PARAMS)
    ok = np.array([isinstance(m, Match) for m in explained])
    assert 0 < ok.sum() < len(ok)
    expected = [m.details() for m in explained if isinstance(m, Match)]
    assert cli.encode(listed.details(rows[ok], cols[ok])) == cli.encode(expected)
    mixed = listed.details(rows, cols)
    assert [d for d, good in zip(mixed, ok.tolist(), strict=True) if good] == expected
    excluded = [d for d, good in zip(mixed, ok.tolist(), strict=True) if not good]
    assert all(set(d) == {"reasons", "messages", "distance_km"} for d in excluded)
    assert listed.details(rows[:0], cols[:0]) == []


@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=50),
    st.sampled_from([1, 4]),
)
def test_rounded_on_arrays_is_python_s_round(values: list[float], digits: int) -> None:
    ties = [n / 10**digits + 0.5 / 10**digits for n in range(200)]
    x = np.array(values + ties)
    assert rounded(x, digits) == [round(v, digits) for v in x.tolist()]
