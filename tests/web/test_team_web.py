"""« Mon équipe »: invite a colleague who signs in by the mailed link, remove one, name an
offer's contact; the same through the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth
from data.models import AuditEntry, Offer, Role, User, utcnow
from data.models.auth import LoginToken
from data.models.mail import OutboxMessage
from data.operations import team
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient
from tests.web.conftest import World, deliver_mails, post, sign_in

LINK_RE = re.compile(r"(/connexion/lien/[A-Za-z0-9_\-]+)")


def _mail(session: Session, to: str) -> OutboxMessage:
    session.expire_all()
    (mail,) = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == to))
    return mail


def test_an_employer_invites_a_colleague_who_signs_in_to_the_structure(
    app: Flask, world: World, session: Session
) -> None:
    owner = sign_in(app.test_client(), world.employer_user)
    page = owner.get("/employeur/equipe")
    assert page.status_code == 200 and "Mon équipe" in page.text
    assert world.employer_user.email in page.text and "(vous)" in page.text
    assert "Dernière personne de la structure" in page.text  # alone: no remove button
    assert "Mon équipe" in owner.get("/employeur/").text

    sent = post(owner, "/employeur/equipe/inviter", {"name": "Inès Vidal", "email": "ines@ex.org"})
    assert sent.status_code == 302
    page = owner.get("/employeur/equipe").text
    assert "Inès Vidal est invité·e" in page and "ines@ex.org" in page

    # An address already in use: refused in French, nobody is told whose it is.
    taken = post(
        owner,
        "/employeur/equipe/inviter",
        {"name": "Autre", "email": world.other_employer_user.email},
    )
    assert taken.status_code == 400 and "déjà celle" in taken.text
    assert world.other_employer_user.employer.name not in taken.text

    deliver_mails(app)
    invitation = _mail(session, "ines@ex.org")
    assert world.employer.name in invitation.subject
    link = LINK_RE.search(invitation.text)
    assert link is not None
    colleague = sign_in(app.test_client(), None)
    assert post(colleague, link.group(1)).status_code == 302
    assert world.employer.name in colleague.get("/employeur/").text


def test_an_invitation_link_still_works_the_next_day_not_after_a_week(
    app: Flask, world: World, session: Session
) -> None:
    from data.actor import Actor

    owner = Actor.user(world.employer_user)
    for name, days_ago in (("recent", 1), ("old", 8)):
        team.invite_colleague(
            session,
            owner,
            world.employer,
            name=name,
            email=f"{name}@ex.org",
            now=utcnow() - timedelta(days=days_ago),
        )
    session.commit()
    deliver_mails(app)
    recent = LINK_RE.search(_mail(session, "recent@ex.org").text)
    old = LINK_RE.search(_mail(session, "old@ex.org").text)
    assert recent is not None and old is not None
    late = sign_in(app.test_client(), None)
    expired = late.get(old.group(1))
    assert "Ce lien n'est plus valable" in expired.text
    assert "celui d'une invitation, après 7 jours" in expired.text
    assert post(late, old.group(1)).status_code == 400
    assert late.get("/employeur/").location.startswith("/connexion")  # not signed in
    fresh = sign_in(app.test_client(), None)
    assert "Me connecter" in fresh.get(recent.group(1)).text
    assert post(fresh, recent.group(1)).status_code == 302
    assert world.employer.name in fresh.get("/employeur/").text


def test_the_invitation_days_setting_sets_the_link_s_life(
    app: Flask, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "INVITATION_DAYS", 2)
    owner = sign_in(app.test_client(), world.employer_user)
    sent = post(owner, "/employeur/equipe/inviter", {"name": "Lou Brun", "email": "lou@ex.org"})
    assert sent.status_code == 302
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "lou@ex.org"))
    assert user is not None
    token = session.scalar(select(LoginToken).where(LoginToken.user_id == user.id))
    assert token is not None
    life = token.expires_at - token.created_at
    assert timedelta(days=2) < life <= timedelta(days=3)


def test_removing_a_colleague_closes_their_access_and_oneself_asks_first(
    app: Flask, world: World, session: Session
) -> None:
    employer = world.employer
    colleague = f.make_user(session, Role.EMPLOYER, employer=employer, display_name="Jules Noir")
    world.offer.contact_user_id = colleague.id
    session.commit()
    theirs = sign_in(app.test_client(), colleague)
    assert theirs.get("/employeur/").status_code == 200
    owner = sign_in(app.test_client(), world.employer_user)

    # Another structure cannot remove them.
    other = sign_in(app.test_client(), world.other_employer_user)
    assert post(other, f"/employeur/equipe/{colleague.id}/retirer").status_code == 404

    assert post(owner, f"/employeur/equipe/{colleague.id}/retirer").status_code == 302
    assert "Jules Noir est retiré·e" in owner.get("/employeur/equipe").text
    # Their open session is over; the offer they were the contact of has none now.
    assert theirs.get("/employeur/").status_code == 302
    session.expire_all()
    assert session.get(Offer, world.offer.id).contact_user_id is None
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "team_remove"))
    assert list(actions) == ["team_remove"]

    # The last person cannot leave.
    url = f"/employeur/equipe/{world.employer_user.id}/retirer"
    refused = post(owner, url, {"confirm": "1"})
    assert refused.status_code == 302
    assert "dernière personne" in owner.get("/employeur/equipe").text

    # With a colleague, leaving asks for a confirmation first, then signs out.
    f.make_user(session, Role.EMPLOYER, employer=employer)
    session.commit()
    ask = post(owner, url)
    assert ask.status_code == 200 and "Oui, me retirer" in ask.text
    assert session.get(User, world.employer_user.id).is_active
    done = post(owner, url, {"confirm": "1"})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert owner.get("/employeur/").status_code == 302
    session.expire_all()
    assert not session.get(User, world.employer_user.id).is_active


def test_the_offer_form_names_a_contact_of_the_structure_only(
    app: Flask, world: World, session: Session
) -> None:
    colleague = f.make_user(
        session, Role.EMPLOYER, employer=world.employer, display_name="Karine Blanc"
    )
    session.commit()
    owner = sign_in(app.test_client(), world.employer_user)
    url = f"/employeur/offres/{world.draft.id}/modifier"
    form = owner.get(url).text
    assert "Personne à contacter pour cette offre" in form and "Karine Blanc" in form
    assert world.other_employer_user.email not in form

    fields = {
        "site_id": str(world.draft.site_id),
        "metier_code": world.draft.metier_code,
        "contract": "apprentissage",
        "places": "1",
        "housing_beds": "0",
        "description": "Accompagner les résidents au quotidien.",
    }
    wrong = post(owner, url, {**fields, "contact_user_id": str(world.other_employer_user.id)})
    assert wrong.status_code == 400 and team.NOT_A_COLLEAGUE in wrong.text
    session.expire_all()
    assert session.get(Offer, world.draft.id).contact_user_id is None

    assert post(owner, url, {**fields, "contact_user_id": str(colleague.id)}).status_code == 302
    session.expire_all()
    assert session.get(Offer, world.draft.id).contact_user_id == colleague.id
    assert f'value="{colleague.id}" selected' in owner.get(url).text
    assert "Karine Blanc" in owner.get(f"/employeur/offres/{world.draft.id}").text


def test_the_api_lists_invites_and_removes_people_of_its_own_structure(
    app: Flask, world: World, session: Session
) -> None:
    _, raw = auth.create_api_token(session, role=Role.EMPLOYER, employer_id=world.employer.id)
    session.commit()
    api = ApiClient(app.test_client(), raw)
    base = f"/api/v1/employers/{world.employer.id}/team"
    made = api.post(base, {"name": "Léo Martin", "email": "leo@ex.org"})
    assert made.status_code == 201 and made.get_json()["email"] == "leo@ex.org"
    again = api.post(base, {"name": "Léo", "email": "LEO@ex.org"})
    assert again.status_code == 422 and again.get_json()["errors"] == {"email": [team.EMAIL_TAKEN]}
    listed = api.get(base).get_json()
    assert [p["email"] for p in listed["items"]] == [world.employer_user.email, "leo@ex.org"]
    assert listed["pagination"]["total"] == 2

    # A token naming Léo stops with his removal.
    leo = made.get_json()["id"]
    _, leo_raw = auth.create_api_token(
        session, role=Role.EMPLOYER, employer_id=world.employer.id, user_id=leo
    )
    session.commit()
    assert ApiClient(app.test_client(), leo_raw).get(base).status_code == 200
    assert api.call("DELETE", f"{base}/{leo}").status_code == 204
    assert ApiClient(app.test_client(), leo_raw).get(base).status_code == 401
    assert api.call("DELETE", f"{base}/{leo}").status_code == 404
    other = f"/api/v1/employers/{world.other_employer_user.employer_id}/team"
    assert api.get(other).status_code == 404


def test_the_candidate_of_an_approved_pair_sees_the_offer_contact_person(
    app: Flask, world: World, session: Session
) -> None:
    colleague = f.make_user(
        session, Role.EMPLOYER, employer=world.employer, display_name="Lucie Garnier"
    )
    team.set_offer_contact(session, world.offer, colleague.id)
    session.commit()
    page = sign_in(app.test_client(), world.candidate_user).get("/candidat/").text
    assert "Lucie Garnier" in page and colleague.email in page
    assert world.employer.contact_email not in page


def test_the_api_decides_requests_to_join_its_own_structure(
    app: Flask, world: World, session: Session
) -> None:
    from data.operations import employers as employer_ops

    joins = [
        employer_ops.request_to_join(session, world.employer, name=name, email=email)
        for name, email in (("Marc Lenoir", "marc@ex.org"), ("Nina Roche", "nina@ex.org"))
    ]
    _, raw = auth.create_api_token(session, role=Role.EMPLOYER, employer_id=world.employer.id)
    _, other_raw = auth.create_api_token(
        session, role=Role.EMPLOYER, employer_id=world.other_employer_user.employer_id
    )
    session.commit()
    api = ApiClient(app.test_client(), raw)
    base = f"/api/v1/employers/{world.employer.id}/join-requests"
    listed = api.get(base).get_json()
    assert [j["name"] for j in listed["items"]] == ["Marc Lenoir", "Nina Roche"]
    # Another structure's token: neither its list nor its decisions.
    other = ApiClient(app.test_client(), other_raw)
    assert other.get(base).status_code == 404
    accept = {"decision": "accept"}
    assert other.post(f"{base}/{joins[0].id}/decision", accept).status_code == 404

    done = api.post(f"{base}/{joins[0].id}/decision", accept)
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["status"] == "accepted" and body["member"]["email"] == "marc@ex.org"
    assert api.post(f"{base}/{joins[0].id}/decision", accept).status_code == 409
    refused = api.post(f"{base}/{joins[1].id}/decision", {"decision": "refuse"})
    assert refused.status_code == 200 and refused.get_json()["member"] is None
    assert api.get(base).get_json()["items"] == []
    session.expire_all()
    marc = session.scalar(select(User).where(User.email == "marc@ex.org"))
    assert marc is not None and marc.employer_id == world.employer.id
    kinds = set(
        session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.recipient.in_(["marc@ex.org", "nina@ex.org"])
            )
        )
    )
    assert kinds == {"signin", "join_request"}
