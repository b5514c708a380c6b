"""Fingerprints of the engine's results on the benchmarks' data: same digest, same results.

A refactoring of the engine must not change a bit of what it returns. This prints a SHA-256 of
everything a caller can read (ids, scores and distances as exact hexadecimal floats, ranks,
French reasons, ``lost_to``, counts, widening radii) for each data set (``-scattered``: the
same records moved off their communes' centroids); run it before and after a change and
compare. Not a timing.

    .venv/bin/python -m benchmarks.result_digest                    # every data set
    .venv/bin/python -m benchmarks.result_digest allocation dense   # some of them
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable, Iterable

from benchmarks.bench_matching import dense, generate
from data.reference import read_metiers
from matching import Allocation, Match, MetierReferential, Suggestions, allocate, suggest

__all__ = ["allocation_lines", "suggestion_lines", "digest", "main"]


def _match(m: Match) -> str:
    criteria = ";".join(
        f"{k}={c.score.hex()}/{c.weight.hex()}/{c.reason}" for k, c in m.criteria.items()
    )
    return (
        f"{m.request_id}>{m.offer_id} {m.score.hex()} {m.distance_km.hex()} "
        f"[{criteria}] {'|'.join(m.reasons)}"
    )


def allocation_lines(a: Allocation) -> Iterable[str]:
    """Every assignment and unassigned request, as text lines."""
    for x in a.assignments:
        yield f"A {x.rank} {_match(x.match)} {'|'.join(x.reasons)}"
    for u in a.unassigned:
        yield f"U {u.request_id} {u.compatible} {u.reason} {','.join(u.lost_to)}"


def suggestion_lines(s: Suggestions) -> Iterable[str]:
    """Every list both ways, the exclusions and the widening radii, as text lines."""
    for rid, matches in s.by_request.items():
        yield f"R {rid} " + " ".join(_match(m) for m in matches)
    for oid, matches in s.by_offer.items():
        yield f"O {oid} " + " ".join(_match(m) for m in matches)
    yield f"X {s.excluded.to_dict()}"
    yield f"W {sorted(s.widening.items())}"


def digest(lines: Iterable[str]) -> tuple[str, int]:
    """SHA-256 of the lines (each followed by a newline), and how many there were."""
    h = hashlib.sha256()
    n = 0
    for line in lines:
        h.update(line.encode("utf-8"))
        h.update(b"\n")
        n += 1
    return h.hexdigest(), n


def _cases(ref: MetierReferential) -> dict[str, Callable[[], Iterable[str]]]:
    def ain(scattered: bool = False) -> Iterable[str]:
        requests, offers, _ = generate(ref, 5_000, 2_000, "01", scattered=scattered)
        return suggestion_lines(suggest(requests, offers, ref, top_k=10))

    def france(scattered: bool = False) -> Iterable[str]:
        requests, offers, _ = generate(ref, 200_000, 50_000, None, scattered=scattered)
        return suggestion_lines(suggest(requests, offers, ref, top_k=10))

    def allocation(scattered: bool = False) -> Iterable[str]:
        requests, offers, _ = generate(ref, 200_000, 50_000, None, scattered=scattered)
        return allocation_lines(allocate(requests, offers, ref))

    def dense_() -> Iterable[str]:
        requests, offers, _ = dense(ref, 20_000, 8_000)
        return allocation_lines(allocate(requests, offers, ref))

    return {
        "ain": ain,
        "ain-scattered": lambda: ain(scattered=True),
        "allocation": allocation,
        "allocation-scattered": lambda: allocation(scattered=True),
        "dense": dense_,
        "france": france,
        "france-scattered": lambda: france(scattered=True),
    }


def main(argv: list[str] | None = None) -> int:
    """Print one digest per data set."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.result_digest")
    names = [
        "ain",
        "ain-scattered",
        "allocation",
        "allocation-scattered",
        "dense",
        "france",
        "france-scattered",
    ]
    parser.add_argument("which", nargs="*", choices=[*names, []], default=[])
    args = parser.parse_args(argv)
    cases = _cases(MetierReferential.from_records(read_metiers()))
    for name in args.which or names:
        started = time.perf_counter()
        sha, n = digest(cases[name]())
        print(f"{name:12} {sha} {n:,} lines ({time.perf_counter() - started:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
