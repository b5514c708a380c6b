"""How quickly offers fill as the score goes down, in the allocation of the France benchmark.

An analysis for the allocation's design, not a timing: at each score threshold, how many offers
are still open (not full with pairs scoring at least that much) and how many requests are still
free. Run with ``.venv/bin/python -m benchmarks.allocation_levels`` (about a minute).
"""

from __future__ import annotations

from collections import defaultdict

from benchmarks.bench_matching import generate
from data.reference import read_metiers
from matching import allocate
from matching.referential import MetierReferential

THRESHOLDS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5)


def main(argv: list[str] | None = None) -> int:
    """Print, per threshold, the offers still open and the requests still free."""
    ref = MetierReferential.from_records(read_metiers())
    requests, offers, _ = generate(ref, 200_000, 50_000, None)
    result = allocate(requests, offers, ref)
    places = {o.id: o.places for o in offers}
    scores: dict[str, list[float]] = defaultdict(list)
    for x in result.assignments:
        scores[x.offer_id].append(x.score)
    full_at = [min(s) for o, s in scores.items() if len(s) >= places[o]]
    live = sum(1 for o in offers if o.places > 0)
    assigned = [x.score for x in result.assignments]
    print(f"assigned {len(assigned):,}; offers with a place {live:,}; full {len(full_at):,}")
    for t in THRESHOLDS:
        still_open = live - sum(1 for f in full_at if f >= t)
        free = len(requests) - sum(1 for s in assigned if s >= t)
        print(f"score >= {t:.2f}: offers still open {still_open:6,}  requests still free {free:7,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
