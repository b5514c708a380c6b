"""The invariants of a soak: read from the database, the mails the relay accepted and the logs.

Each check returns the list of what is wrong (French is for people; these are for developers),
so that a failing soak names every broken invariant at once, not only the first.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import Connection, func, select

from data.jobruns import interval_of
from data.models import (
    Candidate,
    Commune,
    Employer,
    HousingResource,
    Metier,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    RequestStatus,
    Site,
    StructureCheck,
    Suggestion,
    SuggestionStatus,
)
from data.models.mail import JobRun, JobRunStatus, OutboxMessage, OutboxStatus
from tests.soak.harness import MailCatcher, Person, Service
from tests.soak.scenario import Record

#: Rematch runs late by up to this much on a loaded machine (the run before still going, the
#: scheduler's thread pool busy): "within one interval, plus slack".
RESCHEDULE_SLACK = timedelta(seconds=10)
CONTACT_KINDS = ("contact_candidate", "contact_employer")
#: The states of a pair that an approval leads to.
APPROVED_LATER = (
    SuggestionStatus.APPROVED,
    SuggestionStatus.CONTACTED,
    SuggestionStatus.INTERVIEW,
    SuggestionStatus.CONTRACT_SIGNED,
    SuggestionStatus.ABANDONED,
    SuggestionStatus.BROKEN,
)
STARTED = re.compile(r"job (\w+) started \(run (\d+)\)")


def check_all(
    service: Service, record: Record, exits: list[int], coordinator: Person, since: float
) -> list[str]:
    """Return every broken invariant of the soak so far (the scheduler is stopped)."""
    problems: list[str] = []
    with service.db.engine.connect() as conn:
        problems += job_runs(conn, service, exits, since, service.schedule)
        problems += suggestions_in_time(conn, service, record)
        problems += contact_mails(conn, service.mail, record)
        problems += nobody_mailed_after_leaving(service.mail, record)
        problems += dashboard(conn, coordinator)
        problems += beds(conn, record)
    problems += no_server_error(service, record)
    return problems


def beds(conn: Connection, record: Record) -> list[str]:
    """Each hostel published in the soak: its beds taken are those of the pairs signed while
    housed there (the soak's hostels let no bed otherwise), never more than its beds."""
    problems: list[str] = []
    for hostel in sorted(record.hostels):
        row = conn.execute(
            select(HousingResource.beds, HousingResource.beds_taken).where(
                HousingResource.id == hostel
            )
        ).one()
        signed = conn.scalar(
            select(func.count())
            .select_from(Suggestion)
            .where(
                Suggestion.proposed_housing_id == hostel,
                Suggestion.id.in_(sorted(record.housed_signed)),
                Suggestion.status == SuggestionStatus.CONTRACT_SIGNED,
            )
        )
        if row.beds_taken != signed or row.beds_taken > row.beds:
            problems.append(
                f"hostel {hostel}: {row.beds_taken} beds taken of {row.beds}, {signed} signed pairs"
            )
    return problems


def job_runs(
    conn: Connection, service: Service, exits: list[int], since: float, expected: Iterable[str]
) -> list[str]:
    """Every run recorded (in the logs and the table), succeeded, none left running.

    Each job of ``expected`` ran at least once since ``since``.
    """
    problems = [f"a scheduler exited with status {s} after SIGINT" for s in exits if s != 0]
    runs = {r.id: r for r in conn.execute(select(JobRun)).all()}
    for r in runs.values():
        if r.status == JobRunStatus.RUNNING:
            problems.append(f"run {r.id} of {r.job} is still running after the scheduler stopped")
        elif r.status != JobRunStatus.SUCCESS:
            first = (r.error or "").strip().splitlines()[:1]
            problems.append(f"run {r.id} of {r.job} {r.status}: {first[0] if first else ''}")
    logged: dict[int, str] = {}
    for name, text in service.logs().items():
        if name.startswith("jobs"):
            logged.update({int(i): job for job, i in STARTED.findall(text)})
    for run_id, job in logged.items():
        if run_id not in runs or runs[run_id].job != job:
            problems.append(f"run {run_id} of {job} is in the log but not in job_runs")
    for r in runs.values():
        if r.trigger == "scheduler" and r.id not in logged:
            problems.append(f"run {r.id} of {r.job} is in job_runs but in no scheduler's log")
    ran = {r.job for r in runs.values() if r.started_at.timestamp() >= since}
    problems += [f"{job} never ran" for job in expected if job not in ran]
    return problems


def suggestions_in_time(conn: Connection, service: Service, record: Record) -> list[str]:
    """Every new or changed open offer and active request got suggestions within an interval."""
    problems: list[str] = []
    interval = interval_of({"JOB_SCHEDULE": service.schedule}, "rematch")
    assert interval is not None
    starts = sorted(
        r.started_at.timestamp()
        for r in conn.execute(
            select(JobRun.started_at).where(
                JobRun.job.in_(("rematch", "rematch_full")),
                JobRun.status == JobRunStatus.SUCCESS,
            )
        )
    )
    for change in record.changes:
        if change.kind == "offer":
            if change.ident in record.closed_offers:
                continue
            where = Suggestion.offer_id == change.ident
        else:
            if change.ident in record.deleted:
                continue
            request_id = conn.scalar(
                select(Request.id)
                .join(Candidate, Candidate.id == Request.candidate_id)
                .where(Candidate.email == change.ident)
            )
            where = Suggestion.request_id == request_id
        label = f"{change.kind} {change.ident} ({change.what})"
        deadline = change.at + (interval + RESCHEDULE_SLACK).total_seconds()
        first = next((t for t in starts if t >= change.at), None)
        if first is None or first > deadline:
            late = "never" if first is None else f"{first - change.at:.1f} s after"
            problems.append(f"{label}: no successful rematch within {interval}: {late}")
        found = conn.execute(
            select(func.count(Suggestion.id), func.min(Suggestion.created_at)).where(
                where, Suggestion.stale.is_(False)
            )
        ).one()
        if not found[0]:
            problems.append(f"{label}: has no suggestion")
        elif change.what == "published" and found[1].timestamp() > deadline:
            problems.append(f"{label}: first suggestion {found[1]} after the interval")
    return problems


def contact_mails(conn: Connection, mail: MailCatcher, record: Record) -> list[str]:
    """Every approved pair: its two contact mails, queued once, accepted by the relay once."""
    problems: list[str] = []
    received = Counter(str(m["Message-ID"]) for _, m in mail.received())
    rows = conn.execute(select(OutboxMessage).where(OutboxMessage.kind.in_(CONTACT_KINDS))).all()
    by_pair: dict[int, list] = {}
    for row in rows:
        by_pair.setdefault(int(row.key.split(":")[1]), []).append(row)
    for pair_id, (candidate, employer, _) in sorted(record.approved.items()):
        mails = by_pair.pop(pair_id, [])
        expected = {("contact_candidate", candidate), ("contact_employer", employer)}
        got = Counter((r.kind, r.recipient) for r in mails)
        for kind, to in sorted(expected):
            if got[(kind, to)] != 1:
                problems.append(f"pair {pair_id}: {got[(kind, to)]} {kind} mails to {to}")
        for r in mails:
            if (r.kind, r.recipient) not in expected:
                problems.append(f"pair {pair_id}: unexpected {r.kind} to {r.recipient}")
            elif r.status != OutboxStatus.SENT or received[r.message_id] != 1:
                problems.append(
                    f"pair {pair_id}: {r.kind} to {r.recipient} is {r.status}, "
                    f"received {received[r.message_id]} times"
                )
    approved_in_db = set(
        conn.scalars(select(Suggestion.id).where(Suggestion.status.in_(APPROVED_LATER)))
    )
    for pair_id in by_pair:
        problems.append(f"pair {pair_id} was never approved but got contact mails")
    for pair_id in record.approved:
        if pair_id not in approved_in_db:
            status = conn.scalar(select(Suggestion.status).where(Suggestion.id == pair_id))
            if status is not None:  # a deleted candidate's pairs go with them
                problems.append(f"pair {pair_id} was approved but is {status}")
    return problems


def nobody_mailed_after_leaving(mail: MailCatcher, record: Record) -> list[str]:
    """No mail reached an address after its owner unsubscribed or deleted their account."""
    problems = []
    for email, (how, at) in sorted(record.left.items()):
        late = [m["X-Passerelle-Kind"] for t, m in mail.to(email) if t > at]
        if late:
            problems.append(f"{email} {how}, then received: {', '.join(late)}")
    return problems


# --- The coordinator's dashboard ------------------------------------------------------------------

TABLE = re.compile(r"<caption>(.*?)</caption>.*?<tbody>(.*?)</tbody>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def dashboard_tables(page: str) -> dict[str, dict[str, int]]:
    """Return each table of the dashboard as {row label: number}, by caption."""
    tables = {}
    for caption, body in TABLE.findall(page):
        rows = {}
        for row in ROW.findall(body):
            cells = [html.unescape(TAG.sub("", c)).strip() for c in CELL.findall(row)]
            if len(cells) >= 2:  # label, [priority of the plan,] number
                rows[cells[0]] = int(cells[-1])
        tables[html.unescape(caption)] = rows
    return tables


def dashboard(conn: Connection, coordinator: Person) -> list[str]:
    """The figures of GET /coordination/ are the database's."""
    from data.presentation import label

    page = coordinator.get("/coordination/")
    problems: list[str] = []
    review = re.search(r"(\d+) suggestions? à examiner", page)
    open_offer = (Offer.status == OfferStatus.PUBLISHED) & (Offer.places_filled < Offer.places)
    active = Request.status == RequestStatus.ACTIVE
    to_review = conn.scalar(
        select(func.count(Suggestion.id))
        .join(Request, Request.id == Suggestion.request_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(Suggestion.status == SuggestionStatus.PROPOSED, ~Suggestion.stale, active)
        .where(open_offer)
    )
    # « À faire » names the suggestions to review, when there are any.
    shown = int(review.group(1)) if review is not None else 0
    if shown != to_review:
        problems.append(f"dashboard: to review {shown}, database {to_review}")
    # And the structures nobody checked yet (the soak's sign-ups: they publish without a check).
    structures = re.search(r"(\d+) structures? à vérifier", page)
    to_check = conn.scalar(
        select(func.count(Employer.id)).where(Employer.check_status == StructureCheck.TO_CHECK)
    )
    listed = int(structures.group(1)) if structures is not None else 0
    if listed != to_check:
        problems.append(f"dashboard: structures to check {listed}, database {to_check}")
    pairs = dict(
        conn.execute(
            select(Suggestion.status, func.count(Suggestion.id)).group_by(Suggestion.status)
        ).all()
    )
    expected: dict[str, dict[str, int]] = {
        "Nombre de binômes à chaque étape": {
            label(SuggestionStatus(s)): pairs.get(s, 0) for s in APPROVED_LATER
        },
        "Offres publiées avec des places": _counts(
            conn,
            select(Metier.label, func.count(Offer.id))
            .join(Offer, Offer.metier_code == Metier.code)
            .where(open_offer)
            .group_by(Metier.label),
        ),
        "Demandes actives": _counts(
            conn,
            select(Metier.label, func.count(func.distinct(RequestMetier.request_id)))
            .join(RequestMetier, RequestMetier.metier_code == Metier.code)
            .join(Request, Request.id == RequestMetier.request_id)
            .where(active)
            .group_by(Metier.label),
        ),
        "Offres ouvertes par commune (15 premières)": _counts(
            conn,
            select(Commune.name, func.count(Offer.id))
            .join(Site, Site.commune_insee == Commune.insee)
            .join(Offer, Offer.site_id == Site.id)
            .where(open_offer)
            .group_by(Commune.name),
        ),
        "Demandes actives par commune (15 premières)": _counts(
            conn,
            select(Commune.name, func.count(Request.id))
            .join(Request, Request.commune_insee == Commune.insee)
            .where(active)
            .group_by(Commune.name),
        ),
    }
    shown = dashboard_tables(page)
    for caption, want in expected.items():
        got = shown.get(caption)
        if got is None:
            problems.append(f"dashboard: no table « {caption} »")
            continue
        if len(want) > 15:  # only the first fifteen are shown: each shown figure must be right
            want = {k: v for k, v in want.items() if k in got}
        if got != want:
            problems.append(f"dashboard « {caption} »: page {got}, database {want}")
    return problems


def _counts(conn: Connection, stmt) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {str(k): int(v) for k, v in conn.execute(stmt).all()}


# --- Errors ---------------------------------------------------------------------------------------

ACCESS_500 = re.compile(r'"[^"\n]*" 5\d\d ')


def no_server_error(service: Service, record: Record) -> list[str]:
    """No answer 5xx, no 5xx or traceback in the web server's log, no traceback in the jobs'."""
    problems = [f"{m} {p} answered {s}" for m, p, s in record.answers if s >= 500]
    for name, text in service.logs().items():
        if name == "web":
            problems += [f"web log: {line}" for line in ACCESS_500.findall(text)]
        if name == "web" or name.startswith("jobs"):
            for block in text.split("Traceback (most recent call last):")[1:]:
                last = [x for x in block.strip().splitlines() if x and not x.startswith(" ")]
                problems.append(f"{name} log: traceback {last[0] if last else ''}")
    return problems
