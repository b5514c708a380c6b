"""Communes as people type them, on every form and filter, the CSV import and the API."""

from __future__ import annotations

import html
import io
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Offer, Request, Role
from tests.data import factories as f
from tests.web.api_fixtures import api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

BOURG_LABEL = "Bourg-en-Bresse (01000)"


def _text(response: Any) -> str:
    return html.unescape(response.text)


def test_offer_filter_reads_postal_codes_and_everyday_names(app: Flask, world: World) -> None:
    client = app.test_client()
    # Oyonnax is about 34 km from Bourg-en-Bresse.
    near_bourg = _text(client.get("/offres?commune=bourg+en+bresse&distance=20"))
    assert f"/offres/{world.offer.id}" in near_bourg
    assert f"/offres/{world.other_offer.id}" not in near_bourg
    assert f'value="{BOURG_LABEL}"' in near_bourg  # what was understood, shown back
    near_oyonnax = _text(client.get("/offres?commune=Oyonax&distance=20"))
    assert f"/offres/{world.other_offer.id}" in near_oyonnax
    assert 'value="Oyonnax (01100)"' in near_oyonnax
    shared = _text(client.get("/offres?commune=01100&distance=20"))
    assert "« 01100 » correspond à plusieurs communes : Oyonnax (01100), " in shared
    assert "Cheignieu-la-Balme" not in shared and "01283" not in shared


def test_territory_filter_offers_the_choice_for_an_ambiguous_text(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    page = _text(client.get("/coordination/suggestions?territoire=Bourg"))
    assert "« Bourg » correspond à plusieurs communes" in page
    assert page.index(BOURG_LABEL) < page.index("Bourg (33710, Gironde)")
    # The proposed pair's offer is in Oyonnax: found by its postal code with the name.
    page = _text(client.get("/coordination/suggestions?territoire=01100+Oyonnax"))
    assert f'id="suggestion-{world.proposed.id}"' in page
    assert 'value="Oyonnax (01100)"' in page
    page = _text(client.get("/coordination/suggestions?territoire=st+genis"))
    assert "Saint-Genis-Pouilly (01630)" in page
    assert f'id="suggestion-{world.proposed.id}"' not in page  # nothing picked silently


def test_candidate_request_takes_a_typo_and_refuses_a_shared_postal_code(
    app: Flask, session: Session
) -> None:
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    client = sign_in(app.test_client(), user)
    form = {"metier_1": "aide-soignant", "commune": "01000", "max_distance_km": "25"}
    bad = post(client, "/candidat/demande", form)
    assert bad.status_code == 400
    text = _text(bad)
    assert "« 01000 » correspond à plusieurs communes : Bourg-en-Bresse (01000)," in text
    assert "Saint-Denis-lès-Bourg (01000)" in text
    form["commune"] = "Oyonax"
    assert post(client, "/candidat/demande", form).status_code == 302
    session.refresh(user.candidate)
    assert user.candidate.request is not None
    assert user.candidate.request.commune_insee == f.OYONNAX
    again = _text(client.get("/candidat/demande"))
    assert 'value="Oyonnax (01100)"' in again


def test_a_postal_code_that_is_also_an_insee_code_is_never_saved_as_that_commune(
    app: Flask, world: World, session: Session
) -> None:
    """« 01100 » is Oyonnax's postal code and Cheignieu-la-Balme's INSEE code: Oyonnax is meant.

    The walk of the merged branches found the candidate's form saving Cheignieu-la-Balme: the
    refused text went on to the operation, which read it as an INSEE code.
    """
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    client = sign_in(app.test_client(), user)
    form = {"metier_1": "aide-soignant", "commune": "Oyonnax", "max_distance_km": "25"}
    assert post(client, "/candidat/demande", form).status_code == 302
    for page, data in (
        ("/candidat/demande", {**form, "commune": "01100"}),
        ("/employeur/lieux/nouveau", {"name": "Foyer des Crêts", "commune": "01100"}),
    ):
        who = (
            client
            if page.startswith("/candidat")
            else sign_in(app.test_client(), world.employer_user)
        )
        answer = post(who, page, data)
        assert answer.status_code == 400
        assert "« 01100 » correspond à plusieurs communes : Oyonnax (01100)," in _text(answer)
    session.expire_all()
    assert user.candidate.request.commune_insee == f.OYONNAX
    assert not [s for s in world.employer.sites if s.name == "Foyer des Crêts"]


def test_employer_site_form_reads_a_former_name(app: Flask, world: World, session: Session) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    new = "/employeur/lieux/nouveau"
    bad = post(client, new, {"name": "Foyer du Col", "commune": "Bellegarde"})
    assert bad.status_code == 400
    # The Ain's Bellegarde first, with the name the person knows.
    assert "plusieurs communes : Valserhône (01200) – anciennement Bellegarde-sur-Valserine, " in (
        _text(bad)
    )
    ok = post(client, new, {"name": "Foyer du Col", "commune": "Bellegarde-sur-Valserine"})
    assert ok.status_code == 302
    session.expire_all()
    site = next(s for s in world.employer.sites if s.name == "Foyer du Col")
    assert site.commune.name == "Valserhône"
    page = _text(client.get(f"/employeur/lieux/{site.id}"))
    assert 'value="Valserhône (01200)"' in page


def test_autocompletion_answers_with_postal_code_labels(app: Flask) -> None:
    client = app.test_client()
    labels = [c["label"] for c in client.get("/communes?q=01100").get_json()]
    assert labels[0] == "Oyonnax (01100)" and "Cheignieu-la-Balme (01510)" not in labels
    labels = [c["label"] for c in client.get("/communes?q=bourg").get_json()]
    assert labels[0] == BOURG_LABEL
    labels = [c["label"] for c in client.get("/communes?q=st+genis").get_json()]
    assert labels[0] == "Saint-Genis-Pouilly (01630)"
    (first, *_) = client.get("/communes?q=hauteville-l").get_json()
    assert first["label"] == "Plateau d'Hauteville (01110)"
    assert first["hint"] == "Plateau d'Hauteville (01110) – anciennement Hauteville-Lompnes"


def test_csv_import_finds_a_site_by_its_commune(app: Flask, world: World, session: Session) -> None:
    other = f.make_site(session, world.employer, commune_insee=f.OYONNAX)
    session.commit()
    csv_text = (
        "lieu;metier;places\n"
        "01100;aide-soignant;1\n"
        "Oyonax;aide-soignant;1\n"
        "Bourg-en-Bresse;aide-soignant;1\n"
        "Nantua;aide-soignant;1\n"
        ";aide-soignant;1\n"
    )
    client = sign_in(app.test_client(), world.employer_user)
    before = len(session.scalars(select(Offer)).all())
    response = post(
        client,
        "/employeur/offres/import",
        {"file": (io.BytesIO(csv_text.encode()), "offres.csv")},
        content_type="multipart/form-data",
    )
    text = _text(response)
    assert "<strong>3</strong> offres créées comme brouillons," in text
    assert "aucun de vos lieux d'accueil ne s'appelle « Nantua »" in text
    assert "<strong>2</strong> lignes refusées" in text
    created = session.scalars(select(Offer).order_by(Offer.id.desc()).limit(3)).all()
    assert len(session.scalars(select(Offer)).all()) == before + 3
    assert sorted(o.site_id for o in created) == sorted([other.id, other.id, world.offer.site_id])


def test_api_resolves_and_labels_communes(api: Any, world: World) -> None:  # noqa: F811
    client = api("employer")
    shared = client.get("/api/v1/communes/resolve?q=01100").get_json()
    assert shared["commune"] is None
    assert shared["choices"][0]["label"] == "Oyonnax (01100)"
    assert shared["message"].startswith("« 01100 » correspond à plusieurs communes")
    old = client.get("/api/v1/communes/resolve?q=Hauteville-Lompnes").get_json()
    assert old["commune"]["label"] == "Plateau d'Hauteville (01110)" and old["message"] is None
    nothing = client.get("/api/v1/communes/resolve?q=Atlantide").get_json()
    assert nothing["commune"] is None and nothing["choices"] == []
    assert nothing["message"].startswith("Commune introuvable")
    found = client.get("/api/v1/communes?q=bourg").get_json()["items"]
    assert found[0]["label"] == BOURG_LABEL
    assert "Bourg (33710, Gironde)" in [c["label"] for c in found]
    typo = client.get("/api/v1/communes?q=Oyonax").get_json()["items"]
    assert [c["name"] for c in typo] == ["Oyonnax"]
    assert client.get("/api/v1/communes/resolve").status_code == 422


def test_api_request_takes_a_commune_as_people_write_it(
    api: Any,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    """``commune`` is read by the forms' resolver; ``commune_insee`` stays an exact code."""
    candidate = f.make_candidate(session)
    session.commit()
    staff = api("coordinator")
    new = {"candidate_id": candidate.id, "metiers": ["aide soignante"]}

    shared = staff.post("/api/v1/requests", {**new, "commune": "01100"})
    assert shared.status_code == 422, shared.get_json()
    (message,) = shared.get_json()["errors"]["commune"]
    assert message.startswith("« 01100 » correspond à plusieurs communes : Oyonnax (01100), ")
    # Each commune offered is a label the field takes back.
    created = staff.post("/api/v1/requests", {**new, "commune": "Oyonnax (01100)"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["commune"]["insee"] == f.OYONNAX
    request_id = created.get_json()["id"]

    for typed, insee in [("bourg en bresse", f.BOURG), ("Oyonax", f.OYONNAX)]:
        moved = staff.patch(f"/api/v1/requests/{request_id}", {"commune": typed})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["commune"]["insee"] == insee, typed
    # An INSEE code that is also a postal code is the commune of that INSEE code, given as such.
    exact = staff.patch(f"/api/v1/requests/{request_id}", {"commune_insee": "01100"})
    assert exact.get_json()["commune"]["name"] == "Cheignieu-la-Balme"

    for body, field in [
        ({"commune": "Atlantide"}, "commune"),
        ({"commune": "Oyonnax", "commune_insee": f.OYONNAX}, "commune"),
        ({"commune_insee": "99999"}, "commune_insee"),
    ]:
        refused = staff.patch(f"/api/v1/requests/{request_id}", body)
        assert refused.status_code == 422 and list(refused.get_json()["errors"]) == [field], body
    session.expire_all()
    assert session.get(Request, request_id).commune_insee == "01100"  # nothing half-written
    other = f.make_candidate(session)
    session.commit()
    nowhere = staff.post("/api/v1/requests", {**new, "candidate_id": other.id})
    assert nowhere.status_code == 422 and list(nowhere.get_json()["errors"]) == ["commune"]


def test_api_filters_read_a_commune_as_people_write_it(api: Any, world: World) -> None:  # noqa: F811
    staff = api("coordinator")

    def ids(url: str) -> list[int]:
        response = staff.get(url)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    near = ids(f"/api/v1/offers?commune_insee={f.OYONNAX}&distance_km=5&page_size=100")
    assert near and near == ids("/api/v1/offers?commune=Oyonax&distance_km=5&page_size=100")
    assert near == ids("/api/v1/offers?commune=Oyonnax%20(01100)&distance_km=5&page_size=100")
    shared = staff.get("/api/v1/offers?commune=01100&distance_km=5")
    assert shared.status_code == 422
    assert "Oyonnax (01100)" in shared.get_json()["errors"]["commune"][0]
    requests = ids(f"/api/v1/requests?commune_insee={world.request.commune_insee}")
    assert world.request.id in requests
    assert requests == ids("/api/v1/requests?commune=bourg%20en%20bresse")
    both = staff.get(f"/api/v1/requests?commune=Bourg&commune_insee={f.BOURG}")
    assert both.status_code == 422
