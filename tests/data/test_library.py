"""The mallette (issue 18): use cases, versions, permissions, the French full-text search."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import (
    AuditEntry,
    LibraryAudience,
    LibraryCategory,
    LibraryResource,
    Metier,
    Role,
    utcnow,
)
from data.operations import library as ops
from data.presentation.markdown import render_markdown
from data.queries.library import library_news, readable_resource, search_library
from tests.data import factories as f

STAFF = Actor(channel=Actor.system().channel, user_id=None, role=Role.COORDINATOR)


def _resource(session: Session, **overrides: object) -> LibraryResource:
    values: dict[str, object] = {
        "title": "Le contrat d'apprentissage",
        "summary": "Ce qu'il faut savoir avant de signer.",
        "body": "La durée, la rémunération, la période d'essai.",
        "category": "legal",
        "audiences": ["employers", "candidates"],
        "up_to_date_on": "2026-09-01",
        "published": True,
    }
    values.update(overrides)
    return ops.create_resource(session, STAFF, **values)


def _titles(session: Session, words: str, **kwargs: object) -> list[str]:
    return [hit.resource.title for hit in search_library(session, words, **kwargs)]  # type: ignore[arg-type]


def test_create_keeps_audiences_metiers_a_first_version_and_an_audit_line(
    session: Session,
) -> None:
    metier = session.scalars(select(Metier).order_by(Metier.code)).first()
    assert metier is not None
    resource = _resource(session, metiers=[metier.code], link="https://www.service-public.fr/")
    assert resource.audiences == [LibraryAudience.EMPLOYERS, LibraryAudience.CANDIDATES]
    assert resource.metier_codes == [metier.code]
    assert resource.category is LibraryCategory.LEGAL
    assert resource.up_to_date_on == date(2026, 9, 1)
    assert resource.published_at is not None
    assert [v.title for v in resource.versions] == ["Le contrat d'apprentissage"]
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "library_resource", AuditEntry.object_id == resource.id
        )
    ).all()
    assert actions == ["create_library_resource"]


def test_each_text_edit_is_a_new_version_newest_first(session: Session) -> None:
    resource = _resource(session)
    ops.update_resource(session, STAFF, resource, body="Nouvelle version du texte.")
    ops.update_resource(session, STAFF, resource, source="Code du travail")  # not the text
    assert [v.body for v in resource.versions] == [
        "Nouvelle version du texte.",
        "La durée, la rémunération, la période d'essai.",
    ]


def test_bad_values_answer_french_messages_and_write_nothing(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(LibraryResource))
    with pytest.raises(ValidationError) as caught:
        _resource(
            session,
            title="",
            category="poems",
            audiences=[],
            link="javascript:alert(1)",
            metiers=["nope"],
            up_to_date_on="31/02/2026",
        )
    errors = caught.value.errors
    assert set(errors) == {"title", "category", "audiences", "link", "metiers", "up_to_date_on"}
    assert errors["audiences"] == ["Choisissez au moins un public."]
    assert session.scalar(select(func.count()).select_from(LibraryResource)) == before


@pytest.mark.parametrize("role", [Role.EMPLOYER, Role.CANDIDATE])
def test_only_the_team_writes(session: Session, role: Role) -> None:
    resource = _resource(session)
    someone = Actor(channel=Actor.visitor().channel, user_id=1, role=role)
    with pytest.raises(PermissionDenied):
        ops.create_resource(session, someone, title="x")
    with pytest.raises(PermissionDenied):
        ops.update_resource(session, someone, resource, title="Piraté")
    with pytest.raises(PermissionDenied):
        ops.set_published(session, Actor.visitor(), resource, False)
    with pytest.raises(PermissionDenied):
        ops.save_pdf(session, someone, resource, b"%PDF-1.4", "/nonexistent")
    assert resource.title == "Le contrat d'apprentissage"


def test_plural_finds_singular_and_singular_finds_plural(session: Session) -> None:
    _resource(session, title="Les aides à la formation")
    _resource(session, title="Calendrier des formations en alternance")
    assert sorted(_titles(session, "formations")) == [
        "Calendrier des formations en alternance",
        "Les aides à la formation",
    ]
    assert len(_titles(session, "formation")) == 2


def test_accents_and_case_do_not_matter(session: Session) -> None:
    _resource(session, title="Modalités de stage en EHPAD")
    assert _titles(session, "modalites") == ["Modalités de stage en EHPAD"]
    assert _titles(session, "MODALITÉS ehpad") == ["Modalités de stage en EHPAD"]
    assert _titles(session, "Ehpad") == ["Modalités de stage en EHPAD"]


def test_a_title_match_ranks_first(session: Session) -> None:
    _resource(
        session,
        title="Guide du tuteur",
        summary="Accueillir un apprenti.",
        body="Le financement de la formation et le financement du tutorat.",
    )
    _resource(session, title="Le financement de l'apprentissage", summary="Qui paie quoi.")
    hits = search_library(session, "financement")
    assert [h.resource.title for h in hits] == [
        "Le financement de l'apprentissage",
        "Guide du tuteur",
    ]
    assert hits[0].rank > hits[1].rank


def test_unpublished_and_team_only_resources_never_show_to_readers(session: Session) -> None:
    _resource(session, title="Brouillon sur la rémunération", published=False)
    team = _resource(session, title="Note interne sur la rémunération", audiences=["coordinators"])
    _resource(session, title="La rémunération de l'apprenti")
    assert _titles(session, "rémunération") == ["La rémunération de l'apprenti"]
    assert _titles(session, "") == ["La rémunération de l'apprenti"]
    assert sorted(_titles(session, "remuneration", staff=True)) == [
        "La rémunération de l'apprenti",
        "Note interne sur la rémunération",
    ]
    assert readable_resource(session, team.id, staff=False) is None
    assert readable_resource(session, team.id, staff=True) is team


def test_filters_keep_the_audience_category_and_metier(session: Session) -> None:
    metier = session.scalars(select(Metier).order_by(Metier.code)).first()
    assert metier is not None
    _resource(session, title="Aide pour les employeurs", audiences=["employers"])
    _resource(
        session,
        title="Aide pour les candidats",
        audiences=["candidates"],
        category="funding",
        metiers=[metier.code],
    )
    assert _titles(session, "aide", audience=LibraryAudience.CANDIDATES) == [
        "Aide pour les candidats"
    ]
    assert _titles(session, "aide", category=LibraryCategory.FUNDING) == ["Aide pour les candidats"]
    assert _titles(session, "", metier=metier.code) == ["Aide pour les candidats"]
    assert _titles(session, "aide", audience=LibraryAudience.TUTORS) == []


def test_an_edit_updates_the_search(session: Session) -> None:
    resource = _resource(session, title="Ancien titre")
    ops.update_resource(session, STAFF, resource, title="Convention de stage")
    assert _titles(session, "convention") == ["Convention de stage"]
    assert _titles(session, "ancien") == []


def test_news_since_the_last_visit(session: Session) -> None:
    user = f.make_user(session, Role.CANDIDATE)
    start = utcnow()
    assert ops.record_visit(session, user.id, now=start) is None
    later = start + timedelta(days=2)
    _resource(session, title="Nouveau guide", now=start + timedelta(days=1))
    _resource(session, title="Encore plus récent", now=later + timedelta(days=1))
    previous = ops.record_visit(session, user.id, now=later)
    assert previous == start
    assert [r.title for r in library_news(session, previous)] == [
        "Encore plus récent",
        "Nouveau guide",
    ]
    assert [r.title for r in library_news(session, later)] == ["Encore plus récent"]


def test_a_script_in_the_body_never_renders() -> None:
    html = str(render_markdown('Bonjour <script>alert("x")</script> [lien](javascript:alert(1))'))
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;" in html
