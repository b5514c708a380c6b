"""One French presentation layer: pages and mails say the same thing the same way.

The labels and formatters live in ``data.presentation``; the web installs them on its Jinja
environment and the one mail renderer (``data.mail.render``) on its own. These tests read a real
page and a real mail (the digest job, through the outbox, to the file mailer) for the same pair.
"""

from __future__ import annotations

import doctest
import re
from datetime import UTC, date, datetime
from email.message import Message
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from data import mail
from data.mail import links as links_module
from data.mail.render import environment as mail_environment
from data.models import SuggestionStatus
from data.operations._common import local_today
from data.presentation import FILTERS, GLOBALS, LABELS, date_fr, formatters, km, label
from data.presentation import labels as labels_module
from data.presentation import reasons as reasons_module
from jobs.digests import send_digests
from tests.web.conftest import World, sign_in
from web.db import state

#: A distance under one kilometre: pages once said « moins d'1 km » and mails « sur place ».
NEAR_KM = 0.4
WEB_TEMPLATES = Path(__file__).parents[2] / "web" / "templates"
MAIL_TEMPLATES = Path(__file__).parents[2] / "data" / "mail" / "templates"


class _InThisThread:
    """The file mailer without ``clone``: the outbox then sends in this thread.

    The app's sessions share the test's connection, which other threads cannot use.
    """

    def __init__(self, inner: mail.FileMailer) -> None:
        self.inner = inner
        self.base_url = inner.base_url
        self.mail_from = inner.mail_from

    def send(self, message: Message) -> None:
        self.inner.send(message)


def test_pages_and_mails_get_the_very_same_filters_and_globals(app: Flask) -> None:
    mails = mail_environment()
    for name, function in FILTERS.items():
        assert app.jinja_env.filters[name] is function, name
        assert mails.filters[name] is function, name
    for name, value in GLOBALS.items():
        assert app.jinja_env.globals[name] is value and mails.globals[name] is value, name


def test_a_distance_and_a_date_read_the_same_on_the_page_and_in_the_mail(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    start = date(local_today().year + 1, 3, 1)  # the 1st: « 1er mars »
    world.suggestion.distance_km = NEAR_KM
    world.offer.start_date = start
    session.commit()
    near, day = km(NEAR_KM), date_fr(start)
    assert (near, day) == ("moins de 1 km", f"1er mars {start.year}")

    # The page: the employer reads the approved pair on the offer's page.
    page = sign_in(app.test_client(), world.employer_user).get(
        f"/employeur/offres/{world.offer.id}"
    )
    assert page.status_code == 200
    assert f"<dd>{near}</dd>" in page.text and day in page.text

    # The mail: the candidate's digest, rendered and sent by the job as the scheduler runs it.
    mailer = _InThisThread(mail.FileMailer(tmp_path / "digests", base_url="http://localhost"))
    frequency = world.candidate_user.candidate.notify_frequency.value
    counts = send_digests(state(app).session_factory, mailer, frequency=frequency)
    assert counts.get("sent", 0) >= 1, counts
    (kept,) = [
        m
        for m in mail.list_local_mails(tmp_path / "digests")
        if m.to == world.candidate_user.candidate.email
    ]
    message = mail.read_local_mail(tmp_path / "digests", kept.name)
    assert message is not None
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert f"({near})" in body and day in body, body


def test_a_status_reads_the_same_on_the_dashboard_and_in_the_weekly_summary(
    app: Flask, world: World
) -> None:
    from jobs.summary import weekly_figures

    page = sign_in(app.test_client(), world.coordinator).get("/coordination/")
    with state(app).session_factory() as s:
        stages = dict(weekly_figures(s, datetime.now(UTC))["stages"])
    approved = label(SuggestionStatus.APPROVED)
    assert stages[approved] >= 1
    assert f">{approved}</a>" in page.text


def test_no_template_defines_labels_or_lazy_plurals_of_its_own() -> None:
    """Labels are data.presentation's; plurals go through ``plural``/``agree``, never « (s) »."""
    own_labels = re.compile(r"\{%-?\s*set\s+\w+\s*=\s*\{")
    lazy_plural = re.compile(r"\w\(s\)|\{\{\s*['\"]s['\"]\s+if\b")
    templates = [*WEB_TEMPLATES.rglob("*.html"), *MAIL_TEMPLATES.rglob("*.*")]
    assert len(templates) > 50
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not own_labels.search(text), path
        assert not lazy_plural.search(text), path


def test_one_mail_template_tree() -> None:
    """The web's mails are rendered from the same tree as the jobs' (``data/mail/templates``)."""
    assert not (WEB_TEMPLATES / "mail").exists()
    for name in ("signin", "join_accepted", "coordinator_summary", "digest_candidate"):
        for suffix in (".txt", ".html"):
            assert (MAIL_TEMPLATES / "mail" / f"{name}{suffix}").is_file(), name + suffix


def test_every_value_shown_to_people_has_its_one_label() -> None:
    for enum_class, labels in LABELS.items():
        assert set(labels) == {m.value for m in enum_class}, enum_class.__name__
        for member in enum_class:
            assert label(member) == labels[member.value] != member.value, member


def test_the_formatters_examples_hold() -> None:
    for module in (formatters, labels_module, links_module, reasons_module):
        assert doctest.testmod(module).failed == 0, module.__name__


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (formatters.number(0.5, 2), "0,5"),
        (formatters.number(1234), "1\u202f234"),
        (formatters.number(1234567.25, 2), "1\u202f234\u202f567,25"),
        (formatters.km(12.5, 1), "12,5 km"),
        (formatters.km(1234.2), "1\u202f234 km"),
        (formatters.weight(0.35), "0,35"),
        (formatters.percent(0.5), "50 %"),
        (formatters.plural(1234, "lit", "lits"), "1\u202f234 lits"),
        (date_fr(date(2027, 8, 1)), "1er août 2027"),
        (date_fr(date(2027, 8, 2)), "2 août 2027"),
    ],
)
def test_numbers_distances_and_dates_are_written_the_french_way(
    written: str, expected: str
) -> None:
    assert written == expected
    assert "." not in written  # never a decimal point, nor « 1.234 »


def test_the_public_offers_say_the_first_of_the_month_as_the_mails_do(
    app: Flask, session: Session, world: World
) -> None:
    """« début le 1 août 2027 » once on pages, « 1er août » in mails: one formatter now."""
    world.offer.start_date = date(local_today().year + 1, 8, 1)
    session.commit()
    page = app.test_client().get("/offres").text
    assert f"début le 1er août {world.offer.start_date.year}" in page
    assert "début le 1 août" not in page
