"""One erasure for every path: a person with data in every table, erased, then searched for.

The person signs up and signs in through the pages, writes a request, is paired by the engine and
by hand, gets approved, declined with a reason naming them, answered, consulted (page, employer,
API), unsubscribed, mailed (outbox and ``.eml`` files), and signs a contract. Then they are
erased by « supprimer mon compte », by a coordinator, or by the retention job; afterwards no string
column of any table (found from the models' metadata) and no mail file holds their name, address
or phone, while the figures (contracts signed, places filled, the pair in the lists) are unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import JSON, String, Text, cast, func, select
from sqlalchemy.orm import Session

from data import auth as data_auth
from data import mail, queries
from data.models import (
    AuditEntry,
    Base,
    Candidate,
    Request,
    Suggestion,
    SuggestionStatus,
    User,
    utcnow,
)
from data.models.auth import ApiToken, LoginToken, RateLimitWindow
from data.models.mail import (
    ActionToken,
    MailOptOut,
    NotifiedSuggestion,
    OutboxMessage,
    UnsubscribeToken,
)
from data.operations import audit, touch_candidate
from data.privacy import ErasureCause, export_candidate_data
from data.privacy.mailfiles import mail_file_text
from data.privacy.person import Person
from jobs.digests import send_digests
from jobs.retention import RETENTION_MONTHS, apply_retention
from tests.data import factories as f
from tests.web.conftest import World, deliver_mails, post, sign_in
from web.db import state
from web.formatting import label

FIRST, LAST = "Josiane", "Berthelot"
EMAIL = "josiane.berthelot@example.org"
PHONE = "06 98 76 54 32"
#: Everything that must be gone: the name (whole, and the family name alone), address, phone.
NEEDLES = (
    f"{FIRST} {LAST}".lower(),
    LAST.lower(),
    EMAIL,
    PHONE,
    PHONE.replace(" ", ""),
)


@dataclass
class Someone:
    """The person made by :func:`_person_everywhere`, and the ids the checks need."""

    user_id: int
    candidate_id: int
    request_id: int
    signed: Suggestion
    declined: Suggestion
    manual: Suggestion
    client: FlaskClient


def _person_everywhere(app: Flask, session: Session, world: World) -> Someone:
    """Make the person through the pages and operations, with data in every table of theirs."""
    anonymous = sign_in(app.test_client(), None)
    signup = {
        "first_name": FIRST,
        "last_name": LAST,
        "email": EMAIL,
        "phone": PHONE,
        "consent": "1",
    }
    assert post(anonymous, "/inscription/candidat", signup).status_code == 200
    assert post(anonymous, "/connexion", {"email": EMAIL}).status_code == 200
    user = session.scalar(select(User).where(User.email == EMAIL))
    assert user is not None and user.candidate_id is not None
    me = sign_in(app.test_client(), user)
    form = {
        "metier_1": "aide soignante",
        "metier_2": f"{FIRST} {LAST}",  # typed in the wrong box: kept as typed, matches nothing
        "keep_metier_2": "1",  # the form asks to confirm a text it does not know
        "commune": "Bourg-en-Bresse (01053)",
        "max_distance_km": "30",
    }
    assert post(me, "/candidat/demande", form).status_code == 302
    session.expire_all()
    request = session.scalar(select(Request).where(Request.candidate_id == user.candidate_id))
    assert request is not None

    signed = f.make_suggestion(session, request, world.offer)
    declined = f.make_suggestion(session, request, world.other_offer)
    third_offer = f.make_offer(session, f.make_site(session, world.employer))
    session.commit()
    staff = sign_in(app.test_client(), world.coordinator)
    for pair in (signed, declined):
        assert post(staff, f"/coordination/suggestions/{pair.id}/approuver").status_code == 302
    other_employer = sign_in(app.test_client(), world.other_employer_user)
    reason = {"interested": "0", "reason": f"Mme {LAST} ({PHONE}) n'a pas le permis"}
    url = f"/employeur/suggestions/{declined.id}/reponse"
    assert post(other_employer, url, reason).status_code == 302
    url = f"/coordination/suggestions/{declined.id}/etape/abandon"
    reason = {"reason": f"{FIRST} {LAST} a trouvé ailleurs", "confirme": "1"}
    assert post(staff, url, reason).status_code == 302
    manual = {
        "request_id": str(request.id),
        "offer_id": str(third_offer.id),
        "note": f"Vue au forum avec {FIRST} {LAST}, {EMAIL}",
    }
    assert post(staff, "/coordination/suggestions/nouvelle", manual).status_code == 302
    assert (
        post(me, f"/candidat/suggestions/{signed.id}/reponse", {"interested": "1"}).status_code
        == 302
    )

    # Consultations: the employer's page shows the contact details, a coordinator's page, the API.
    employer = sign_in(app.test_client(), world.employer_user)
    assert EMAIL in employer.get(f"/employeur/offres/{world.offer.id}").text
    assert staff.get(f"/coordination/candidats/{user.candidate_id}").status_code == 200
    _, coordinator_token = data_auth.create_api_token(
        session, role="coordinator", user_id=world.coordinator.id, label="Outil"
    )
    data_auth.create_api_token(
        session, role="candidate", candidate_id=user.candidate_id, label=f"Jeton de {FIRST} {LAST}"
    )
    # Links in mails: « toujours en recherche ? » and unsubscribing.
    mail.still_looking_token(session, request.id)
    unsubscribe = mail.unsubscribe_token_for(session, EMAIL)
    session.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {coordinator_token}"}
    assert api.get(f"/api/v1/requests/{request.id}", headers=headers).status_code == 200
    assert post(anonymous, f"/desabonnement/{unsubscribe}").status_code == 200

    mailer = mail.make_mailer(app.config)
    send_digests(state(app).session_factory, mailer, frequency="daily")
    for stage in ("contacte", "entretien", "contrat"):
        url = f"/coordination/suggestions/{signed.id}/etape/{stage}"
        assert post(staff, url, {"confirme": "1"}).status_code == 302
    deliver_mails(app)
    session.expire_all()
    manual_pair = session.scalar(
        select(Suggestion).where(
            Suggestion.request_id == request.id, Suggestion.offer_id == third_offer.id
        )
    )
    assert manual_pair is not None
    return Someone(user.id, user.candidate_id, request.id, signed, declined, manual_pair, me)


def _count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _rate_hashes() -> list[str]:
    person = Person(0, None, (), (), (EMAIL,), PHONE)
    return person.rate_key_hashes


def _assert_everywhere(session: Session, someone: Someone, mail_dir: Path) -> None:
    """Check that the person really has data in every table the erasure must empty."""
    session.expire_all()
    user_id, candidate_id = someone.user_id, someone.candidate_id
    assert _count(session, OutboxMessage, func.lower(OutboxMessage.recipient) == EMAIL) >= 3
    assert _count(session, OutboxMessage, OutboxMessage.text.contains(PHONE)) >= 1
    assert _count(session, LoginToken, LoginToken.user_id == user_id) == 2
    assert _count(session, ApiToken, ApiToken.candidate_id == candidate_id) == 1
    assert _count(session, UnsubscribeToken, UnsubscribeToken.email == EMAIL) == 1
    assert _count(session, MailOptOut, MailOptOut.email == EMAIL) == 1
    assert _count(session, NotifiedSuggestion, NotifiedSuggestion.recipient == EMAIL) >= 1
    assert _count(session, ActionToken, ActionToken.object_id == someone.request_id) == 1
    assert _count(session, RateLimitWindow, RateLimitWindow.key_hash.in_(_rate_hashes())) == 2
    views = _count(
        session,
        AuditEntry,
        AuditEntry.action == audit.ACCESS_ACTION,
        AuditEntry.object_id == candidate_id,
    )
    assert views == 3  # the employer's page, the coordinator's page, the API
    assert _found_in_database(session), "the person must be found before the erasure"
    assert _found_in_files(mail_dir), "the mail files must name the person before the erasure"


def _texts(table_column: object) -> object:
    return func.lower(cast(table_column, Text))


def _found_in_database(session: Session) -> list[str]:
    """Search every text column of every table (from the metadata) for the person."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = getattr(column.type, "impl", column.type)
            if not isinstance(kind, String | Text | JSON):
                continue
            for needle in NEEDLES:
                hits = session.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(_texts(column).contains(needle, autoescape=True))
                )
                if hits:
                    found.append(f"{table.name}.{column.name} holds {needle!r} ({hits} rows)")
    return found


def _found_in_files(mail_dir: Path) -> list[str]:
    return [
        f"{path.name} holds {needle!r}"
        for path in sorted(mail_dir.glob("*.eml"))
        for needle in NEEDLES
        if needle in mail_file_text(path)
    ]


@dataclass(frozen=True)
class Figures:
    """What the statistics show, which an erasure must not change."""

    contracts_signed: int
    places_filled: int
    signed_pair_listed: bool


def _figures(session: Session, staff: FlaskClient, world: World, someone: Someone) -> Figures:
    session.expire_all()
    by_status = dict(queries.dashboard(session).pairs_by_status)
    listed = staff.get("/coordination/binomes?statut=contract_signed").text
    return Figures(
        by_status.get(SuggestionStatus.CONTRACT_SIGNED, 0),
        world.offer.places_filled,
        f"/coordination/suggestions/{someone.signed.id}" in listed,
    )


def _erase(how: str, app: Flask, world: World, someone: Someone) -> None:
    if how == ErasureCause.PERSON:
        page = someone.client.get("/candidat/donnees").text
        assert "Sont effacés définitivement" in page
        wrong = post(someone.client, "/candidat/supprimer", {"confirm": "oui"})
        assert wrong.status_code == 400
        done = post(someone.client, "/candidat/supprimer", {"confirm": "SUPPRIMER"})
        assert done.status_code == 302
    elif how == ErasureCause.COORDINATOR:
        staff = sign_in(app.test_client(), world.coordinator)
        url = f"/coordination/candidats/{someone.candidate_id}/effacer"
        page = staff.get(url)
        assert page.status_code == 200 and "Pour confirmer, tapez EFFACER" in page.text
        wrong = post(staff, url, {"confirm": "effacer ?"})
        assert wrong.status_code == 400 and "Tapez EFFACER en majuscules" in wrong.text
        done = post(staff, url, {"confirm": "EFFACER"}, follow_redirects=True)
        assert done.status_code == 200 and "sont effacées" in done.text
    else:
        factory = state(app).session_factory
        mailer = mail.make_mailer(app.config)
        later = utcnow() + timedelta(days=31 * RETENTION_MONTHS)
        with factory.begin() as s:  # the world's other candidate stays active meanwhile
            touch_candidate(s, world.request.candidate_id, now=later + timedelta(days=31))
        assert apply_retention(factory, mailer, later)["warned"] == 1
        counts = apply_retention(factory, mailer, later + timedelta(days=31))
        assert counts["anonymised"] == 1


@pytest.mark.parametrize("how", list(ErasureCause))
def test_erasure_leaves_nothing_of_the_person_and_keeps_the_figures(
    app: Flask, session: Session, world: World, mail_dir: Path, how: ErasureCause
) -> None:
    someone = _person_everywhere(app, session, world)
    _assert_everywhere(session, someone, mail_dir)
    staff = sign_in(app.test_client(), world.coordinator)
    before = _figures(session, staff, world, someone)
    assert before == Figures(1, 1, True)
    others = _count(session, OutboxMessage, func.lower(OutboxMessage.recipient) != EMAIL)

    _erase(how, app, world, someone)

    session.expire_all()
    assert _found_in_database(session) == []
    assert _found_in_files(mail_dir) == []
    assert _count(session, RateLimitWindow, RateLimitWindow.key_hash.in_(_rate_hashes())) == 0
    assert _count(session, User, User.id == someone.user_id) == 0
    assert _figures(session, staff, world, someone) == before
    # The same transitions, whoever erased: the request closed by its rules (a signed contract
    # keeps it matched), pairs still alive stopped, the signed one kept.
    request = session.get(Request, someone.request_id)
    assert request is not None and request.status.value == "matched"
    statuses = {
        p.id: session.get(Suggestion, p.id).status
        for p in (someone.signed, someone.declined, someone.manual)
    }
    assert statuses == {
        someone.signed.id: SuggestionStatus.CONTRACT_SIGNED,
        someone.declined.id: SuggestionStatus.ABANDONED,
        someone.manual.id: SuggestionStatus.ABANDONED,
    }
    candidate = session.get(Candidate, someone.candidate_id)
    assert candidate is not None and candidate.anonymised_at is not None
    # What others hold stays: the employers' contacts, mails to others (their bodies emptied
    # only where they spoke of the person).
    assert world.employer.contact_email
    if how != ErasureCause.RETENTION:  # two years on, the job deletes everyone's old mails too
        kept = _count(session, OutboxMessage, func.lower(OutboxMessage.recipient) != EMAIL)
        assert kept == others
    erasure = session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "erasure", AuditEntry.object_id == someone.candidate_id
        )
    )
    assert erasure is not None and erasure.details["cause"] == how.value
    # Who erased: the retention job says so; the person's own line names no one.
    by_job = {"via": "job", "job": "retention"} if how is ErasureCause.RETENTION else {}
    assert erasure.details == {"cause": how.value, **by_job}


def test_export_tells_the_person_everything_held_in_french(
    app: Flask, session: Session, world: World, mail_dir: Path
) -> None:
    someone = _person_everywhere(app, session, world)
    response = someone.client.get("/candidat/donnees/export.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data == export_candidate_data(session, someone.candidate_id, label=label)
    pairs = {p["offre"]["structure"]: p for p in data["mises_en_relation"]}
    declined = pairs[world.other_employer_user.employer.name]
    assert declined["reponse_de_l_employeur"] == "Pas intéressé·e"
    assert declined["raison_de_l_employeur"] == f"Mme {LAST} ({PHONE}) n'a pas le permis"
    history = [line.get("texte") for p in data["mises_en_relation"] for line in p["historique"]]
    assert f"Vue au forum avec {FIRST} {LAST}, {EMAIL}" in history  # a coordinator's note
    assert f"{FIRST} {LAST} a trouvé ailleurs" in history
    assert data["courriels"] and all(m["a"] == EMAIL for m in data["courriels"])
    assert {m["etat"] for m in data["courriels"]} <= {"Envoyé", "Non envoyé"}
    assert data["desabonnements"][0]["adresse"] == EMAIL
    tokens = data["liens_et_jetons"]
    assert len(tokens["liens_de_connexion"]) == 2
    assert tokens["jetons_api"][0]["libelle"] == f"Jeton de {FIRST} {LAST}"
    assert tokens["liens_de_desabonnement"] and tokens["liens_de_reponse"]
    assert data["tentatives_de_connexion_comptees"] == 2
    by = sorted(c["par"] for c in data["consultations"])
    assert by == [
        f"Coordination, par l'API (jeton n° {_coordinator_token_id(session)})",
        "Coordination, sur le site",
        f"Employeur : {world.employer.name}, sur le site",
    ]
    # French for people: no code of ours in the values shown.
    text = response.get_data(as_text=True)
    for code in ("contract_signed", "approved", "abandoned", "declined", "coordinator", '"sent"'):
        assert code not in text, code
    assert re.search(r'"statut": "Contrat signé"', text)


def _coordinator_token_id(session: Session) -> int:
    token = session.scalar(select(ApiToken.id).where(ApiToken.role == "coordinator"))
    assert token is not None
    return token
