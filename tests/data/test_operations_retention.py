"""RGPD: anonymisation keeps the statistics, deletion removes everything, export shows it all."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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
from data.operations.retention import ANONYMOUS_NAME
from tests.data.factories import make_offer, make_request, make_suggestion, make_user

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

    ops.anonymise_candidate(session, candidate, NOW)
    assert (candidate.first_name, candidate.last_name) == (ANONYMOUS_NAME, ANONYMOUS_NAME)
    assert candidate.email is None and candidate.phone is None
    assert candidate.notify_frequency is NotifyFrequency.NEVER
    assert candidate.anonymised_at == NOW
    assert session.get(User, user.id) is None
    # The statistics stay.
    assert request.commune_insee == "01283"
    assert [m.metier_code for m in request.metiers] == ["accompagnant-educatif-social", None]
    assert request.status is RequestStatus.PAUSED
    assert session.get(Suggestion, suggestion.id) is suggestion

    ops.anonymise_candidate(session, candidate.id, datetime(2027, 1, 1, tzinfo=UTC))
    assert candidate.anonymised_at == NOW


def test_delete_candidate_removes_everything_of_theirs(session) -> None:
    coordinator = make_user(session)
    offer = make_offer(session)
    request = make_request(session)
    candidate = request.candidate
    user = make_user(session, role="candidate", candidate=candidate)
    suggestion = make_suggestion(session, request=request, offer=offer)
    ops.approve_suggestion(session, suggestion, Actor.user(coordinator))
    kept = make_request(session)
    ids = (candidate.id, request.id, user.id, suggestion.id)

    ops.delete_candidate(session, candidate)
    session.expire_all()
    assert session.get(Candidate, ids[0]) is None
    assert session.get(Request, ids[1]) is None
    assert session.get(User, ids[2]) is None
    assert session.get(Suggestion, ids[3]) is None
    assert _count(session, RequestMetier, RequestMetier.request_id == ids[1]) == 0
    # The audit line of the pair stays, without identity; the offer and others are untouched.
    assert _count(session, AuditEntry, AuditEntry.object_id == ids[3]) == 1
    assert session.get(Request, kept.id) is kept
    assert offer.status.value == "published"


def test_delete_candidate_without_request_or_account(session) -> None:
    candidate = ops.create_candidate(
        session, first_name="Jean", last_name="Valjean", email="jv@example.org", consent=True
    )
    ops.delete_candidate(session, candidate.id)
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
    ops.log_access(
        session, Actor.user(coordinator), "candidate", candidate.id, ["email", "phone"], now=NOW
    )
    ops.log_access(session, Actor.user(coordinator), "candidate", candidate.id + 1000, ["email"])

    data = ops.export_candidate_data(session, candidate)
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
    assert (pair["statut"], pair["interet_du_candidat"]) == ("approved", "interested")
    assert data["consultations"] == [
        {"le": NOW.isoformat(), "par": "coordinator", "champs": ["email", "phone"]}
    ]


def test_export_of_a_candidate_with_nothing_else(session) -> None:
    candidate = ops.create_candidate(
        session, first_name="Ana", last_name="Lima", email="al@example.org", consent=True
    )
    data = ops.export_candidate_data(session, candidate.id)
    assert data["compte"] is None and data["demande"] is None
    assert data["mises_en_relation"] == [] and data["consultations"] == []
