"""The discovery days' job and races (issue 18), with real commits and a real SMTP server.

The job proposes, marks done after the last day and sends the questionnaires, each once
whatever the runs; approvals racing for a day's last place never over-book it (a guarded
counter: on PostgreSQL the second writer waits for the first, then matches no row).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.errors import Conflict
from data.mail import make_mailer, send_pending
from data.models import DiscoveryDay, DiscoveryMatch, DiscoveryMatchStatus, Questionnaire, Role
from data.operations import discovery as ops
from jobs.discovery import run_discovery
from tests.data import factories as f
from tests.jobs.conftest import SmtpServer
from tests.jobs.test_concurrent_decisions import _together

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
FIRST = NOW.date() + timedelta(days=30)


def _world(factory: sessionmaker[Session], people: int, places: int) -> tuple[int, int]:
    """A structure's day with ``places``, ``people`` asks near it; return (day id, coordinator)."""
    with factory.begin() as s:
        user = f.make_user(s, Role.EMPLOYER, email="rh@tilleuls.example")
        site = f.make_site(s, user.employer, name="Résidence du Parc")
        day = ops.create_day(
            s,
            Actor.user(user),
            user.employer,
            {
                "site_id": site.id,
                "metier_code": "aide-soignant",
                "starts_on": FIRST,
                "ends_on": FIRST + timedelta(days=1),
                "places": places,
                "host_name": "Sophie Bernard",
            },
            now=NOW,
        )
        for i in range(people):
            candidate = f.make_candidate(s, email=f"personne{i}@exemple.fr", now=NOW)
            ops.create_wish(
                s,
                Actor.system(),
                candidate,
                {
                    "metier_code": "aide-soignant",
                    "commune_insee": f.BOURG,
                    "max_distance_km": 30,
                    "free_from": NOW.date(),
                    "free_until": FIRST + timedelta(days=10),
                    "age_band": "18-20",
                },
                now=NOW,
            )
        coordinator = f.make_user(s, Role.COORDINATOR)
        return day.id, coordinator.id


def _coordinator(s: Session, user_id: int) -> Actor:
    from data.models import User

    user = s.get(User, user_id)
    assert user is not None
    return Actor.user(user)


def test_the_job_proposes_then_finishes_and_asks_once_through_a_real_smtp_server(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    day_id, coordinator_id = _world(committed_factory, people=1, places=1)
    mailer = make_mailer(smtp_server.config())
    assert run_discovery(committed_factory, mailer, NOW)["discovery_created"] == 1
    assert run_discovery(committed_factory, mailer, NOW).get("discovery_created", 0) == 0
    with committed_factory.begin() as s:
        match = s.scalars(select(DiscoveryMatch)).one()
        ops.approve_match(s, match, _coordinator(s, coordinator_id), now=NOW)
    assert send_pending(committed_factory, mailer, now=NOW).sent == 2
    assert send_pending(committed_factory, mailer, now=NOW).sent == 0
    subjects = sorted(str(m["Subject"]) for m in smtp_server.messages)
    assert len(subjects) == 2 and all("Aide-soignant" in x for x in subjects)

    after = datetime.combine(FIRST + timedelta(days=2), NOW.timetz())
    counts = run_discovery(committed_factory, mailer, after)
    assert counts["discovery_done"] == 1 and counts["discovery_questionnaires"] == 2
    again = run_discovery(committed_factory, mailer, after)
    assert again.get("discovery_done", 0) == 0 and again.get("discovery_questionnaires", 0) == 0
    assert send_pending(committed_factory, mailer, now=after).sent == 2
    assert len(smtp_server.messages) == 4
    with committed_factory() as s:
        assert s.scalar(select(func.count(Questionnaire.id))) == 2
        assert s.get(DiscoveryDay, day_id).places_taken == 1  # type: ignore[union-attr]


def test_two_approvals_for_the_last_place_at_once_never_over_book(
    committed_factory: sessionmaker[Session],
) -> None:
    day_id, coordinator_id = _world(committed_factory, people=2, places=1)
    run_discovery(committed_factory, make_mailer({}), NOW)
    with committed_factory() as s:
        match_ids = list(s.scalars(select(DiscoveryMatch.id).order_by(DiscoveryMatch.id)))
    assert len(match_ids) == 2

    def approve(match_id: int) -> Callable[[], str]:
        def run() -> str:
            with committed_factory() as s:
                try:
                    ops.approve_match(s, match_id, _coordinator(s, coordinator_id), now=NOW)
                    s.commit()
                    return "won"
                except Conflict:
                    return "full"

        return run

    assert sorted(_together([approve(i) for i in match_ids])) == ["full", "won"]
    with committed_factory() as s:
        assert s.get(DiscoveryDay, day_id).places_taken == 1  # type: ignore[union-attr]
        planned = s.scalar(
            select(func.count(DiscoveryMatch.id)).where(
                DiscoveryMatch.status == DiscoveryMatchStatus.PLANNED
            )
        )
        assert planned == 1
