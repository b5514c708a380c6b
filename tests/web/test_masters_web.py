"""« Nos maîtres d'apprentissage » (issue 19): a structure declares its masters, names one on an
offer, and reads each one's places left under the legal limit, on both backends."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import queries
from data.models import ApprenticeshipMaster, Offer, SuggestionStatus
from data.operations import masters as m
from tests.data import factories as f
from tests.web.conftest import World, post, sign_in

FORM = {
    "name": "Sophie Bernard",
    "role": "Aide-soignante",
    "diploma": "DEAS",
    "experience_years": "12",
    "supervised_elsewhere": "0",
}
URL = "/employeur/maitres-apprentissage"


def _fields(world: World, master: ApprenticeshipMaster) -> dict[str, str]:
    """The offer form of the world's offer as it is, naming ``master``."""
    offer = world.offer
    assert offer.start_date is not None and offer.duration_months is not None
    return {
        "site_id": str(offer.site_id),
        "metier_code": offer.metier_code,
        "contract": offer.contract.value,
        "places": str(offer.places),
        "start_date": offer.start_date.isoformat(),
        "duration_months": str(offer.duration_months),
        "housing_beds": "0",
        "description": offer.description,
        "master_id": str(master.id),
    }


def _masters(session: Session) -> list[ApprenticeshipMaster]:
    session.expire_all()
    return list(session.scalars(select(ApprenticeshipMaster).order_by(ApprenticeshipMaster.id)))


def test_a_structure_declares_a_master_and_names_them_on_an_offer(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    assert "Nos maîtres d'apprentissage" in client.get("/employeur/").text
    page = client.get(URL).text
    assert "Aucun maître d'apprentissage déclaré." in page
    assert "au plus 2 apprentis à la fois" in page and "R6223-6" in page

    bad = post(client, f"{URL}/nouveau", {**FORM, "experience_years": "-3", "name": ""})
    assert bad.status_code == 400
    assert (
        "Nom : Ce champ est obligatoire" in bad.text
        and "Années d&#39;expérience dans le métier : " in bad.text
    )
    assert _masters(session) == []

    assert post(client, f"{URL}/nouveau", FORM).status_code == 302
    (master,) = _masters(session)
    assert (master.employer_id, master.name, master.experience_years) == (
        world.employer.id,
        "Sophie Bernard",
        12,
    )
    page = client.get(URL).text
    assert "Sophie Bernard" in page and "12 ans" in page

    # The offer form lists the structure's masters; choosing one names them on the offer.
    form = client.get(f"/employeur/offres/{world.offer.id}/modifier").text
    assert "Sophie Bernard (Aide-soignante)" in form
    saved = post(client, f"/employeur/offres/{world.offer.id}/modifier", _fields(world, master))
    assert saved.status_code == 302, saved.text
    session.expire_all()
    assert session.get(Offer, world.offer.id).master_id == master.id  # type: ignore[union-attr]
    assert "Aide-soignant" in client.get(URL).text  # the offer naming them
    assert (
        "Sophie Bernard</a> (Aide-soignante)"
        in client.get(f"/employeur/offres/{world.offer.id}").text
    )
    coordinator = sign_in(app.test_client(), world.coordinator)
    shown = coordinator.get(f"/coordination/offres/{world.offer.id}").text
    assert "Sophie Bernard (Aide-soignante, DEAS, 12 ans d'expérience)" in shown
    # A copy of the offer names the same master.
    copied = post(client, f"/employeur/offres/{world.offer.id}/dupliquer")
    assert copied.status_code == 302
    session.expire_all()
    copies = session.scalars(select(Offer).where(Offer.master_id == master.id)).all()
    assert len(copies) == 2

    # A signed pair of that offer takes one of the two places.
    f.make_suggestion(
        session, offer=session.get(Offer, world.offer.id), status=SuggestionStatus.CONTRACT_SIGNED
    )
    session.commit()
    assert queries.master_capacities(session, [master.id]) == {master.id: 1}

    # Changed, then removed: the offer then names none.
    assert post(client, f"{URL}/{master.id}/modifier", {**FORM, "role": "IDEC"}).status_code == 302
    assert _masters(session)[0].role == "IDEC"
    assert "Supprimer Sophie Bernard" in client.get(f"{URL}/{master.id}/supprimer").text
    assert post(client, f"{URL}/{master.id}/supprimer").status_code == 302
    assert _masters(session) == []
    assert session.get(Offer, world.offer.id).master_id is None  # type: ignore[union-attr]


def test_another_structure_s_master_is_neither_shown_nor_named(
    app: Flask, world: World, session: Session
) -> None:
    theirs = m.create_master(session, world.other_employer_user.employer_id, FORM)  # type: ignore[arg-type]
    session.commit()
    client = sign_in(app.test_client(), world.employer_user)
    assert "Sophie Bernard" not in client.get(URL).text
    assert client.get(f"{URL}/{theirs.id}/modifier").status_code == 404
    assert post(client, f"{URL}/{theirs.id}/supprimer").status_code == 404
    refused = post(client, f"/employeur/offres/{world.offer.id}/modifier", _fields(world, theirs))
    assert refused.status_code == 400 and "Maître d&#39;apprentissage inconnu" in refused.text
    session.expire_all()
    assert session.get(Offer, world.offer.id).master_id is None  # type: ignore[union-attr]
    assert len(_masters(session)) == 1
