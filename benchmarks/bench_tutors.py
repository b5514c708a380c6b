"""Benchmark of the maîtres d'apprentissage (issue 19): the allocation with tutors against without.

* ``ain``: 5,000 requests x 2,000 offers of the Ain (the data of ``bench_matching``), each
  offer naming a tutor, one tutor per 1 to 3 offers (offers of one employer's site share
  one: consecutive offers here), capacity 0 to 2 (the law's two apprentices at a time, less
  those already supervised). ``allocate`` with tutors against ``allocate`` without, medians of
  5, the calls interleaved (same machine load); the same with capacities that never bind
  (each tutor may take all the places of their offers: the fast path, clipped); ``suggest``
  with and without, for the record. Target: the allocation with tutors under 10 s, as with
  housing resources.

    .venv/bin/python -m benchmarks tutors-ain
    .venv/bin/python -m benchmarks.bench_tutors ain
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_matching import _report, generate, run_named  # noqa: E402
from benchmarks.bench_training import _interleaved  # noqa: E402
from matching import MetierReferential, OfferIn, Tutor, allocate, suggest  # noqa: E402


def tutors_for(
    offers: list[OfferIn], seed: int = 19, binding: bool = True
) -> tuple[list[OfferIn], list[Tutor]]:
    """Offers naming tutors, one tutor per 1 to 3 consecutive offers, and the tutors: capacity
    0 to 2 (``binding``), or the places of their offers (never binding)."""
    rng = random.Random(seed)
    named: list[OfferIn] = []
    tutors: list[Tutor] = []
    at = 0
    while at < len(offers):
        group = offers[at : at + rng.randint(1, 3)]
        at += len(group)
        ident = f"t{len(tutors):05d}"
        capacity = rng.randint(0, 2) if binding else sum(o.places for o in group)
        tutors.append(Tutor(ident, capacity))
        named.extend(dataclasses.replace(o, tutor=ident) for o in group)
    return named, tutors


def bench_ain(ref: MetierReferential) -> bool:
    requests, offers, _texts = generate(ref, 5_000, 2_000, "01")
    named, tutors = tutors_for(offers)
    loose_offers, loose = tutors_for(offers, binding=False)
    times = _interleaved(
        {
            "allocate without": lambda: allocate(requests, offers, ref),
            "allocate with": lambda: allocate(requests, named, ref, tutors=tutors),
            "allocate loose": lambda: allocate(requests, loose_offers, ref, tutors=loose),
            "suggest without": lambda: suggest(requests, offers, ref, top_k=10),
            "suggest with": lambda: suggest(requests, named, ref, top_k=10, tutors=tutors),
        },
        repeat=5,
    )
    median = {k: statistics.median(v) for k, v in times.items()}
    a = allocate(requests, named, ref, tutors=tutors)
    today = allocate(requests, offers, ref)
    started = time.perf_counter()
    blocked = sum(u.obstacle == "tutor" for u in a.unassigned)
    explain = time.perf_counter() - started
    capacity = {t.id: t.capacity for t in tutors}
    tutor_of = {o.id: o.tutor for o in named}
    taken: dict[str, int] = {}
    for x in a.assignments:
        t = tutor_of[x.offer_id]
        assert t is not None
        taken[t] = taken.get(t, 0) + 1
    assert all(n <= capacity[t] for t, n in taken.items())
    full = sum(1 for t in tutors if t.capacity == 0)
    places = sum(o.places for o in offers)
    ok = max(times["allocate with"]) < 10  # the target of the allocation with housing
    _report(
        "Ain, 5,000 requests x 2,000 offers, tutors per 1 to 3 offers, capacity 0 to 2",
        [
            (
                "tutors / with capacity 0 / places of the offers",
                f"{len(tutors):,} / {full:,} / {places:,}",
            ),
            ("allocate() without tutors: median of 5", f"{median['allocate without']:.3f} s"),
            (
                "allocate() with tutors: median of 5 (target < 10 s, worst run)",
                f"{median['allocate with']:.3f} s ({max(times['allocate with']):.3f} s)",
            ),
            (
                "ratio allocate() with / without",
                f"{median['allocate with'] / median['allocate without']:.2f} x",
            ),
            (
                "allocate() with tutors that never bind: median of 5, ratio",
                f"{median['allocate loose']:.3f} s, "
                f"{median['allocate loose'] / median['allocate without']:.2f} x",
            ),
            (
                "suggest() without / with tutors: medians of 5, ratio",
                f"{median['suggest without']:.3f} s / {median['suggest with']:.3f} s, "
                f"{median['suggest with'] / median['suggest without']:.2f} x",
            ),
            (
                "assigned without / with tutors; unassigned for want of a tutor's place",
                f"{len(today.assignments):,} / {len(a.assignments):,}; {blocked:,}",
            ),
            ("reading every unassigned request's reason", f"{explain:.3f} s"),
        ],
        ok,
    )
    return ok


BENCHES = {"ain": bench_ain}


def main(argv: list[str] | None = None) -> int:
    """Run the named tutors benchmarks (default: all); 0 even if a target is missed."""
    return run_named(BENCHES, "python -m benchmarks.bench_tutors", argv)


if __name__ == "__main__":
    sys.exit(main())
