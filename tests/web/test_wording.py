"""French without internal codes: every page of every role, read as a person reads it.

A rich world (a pair with a history of several events, an offer with a place filled, job runs
reporting every count) is rendered page by page, as each role, and the visible text is checked
for English identifiers, snake_case words and lazy « (s) » plurals.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import Actor
from data.models import (
    HousingKind,
    Interest,
    NotifyFrequency,
    OfferStatus,
    RequestStatus,
    Role,
    SuggestionStatus,
    User,
)
from data.models.mail import JobRun, JobRunStatus, OutboxMessage, OutboxStatus
from data.presentation import COUNT_LABELS, FIELD_LABELS, JOB_LABELS
from tests.web.conftest import World, sign_in

#: Elements whose content a person never reads, and ``code``: a command or a file's column
#: names, which a person types exactly as shown (the CSV import's columns, a CLI command).
HIDDEN_ELEMENTS = {"script", "style", "template", "code"}
#: Attributes a person reads (or hears through a screen reader).
READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
#: The enums whose values are English words (the others are French codes: "ehpad", "apprentissage").
ENGLISH_ENUMS = (
    SuggestionStatus,
    OfferStatus,
    RequestStatus,
    Interest,
    NotifyFrequency,
    Role,
    HousingKind,
    OutboxStatus,
    JobRunStatus,
)
#: English identifiers that are French words too ("Active", "la candidate", "employer").
FRENCH_TOO = {"active", "candidate", "employer", "contacts", "suggestions", "sites", "other"}
#: The internal identifiers a page must never show: the English enum values, job names, count
#: names and history actions, unless it is also a French word.
IDENTIFIERS = sorted(
    {m.value for enum_class in ENGLISH_ENUMS for m in enum_class}
    | set(JOB_LABELS)
    | set(COUNT_LABELS)
    | {"created", "status_change", "employer_interest", "candidate_interest"}
)
IDENTIFIERS = [i for i in IDENTIFIERS if i not in FRENCH_TOO]
ENGLISH = re.compile(r"\b(" + "|".join(map(re.escape, IDENTIFIERS)) + r")\b")
SNAKE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")
LAZY_PLURAL = re.compile(r"\((?:s|e|es|x)\)")
#: « e-mail »: the address is an « adresse électronique », the message a « courriel ».
E_MAIL = re.compile(r"\b[Ee]-?mails?\b")
EMAIL = re.compile(r"\S+@\S+")


class VisibleText(HTMLParser):
    """Collect the text of a page a person reads: no scripts, styles or hidden inputs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden":
            return
        self.parts.extend(v for k, v in attrs if k in READ_ATTRIBUTES and v)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """Return the text a person reads on ``html``, addresses left out (they are data)."""
    parser = VisibleText()
    parser.feed(html)
    return EMAIL.sub(" ", " ".join(parser.parts))


def faults(text: str) -> list[str]:
    """Return what a person should not read in ``text``: identifiers, snake_case, « (s) »."""
    found = [m.group(0) for m in SNAKE.finditer(text)]
    found += [m.group(0) for m in ENGLISH.finditer(text)]
    found += [m.group(0) for m in LAZY_PLURAL.finditer(text)]
    found += [m.group(0) for m in E_MAIL.finditer(text)]
    return found


def test_the_checker_catches_what_the_issue_quoted() -> None:
    quoted = (
        "status_change : proposed → approved – Coordination",
        "employer_interest : → interested",
        "released : 0",
        "passage de « published » à « published » impossible",
        "0 place(s) pourvue(s)",
        "5 lit(s)",
        "Adresse e-mail invalide.",
    )
    for text in quoted:
        assert faults(visible_text(f"<p>{text}</p>")), text
    assert not faults(visible_text("<p>Mise en relation faite, 2 lits, Active</p>"))
    assert not faults(visible_text('<script>a_b</script><input type="hidden" value="a_b">'))


@pytest.fixture
def rich(session: Session, world: World) -> World:
    """Give the world a pair with a long history, a filled place and runs of every job."""
    coordinator = Actor.user(world.coordinator)
    world.offer.places = 3
    # The other pair is approved (both contact mails are queued), then abandoned.
    ops.approve_suggestion(session, world.proposed, coordinator)
    ops.abandon_suggestion(session, world.proposed, coordinator, "Trop loin")
    pair = world.suggestion
    ops.set_employer_interest(session, pair, Actor.user(world.employer_user), True)
    ops.set_candidate_interest(session, pair, Actor.user(world.candidate_user), True)
    ops.mark_contacted(session, pair, coordinator)
    ops.mark_interview(session, pair, coordinator)
    ops.mark_contract_signed(session, pair, coordinator)
    stamp = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for job in JOB_LABELS:
        session.add(
            JobRun(
                job=job,
                started_at=stamp,
                finished_at=stamp,
                status=JobRunStatus.SUCCESS,
                counts={name: 0 for name in COUNT_LABELS},
            )
        )
    session.commit()
    assert world.suggestion.status == SuggestionStatus.CONTRACT_SIGNED
    return world


#: Who reads each space (public pages are read by everyone).
def _readers(world: World, rule: str) -> list[User | None]:
    if rule.startswith("/employeur"):
        return [world.employer_user]
    if rule.startswith("/candidat"):
        return [world.candidate_user]
    if rule.startswith("/coordination"):
        return [world.coordinator, world.admin]
    if rule.startswith("/admin"):
        return [world.admin]
    return [None, world.employer_user, world.candidate_user, world.coordinator]


def _ids(world: World) -> dict[str, int]:
    return {
        "candidate_id": world.request.candidate_id,
        "request_id": world.request.id,
        "employer_id": world.employer.id,
        "offer_id": world.offer.id,
        "suggestion_id": world.suggestion.id,
        "site_id": world.offer.site_id,
    }


#: Routes that are not pages (data files, sign-in steps that redirect, the sign-out).
NOT_PAGES = {
    "static",
    "public.communes_outline",
    "public.epci_outline",
    "public.offers_geojson",
    "public.commune_search",
}
NOT_PAGES |= {"candidate.export", "health.healthz", "signin.sign_out", "signin.new_challenge"}


def test_every_page_of_every_role_speaks_french(app: Flask, rich: World) -> None:
    ids = _ids(rich)
    failures: list[str] = []
    pages = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in NOT_PAGES or rule.rule.startswith(("/api/", "/dev/")):
            continue
        if "GET" not in (rule.methods or set()):
            continue
        path = rule.rule
        for name in rule.arguments:
            value = str(ids.get(name, "inconnu"))
            path = re.sub(rf"<(?:[^>:]*:)?{name}>", value, path)
        for user in _readers(rich, rule.rule):
            response = sign_in(app.test_client(), user).get(path)
            assert response.status_code < 500, path
            if not response.content_type.startswith("text/html"):
                continue
            pages += 1
            found = faults(visible_text(response.get_data(as_text=True)))
            if found:
                role = user.role.value if user else "visiteur"
                failures.append(f"{path} ({role}): {sorted(set(found))}")
    assert pages > 60
    assert not failures, "\n".join(failures)


def test_every_count_a_job_reports_has_a_french_name() -> None:
    from data.mail.outbox import SendReport

    root = Path(__file__).resolve().parents[2]
    keys = {
        m.group(1)
        for path in (root / "jobs").glob("*.py")
        for m in re.finditer(r"counts\[\"([a-z_]+)\"\]", path.read_text())
    }
    keys |= set(SendReport.__dataclass_fields__)
    missing = sorted(keys - set(COUNT_LABELS))
    assert keys and not missing, missing


def test_the_error_summary_counts_messages_and_names_fields_in_french(app: Flask) -> None:
    from flask import render_template_string

    errors = {"commune": ["Commune introuvable.", "Indiquez une commune."], "beds_fjt": ["Trop."]}
    with app.test_request_context():
        html = render_template_string(
            '{% from "macros/forms.html" import error_summary %}{{ error_summary(errors) }}',
            errors=errors,
        )
    text = visible_text(html)
    assert "Le formulaire contient 3 erreurs" in text
    assert html.count("<li>") == 3
    assert "Nombre de lits – Foyer de jeunes travailleurs : Trop." in text
    assert not faults(text)


def test_a_distance_without_a_commune_is_one_error_and_an_unknown_commune_is_one_too(
    client: FlaskClient,
) -> None:
    page = client.get("/offres?commune=zzzz&distance=30").text
    assert "Le formulaire contient 1 erreur" in page and page.count("Indiquez une commune") == 0
    page = client.get("/offres?distance=30").text
    assert "Le formulaire contient 1 erreur" in page and "Indiquez une commune" in page


def test_the_mails_a_pair_sends_speak_french(session: Session, rich: World) -> None:
    mails = session.scalars(select(OutboxMessage)).all()
    assert len(mails) >= 2
    for m in mails:
        text = f"{m.subject} {EMAIL.sub(' ', m.text)} {visible_text(m.html or '')}"
        assert not faults(text), (m.kind, faults(text))


#: Jinja tags, comments and expressions: what is left of a template is its literal text.
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


@pytest.mark.parametrize("folder", ["web/templates", "data/mail/templates/mail"])
def test_the_literal_text_of_every_template_speaks_french(folder: str) -> None:
    root = Path(__file__).resolve().parents[2] / folder
    failures = []
    for path in sorted(root.rglob("*.*")):
        if path.suffix not in (".html", ".txt"):
            continue
        source = JINJA.sub(" ", path.read_text())
        text = visible_text(source) if path.suffix == ".html" else EMAIL.sub(" ", source)
        if found := faults(text):
            failures.append(f"{path.relative_to(root)}: {sorted(set(found))}")
    assert not failures, "\n".join(failures)


#: A form field of a template: ``input('name', ...)``, ``select('name', ...)``...
FORM_FIELD = re.compile(r"\b(?:input|select|textarea|checkbox|radios)\('([a-z_0-9]*[a-z0-9])'")


def test_every_form_field_and_api_field_has_one_french_label() -> None:
    from data.operations.offer_fields import OFFER_FIELD_NAMES
    from data.operations.sites import site_fields

    root = Path(__file__).resolve().parents[2] / "web/templates"
    names = {m.group(1) for p in root.rglob("*.html") for m in FORM_FIELD.finditer(p.read_text())}
    names |= set(site_fields()) | set(OFFER_FIELD_NAMES)
    assert len(names) > 40
    assert not sorted(names - set(FIELD_LABELS))


def test_a_site_form_error_names_the_field_in_french(app: Flask, world: World) -> None:
    from tests.web.conftest import post

    client = sign_in(app.test_client(), world.employer_user)
    form = {"name": "Lieu", "commune": "Bourg-en-Bresse", "beds_esms_room": "9999"}
    page = post(client, "/employeur/lieux/nouveau", form)
    assert page.status_code == 400
    text = visible_text(page.text)
    assert "Nombre de lits – Chambre ou studio d'établissement : " in text
    assert not faults(text)


def test_an_api_error_names_the_fields_in_french(
    client: FlaskClient, session: Session, world: World
) -> None:
    from data import auth

    _token, raw = auth.create_api_token(session, role=Role.EMPLOYER, employer_id=world.employer.id)
    session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    body = {"site_id": world.offer.site_id, "metier_code": "aide-soignant", "housing_beds": 501}
    answer = client.post("/api/v1/offers", json=body, headers=headers)
    assert answer.status_code == 422
    error = answer.get_json()
    assert "housing_beds" in error["errors"]  # the keys stay the fields' names, for programs
    assert "Lits réservés : " in error["message"] and not faults(error["message"])
    published = client.post(f"/api/v1/offers/{world.offer.id}/publish", headers=headers)
    assert published.get_json()["message"] == "Offre : déjà au statut « Publiée »."


def _strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_the_candidates_export_writes_values_in_words(app: Flask, rich: World) -> None:
    client = sign_in(app.test_client(), rich.candidate_user)
    data = client.get("/candidat/donnees/export.json").get_json()
    # Dates stay ISO 8601 (a file for programs too); every other value is words.
    values = [v for v in _strings(data) if not re.fullmatch(r"[0-9T:.+-]+", v)]
    assert any("Changement d'étape" in v for v in values)
    found = [f for v in values for f in faults(EMAIL.sub(" ", v))]
    assert not found, found
