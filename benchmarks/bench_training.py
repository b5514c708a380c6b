"""Benchmarks of the training centres (issue 16): the engine with centres against without.

* ``ain``: 5,000 requests x 2,000 offers of the Ain (the data of ``bench_matching``) and 300
  centres: ``suggest`` with centres within 1.3 times ``suggest`` without, measured in the same
  run (medians of 7, interleaved); ``allocate`` with and without, for the record;
* ``france``: 200,000 x 50,000 spread over France and 3,000 centres: ``suggest`` under 20 s;
  ``allocate`` with centres, for the record (no target), with its peak memory.

Centres: at real communes (weighted by population, as the records), each preparing one to
four métiers by apprenticeship with one or two intakes around the offers' starts (September
2026, some in October, January or March); a fifth of the offers have a partner centre, a
third an employer working with one or two centres, a tenth of the candidates are enrolled
(partner and enrolled centres among the 20 nearest, as in life).

    .venv/bin/python -m benchmarks training-ain training-france
    .venv/bin/python -m benchmarks.bench_training ain france
"""

from __future__ import annotations

import dataclasses
import gc
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_matching import _communes, _peak, _report, generate, run_named  # noqa: E402
from matching import (  # noqa: E402
    MetierReferential,
    OfferIn,
    Programme,
    RequestIn,
    TrainingCentre,
    allocate,
    suggest,
)

INTAKES = [
    date(2026, 9, 7),
    date(2026, 9, 28),
    date(2026, 10, 12),
    date(2027, 1, 11),
    date(2027, 3, 1),
]


def centres_for(
    ref: MetierReferential,
    requests: list[RequestIn],
    offers: list[OfferIn],
    n: int,
    departement: str | None,
    seed: int = 16,
) -> tuple[list[RequestIn], list[OfferIn], list[TrainingCentre]]:
    """``n`` centres at real communes; offers and requests given centres among the nearest."""
    rng = random.Random(seed)
    points, weights = _communes(departement)
    codes = list(ref.codes)
    centres = []
    for k, (lat, lon) in enumerate(rng.choices(points, weights=weights, k=n)):
        metiers = rng.sample(codes, rng.choice([1, 2, 2, 3, 4]))
        programmes = tuple(
            Programme(m, tuple(sorted(rng.sample(INTAKES, rng.choice([1, 1, 2]))))) for m in metiers
        )
        centres.append(TrainingCentre(f"c{k:05d}", f"Centre {k}", lat, lon, "", programmes))
    xy = np.array([(c.lat, c.lon * np.cos(np.radians(c.lat))) for c in centres])

    def nearby(lat: float, lon: float) -> list[str]:
        d = np.hypot(xy[:, 0] - lat, xy[:, 1] - lon * np.cos(np.radians(lat)))
        return [centres[int(i)].id for i in np.argsort(d)[:20]]

    out_offers = []
    for o in offers:
        u = rng.random()
        if u < 0.2 or u > 0.67:
            near = nearby(o.lat, o.lon)
            partner = rng.choice(near) if u < 0.2 else None
            employer = tuple(rng.sample(near, rng.choice([1, 2]))) if u > 0.67 else ()
            o = dataclasses.replace(o, training_centre=partner, employer_centres=employer)
        out_offers.append(o)
    out_requests = [
        dataclasses.replace(r, training_centre=rng.choice(nearby(r.lat, r.lon)))
        if rng.random() < 0.1
        else r
        for r in requests
    ]
    return out_requests, out_offers, centres


def _interleaved(runs: dict[str, object], repeat: int) -> dict[str, list[float]]:
    """Time each callable ``repeat`` times, one after the other in turn (same machine load)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            gc.collect()
            started = time.perf_counter()
            fn()  # type: ignore[operator]
            times[name].append(time.perf_counter() - started)
    return times


def bench_ain(ref: MetierReferential) -> bool:
    requests, offers, _texts = generate(ref, 5_000, 2_000, "01")
    requests, offers, centres = centres_for(ref, requests, offers, 300, "01")
    times = _interleaved(
        {
            "without": lambda: suggest(requests, offers, ref, top_k=10),
            "with": lambda: suggest(requests, offers, ref, top_k=10, centres=centres),
            "allocate without": lambda: allocate(requests, offers, ref),
            "allocate with": lambda: allocate(requests, offers, ref, centres=centres),
        },
        repeat=7,
    )
    median = {k: statistics.median(v) for k, v in times.items()}
    ratio = median["with"] / median["without"]
    best_ratio = min(times["with"]) / min(times["without"])
    s = suggest(requests, offers, ref, top_k=10, centres=centres)
    started = time.perf_counter()
    built = [m for k in s.by_request for m in s.by_request[k]]
    explain = time.perf_counter() - started
    known = sum(m.training is not None for m in built)
    ok = ratio <= 1.3
    _report(
        "Ain, 5,000 requests x 2,000 offers, 300 centres, top 10 both ways",
        [
            ("suggest() without centres: median of 7", f"{median['without']:.3f} s"),
            ("suggest() with centres: median of 7", f"{median['with']:.3f} s"),
            ("ratio with / without (target <= 1.3)", f"{ratio:.2f} x"),
            ("ratio of the best runs", f"{best_ratio:.2f} x"),
            (
                "allocate() without / with centres",
                f"{median['allocate without']:.3f} s / {median['allocate with']:.3f} s",
            ),
            (f"building the {len(built):,} Match objects by request", f"{explain:.3f} s"),
            ("of which with a known centre", f"{known:,}"),
        ],
        ok,
    )
    return ok


def bench_france(ref: MetierReferential) -> bool:
    started = time.perf_counter()
    requests, offers, _texts = generate(ref, 200_000, 50_000, None)
    requests, offers, centres = centres_for(ref, requests, offers, 3_000, None)
    print(f"   (data generated in {time.perf_counter() - started:.1f} s)")
    seconds, peak, _s = _peak(lambda: suggest(requests, offers, ref, top_k=10, centres=centres))
    again = _interleaved(
        {
            "with": lambda: suggest(requests, offers, ref, top_k=10, centres=centres),
            "without": lambda: suggest(requests, offers, ref, top_k=10),
        },
        repeat=1,
    )
    best = min(seconds, *again["with"])
    a_seconds, a_peak, a = _peak(lambda: allocate(requests, offers, ref, centres=centres))
    ok = best < 20
    _report(
        "France, 200,000 requests x 50,000 offers, 3,000 centres, top 10 both ways",
        [
            ("suggest() with centres: best of 2 (first traced)", f"{best:.1f} s"),
            ("suggest() without centres, same run", f"{again['without'][0]:.1f} s"),
            ("peak memory of suggest() (tracemalloc)", f"{peak:,.0f} MB"),
            ("allocate() with centres (traced, no target)", f"{a_seconds:.1f} s"),
            ("peak memory of allocate() (tracemalloc)", f"{a_peak:,.0f} MB"),
            ("assigned", f"{len(a.assignments):,}"),
        ],
        ok,
    )
    return ok


BENCHES = {"ain": bench_ain, "france": bench_france}


def main(argv: list[str] | None = None) -> int:
    """Run the named training benchmarks (default: all); 0 even if a target is missed."""
    return run_named(BENCHES, "python -m benchmarks.bench_training", argv)


if __name__ == "__main__":
    sys.exit(main())
