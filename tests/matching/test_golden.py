"""Without training centres the engine prints exactly what it printed before issue 16.

The golden outputs under ``golden/`` were made by the CLI before the training centres existed
(``golden/make_golden.py``): the small Ain scenario in full, a generated Ain of 2,000 requests
x 800 offers by digest (SHA-256 of the whole output).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from matching import cli

HERE = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(HERE))

from make_golden import CASES, HOUSING_CASES, digest, run_case  # noqa: E402

DIGESTS: dict[str, str] = json.loads((HERE / "digests.json").read_text(encoding="utf-8"))


@pytest.fixture(params=["orjson", "stdlib"])
def encoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command line writes with orjson if installed, else the standard library: both the
    same text."""
    if request.param == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setattr(cli, "_orjson", None)
    return str(request.param)


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_without_training_is_as_before(case: str, encoder: str) -> None:
    text = run_case(case)
    if case.startswith("small"):
        expected = (HERE / f"{case}.out.json").read_text(encoding="utf-8")
        assert json.loads(text) == json.loads(expected)
    assert digest(text) == DIGESTS[case]


@pytest.mark.parametrize("case", sorted(HOUSING_CASES))
def test_output_with_housing_resources(case: str, encoder: str) -> None:
    """The small run with ``--housing`` (issue 17) prints what it printed when written."""
    expected = (HERE / f"{case}.out.json").read_text(encoding="utf-8")
    assert json.loads(run_case(case)) == json.loads(expected)
