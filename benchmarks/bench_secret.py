"""Benchmark of the statistical secret (issue 20): ``data.observatory.secret.protect``.

12 months x 16 métiers x 20 territories published as the monthly totals, the métier x territory
table, its margins and the grand total (369 figures), at three shares of small counts; then the
same cube with every one of its tables published (4,641 figures), for the record. Each run is
timed against the baseline of the same call with nothing to hold back (``threshold=0``: the sums
alone), medians of 5, interleaved. Target: under a second for the issue's shape.

    .venv/bin/python -m benchmarks secret
    .venv/bin/python -m benchmarks.bench_secret
"""

from __future__ import annotations

import itertools
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_matching import _report  # noqa: E402
from benchmarks.bench_training import _interleaved  # noqa: E402
from data.observatory.secret import SECRET, protect  # noqa: E402

CATEGORIES = [
    [f"2026-{m:02d}" for m in range(1, 13)],
    [f"M{j:02d}" for j in range(16)],
    [f"T{t:02d}" for t in range(20)],
]
ISSUE_MASKS = {
    (True, False, False),
    (False, True, True),
    (False, True, False),
    (False, False, True),
    (False, False, False),
}
EVERY_MASK = set(itertools.product((True, False), repeat=3))


def cube(zero_share: float, seed: int = 20) -> dict[tuple[str, ...], int]:
    """A cube whose cells are 0 with probability ``zero_share``, else 1 to 3 people."""
    rng = np.random.default_rng(seed)
    size = 12 * 16 * 20
    counts = np.where(rng.random(size) < zero_share, 0, rng.integers(1, 4, size))
    return {k: int(n) for k, n in zip(itertools.product(*CATEGORIES), counts, strict=True)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 even if the target is missed."""
    rows: list[tuple[str, str]] = []
    ok = True
    cases = [(f"{z:.0%} of cells empty", cube(z), ISSUE_MASKS) for z in (0.0, 0.8, 0.95)]
    cases.append(("every table published, 80% empty", cube(0.8), EVERY_MASK))
    for label, cells, masks in cases:
        times = _interleaved(
            {
                "sums": lambda c=cells, m=masks: protect(c, m, CATEGORIES, threshold=0),
                "secret": lambda c=cells, m=masks: protect(c, m, CATEGORIES),
            },
            repeat=5 if masks is ISSUE_MASKS else 1,
        )
        sums, secret = statistics.median(times["sums"]), statistics.median(times["secret"])
        shown = protect(cells, masks, CATEGORIES)
        held = sum(v is SECRET for v in shown.values())
        if masks is ISSUE_MASKS:
            ok = ok and secret < 1
        rows.append(
            (
                f"{label}: {held} of {len(shown):,} held back",
                f"{secret:.3f} s ({secret / sums:.1f} x the sums alone, {sums:.3f} s)",
            )
        )
    _report("Statistical secret, 12 months x 16 métiers x 20 territories", rows, ok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
