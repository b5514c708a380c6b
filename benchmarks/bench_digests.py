"""Benchmark: the daily digests of 10,000 candidates, queued and sent to a local SMTP server.

Target: under 60 s for the whole job (queue + send). The baseline, measured in the same run, is the
floor any sender pays: the same number of prebuilt messages of the same size sent over one SMTP
connection by ``smtplib`` with no database at all. The figure that matters across machines is the
ratio of the job to that floor.

Run on demand (never in the tests)::

    .venv/bin/python -m benchmarks.bench_digests [--candidates 10000] [--database-url URL]

The SMTP server (aiosmtpd, counting and discarding) runs in its own process, as a real one would,
so that it does not share the interpreter lock with the job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from data import migrate  # noqa: E402
from data.db import make_engine, make_session_factory  # noqa: E402
from data.mail import make_mailer  # noqa: E402
from data.models import (  # noqa: E402
    Candidate,
    Commune,
    Employer,
    Offer,
    Request,
    Site,
    Suggestion,
)
from data.reference import load_reference  # noqa: E402

__all__ = ["run"]

NOW = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # Monday 07:30 in Paris
TARGET_SECONDS = 60.0
OFFERS = 200


# --- The SMTP server, in a child process ----------------------------------------------------


class _CountingSink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ANN001, ANN201
        self.count += 1
        return "250 OK"


def _serve(port: int, count_file: str) -> None:
    from aiosmtpd.controller import Controller

    handler = _CountingSink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    stop = asyncio.Event()

    def _dump(*_: object) -> None:
        Path(count_file).write_text(str(handler.count))

    signal.signal(signal.SIGUSR1, _dump)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    try:
        while not stop.is_set():
            time.sleep(3600)
    finally:
        controller.stop()


class _PhaseMarks(logging.Handler):
    """Note when each phase of the job logs that it is done (queue, then send)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.endswith("done") and ": employers:" in message:
            self.at["employers"] = time.perf_counter()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpProcess:
    """A counting aiosmtpd server in a child process."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.count_file = tmp / "smtp-count"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(self.port), str(self.count_file)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def received(self) -> int:
        self.count_file.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(100):
            if self.count_file.exists() and self.count_file.read_text():
                return int(self.count_file.read_text())
            time.sleep(0.05)
        raise RuntimeError("the SMTP server did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# --- The data -------------------------------------------------------------------------------------


def _populate(session: Session, candidates: int) -> None:
    """Insert an employer, its offers, and candidates with one approved pair each (bulk)."""
    session.add(
        Commune(
            insee="01053",
            name="Bourg-en-Bresse",
            departement="01",
            postal_codes="01000",
            latitude=46.2052,
            longitude=5.2255,
            population=41000,
        )
    )
    employer = Employer(
        name="EHPAD Les Tilleuls",
        siret="99000001000017",
        kind="ehpad",
        contact_name="Claire Martin",
        contact_email="rh@tilleuls.example",
    )
    session.add(employer)
    session.flush()
    site = Site(employer_id=employer.id, name="Résidence du Parc", commune_insee="01053")
    session.add(site)
    session.flush()
    session.execute(
        insert(Offer),
        [
            {
                "site_id": site.id,
                "metier_code": "aide-soignant",
                "diploma": "DEAS",
                "contract": "apprentissage",
                "places": 2,
                "start_date": date(2026, 9, 1),
                "duration_months": 18,
                "description": "Apprentissage en EHPAD.",
                "status": "published",
                "published_at": NOW - timedelta(days=10),
            }
            for _ in range(OFFERS)
        ],
    )
    offer_ids = [o.id for o in session.query(Offer.id).order_by(Offer.id)]
    session.execute(
        insert(Candidate),
        [
            {
                "first_name": "Léa",
                "last_name": f"Candidate {i}",
                "email": f"candidat.{i}@exemple.fr",
                "consent_at": NOW - timedelta(days=5),
                "notify_frequency": "daily",
                "last_activity_at": NOW - timedelta(days=5),
            }
            for i in range(candidates)
        ],
    )
    candidate_ids = [c.id for c in session.query(Candidate.id).order_by(Candidate.id)]
    session.execute(
        insert(Request),
        [{"candidate_id": cid, "commune_insee": "01053"} for cid in candidate_ids],
    )
    request_ids = [r.id for r in session.query(Request.id).order_by(Request.id)]
    session.execute(
        insert(Suggestion),
        [
            {
                "request_id": rid,
                "offer_id": offer_ids[i % OFFERS],
                "score": 0.8,
                "distance_km": 12.0,
                "criteria": {},
                "reasons": ["Même métier", "12 km de chez vous"],
                "engine_version": "bench",
                "status": "approved",
            }
            for i, rid in enumerate(request_ids)
        ],
    )


def _baseline(smtp: SmtpProcess, n: int, size: int) -> float:
    """Seconds to send ``n`` prebuilt messages of ``size`` bytes over one SMTP connection."""
    mailer = make_mailer(
        {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp.port,
            "SMTP_STARTTLS": False,
        }
    )
    messages = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@passerelle.example", f"c{i}@exemple.fr", "x"
        msg.set_content("x" * size)
        messages.append(msg)
    started = time.perf_counter()
    for msg in messages:
        mailer.send(msg)
    mailer.close()
    return time.perf_counter() - started


PG_SCHEMA = "bench_digests"


def _engine(url: str) -> tuple[Any, Any]:
    """Return the engine to benchmark on, and a cleanup; PostgreSQL gets a schema of its own."""
    if not url.startswith("postgresql"):
        engine = make_engine(url)
        return engine, engine.dispose
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={PG_SCHEMA}"})

    def cleanup() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        admin.dispose()

    return engine, cleanup


def run(
    candidates: int = 10_000, database_url: str | None = None, sqlite_wal: bool = False
) -> dict[str, Any]:
    """Run the benchmark; return its figures."""
    from jobs.digests import send_digests

    with tempfile.TemporaryDirectory(prefix="bench-digests-") as tmp_name:
        tmp = Path(tmp_name)
        url = database_url or f"sqlite:///{tmp}/bench.db"
        engine, cleanup = _engine(url)
        if sqlite_wal and engine.dialect.name == "sqlite":
            raw = engine.raw_connection()  # outside SQLAlchemy's BEGIN: PRAGMA needs no transaction
            try:
                raw.driver_connection.execute("PRAGMA journal_mode=WAL")
            finally:
                raw.close()
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        with factory.begin() as s:
            load_reference(s, communes_path=Path("/nonexistent"))
            _populate(s, candidates)
        # A live database has planner statistics; freshly bulk-loaded rows have none yet.
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        smtp = SmtpProcess(tmp)
        try:
            mailer = make_mailer(
                {
                    "MAIL_BACKEND": "smtp",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": smtp.port,
                    "SMTP_STARTTLS": False,
                    "BASE_URL": "https://passerelle.example",
                }
            )
            marks = _PhaseMarks()
            jobs_log = logging.getLogger("jobs")
            jobs_log.setLevel(logging.INFO)
            jobs_log.addHandler(marks)
            started = time.perf_counter()
            try:
                counts = send_digests(factory, mailer, NOW, frequency="daily")
            finally:
                jobs_log.removeHandler(marks)
            job_seconds = time.perf_counter() - started
            queued_seconds = marks.at.get("employers", job_seconds + started) - started
            received = smtp.received()
            from sqlalchemy import func, select

            from data.models.mail import OutboxMessage

            body = func.length(OutboxMessage.text) + func.length(OutboxMessage.html)
            with factory() as s:
                size = int(s.scalar(select(func.avg(body))) or 0)
            baseline = _baseline(smtp, candidates, size)
        finally:
            smtp.stop()
            cleanup()
    mails = counts.get("candidate_mails", 0) + counts.get("employer_mails", 0)
    return {
        "candidates": candidates,
        "backend": engine.dialect.name + (" (WAL)" if sqlite_wal else ""),
        "mails_queued": mails,
        "mails_sent": counts.get("sent", 0),
        "mails_received": received,
        "job_seconds": round(job_seconds, 2),
        "queue_seconds": round(queued_seconds, 2),
        "send_seconds": round(job_seconds - queued_seconds, 2),
        "mails_per_second": round(mails / job_seconds, 1),
        "baseline_smtp_seconds": round(baseline, 2),
        "ratio_to_baseline": round(job_seconds / baseline, 2),
        "target_seconds": TARGET_SECONDS,
        "within_target": job_seconds < TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--database-url", default=os.environ.get("PASSERELLE_BENCH_DATABASE_URL"))
    parser.add_argument(
        "--sqlite-wal", action="store_true", help="put the SQLite file in WAL journal mode first"
    )
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(int(args.serve[0]), args.serve[1])
        return 0
    result = run(args.candidates, args.database_url, args.sqlite_wal)
    print(json.dumps(result, indent=2))
    ok = result["within_target"] and result["mails_received"] == result["mails_queued"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
