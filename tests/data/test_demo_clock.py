"""The demo's clock: a demo loaded before its morning stamps nothing in the future.

Apart from ``test_demo.py``, whose module-wide demo holds its transaction open: a second load
there would wait on it (PostgreSQL) for the demo's unique e-mail addresses.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.demo import load_demo
from data.models import Employer, Offer, Request, Suggestion, utcnow
from data.operations._common import local_today


def test_a_demo_loaded_before_its_morning_stamps_nothing_in_the_future(session: Session) -> None:
    # Loaded at night or early in the morning, the demo's 9:00 lies ahead: a row stamped after
    # now would hide the real changes made until then from the re-matching job's watermark.
    load_demo(session, seed=1, today=local_today() + timedelta(days=1))
    now = utcnow()
    for model in (Offer, Request, Employer, Suggestion):
        latest = session.scalar(select(func.max(model.updated_at)))
        assert latest is not None and latest <= now, model
