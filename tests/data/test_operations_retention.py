"""RGPD: the one erasure keeps the statistics and removes the person; the export shows it all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time

from sqlalchemy import func, select

from data import operations as ops
from data.actor import SYSTEM, Actor
from data.models import (
    AuditEntry,
    Candidate,
    NotifyFrequency,
    Request,
    RequestMetier,
    RequestStatus,
    Suggestion,
    User,
)
from data.privacy import ANONYMOUS_NAME, ErasureCause, erase_candidate, export_candidate_data
from tests.data.factories import make_offer, make_request, make_suggestion, make_user
from web.formatting import label

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_anonymise_erases_identity_and_keeps_statistics(session) -> None:
    request = make_request(session, metiers=["AES", "plombier"], commune_insee="01283")
    candidate = request.candidate
    ops.update_candidate(session, candidate, phone="0612345678")
    user = make_user(session, role="candidate", candidate=candidate)
    suggestion = make_suggestion(session, request=request)
    ops.pause_request(session, request)

    erase_candidate(session, candidate, cause=ErasureCause.RETENTION, now=NOW)
    assert (candidate.first_name, candidate.last_name) == (ANONYMOUS_NAME, ANONYMOUS_NAME)
    assert candidate.email is None and candidate.phone is None
    assert candidate.notify_frequency is NotifyFrequency.NEVER
    assert candidate.anonymised_at == NOW
    assert session.get(User, user.id) is None
    # The statistics stay.
    assert request.commune_insee == "01283"
    assert [m.metier_code for m in request.metiers] == ["accompagnant-educatif-social", None]
    # Closed through the request's life cycle, as every erasure does (paused -> closed).
    assert request.status is RequestStatus.CLOSED
    assert session.get(Suggestion, suggestion.id) is suggestion

    erase_candidate(
        session, candidate.id, cause=ErasureCause.RETENTION, now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert candidate.anonymised_at == NOW


def test_delete_candidate_removes_the_person_and_keeps_the_anonymous_facts(session) -> None:
    coordinator = make_user(session)
    offer = make_offer(session)
    request = make_request(session)
    candidate = request.candidate
    user = make_user(session, role="candidate", candidate=candidate)
    suggestion = make_suggestion(session, request=request, offer=offer)
    ops.approve_suggestion(session, suggestion, Actor.user(coordinator))
    kept = make_request(session)
    ids = (candidate.id, request.id, user.id, suggestion.id)

    erase_candidate(session, candidate, cause=ErasureCause.PERSON, actor=Actor.user(user))
    session.expire_all()
    # The person and their account are gone; what stays names nobody.
    gone = session.get(Candidate, ids[0])
    assert (gone.first_name, gone.last_name, gone.email, gone.phone) == (
        ANONYMOUS_NAME,
        ANONYMOUS_NAME,
        None,
        None,
    )
    assert gone.anonymised_at is not None
    assert session.get(User, ids[2]) is None
    # The request is closed and the pair stopped, through their life cycles.
    assert session.get(Request, ids[1]).status is RequestStatus.CLOSED
    assert session.get(Suggestion, ids[3]).status.value == "abandoned"
    assert _count(session, RequestMetier, RequestMetier.request_id == ids[1]) == 1
    # The audit lines of the pair stay (approved, then stopped), without identity.
    pair_lines = (AuditEntry.object_type == "suggestion", AuditEntry.object_id == ids[3])
    assert _count(session, AuditEntry, *pair_lines) == 2
    assert session.get(Request, kept.id) is kept
    assert offer.status.value == "published"


def test_delete_candidate_without_request_or_account(session) -> None:
    candidate = ops.create_candidate(
        session, first_name="Jean", last_name="Valjean", email="jv@example.org", consent=True
    )
    erase_candidate(session, candidate.id, cause=ErasureCause.PERSON)
    assert _count(session, Candidate, Candidate.email == "jv@example.org") == 0


def test_export_candidate_data_is_complete_and_json_ready(session) -> None:
    coordinator = make_user(session)
    request = make_request(
        session, metiers=["Aide soignante", "plombier"], available_from="2026-09-01", now=NOW
    )
    candidate = request.candidate
    make_user(session, role="candidate", candidate=candidate, email="Moi@Example.org")
    offer = make_offer(session)
    suggestion = make_suggestion(session, request=request, offer=offer)
    ops.approve_suggestion(session, suggestion, Actor.user(coordinator))
    ops.set_candidate_interest(session, suggestion, SYSTEM, True)
    # The interview's place and time are the person's too (issue 15).
    suggestion.interview_place, suggestion.interview_time = "Chez Mme Valjean", time(9, 5)
    ops.log_access(
        session, Actor.user(coordinator), "candidate", candidate.id, ["email", "phone"], now=NOW
    )
    ops.log_access(session, Actor.user(coordinator), "candidate", candidate.id + 1000, ["email"])

    data = export_candidate_data(session, candidate, label=label)
    json.dumps(data)  # JSON-ready
    assert data["candidat"]["email"] == candidate.email
    assert data["candidat"]["consentement_le"] == candidate.consent_at.isoformat()
    assert data["compte"]["email"] == "moi@example.org"
    assert data["demande"]["metiers"] == [
        {"saisi": "Aide soignante", "metier": "Aide-soignant"},
        {"saisi": "plombier", "metier": None},
    ]
    assert data["demande"]["commune"] == {"insee": "01053", "nom": "Bourg-en-Bresse"}
    assert data["demande"]["disponible_le"] == "2026-09-01"
    [pair] = data["mises_en_relation"]
    assert pair["offre"]["structure"] == offer.site.employer.name
    assert (pair["statut"], pair["interet_du_candidat"]) == (
        "Mise en relation faite",
        "Intéressé·e",
    )
    assert (pair["entretien_lieu"], pair["entretien_heure"]) == ("Chez Mme Valjean", "09:05")
    assert data["consultations"] == [
        {
            "le": NOW.isoformat(),
            "par": "Coordination, sur le site",
            "champs": ["Adresse électronique", "Téléphone"],
        }
    ]


def test_export_of_a_candidate_with_nothing_else(session) -> None:
    candidate = ops.create_candidate(
        session, first_name="Ana", last_name="Lima", email="al@example.org", consent=True
    )
    data = export_candidate_data(session, candidate.id, label=label)
    assert data["compte"] is None and data["demande"] is None
    assert data["mises_en_relation"] == [] and data["consultations"] == []
