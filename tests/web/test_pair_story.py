"""The pair's story on the pages and in the API: interview, contract, rupture, undo, in French.

Access by role is in the matrices (tests/web/test_matrix.py, test_api_matrix.py); the rules are
in tests/data/test_operations_pairs_story.py. Here: what coordinators, employers and candidates
read and do, and that the API does the same.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from data.models import BreakCause, BreakParty, OfferStatus, RequestStatus, SuggestionStatus
from data.operations._common import local_today
from data.presentation import date_fr
from tests.web.api_fixtures import Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

S = SuggestionStatus


def _read(response: Any) -> str:
    """A page's text as people read it (Jinja writes an apostrophe &#39;)."""
    return unescape(response.text)


def test_a_pair_from_interview_to_rupture_and_its_undo_on_the_pages(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    pair, offer = world.suggestion, world.offer
    page = f"/coordination/suggestions/{pair.id}"
    day = local_today() + timedelta(days=7)

    # The interview, with its day, time and place: both sides read them where they see the pair.
    moved = post(
        staff,
        f"{page}/etape/entretien",
        {
            "depuis": "approved",
            "interview_on": day.isoformat(),
            "interview_time": "14:30",
            "interview_place": "EHPAD Les Tilleuls, salle 2",
        },
    )
    assert moved.status_code == 302
    told = f"le {date_fr(day, weekday=True)} à 14:30, EHPAD Les Tilleuls, salle 2"
    assert told in _read(staff.get(page))
    candidate = sign_in(app.test_client(), world.candidate_user)
    assert told in _read(candidate.get("/candidat/"))
    employer = sign_in(app.test_client(), world.employer_user)
    assert told in _read(employer.get(f"/employeur/offres/{offer.id}"))
    # Undoing it would give the pair back to the contacts job: the page says so.
    assert "fera passer le binôme à « Contact pris »" in _read(staff.get(f"{page}/annuler-etape"))

    # The contract: a confirmation names what will happen; nothing is written before it.
    contract = {
        "depuis": "interview",
        "contract_signed_on": local_today().isoformat(),
        "contract_kind": "apprentissage",
        "training_centre": "IFAS de Bourg",
    }
    ask = post(staff, f"{page}/etape/contrat", contract)
    assert ask.status_code == 200
    assert "c'était la dernière, l'offre devient « Pourvue »" in _read(ask)
    assert "Aucun courriel n'est envoyé" in _read(ask)
    session.refresh(pair)
    assert pair.status is S.INTERVIEW
    done = post(staff, f"{page}/etape/contrat", {**contract, "confirme": "1"})
    assert done.status_code == 302
    session.refresh(offer)
    assert (offer.status, offer.places_filled) == (OfferStatus.FILLED, 1)
    text = _read(staff.get(page))
    assert "Contrat d'apprentissage" in text and "IFAS de Bourg" in text
    # Edited afterwards: the start day added.
    start = local_today() + timedelta(days=30)
    edited = post(
        staff,
        f"{page}/contrat",
        {**contract, "depuis": "contract_signed", "contract_start_on": start.isoformat()},
    )
    assert edited.status_code == 302
    assert f"<dd>{date_fr(start)}</dd>" in _read(staff.get(page))

    # A rupture needs its reason (the form comes back in French), then is confirmed.
    rupture = {"depuis": "contract_signed", "broken_on": local_today().isoformat()}
    refused = post(staff, f"{page}/etape/rupture", rupture)
    assert refused.status_code == 400
    assert "Motif : Indiquez la raison." in _read(refused)
    rupture |= {"reason": "Fin en période d'essai", "reopen_place": "1"}
    ask = post(staff, f"{page}/etape/rupture", rupture)
    assert "l'offre pourvue est de nouveau « Publiée »" in _read(ask)
    assert post(staff, f"{page}/etape/rupture", {**rupture, "confirme": "1"}).status_code == 302
    session.refresh(pair)
    session.refresh(offer)
    assert (pair.status, offer.status, offer.places_filled) == (S.BROKEN, OfferStatus.PUBLISHED, 0)
    # The dashboard counts the broken contract apart.
    dashboard = _read(staff.get("/coordination/"))
    assert "Contrat rompu</a></td><td>1</td>" in dashboard
    assert "<dt>Contrats signés depuis le début</dt><dd>1</dd>" in dashboard
    assert "<dt>dont rompus</dt><dd>1</dd>" in dashboard

    # The undo, the same day: a page that says what it does, then the POST.
    undo = staff.get(f"{page}/annuler-etape")
    assert undo.status_code == 200
    assert "ne sont pas rappelés" in _read(undo)
    assert "« Contrat rompu » à « Contrat signé »" in _read(undo)
    assert post(staff, f"{page}/annuler-etape", {"depuis": "broken"}).status_code == 302
    session.refresh(pair)
    session.refresh(offer)
    assert (pair.status, offer.status, offer.places_filled) == (
        S.CONTRACT_SIGNED,
        OfferStatus.FILLED,
        1,
    )
    session.refresh(pair.request)
    assert pair.request.status is RequestStatus.MATCHED
    history = _read(staff.get(page))
    assert "Changement d'étape annulé : Contrat rompu → Contrat signé" in history
    assert "Changement d'étape : Contrat signé → Contrat rompu (rompu le" in history
    # Twice: refused, in French.
    again = staff.get(f"{page}/annuler-etape", follow_redirects=True)
    assert "Le dernier changement d'étape a déjà été annulé." in _read(again)


def test_the_api_tells_and_does_the_same(api: Any, world: World) -> None:  # noqa: F811
    staff = api("coordinator")
    pair_id = world.suggestion.id
    day = (local_today() + timedelta(days=3)).isoformat()
    # The interview goes with the move to it, not with another stage.
    wrong = staff.post(f"/api/v1/pairs/{pair_id}/next", {"from": "approved", "interview": {}})
    assert wrong.status_code == 422
    assert staff.post(f"/api/v1/pairs/{pair_id}/next", {"from": "approved"}).status_code == 200
    moved = staff.post(
        f"/api/v1/pairs/{pair_id}/next",
        {"from": "contacted", "interview": {"date": day, "time": "09:15"}},
    )
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert body["interview"] == {"date": day, "time": "09:15", "place": None}
    assert body["undo"] == {"possible": True, "restores": "contacted", "refusal": None}
    put = staff.call(
        "PUT",
        f"/api/v1/pairs/{pair_id}/interview",
        {"from": "interview", "date": day, "time": "10:00", "place": "Sur place"},
    )
    assert put.status_code == 200, put.get_json()
    # Both sides read the interview with their pairs.
    mine = api("candidate").get(f"/api/v1/suggestions/{pair_id}").get_json()
    assert mine["interview"] == {"date": day, "time": "10:00", "place": "Sur place"}
    theirs = api("employer").get(f"/api/v1/suggestions/{pair_id}").get_json()
    assert theirs["interview"]["place"] == "Sur place"

    # The edit happened since the move: the undo says why not, in French.
    refused = staff.post(f"/api/v1/pairs/{pair_id}/undo", {"from": "interview"})
    assert refused.status_code == 409
    assert "a changé depuis" in refused.get_json()["message"]
    signed = staff.post(
        f"/api/v1/pairs/{pair_id}/next",
        {"from": "interview", "contract": {"kind": "professionnalisation"}},
    )
    assert signed.get_json()["contract"]["kind"] == "professionnalisation"
    rupture = {"broken_on": local_today().isoformat(), "reopen_place": True}
    # Neither a cause from the list nor a reason: refused, in French, nothing written.
    unexplained = staff.post(f"/api/v1/pairs/{pair_id}/rupture", rupture)
    assert unexplained.status_code == 422
    assert unexplained.get_json()["errors"]["reason"] == ["Indiquez la raison."]
    wrong = staff.post(f"/api/v1/pairs/{pair_id}/rupture", {**rupture, "cause": "santé"})
    assert wrong.status_code == 422 and "cause" in wrong.get_json()["errors"]
    broken = staff.post(
        f"/api/v1/pairs/{pair_id}/rupture",
        {**rupture, "cause": "other_job", "broken_by": "apprentice", "after_trial": False},
    )
    assert broken.status_code == 200, broken.get_json()
    body = broken.get_json()
    assert body["status"] == "broken"
    assert body["rupture"] == {
        "broken_on": local_today().isoformat(),
        "reason": "",
        "broken_by": "apprentice",
        "cause": "other_job",
        "after_trial": False,
    }
    texts = [e["text"] for e in body["history"]]
    assert texts[-3:] == [
        f"Entretien : entretien le {date_fr(date.fromisoformat(day))} à 10:00, lieu : Sur place",
        "Changement d'étape : Entretien → Contrat signé (Contrat de professionnalisation, une "
        "place de l'offre pourvue)",
        f"Changement d'étape : Contrat signé → Contrat rompu (rompu le {date_fr(local_today())}, "
        "à l'initiative de l'apprenti, raison : autre emploi ou autre formation, pendant les 45 "
        "premiers jours, une place de l'offre rouverte)",
    ]
    undone = staff.post(f"/api/v1/pairs/{pair_id}/undo", {"from": "broken"})
    assert undone.status_code == 200
    assert undone.get_json()["history"][-1]["text"] == (
        "Changement d'étape annulé : Contrat rompu → Contrat signé (une place de l'offre pourvue)"
    )
    assert api("candidate").post(f"/api/v1/pairs/{pair_id}/undo", {"from": "x"}).status_code == 403


def test_approving_from_the_pair_page_asks_first(app: Flask, world: World) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    page = f"/coordination/suggestions/{world.proposed.id}"
    assert "/coordination/suggestions/approuver" in _read(staff.get(page))
    ask = post(
        staff, "/coordination/suggestions/approuver", {"ids": world.proposed.id, "back": page}
    )
    assert "recevront un courriel avec les coordonnées de l'autre" in _read(ask)
    confirmed = {"ids": world.proposed.id, "back": page, "confirme": "1"}
    done = post(staff, "/coordination/suggestions/approuver", confirmed)
    assert (done.status_code, done.location) == (302, page)


def _signed(session: Session, world: World) -> Any:
    """World's approved pair moved to a signed contract (the request becomes matched)."""
    from data import operations as ops
    from data.actor import Actor

    pair = world.suggestion
    me = Actor.user(world.coordinator)
    ops.mark_contacted(session, pair, me)
    ops.mark_contract_signed(session, pair, me)
    session.commit()
    return pair


def _rupture_form() -> dict[str, str]:
    """The rupture's form as a coordinator sends it, the request made active again."""
    day = local_today().isoformat()
    return {
        "depuis": "contract_signed",
        "broken_on": day,
        "reason": "Démission",
        "reopen_request": "1",
    }


def test_a_rupture_gives_the_person_back_their_search_on_the_pages(
    app: Flask, world: World, session: Session
) -> None:
    pair = _signed(session, world)
    staff = sign_in(app.test_client(), world.coordinator)
    page = f"/coordination/suggestions/{pair.id}"
    # The box is there, ticked unless the coordinator says otherwise.
    shown = _read(staff.get(page))
    box = shown.split('id="reopen_request"')[1].split(">")[0]
    assert "checked" in box
    assert "La personne cherche un autre employeur : sa demande redevient active" in shown

    rupture = _rupture_form()
    ask = post(staff, f"{page}/etape/rupture", rupture)
    assert ask.status_code == 200
    first_name = world.request.candidate.first_name
    assert f"La demande de {first_name} redevient « Active »" in _read(ask)
    assert 'name="reopen_request" value="1"' in ask.text
    session.refresh(pair.request)
    assert pair.request.status is RequestStatus.MATCHED  # nothing written before the confirmation
    assert post(staff, f"{page}/etape/rupture", {**rupture, "confirme": "1"}).status_code == 302
    session.refresh(pair)
    session.refresh(pair.request)
    assert (pair.status, pair.request.status) == (S.BROKEN, RequestStatus.ACTIVE)
    assert "la demande de nouveau active" in _read(staff.get(page))

    # The undo says it and does it.
    undo = _read(staff.get(f"{page}/annuler-etape"))
    assert "rendue active par la rupture, repasse à « Apprentissage trouvé »" in undo
    assert post(staff, f"{page}/annuler-etape", {"depuis": "broken"}).status_code == 302
    session.refresh(pair.request)
    assert pair.request.status is RequestStatus.MATCHED


def test_the_rupture_form_says_when_the_request_cannot_be_active_again(
    app: Flask, world: World, session: Session
) -> None:
    pair = _signed(session, world)
    # The request's other pair holds a signed contract too.
    world.proposed.status = S.CONTRACT_SIGNED
    session.commit()
    staff = sign_in(app.test_client(), world.coordinator)
    page = f"/coordination/suggestions/{pair.id}"
    shown = _read(staff.get(page))
    assert 'id="reopen_request"' not in shown
    assert "Un autre contrat signé tient la demande de cette personne" in shown
    # Sent anyway (a page open since): refused in French, nothing written.
    rupture = _rupture_form()
    refused = post(staff, f"{page}/etape/rupture", rupture)
    assert refused.status_code == 400
    assert "Un autre contrat signé tient la demande" in _read(refused)
    session.refresh(pair)
    assert pair.status is S.CONTRACT_SIGNED
    # Unticked, the rupture leaves the request as it is, and the confirmation says so.
    del rupture["reopen_request"]
    assert "La demande de " in _read(post(staff, f"{page}/etape/rupture", rupture))
    assert post(staff, f"{page}/etape/rupture", {**rupture, "confirme": "1"}).status_code == 302
    session.refresh(pair)
    session.refresh(pair.request)
    assert (pair.status, pair.request.status) == (S.BROKEN, RequestStatus.MATCHED)


def test_the_api_makes_the_request_active_again_or_says_why_not(
    api: Any,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    pair = _signed(session, world)
    staff = api("coordinator")
    rupture = {"broken_on": local_today().isoformat(), "reason": "Démission"}
    strict = staff.post(f"/api/v1/pairs/{pair.id}/rupture", {**rupture, "reopen_request": 1})
    assert strict.status_code == 422
    world.request.status = RequestStatus.CLOSED
    session.commit()
    refused = staff.post(f"/api/v1/pairs/{pair.id}/rupture", {**rupture, "reopen_request": True})
    assert refused.status_code == 422
    assert "La demande est « Close »" in refused.get_json()["errors"]["reopen_request"][0]
    world.request.status = RequestStatus.MATCHED
    session.commit()
    done = staff.post(f"/api/v1/pairs/{pair.id}/rupture", {**rupture, "reopen_request": True})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["history"][-1]["text"].endswith("la demande de nouveau active)")
    session.refresh(world.request)
    assert world.request.status is RequestStatus.ACTIVE
    undone = staff.post(f"/api/v1/pairs/{pair.id}/undo", {"from": "broken"})
    assert undone.status_code == 200
    session.refresh(world.request)
    assert world.request.status is RequestStatus.MATCHED


def _card(page: str, pair_id: int) -> str:
    """The card of one pair on a party's page."""
    return page.split(f'id="suggestion-{pair_id}"')[1].split("</li>\n")[0]


def test_both_sides_see_a_broken_contract_with_its_day_and_nothing_more(
    app: Flask,
    api: Any,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    from data import operations as ops
    from data.actor import Actor

    pair = _signed(session, world)
    person = world.request.candidate
    person.cv_file = "cv.pdf"  # the link would show for a pair that shows the person
    session.commit()
    candidate = sign_in(app.test_client(), world.candidate_user)
    employer = sign_in(app.test_client(), world.employer_user)
    offer_page = f"/employeur/offres/{world.offer.id}"
    # Signed: both see each other's contact details.
    assert person.email in _card(_read(employer.get(offer_page)), pair.id)
    assert "Adresse électronique" in _card(_read(candidate.get("/candidat/")), pair.id)

    ops.break_contract(session, pair, Actor.user(world.coordinator), local_today(), "Démission")
    session.commit()
    broken = f"Contrat rompu le {date_fr(local_today())}"
    mine_page = _read(candidate.get("/candidat/"))
    mine = _card(mine_page, pair.id)
    assert broken in mine and world.offer.site.employer.name in mine
    # Under its own heading, after the offers proposed (which it is no longer).
    assert mine_page.index("<h2>Offres proposées</h2>") < mine_page.index("<h2>Contrat rompu</h2>")
    assert mine_page.index("<h2>Contrat rompu</h2>") < mine_page.index(f'id="suggestion-{pair.id}"')
    assert "Démission" not in mine and "Adresse électronique" not in mine
    theirs_page = _read(employer.get(offer_page))
    theirs = _card(theirs_page, pair.id)
    assert broken in theirs and person.first_name in theirs
    assert "Aucune candidature ne vous est proposée" in theirs_page
    assert theirs_page.index("<h2>Contrat rompu</h2>") < theirs_page.index(
        f'id="suggestion-{pair.id}"'
    )
    for hidden in ("Démission", person.email, person.last_name, "06 12 34 56 78", "CV"):
        assert hidden not in theirs, hidden
    assert employer.get(f"/employeur/suggestions/{pair.id}/cv").status_code == 404
    # The API tells the parties the same: the pair, broken, without the other side's details.
    listed = api("candidate").get(f"/api/v1/suggestions/{pair.id}").get_json()
    assert (listed["status"], listed["employer_contact"]) == ("broken", None)
    assert api("employer").get(f"/api/v1/suggestions/{pair.id}").status_code == 200


def test_a_rupture_understood_on_the_pages_and_on_the_dashboard(
    app: Flask, world: World, session: Session
) -> None:
    """Who ended it, its cause from the list (the free text then optional), the 45 days: asked,
    confirmed, kept, shown, counted (issue 19)."""
    pair = _signed(session, world)
    staff = sign_in(app.test_client(), world.coordinator)
    page = f"/coordination/suggestions/{pair.id}"
    form = _read(staff.get(page))
    assert 'id="broken_cause"' in form and "Le métier ne lui convenait pas" in form
    assert "Aucune raison de santé n'est demandée." in form
    rupture = {
        "depuis": "contract_signed",
        "broken_on": local_today().isoformat(),
        "broken_by": "mutual",
        "broken_cause": "metier",
        "broken_after_trial": "non",
    }
    # A value outside the lists comes back in French, nothing written.
    for field, bad in (("broken_cause", "santé"), ("broken_after_trial", "peut-être")):
        refused = post(staff, f"{page}/etape/rupture", {**rupture, field: bad})
        assert refused.status_code == 400
        assert ("Valeur non reconnue" if field == "broken_cause" else "Valeur oui ou non") in (
            _read(refused)
        )
    ask = post(staff, f"{page}/etape/rupture", rupture)
    assert ask.status_code == 200
    assert (
        "Rupture d'un commun accord ; raison : le métier ne lui convenait pas ; pendant les 45 "
        "premiers jours." in _read(ask)
    )
    assert post(staff, f"{page}/etape/rupture", {**rupture, "confirme": "1"}).status_code == 302
    session.refresh(pair)
    assert (pair.status, pair.broken_by, pair.broken_cause, pair.broken_after_trial) == (
        S.BROKEN,
        BreakParty.MUTUAL,
        BreakCause.METIER,
        False,
    )
    assert pair.broken_reason is None
    shown = _read(staff.get(page))
    assert "<dt>Raison principale</dt><dd>Le métier ne lui convenait pas</dd>" in shown
    assert "<dd>Rupture pendant les 45 premiers jours de formation pratique</dd>" in shown
    dashboard = _read(staff.get("/coordination/"))
    assert "<td>Le métier ne lui convenait pas</td><td>1</td>" in dashboard
    assert (
        "Ruptures pendant les 45 premiers jours de formation pratique : 1 ; après : 0" in dashboard
    )
