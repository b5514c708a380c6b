"""The welcome kit's nudges (issue 19), on an injected clock and a real SMTP server: each overdue
item not done is told once to each person of the structure, by a mail per item, or in the daily
digest of the person who chose one; never twice, whatever the runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import make_mailer, set_notify_frequency
from data.models import (
    Employer,
    LegalRule,
    NotifyFrequency,
    Request,
    Role,
    SuggestionStatus,
    WelcomeKit,
    WelcomeKitItem,
)
from data.operations import welcome_kit as kit_ops
from data.reference import load_kit_templates, read_legal_rules
from jobs.digests import send_digests
from jobs.kit_nudges import send_kit_nudges
from tests.data.factories import make_offer, make_suggestion, make_user
from tests.jobs.conftest import SmtpServer, World, build_world

# Monday 2 March 2026, 08:30 in Paris; the contract started on Friday 20 February.
T0 = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
START = date(2026, 2, 20)
# Overdue on T0: the six items before the arrival, the first day, the OPCO deposit (Thursday
# 26 February, five working days after the start) and the end of the first week (26 February).
OVERDUE = {
    "master",
    "centre",
    "planning",
    "outfit",
    "aid",
    "dpae",
    "welcome_day",
    "opco",
    "first_week",
}
NOW_WORKER = "equipe@tilleuls.example"


def _kit(factory: sessionmaker[Session], w: World) -> int:
    """The world's pair, its signature planned from START; a second person of the structure
    who chose mails « immédiatement »; the first item done already."""
    with factory.begin() as s:
        # The reference rows the kit reads (the committed database keeps only communes and
        # métiers between tests).
        s.add_all(LegalRule(**row) for row in read_legal_rules())
        load_kit_templates(s)
        request = s.get(Request, w.request_id)
        offer = make_offer(s, s.get(Employer, w.employer_id).sites[0], now=T0 - timedelta(days=40))
        pair = make_suggestion(s, request=request, offer=offer, status=SuggestionStatus.CONTACTED)
        kit = kit_ops.plan_signature(
            s, Actor.system(), pair, START.isoformat(), now=T0 - timedelta(days=40)
        )
        worker = make_user(
            s, Role.EMPLOYER, employer=s.get(Employer, w.employer_id), email=NOW_WORKER
        )
        set_notify_frequency(s, worker.id, NotifyFrequency.IMMEDIATE)
        done = next(i for i in kit.items if i.template_key == "master")
        kit_ops.set_item_done(s, Actor.system(), done.id, True, now=T0 - timedelta(days=35))
        return kit.id


def _to(server: SmtpServer, address: str) -> list[Any]:
    return [m for m in server.messages if str(m["To"]) == address]


def _text(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


def test_each_overdue_item_is_mailed_once_and_read_once_in_the_daily_digest(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0 - timedelta(days=60))
    kit_id = _kit(committed_factory, w)
    mailer = make_mailer(smtp_server.config())
    expected = OVERDUE - {"master"}  # done: never told

    counts = send_kit_nudges(committed_factory, mailer, now=T0)
    assert counts["kit_nudge_mails"] == len(expected) == counts["sent"]
    assert smtp_server.handler.wait_for(len(expected))
    mails = _to(smtp_server, NOW_WORKER)
    assert len(mails) == len(expected)
    with committed_factory() as s:
        labels = {
            i.template_key: i.label
            for i in s.scalars(select(WelcomeKitItem).where(WelcomeKitItem.kit_id == kit_id))
        }
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert subjects == sorted(f"Kit d'accueil : « {labels[k]} » est en retard" for k in expected)
    body = _text(next(m for m in mails if labels["opco"] in str(m["Subject"])))
    assert "devait être fait le 26 février 2026" in body and f"/employeur/kits/{kit_id}" in body
    # The person of the daily digest got no mail from this job.
    assert _to(smtp_server, w.employer_user_email) == []

    # Again, the same day and the next: nothing more (no item fell due in between).
    assert send_kit_nudges(committed_factory, mailer, now=T0)["sent"] == 0
    assert send_kit_nudges(committed_factory, mailer, now=T0 + timedelta(days=1))["sent"] == 0
    assert len(_to(smtp_server, NOW_WORKER)) == len(expected)

    # The daily digest brings them to the other person, once.
    digest = send_digests(committed_factory, mailer, now=T0, frequency="daily")
    assert digest["kit_nudges"] == len(expected)
    assert smtp_server.handler.wait_for(len(expected) + 1)
    [daily] = _to(smtp_server, w.employer_user_email)
    text = _text(daily)
    assert "Kit d'accueil : points en retard" in text
    assert all(labels[k] in text for k in expected) and labels["master"] not in text
    assert str(daily["Subject"]).startswith("Kit d'accueil :")
    send_digests(committed_factory, mailer, now=T0 + timedelta(days=1), frequency="daily")
    send_digests(committed_factory, mailer, now=T0, frequency="daily")
    assert len(_to(smtp_server, w.employer_user_email)) == 1

    with committed_factory() as s:
        items = s.scalars(select(WelcomeKitItem).where(WelcomeKitItem.kit_id == kit_id)).all()
        told = {i.template_key for i in items if i.nudged_at is not None}
        assert told == expected
        assert s.get(WelcomeKit, kit_id) is not None


def test_an_item_falling_due_later_is_told_on_its_own_day(
    committed_factory: sessionmaker[Session], smtp_server: SmtpServer
) -> None:
    w = build_world(committed_factory, now=T0 - timedelta(days=60))
    _kit(committed_factory, w)
    mailer = make_mailer(smtp_server.config())
    first = send_kit_nudges(committed_factory, mailer, now=T0)["sent"]
    # « Avant la première période au centre »: 21 days after the start, 13 March; overdue on
    # the 14th.
    assert send_kit_nudges(committed_factory, mailer, now=T0 + timedelta(days=11))["sent"] == 0
    later = send_kit_nudges(committed_factory, mailer, now=T0 + timedelta(days=12))
    assert later["sent"] == 1
    assert smtp_server.handler.wait_for(first + 1)
    last = _to(smtp_server, NOW_WORKER)[-1]
    assert "Préparer la première période au centre" in str(last["Subject"])
