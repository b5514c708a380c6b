"""Write the golden inputs and outputs of ``python -m matching`` (run from the checkout).

The outputs were made by the engine before the training centres (issue 16); the golden test
(tests/matching/test_golden.py) checks that without ``--training`` the CLI still prints exactly
them. Run this again only to change the inputs, on purpose:
``python tests/matching/golden/make_golden.py``.

The housing cases (issue 17: ``--housing``, hand-written inputs ``housing-*.json``) pin the
output with housing resources; ``python tests/matching/golden/make_golden.py housing`` writes
their outputs only.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_matching import generate  # noqa: E402
from matching import MetierReferential  # noqa: E402
from matching.cli import main  # noqa: E402
from tests.matching.conftest import metier_records  # noqa: E402
from tests.matching.test_ain_scenario import OFFERS, REQUESTS  # noqa: E402

#: name -> (offers file, requests file, extra arguments)
CASES: dict[str, tuple[str, str, list[str]]] = {
    "small-suggest": ("small-offers.json", "small-requests.json", ["suggest"]),
    "small-allocate": ("small-offers.json", "small-requests.json", ["allocate"]),
    "ain-suggest": ("ain-offers.json", "ain-requests.json", ["suggest", "--top", "5"]),
    "ain-allocate": ("ain-offers.json", "ain-requests.json", ["allocate"]),
}
_HOUSING = ["--housing", str(HERE / "housing-resources.json")]
#: The runs with housing resources (issue 17), checked in full.
HOUSING_CASES: dict[str, tuple[str, str, list[str]]] = {
    "housing-suggest": ("housing-offers.json", "housing-requests.json", ["suggest", *_HOUSING]),
    "housing-allocate": ("housing-offers.json", "housing-requests.json", ["allocate", *_HOUSING]),
}


def _record(item: Any) -> dict[str, Any]:
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(item).items()}
    if "metiers" in out:
        out["metiers"] = list(out["metiers"])
    return {k: v for k, v in out.items() if v is not None}


def write_inputs() -> None:
    """The small Ain scenario of the tests, and a generated Ain of 2,000 x 800."""
    ref = MetierReferential.from_records(metier_records())
    requests, offers, _texts = generate(ref, 2_000, 800, "01", seed=16)
    for name, items in (
        ("small-offers.json", OFFERS),
        ("small-requests.json", REQUESTS),
        ("ain-offers.json", offers),
        ("ain-requests.json", requests),
    ):
        (HERE / name).write_text(json.dumps([_record(x) for x in items]) + "\n", encoding="utf-8")


def run_case(name: str) -> str:
    """The CLI's output of a case, as text, indented by 2 as every output was when the golden
    files were made (``--indent 2``; the compact default holds the same data:
    tests/matching/test_cli.py)."""
    import contextlib
    import io

    offers, requests, extra = {**CASES, **HOUSING_CASES}[name]
    buffer = io.StringIO()
    argv = [extra[0], "--offers", str(HERE / offers), "--requests", str(HERE / requests)]
    argv += ["--indent", "2"]
    with contextlib.redirect_stdout(buffer):
        code = main(argv + extra[1:])
    assert code == 0, name
    return buffer.getvalue()


def digest(text: str) -> str:
    """SHA-256 of an output."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


if __name__ == "__main__":
    for case in HOUSING_CASES:
        (HERE / f"{case}.out.json").write_text(run_case(case), encoding="utf-8")
    if sys.argv[1:] == ["housing"]:
        sys.exit(0)
    write_inputs()
    digests = {}
    for case in CASES:
        text = run_case(case)
        digests[case] = digest(text)
        if case.startswith("small"):
            (HERE / f"{case}.out.json").write_text(text, encoding="utf-8")
    (HERE / "digests.json").write_text(json.dumps(digests, indent=2) + "\n", encoding="utf-8")
