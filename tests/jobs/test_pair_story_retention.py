"""A broken contract's reason is erased with the other pairs' reasons, past the retention delay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from data.models import SuggestionStatus
from jobs.retention import _erase_old_items
from tests.data.factories import make_suggestion

S = SuggestionStatus
NOW = datetime(2028, 3, 2, 8, 0, tzinfo=UTC)


def test_old_broken_reasons_are_erased_and_recent_ones_kept(session: Session) -> None:
    cutoff = NOW - timedelta(days=730)
    old, recent = (
        make_suggestion(
            session,
            status=S.BROKEN,
            broken_on=date(2026, 1, 5),
            broken_reason="Mme Dupont a démissionné",
            status_changed_at=at,
        )
        for at in (cutoff - timedelta(days=1), cutoff + timedelta(days=1))
    )
    counts = _erase_old_items(session, NOW, cutoff)
    assert counts["pair_reasons_erased"] == 1
    session.refresh(old)
    session.refresh(recent)
    assert (old.broken_reason, old.broken_on) == (None, date(2026, 1, 5))
    assert recent.broken_reason == "Mme Dupont a démissionné"
