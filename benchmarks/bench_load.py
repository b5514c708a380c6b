"""Benchmark: the service under load, gunicorn + PostgreSQL + the scheduler, driven by locust.

Target of issue 11: at 50 concurrent users, the p95 of each page under 5 times the p95 of the
health check (``/healthz``: one ``SELECT 1``) measured in the same run, and no error. Figures at
10, 50 and 100 users: p50, p95, p99 and requests per second of each page.

What runs, as in production (README, "Running in production"):

* a PostgreSQL database whose name contains ``bench`` (``--database-url``), migrated and filled
  once by ``flask --app web demo --scale offers=10000,requests=50000`` (kept between runs: the
  load takes minutes; ``--reload`` starts again from an empty schema);
* one re-matching run by hand (``python -m jobs run rematch``), as the first scheduler run after a
  load would do, so that the measured minutes do not include a full recomputation;
* ``gunicorn --workers 4 'web:create_app()'`` and ``python -m jobs`` beside it;
* locust, headless, one run per number of users (``benchmarks/locustfile.py``), after a warm-up.

API tokens come from ``flask --app web tokens create``; signed-in pages get a session cookie
signed with the server's secret key, as the tests sign in.

    .venv/bin/pip install -e '.[prod,bench]'
    .venv/bin/python -m benchmarks load
    .venv/bin/python benchmarks/bench_load.py --users 10,50,100 --duration 60 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/passerelle_bench
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data.db import make_engine, make_session_factory  # noqa: E402
from data.models import (  # noqa: E402
    Commune,
    Employer,
    Metier,
    Offer,
    OfferStatus,
    Request,
    Role,
    Site,
    Suggestion,
    SuggestionStatus,
    User,
)

__all__ = ["main"]

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/passerelle_bench"
DEFAULT_SCALE = "offers=10000,requests=50000"
BASELINE = "healthz"
TARGET_RATIO = 5.0
TARGET_USERS = 50
SATURATED = 10  # healthz this many times slower than at the first level: the server queues
BIN = Path(sys.executable).parent
CATCH_UP_JOBS = ("rematch", "contacts", "digests_immediate", "reminders", "sender")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _flask(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "flask"), "--app", "web", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def _prepare(env: dict[str, str], url: str, scale: str, reload: bool) -> None:
    """Migrate, and load the scaled demo into an empty database (timed)."""
    engine = make_engine(url)
    if reload:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    _flask(env, "init")
    with make_session_factory(engine)() as s:
        empty = not s.scalar(select(func.count()).select_from(Employer))
    engine.dispose()
    if empty:
        started = time.perf_counter()
        print(_flask(env, "demo", "--scale", scale).strip().splitlines()[0], flush=True)
        print(f"scaled demo loaded in {time.perf_counter() - started:.1f} s", flush=True)
    # The backlog a first start would find (a full re-matching, the contact mails of the demo's
    # approved pairs...), cleared by hand so that the measured minutes see the scheduler's
    # steady state, not its first day.
    for job in CATCH_UP_JOBS:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "jobs", "run", job],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        summary = done.stdout.strip().splitlines()[-1:] or [done.stderr.strip()[-300:]]
        print(f"job {job}: {time.perf_counter() - started:.1f} s {summary[0]}", flush=True)


def _plan(env: dict[str, str], url: str, secret_key: str, wait: list[float]) -> dict[str, Any]:
    """What the visitors ask for: ids, communes, signed cookies, an API token."""
    from web import create_app

    app = create_app({"SECRET_KEY": secret_key, "DATABASE_URL": url})
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    engine = app.extensions["passerelle"].engine
    with make_session_factory(engine)() as s:
        offers = list(
            s.scalars(select(Offer.id).where(Offer.status == OfferStatus.PUBLISHED).limit(5000))
        )
        communes = [
            f"{name} ({insee})"
            for name, insee in s.execute(
                select(Commune.name, Commune.insee)
                .join(Site, Site.commune_insee == Commune.insee)
                .group_by(Commune.insee, Commune.name)
                .order_by(func.count().desc())
                .limit(200)
            )
        ]
        metiers = list(s.scalars(select(Metier.code)))
        # Half the candidates have an approved pair (their page lists it), half have none yet.
        approved = select(Request.candidate_id).join(
            Suggestion, Suggestion.request_id == Request.id
        )
        approved = approved.where(Suggestion.status == SuggestionStatus.APPROVED)
        with_pair = s.execute(
            select(User.id, User.session_version).where(User.candidate_id.in_(approved)).limit(200)
        ).all()
        others = s.execute(
            select(User.id, User.session_version)
            .where(User.role == Role.CANDIDATE)
            .order_by(User.id.desc())
            .limit(200)
        ).all()
        staff = s.execute(
            select(User.id, User.session_version, User.email).where(
                User.role == Role.COORDINATOR, User.is_active.is_(True)
            )
        ).first()
    engine.dispose()
    if staff is None or not offers:
        raise RuntimeError("the database has no coordinator or no published offer")

    name = app.config["SESSION_COOKIE_NAME"]

    def cookie(user_id: int, version: int) -> str:
        value = serializer.dumps({"uid": user_id, "sv": version, "t": int(time.time())})
        return f"{name}={value}"

    token = _flask(
        env, "tokens", "create", "--role", "coordinator", "--email", staff.email, "--label", "bench"
    )
    return {
        "wait": wait,
        "offers": offers,
        "communes": communes,
        "metiers": metiers,
        "candidate_cookies": [cookie(*row) for row in [*with_pair, *others]],
        "staff": cookie(*staff),
        "bearer": {"Authorization": f"Bearer {token.strip().splitlines()[-1]}"},
    }


def _wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{base}/healthz did not answer in {timeout} s")


def _locust(
    base: str, plan_path: Path, users: int, seconds: int, out: Path
) -> list[dict[str, Any]]:
    """Run locust headless; return its per-request rows (name, count, failures, percentiles)."""
    prefix = out / f"u{users}"
    env = {**os.environ, "PASSERELLE_BENCH_PLAN": str(plan_path)}
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            "--headless",
            "--host",
            base,
            "--users",
            str(users),
            "--spawn-rate",
            str(max(10, users)),
            "--run-time",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        cwd=ROOT,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", encoding="utf-8", newline="") as f:
        return [
            {
                "name": row["Name"],
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
                "rps": float(row["Requests/s"]),
            }
            for row in csv.DictReader(f)
        ]


def _report(users: int, rows: list[dict[str, Any]]) -> list[str]:
    base = next(r for r in rows if r["name"] == BASELINE)
    lines = [
        f"\n{users} users",
        "| request | count | errors | p50 ms | p95 ms | p99 ms | req/s | p95 / healthz p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ratio = r["p95"] / base["p95"] if base["p95"] else float("inf")
        flag = " **over**" if users == TARGET_USERS and ratio > TARGET_RATIO else ""
        lines.append(
            f"| {r['name']} | {r['count']} | {r['failures']} | {r['p50']:.0f} | {r['p95']:.0f}"
            f" | {r['p99']:.0f} | {r['rps']:.1f} | {ratio:.1f}x{flag} |"
        )
    return lines


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the load benchmark; return 0 if the target is met at 50 users, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="bench_load", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--scale", default=DEFAULT_SCALE)
    parser.add_argument("--reload", action="store_true", help="empty the database and reload")
    parser.add_argument("--users", default="10,50,100")
    parser.add_argument("--duration", type=int, default=60, help="seconds per number of users")
    parser.add_argument("--warmup", type=int, default=15, help="seconds at 10 users first")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--wait", default="0.5,2", help="think time between requests, seconds")
    parser.add_argument("--out", type=Path, default=None, help="where locust's CSV files go")
    args = parser.parse_args(argv)

    # Stopped by SIGTERM (or SIGINT where a shell ignores it): still stop the servers.
    signal.signal(signal.SIGTERM, _interrupt)
    url = make_url(args.database_url)
    if url.get_backend_name() != "postgresql" or "bench" not in (url.database or ""):
        parser.error("--database-url must be a PostgreSQL database whose name contains 'bench'")
    missing = [tool for tool in ("gunicorn", "locust") if not (BIN / tool).exists()]
    if missing:
        print(f"{', '.join(missing)} missing: .venv/bin/pip install -e '.[prod,bench]'")
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="passerelle-load-"))
    out.mkdir(parents=True, exist_ok=True)
    instance = out / "instance"
    instance.mkdir(exist_ok=True)
    secret_key = secrets.token_hex(32)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PASSERELLE_ENV": "production",
        "PASSERELLE_DATABASE_URL": args.database_url,
        "PASSERELLE_SECRET_KEY": secret_key,
        "PASSERELLE_INSTANCE_DIR": str(instance),
        "PASSERELLE_BASE_URL": base,
        "PASSERELLE_MAIL_BACKEND": "file",
    }
    _prepare(env, args.database_url, args.scale, args.reload)
    plan_path = out / "plan.json"
    plan_path.write_text(
        json.dumps(
            _plan(env, args.database_url, secret_key, [float(x) for x in args.wait.split(",")])
        ),
        encoding="utf-8",
    )

    logs = {name: open(out / f"{name}.log", "w") for name in ("gunicorn", "jobs")}  # noqa: SIM115
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
         "web:create_app()"],
        env=env, cwd=ROOT, stdout=logs["gunicorn"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "jobs"], env=env, cwd=ROOT, stdout=logs["jobs"],
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    status = 0
    try:
        _wait_ready(base)
        print(f"gunicorn ({args.workers} workers) and the scheduler run; locust CSV in {out}")
        if args.warmup:
            _locust(base, plan_path, 10, args.warmup, out / "warmup")
        lines: list[str] = []
        quiet_healthz: float | None = None
        saturated_at_target = False
        for users in (int(u) for u in args.users.split(",")):
            rows = _locust(base, plan_path, users, args.duration, out)
            rows = [r for r in rows if r["name"] != "Aggregated"] + [
                r for r in rows if r["name"] == "Aggregated"
            ]
            start = len(lines)
            lines += _report(users, rows)
            healthz_p50 = next(r for r in rows if r["name"] == BASELINE)["p50"]
            quiet_healthz = quiet_healthz or healthz_p50
            if healthz_p50 > SATURATED * max(quiet_healthz, 1.0):
                saturated_at_target = saturated_at_target or users == TARGET_USERS
                lines.append(
                    f"\nSaturated: healthz p50 {healthz_p50:.0f} ms against {quiet_healthz:.0f} ms"
                    f" at {args.users.split(',')[0]} users; every request waits in the same queue,"
                    " so the ratios measure the queue, not the pages."
                )
            if users == TARGET_USERS:
                healthz = next(r for r in rows if r["name"] == BASELINE)["p95"]
                for r in rows:
                    over = r["name"] != "Aggregated" and r["p95"] > TARGET_RATIO * healthz
                    if over or r["failures"]:
                        status = 1
            print("\n".join(lines[start:]), flush=True)
        (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        measured = str(TARGET_USERS) in args.users.split(",")
        verdict = ("met" if status == 0 else "NOT met") if measured else "not measured"
        if measured and saturated_at_target:
            verdict += " (saturated at that level: see above)"
        print(
            f"\ntarget at {TARGET_USERS} users (p95 < {TARGET_RATIO}x healthz, no error): {verdict}"
        )
    finally:
        _stop(server)
        _stop(scheduler)
        for log in logs.values():
            log.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
