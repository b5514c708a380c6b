"""Re-matching: the engine runs again only when offers or requests changed, or every night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import SYSTEM
from data.mail import make_mailer
from data.models import Suggestion, SuggestionStatus
from data.operations import approve_suggestion, update_request
from jobs.rematch import rematch
from tests.jobs.conftest import build_world


def test_rematch_runs_when_something_changed_and_keeps_decisions(
    committed_factory: sessionmaker[Session], tmp_path
) -> None:
    # Real time here: ORM ``onupdate`` stamps use the clock, and the watermark compares them.
    T0 = datetime.now(UTC)  # noqa: N806
    w = build_world(committed_factory, now=T0)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path)})

    first = rematch(committed_factory, mailer, T0)
    assert first["created"] == 1 and first["requests"] == 1 and first["offers"] == 1
    assert rematch(committed_factory, mailer, T0 + timedelta(minutes=5)) == {"skipped": 1}
    with committed_factory.begin() as s:
        pair = s.scalars(select(Suggestion)).one()
        assert (pair.request_id, pair.offer_id) == (w.request_id, w.offer_id)
        approve_suggestion(s, pair, SYSTEM, now=T0)

    # The candidate widens the search: the request changed, the engine runs again.
    with committed_factory.begin() as s:
        update_request(s, w.request_id, max_distance_km=40, now=T0 + timedelta(minutes=7))
    again = rematch(committed_factory, mailer, T0 + timedelta(minutes=10))
    # Only a request changed: it is re-matched on its own; its one pair keeps its numbers.
    assert again["requests_changed"] == 1 and again["offers_changed"] == 0
    assert (again["created"], again["updated"]) == (0, 0)
    # The nightly run recomputes anyway.
    assert "skipped" not in rematch(committed_factory, mailer, T0 + timedelta(hours=18), full=True)
    with committed_factory() as s:
        pair = s.scalars(select(Suggestion)).one()
        assert pair.status == SuggestionStatus.APPROVED  # a decision is never undone
