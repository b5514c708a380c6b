"""The housing survey's pages (issue 17): the coordinators' campaigns and the structures' form."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import HousingResource, HousingSurvey, StructureKind
from data.models.mail import OutboxMessage
from data.operations import housing_survey as ops
from tests.data import factories as f
from tests.data.test_housing_survey import token_in
from tests.web.conftest import World, post, sign_in

BASE = "/coordination/recensement-logements"


def _campaign(app: Flask, world: World, session: Session) -> tuple[int, list[int]]:
    """Create and send, through the pages, a campaign to two fresh SAAD; return ids."""
    employers = [f.make_employer(session, kind=StructureKind.SAAD) for _ in range(2)]
    f.make_site(session, employers[0], commune_insee=f.OYONNAX)
    client = sign_in(app.test_client(), world.coordinator)
    created = post(
        client,
        f"{BASE}/nouveau",
        {"title": "Recensement de l'hiver", "structure_kinds": "saad", "action": "create"},
    )
    assert created.status_code == 302
    survey = session.scalars(
        select(HousingSurvey).where(HousingSurvey.title == "Recensement de l'hiver")
    ).one()
    sent = post(client, f"{BASE}/{survey.id}/envoyer")
    assert sent.status_code == 302
    return survey.id, [e.id for e in employers]


def _token(session: Session, employer_id: int) -> str:
    mail = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == ops.INVITE_KIND, OutboxMessage.key.endswith(f":{employer_id}")
        )
    ).one()
    return token_in(mail)


def test_a_coordinator_counts_creates_sends_reminds_and_closes(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    listing = client.get(BASE)
    assert listing.status_code == 200 and "Recensement des logements" in listing.text
    assert f'href="{BASE}"' in client.get("/coordination/").text  # in the coordinators' nav

    for _ in range(3):
        f.make_employer(session, kind=StructureKind.SAAD)
    counted = post(client, f"{BASE}/nouveau", {"structure_kinds": "saad", "action": "preview"})
    assert counted.status_code == 200
    assert "Ce recensement sera envoyé à 3 structures" in counted.text
    refused = post(
        client, f"{BASE}/nouveau", {"title": "", "departements": "999", "action": "create"}
    )
    assert refused.status_code == 400
    assert "Département non reconnu" in refused.text and "Ce champ est obligatoire" in refused.text

    survey_id, _ = _campaign(app, world, session)
    page = client.get(f"{BASE}/{survey_id}")
    assert (
        "0 réponse sur 5 (0 %)" in page.text and "<dd>Ouvert</dd>" in page.text
    )  # the 3 SAAD above and the 2 of the campaign
    again = post(client, f"{BASE}/{survey_id}/envoyer", follow_redirects=True)
    assert "Ce recensement était déjà envoyé." in again.text

    for odd in ("²", "0", "x" * 5000):  # nonsense rounds send nothing, and never fail
        nothing = post(client, f"{BASE}/{survey_id}/relancer", {"round": odd})
        assert nothing.status_code == 302
    reminded = post(client, f"{BASE}/{survey_id}/relancer", {"round": "1"}, follow_redirects=True)
    assert "Relance envoyée à 5 structures." in reminded.text
    twice = post(client, f"{BASE}/{survey_id}/relancer", {"round": "1"}, follow_redirects=True)
    assert "Cette relance était déjà envoyée." in twice.text
    closed = post(client, f"{BASE}/{survey_id}/clore", follow_redirects=True)
    assert "Le recensement est clos." in closed.text
    assert "Relancer" not in closed.text and "<dd>Clos</dd>" in closed.text
    late = post(client, f"{BASE}/{survey_id}/relancer", {"round": "2"}, follow_redirects=True)
    assert ops.CLOSED in late.text


def test_the_answers_table_and_its_csv(app: Flask, world: World, session: Session) -> None:
    survey_id, employers = _campaign(app, world, session)
    ops.answer_survey(
        session,
        _token(session, employers[0]),
        {"answer": "yes", "housing_kind": "host_family", "beds": "1", "monthly_cost_eur": "250"},
    )
    client = sign_in(app.test_client(), world.coordinator)
    page = client.get(f"{BASE}/{survey_id}")
    assert "1 réponse sur 2 (50 %)" in page.text
    assert "Hébergement chez l&#39;habitant" in page.text and "250 €" in page.text
    listing = client.get(BASE)
    assert "1 réponse sur 2 (50 %)" in listing.text

    exported = client.get(f"{BASE}/{survey_id}/reponses.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = exported.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Structure;SIRET;Adresse du courriel")
    assert len(lines) == 3
    assert any(
        ";Oui;" in line and ";Hébergement chez l'habitant;1;250;Oyonnax;" in line for line in lines
    )


def test_only_coordinators_see_the_campaigns(app: Flask, world: World) -> None:
    employer_client = sign_in(app.test_client(), world.employer_user)
    assert employer_client.get(BASE).status_code in (302, 403)
    anonymous = app.test_client()
    assert anonymous.get(BASE).status_code == 302


def test_a_structure_answers_through_its_link_then_edits(
    app: Flask, world: World, session: Session
) -> None:
    _survey_id, employers = _campaign(app, world, session)
    token = _token(session, employers[0])
    url = f"/logement/recensement/{token}"
    client = sign_in(app.test_client(), None)  # anonymous, with a session's CSRF token
    form = client.get(url)
    assert form.status_code == 200
    assert "Pouvez-vous loger un apprenti ?" in form.text and 'name="csrf_token"' in form.text

    assert client.post(url, data={"answer": "no"}).status_code == 400  # no CSRF token
    refused = post(client, url, {"answer": "yes"})
    assert refused.status_code == 400 and "Ce champ est obligatoire" in refused.text

    saved = post(
        client,
        url,
        {"answer": "yes", "housing_kind": "esms_room", "beds": "2"},
        follow_redirects=True,
    )
    assert "Merci : votre réponse est enregistrée." in saved.text
    assert "vérifiera ce logement avec vous avant de le publier" in saved.text
    assert "Modifier votre réponse" in saved.text
    resource = session.scalars(
        select(HousingResource).where(HousingResource.employer_id == employers[0])
    ).one()
    assert resource.beds == 2 and not resource.published and resource.commune_insee == f.OYONNAX

    edited = post(
        client,
        url,
        {"answer": "yes", "housing_kind": "esms_room", "beds": "4"},
        follow_redirects=True,
    )
    assert edited.status_code == 200
    session.expire_all()
    assert resource.beds == 4
    # The coordinators' table leads from the answer to the resource to check and publish.
    survey_page = sign_in(app.test_client(), world.coordinator).get(f"{BASE}/{_survey_id}")
    assert f"/coordination/logements/{resource.id}/modifier" in survey_page.text
    assert "Vérifier et publier le logement" in survey_page.text


def test_a_closed_campaign_shows_the_answer_read_only(
    app: Flask, world: World, session: Session
) -> None:
    survey_id, employers = _campaign(app, world, session)
    token = _token(session, employers[1])
    ops.answer_survey(session, token, {"answer": "maybe", "notes": "Après l'été."})
    coordinator = sign_in(app.test_client(), world.coordinator)
    post(coordinator, f"{BASE}/{survey_id}/clore")
    client = sign_in(app.test_client(), None)
    page = client.get(f"/logement/recensement/{token}")
    assert page.status_code == 200
    assert "Ce recensement est clos" in page.text and "Peut-être" in page.text
    assert "Après l&#39;été." in page.text and "<form" not in page.text.split("<main")[-1]
    late = post(client, f"/logement/recensement/{token}", {"answer": "no"}, follow_redirects=True)
    assert ops.CLOSED in late.text


def test_an_unknown_link_is_a_french_404(app: Flask) -> None:
    client = sign_in(app.test_client(), None)
    for url in ("/logement/recensement/pas-un-jeton", "/logement/recensement/" + "x" * 300):
        page = client.get(url)
        assert page.status_code == 404 and "Page introuvable" in page.text
    assert post(client, "/logement/recensement/pas-un-jeton", {"answer": "no"}).status_code == 404
