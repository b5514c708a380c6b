"""The sender: drain the outbox (mails queued by the web and by the jobs), exactly once each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.mail import Mailer, send_pending
from jobs.common import SEND_WORKERS, stop_requested

__all__ = ["send_outbox", "BATCH"]

#: Mails per ``send_pending`` call; the job loops until the outbox has nothing due.
BATCH = 500


def send_outbox(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    now: datetime | None = None,
    *,
    limit: int = 20_000,
) -> dict[str, int]:
    """Send due mails, ``BATCH`` at a time, up to ``limit``; return the summed counts."""
    totals: dict[str, int] = {}
    claimed = 0
    while claimed < limit and not stop_requested():
        report = send_pending(
            session_factory,
            mailer,
            now=now,
            limit=min(BATCH, limit - claimed),
            workers=SEND_WORKERS,
        )
        for key, value in report.as_dict().items():
            totals[key] = totals.get(key, 0) + value
        claimed += report.claimed
        # Stop when nothing is due, or the server is down (rows were handed back untried).
        if report.claimed == 0 or report.released:
            break
    return totals
