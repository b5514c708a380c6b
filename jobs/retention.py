"""Data retention (RGPD): erase personal data no longer needed, after a warning.

* A candidate with no activity for :data:`RETENTION_MONTHS` months is warned
  :data:`WARNING_DAYS` days ahead, then erased by :func:`data.privacy.erase_candidate`, as if they
  had deleted their account (identity, account, mails, links gone; the request's commune, métiers
  and pairs kept for statistics). Without an address to warn, erased on time.
  Any activity in between (a sign-in, an answer) restarts the clock.
* Refused or closed items follow the same rule: free-text reasons of pairs rejected or abandoned,
  and the tutor named on offers closed, filled or expired, are erased after the same delay.
* Mails: their bodies are dropped :data:`MAIL_BODY_DAYS` days after they went out (the row stays
  to keep each mail unique), the rows themselves after the retention delay; what Passerelle held to
  mail an anonymised person (queued mails, digest marks, unsubscribe tokens) goes with them.
* Job runs older than a year and expired answer links are deleted.
* CV files no candidate names any more (a rollback after the file was written, an erasure
  without the folder) are deleted (:func:`data.operations.cv.sweep_orphan_cvs`).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import Mailer
from data.mail.links import url
from data.models import (
    Candidate,
    Offer,
    OfferStatus,
    Suggestion,
    SuggestionStatus,
)
from data.models.mail import ActionToken, JobRun, OutboxMessage, OutboxStatus
from data.operations.cv import sweep_orphan_cvs
from data.operations.employers import purge_refused_join_requests
from data.privacy import ErasureCause, erase_candidate
from jobs.common import (
    MailBatch,
    add_months,
    base_url_of,
    candidate_recipient,
    clock,
    for_each,
    summary,
)

__all__ = ["apply_retention", "RETENTION_MONTHS", "WARNING_DAYS", "MAIL_BODY_DAYS"]

log = logging.getLogger("jobs.retention")

RETENTION_MONTHS = 24
WARNING_DAYS = 30
MAIL_BODY_DAYS = 90
JOB_RUN_DAYS = 365
WARNING_KIND = "retention_warning"


def _warning_key(candidate: Candidate) -> str:
    return f"candidate:{candidate.id}:{candidate.last_activity_at.isoformat()}"


def apply_retention(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    now: datetime | None = None,
    *,
    cv_dir: str | Path | None = None,
) -> dict[str, int]:
    """Warn, then anonymise inactive candidates; erase old free texts and mails; return counts.

    ``cv_dir`` is the CV folder (the ``CV_DIR`` setting): an erased person's CV goes with them.
    """
    at = clock(now)
    # The file transport's folder: its copies of mails to an erased person go with them.
    mail_dir = getattr(mailer, "mail_dir", None)
    batch = MailBatch(base_url_of(mailer), at)
    counts: Counter[str] = Counter()
    cutoff = add_months(at, -RETENTION_MONTHS)
    # Loose by a few days (months differ in length); each candidate is then checked exactly.
    warn_cutoff = cutoff + timedelta(days=WARNING_DAYS + 4)

    with session_factory() as s:
        due = list(
            s.scalars(
                select(Candidate.id)
                .where(Candidate.anonymised_at.is_(None), Candidate.last_activity_at <= warn_cutoff)
                .order_by(Candidate.id)
            )
        )
    for_each(
        session_factory,
        due,
        lambda s, candidate_id, c: _candidate(s, batch, c, candidate_id, at, mail_dir, cv_dir),
        counts,
        batch,
        label="retention",
    )

    with session_factory.begin() as s:
        counts.update(_erase_old_items(s, at, cutoff))
        if cv_dir is not None:
            counts["orphan_cv_files_deleted"] = sweep_orphan_cvs(s, cv_dir, at)
    counts["sent"] += batch.send(session_factory, mailer, now).sent
    return summary(counts)


def _candidate(
    s: Session,
    batch: MailBatch,
    counts: Counter[str],
    candidate_id: int,
    now: datetime,
    mail_dir: Path | None,
    cv_dir: str | Path | None = None,
) -> list[int | None]:
    candidate = s.get(Candidate, candidate_id)
    if candidate is None or candidate.anonymised_at is not None:
        return []
    erase_on = add_months(candidate.last_activity_at, RETENTION_MONTHS)
    if now < erase_on - timedelta(days=WARNING_DAYS):
        return []
    person = candidate_recipient(s, candidate)
    if person is not None:
        warning = s.scalar(
            select(OutboxMessage.created_at).where(
                OutboxMessage.recipient == person.email,
                OutboxMessage.kind == WARNING_KIND,
                OutboxMessage.key == _warning_key(candidate),
            )
        )
        if warning is None:
            # Warned now: the person gets at least WARNING_DAYS, even if this run comes late.
            erase_on = max(erase_on, now + timedelta(days=WARNING_DAYS))
            mail_id = batch.queue(
                s,
                person,
                kind=WARNING_KIND,
                key=_warning_key(candidate),
                template="retention_warning",
                settings_url=url(batch.base_url, "candidate_notifications"),
                first_name=candidate.first_name,
                last_activity=candidate.last_activity_at,
                erase_on=erase_on,
                sign_in_url=url(batch.base_url, "sign_in"),
            )
            counts["warned"] += 1
            return [mail_id]
        if warning > now - timedelta(days=WARNING_DAYS):
            return []  # warned, still within the notice
    if now < erase_on:
        return []
    counts.update(_erase(s, candidate, mail_dir, now, cv_dir))
    counts["anonymised"] += 1
    return []


def _erase(
    s: Session,
    candidate: Candidate,
    mail_dir: Path | None,
    now: datetime,
    cv_dir: str | Path | None = None,
) -> dict[str, int]:
    """Erase the person as « supprimer mon compte » would: the one erasure of data.privacy."""
    report = erase_candidate(
        s,
        candidate,
        cause=ErasureCause.RETENTION,
        actor=Actor.job("retention"),
        now=now,
        mail_dir=mail_dir,
        cv_dir=cv_dir,
    )
    return report.counts


def _erase_old_items(s: Session, now: datetime, cutoff: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    result = s.execute(
        update(Suggestion)
        .where(
            Suggestion.status.in_((SuggestionStatus.REJECTED, SuggestionStatus.ABANDONED)),
            Suggestion.status_changed_at <= cutoff,
            or_(Suggestion.rejection_reason.is_not(None), Suggestion.employer_reason.is_not(None)),
        )
        .values(rejection_reason=None, employer_reason=None)
        .execution_options(synchronize_session=False)
    )
    counts["pair_reasons_erased"] = result.rowcount or 0
    # A broken contract's reason (issue 15), kept as long as the other pairs' reasons.
    result = s.execute(
        update(Suggestion)
        .where(
            Suggestion.status == SuggestionStatus.BROKEN,
            Suggestion.status_changed_at <= cutoff,
            Suggestion.broken_reason.is_not(None),
        )
        .values(broken_reason=None)
        .execution_options(synchronize_session=False)
    )
    counts["pair_reasons_erased"] += result.rowcount or 0
    result = s.execute(
        update(Offer)
        .where(
            Offer.status.in_((OfferStatus.CLOSED, OfferStatus.FILLED, OfferStatus.EXPIRED)),
            Offer.closed_at <= cutoff,
            or_(Offer.tutor_name.is_not(None), Offer.tutor_role.is_not(None)),
        )
        .values(tutor_name=None, tutor_role=None)
        .execution_options(synchronize_session=False)
    )
    counts["offer_tutors_erased"] = result.rowcount or 0
    counts["join_requests_deleted"] = purge_refused_join_requests(s, now=now)
    done = (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.SUPPRESSED)
    result = s.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_(done),
            OutboxMessage.updated_at <= now - timedelta(days=MAIL_BODY_DAYS),
            or_(OutboxMessage.text != "", OutboxMessage.html.is_not(None)),
        )
        .values(text="", html=None)
        .execution_options(synchronize_session=False)
    )
    counts["mail_bodies_erased"] = result.rowcount or 0
    result = s.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status.in_(done), OutboxMessage.created_at <= cutoff)
        .execution_options(synchronize_session=False)
    )
    counts["mails_deleted"] = result.rowcount or 0
    result = s.execute(
        delete(JobRun)
        .where(JobRun.started_at <= now - timedelta(days=JOB_RUN_DAYS))
        .execution_options(synchronize_session=False)
    )
    counts["job_runs_deleted"] = result.rowcount or 0
    result = s.execute(
        delete(ActionToken)
        .where(ActionToken.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    counts["answer_links_deleted"] = result.rowcount or 0
    return counts
