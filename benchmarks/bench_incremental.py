"""Incremental re-matching (issue 21): one changed offer or request, at the Ain's scale.

A database of the Ain's scale (the scaled demo, ``data.demo_scale``: 2,000 offers and 5,000
requests at communes of the Ain and the départements around it) gets its suggestions from a
full recomputation (the baseline, timed), then a sequence of changes, each committed with its
incremental re-matching (:func:`data.incremental.rematch_changed`), as a page does:

* an offer: a place added, moved to another commune, closed, published again;
* a request: its radius changed, moved to another commune, paused, active again.

Each change is timed from the re-matching's start to its commit (the change itself is
written and flushed before). At the end the suggestions table must equal what a full
recomputation makes of the same data (every column the engine writes, the status, the lists):
the benchmark fails otherwise. On SQLite (a file) always; on PostgreSQL too with
``--postgresql URL`` (a database whose name contains ``bench``: it is emptied).

    .venv/bin/python -m benchmarks incremental
    .venv/bin/python -m benchmarks.bench_incremental --postgresql \\
        postgresql+psycopg://postgres@127.0.0.1:5432/passerelle_bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from data import migrate  # noqa: E402
from data.db import make_engine, make_session_factory  # noqa: E402
from data.demo_scale import load_scaled_demo  # noqa: E402
from data.incremental import rematch_changed  # noqa: E402
from data.models import (  # noqa: E402
    OPEN_OFFER,
    Commune,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Suggestion,
    utcnow,
)
from data.recompute import DECIDED_COLUMNS, recompute_suggestions  # noqa: E402
from data.reference import load_reference  # noqa: E402

TOP_K = 20  # as the re-matching job
CHANGES = 80


def _state(session: Session) -> dict[tuple[int, int], tuple[Any, ...]]:
    columns = [getattr(Suggestion, f) for f in DECIDED_COLUMNS]
    return {
        (row[0], row[1]): tuple(row[2:])
        for row in session.execute(select(Suggestion.request_id, Suggestion.offer_id, *columns))
    }


def _prepare(engine: Engine, factory: sessionmaker[Session]) -> float:
    migrate.upgrade(engine)
    with factory.begin() as s:
        load_reference(s)
        started = time.perf_counter()
        load_scaled_demo(
            s, offers=2000, requests=5000, seed=1, today=date(2026, 11, 2), suggestions=False
        )
        print(f"  scaled demo loaded in {time.perf_counter() - started:.1f} s", flush=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with factory.begin() as s:
        started = time.perf_counter()
        report = recompute_suggestions(s, top_k=TOP_K)
    full = time.perf_counter() - started
    if engine.dialect.name == "postgresql":  # as autovacuum would after 100,000 new rows
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # VACUUM too (PostgreSQL 13 and later vacuum a table after many inserts): without
            # it every read of the lists' index goes to the table to check the rows' visibility.
            conn.execute(text("VACUUM ANALYZE suggestions"))
    print(
        f"  full recomputation (baseline): {full:.2f} s, {report.created:,} suggestions, "
        f"{report.requests:,} requests x {report.offers:,} offers",
        flush=True,
    )
    return full


Change = Callable[[Session, random.Random], tuple[str, int]]


def _offer_change(s: Session, rng: random.Random, communes: list[str]) -> tuple[str, list[int]]:
    offer = s.get_one(Offer, rng.choice(s.scalars(select(Offer.id).where(*OPEN_OFFER)).all()))
    kind = rng.choice(("place", "move", "close"))
    if kind == "place":
        offer.places += 1
    elif kind == "move":  # its site moves, and every offer of the site with it
        offer.site.commune_insee = rng.choice(communes)
        for moved in offer.site.offers:
            moved.updated_at = utcnow()
        return "offer move", [o.id for o in offer.site.offers]
    else:
        offer.status = OfferStatus.CLOSED
    return f"offer {kind}", [offer.id]


def _reopen(s: Session, rng: random.Random) -> tuple[str, list[int]] | None:
    closed = s.scalars(select(Offer.id).where(Offer.status == OfferStatus.CLOSED)).all()
    if not closed:
        return None
    offer = s.get_one(Offer, rng.choice(closed))
    offer.status = OfferStatus.PUBLISHED
    return "offer published again", [offer.id]


def _request_change(s: Session, rng: random.Random, communes: list[str]) -> tuple[str, list[int]]:
    ids = s.scalars(select(Request.id).where(Request.status == RequestStatus.ACTIVE)).all()
    request = s.get_one(Request, rng.choice(ids))
    kind = rng.choice(("radius", "move", "pause"))
    if kind == "radius":
        request.max_distance_km = rng.choice((10, 20, 30, 50, 80))
    elif kind == "move":
        request.commune_insee = rng.choice(communes)
    else:
        request.status = RequestStatus.PAUSED
    return f"request {kind}", [request.id]


def run(url: str) -> int:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    print(f"{engine.dialect.name}:", flush=True)
    full = _prepare(engine, factory)
    rng = random.Random(21)
    with factory() as s:
        communes = s.scalars(
            select(Commune.insee).where(Commune.insee.like("01%")).order_by(Commune.insee)
        ).all()
    times: dict[str, list[float]] = {"offer": [], "request": []}
    counts: list[dict[str, int]] = []
    by_kind: dict[str, list[float]] = {}
    for n in range(CHANGES):
        with factory() as s:
            side = "offer" if n % 2 == 0 else "request"
            if side == "offer":
                done = _reopen(s, rng) if n % 6 == 4 else None
                what, record = done or _offer_change(s, rng, communes)
            else:
                what, record = _request_change(s, rng, communes)
            s.flush()
            started = time.perf_counter()
            report = rematch_changed(
                s,
                offers=record if side == "offer" else [],
                requests=record if side == "request" else [],
                top_k=TOP_K,
            )
            s.commit()
            times[side].append(time.perf_counter() - started)
            by_kind.setdefault(what, []).append(time.perf_counter() - started)
            counts.append(report.counts())
    with factory.begin() as s:
        incremental = _state(s)
        recompute_suggestions(s, top_k=TOP_K)
        full_state = _state(s)
        same = incremental == full_state
        differ = [
            k
            for k in full_state.keys() | incremental.keys()
            if incremental.get(k) != full_state.get(k)
        ]
        for key in sorted(differ)[:5]:
            print(f"  differs {key}: {incremental.get(key)} != {full_state.get(key)}")
    every = times["offer"] + times["request"]
    for side, values in times.items():
        ms = sorted(v * 1000 for v in values)
        print(
            f"  one changed {side}: median {statistics.median(ms):.1f} ms, "
            f"90th percentile {ms[int(len(ms) * 0.9)]:.1f} ms, max {ms[-1]:.1f} ms "
            f"({len(ms)} changes)"
        )
    print(
        f"  all {len(every)} changes: median {statistics.median(every) * 1000:.1f} ms; "
        f"the full recomputation takes {full / statistics.median(every):,.0f} times as long"
    )
    for what, values in sorted(by_kind.items()):
        ms = sorted(v * 1000 for v in values)
        print(f"    {what}: median {statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms ({len(ms)})")
    rows = sum(c["created"] + c["updated"] + c["staled"] for c in counts)
    lists = sum(c["lists_recomputed"] for c in counts)
    print(
        f"  rows written per change: {rows / len(counts):.0f} on average; lists the engine "
        f"computed again: {lists} in all"
    )
    print(f"  suggestions equal to a full recomputation's: {'yes' if same else 'NO'}")
    engine.dispose()
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", help="a PostgreSQL URL whose database name has 'bench'")
    args = parser.parse_args(argv)
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        status |= run(f"sqlite:///{tmp}/incremental.db")
    if args.postgresql:
        if "bench" not in args.postgresql.rsplit("/", 1)[-1]:
            parser.error("the PostgreSQL database's name must contain 'bench' (it is emptied)")
        engine = make_engine(args.postgresql)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        status |= run(args.postgresql)
    return status


if __name__ == "__main__":
    sys.exit(main())
