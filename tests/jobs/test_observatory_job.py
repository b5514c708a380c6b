"""The observatory's job (issue 20), with real commits: a closed month is stored once, by the
scheduler's own job entry, and its figures survive the deletion of what they counted."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from data.mail import make_mailer
from data.models import ObservatorySnapshot, Request
from data.observatory.snapshots import MARKER, stored_months
from jobs.registry import JOBS_BY_ID
from tests.data import factories as f

NOV = date(2026, 11, 1)


def test_the_job_stores_a_closed_month_once_and_its_figures_outlive_the_records(
    committed_factory: sessionmaker[Session], tmp_path
) -> None:
    with committed_factory.begin() as s:
        request = f.make_request(s)
        request.created_at = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
    spec = JOBS_BY_ID["observatory"]
    assert spec.run_at_start
    mailer = make_mailer({"MAIL_BACKEND": "file", "MAIL_DIR": str(tmp_path)})
    december = datetime(2026, 12, 1, 2, 15, tzinfo=UTC)
    first = spec.func(committed_factory, mailer, december, **spec.kwargs)
    assert first["observatory_months"] >= 1 and first["observatory_figures"] >= 1
    assert (
        spec.func(committed_factory, mailer, december, **spec.kwargs).get("observatory_months", 0)
        == 0
    )
    with committed_factory.begin() as s:
        s.execute(delete(Request))
    with committed_factory() as s:
        assert stored_months(s, NOV, NOV)[NOV].total("requests_created") == 1
        markers = s.scalar(
            select(func.count()).where(
                ObservatorySnapshot.indicator == MARKER, ObservatorySnapshot.month == NOV
            )
        )
        assert markers == 1
