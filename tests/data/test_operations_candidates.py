"""Candidates and their requests: consent, contact details, métiers typed freely, life cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data import operations as ops
from data.errors import Conflict, InvalidTransition, ValidationError
from data.models import Candidate, NotifyFrequency, Request, RequestMetier, RequestStatus
from data.operations.candidates import CONSENT_REQUIRED, DUPLICATE_CANDIDATE_EMAIL
from data.operations.requests import REQUEST_TRANSITIONS, split_metier_texts
from data.operations.validation import REQUIRED
from data.privacy import ErasureCause, erase_candidate
from tests.data.factories import (
    OYONNAX,
    assert_nothing_pending,
    make_candidate,
    make_request,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=10)
PHONE_FORMAT = "Numéro de téléphone invalide : 10 chiffres attendus, par exemple 06 12 34 56 78."


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- Candidates -------------------------------------------------------------------------------


def test_create_candidate_records_consent_and_normalises(session) -> None:
    candidate = ops.create_candidate(
        session,
        first_name=" Inès ",
        last_name="Benali",
        email="Ines.Benali@Example.org",
        phone="+33 6 01 02 03 04",
        consent=True,
        notify_frequency="weekly",
        now=NOW,
    )
    assert (candidate.first_name, candidate.email, candidate.phone) == (
        "Inès",
        "ines.benali@example.org",
        "06 01 02 03 04",
    )
    assert candidate.consent_at == candidate.created_at == candidate.last_activity_at == NOW
    assert candidate.notify_frequency is NotifyFrequency.WEEKLY
    assert candidate.anonymised_at is None


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"consent": False}, {"consent": [CONSENT_REQUIRED]}),
        ({"consent": "yes"}, {"consent": [CONSENT_REQUIRED]}),
        ({"first_name": ""}, {"first_name": [REQUIRED]}),
        (
            {"last_name": "x" * 101},
            {"last_name": ["Ce texte ne peut pas dépasser 100 caractères."]},
        ),
        ({"email": None}, {"email": [REQUIRED]}),
        ({"email": "lea@"}, {"email": ["Adresse électronique invalide."]}),
        (
            {"phone": "12"},
            {"phone": [PHONE_FORMAT]},
        ),
        ({"notify_frequency": "hourly"}, None),
    ],
)
def test_create_candidate_refuses(session, overrides: dict, errors: dict | None) -> None:
    values = {"first_name": "Léa", "last_name": "Petit", "email": "lp@example.org", "consent": True}
    values.update(overrides)
    before = _count(session, Candidate)
    with pytest.raises(ValidationError) as info:
        ops.create_candidate(session, **values)
    if errors is None:
        assert list(info.value.errors) == ["notify_frequency"]
    else:
        assert info.value.errors == errors
    assert_nothing_pending(session)
    assert _count(session, Candidate) == before


def test_duplicate_candidate_email(session) -> None:
    first = make_candidate(session)
    with pytest.raises(ValidationError) as info:
        make_candidate(session, email=first.email.upper(), consent=False)
    assert info.value.errors == {
        "email": [DUPLICATE_CANDIDATE_EMAIL],
        "consent": [CONSENT_REQUIRED],
    }
    assert_nothing_pending(session)
    other = make_candidate(session)
    with pytest.raises(ValidationError) as info:
        ops.update_candidate(session, other, email=first.email)
    assert info.value.errors == {"email": [DUPLICATE_CANDIDATE_EMAIL]}
    assert_nothing_pending(session)


def test_update_candidate_and_preferences_touch_activity(session) -> None:
    candidate = make_candidate(session, now=NOW)
    ops.update_candidate(session, candidate, last_name="Martin", phone="0612345678", now=LATER)
    assert (candidate.last_name, candidate.phone) == ("Martin", "06 12 34 56 78")
    assert candidate.last_activity_at == LATER
    ops.update_candidate(session, candidate, email=candidate.email, phone=None)
    assert candidate.phone is None
    ops.set_notification_preference(session, candidate, "never", now=NOW + timedelta(days=20))
    assert candidate.notify_frequency is NotifyFrequency.NEVER
    assert candidate.last_activity_at == NOW + timedelta(days=20)
    ops.touch_candidate(session, candidate.id, now=NOW + timedelta(days=30))
    assert candidate.last_activity_at == NOW + timedelta(days=30)

    with pytest.raises(ValidationError) as info:
        ops.update_candidate(session, candidate, consent_at=None, first_name="")
    assert set(info.value.errors) == {"consent_at"}
    with pytest.raises(ValidationError) as info:
        ops.set_notification_preference(session, candidate, "monthly")
    assert list(info.value.errors) == ["notify_frequency"]
    assert_nothing_pending(session)


# --- Requests ---------------------------------------------------------------------------------


def test_split_metier_texts() -> None:
    assert split_metier_texts("aide-soignante, AES; ME / EJE\nTISF") == [
        "aide-soignante",
        "AES",
        "ME",
        "EJE",
        "TISF",
    ]
    assert split_metier_texts(["  AES ", "aes", "", "Aide  soignante"]) == ["AES", "Aide soignante"]
    with pytest.raises(ValidationError):
        split_metier_texts(["AES", 3])
    with pytest.raises(ValidationError):
        split_metier_texts(12)


def test_create_request_resolves_metiers_typed_freely(session) -> None:
    candidate = make_candidate(session, now=NOW)
    result = ops.create_request(
        session,
        candidate,
        metiers=["Aide soignante", "AMP", "plombier", "educ spé", "auxilliaire de vie"],
        commune_insee=OYONNAX,
        max_distance_km="45",
        has_licence=True,
        needs_housing=True,
        available_from="2026-09-01",
        diploma_level=3,
        now=LATER,
    )
    request = result.request
    assert [(m.position, m.text, m.metier_code) for m in request.metiers] == [
        (0, "Aide soignante", "aide-soignant"),
        (1, "AMP", "accompagnant-educatif-social"),
        (2, "plombier", None),
        (3, "educ spé", "educateur-specialise"),
        (4, "auxilliaire de vie", "assistant-de-vie-aux-familles"),
    ]
    assert result.unresolved == ("plombier",)
    assert request.metier_codes == [
        "aide-soignant",
        "accompagnant-educatif-social",
        "educateur-specialise",
        "assistant-de-vie-aux-familles",
    ]
    assert request.commune.name == "Oyonnax"
    assert (request.max_distance_km, request.has_licence, request.has_car) == (45, True, False)
    assert (request.available_from, request.diploma_level) == (date(2026, 9, 1), 3)
    assert request.status is RequestStatus.ACTIVE
    assert candidate.request is request
    assert candidate.last_activity_at == LATER


def test_ambiguous_metiers_come_back_with_a_note(session) -> None:
    result = ops.create_request(
        session, make_candidate(session), metiers="AVS, AS", commune_insee="01053"
    )
    assert result.unresolved == ()
    assert len(result.notes) == 2
    assert any("auxiliaire de vie scolaire" in note for note in result.notes)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"metiers": []}, "metiers", "Indiquez au moins un métier."),
        ({"metiers": " , ; "}, "metiers", "Indiquez au moins un métier."),
        ({"metiers": ["a", "b", "c", "d", "e", "f"]}, "metiers", "Indiquez au plus 5 métiers."),
        ({"metiers": ["x" * 201]}, "metiers", "Chaque métier tient en 200 caractères au plus."),
        ({"metiers": None}, "metiers", "Liste de métiers attendue."),
        (
            {"metiers": ["plombier", "pâtissier"]},
            "metiers",
            "Aucun métier reconnu dans « plombier », « pâtissier ». Essayez par exemple "
            "« aide-soignant », « accompagnant éducatif et social » ou « éducateur spécialisé ».",
        ),
        (
            {"commune_insee": "01999"},
            "commune_insee",
            "Aucune commune ne porte le code INSEE 01999.",
        ),
        ({"commune_insee": None}, "commune_insee", REQUIRED),
        ({"max_distance_km": 0}, "max_distance_km", "La valeur doit être comprise entre 1 et 300."),
        (
            {"max_distance_km": 301},
            "max_distance_km",
            "La valeur doit être comprise entre 1 et 300.",
        ),
        ({"max_distance_km": 2.5}, "max_distance_km", "Nombre entier attendu."),
        ({"has_licence": "true"}, "has_licence", "Valeur oui ou non attendue."),
        ({"has_car": None}, "has_car", "Valeur oui ou non attendue."),
        ({"needs_housing": 1}, "needs_housing", "Valeur oui ou non attendue."),
        ({"accepts_relocation": "non"}, "accepts_relocation", "Valeur oui ou non attendue."),
        (
            {"available_from": "demain"},
            "available_from",
            "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ.",
        ),
        (
            {"available_from": date(1999, 12, 31)},
            "available_from",
            "La date ne peut pas être antérieure au 01/01/2000.",
        ),
        (
            {"available_from": date(2028, 3, 3)},
            "available_from",
            "La date ne peut pas être postérieure au 01/03/2028.",
        ),
        ({"diploma_level": 9}, "diploma_level", "La valeur doit être comprise entre 0 et 8."),
        ({"diploma_level": -1}, "diploma_level", "La valeur doit être comprise entre 0 et 8."),
    ],
)
def test_create_request_refuses(session, overrides: dict, field: str, message: str) -> None:
    candidate = make_candidate(session)
    values = {"metiers": ["aide-soignant"], "commune_insee": "01053"}
    values.update(overrides)
    before = (_count(session, Request), _count(session, RequestMetier))
    with pytest.raises(ValidationError) as info:
        ops.create_request(session, candidate, **values, now=NOW)
    assert info.value.errors == {field: [message]}
    assert_nothing_pending(session)
    assert (_count(session, Request), _count(session, RequestMetier)) == before
    assert candidate.request is None


def test_create_request_reports_every_field_at_once(session) -> None:
    with pytest.raises(ValidationError) as info:
        ops.create_request(
            session,
            make_candidate(session),
            metiers=["plombier"],
            commune_insee="x",
            max_distance_km=0,
            has_car="y",
            diploma_level=12,
        )
    assert set(info.value.errors) == {
        "metiers",
        "commune_insee",
        "max_distance_km",
        "has_car",
        "diploma_level",
    }
    assert_nothing_pending(session)


def test_one_request_per_candidate(session) -> None:
    request = make_request(session)
    with pytest.raises(Conflict):
        ops.create_request(session, request.candidate, metiers=["AES"], commune_insee="01053")
    assert_nothing_pending(session)


def test_update_request_rewrites_the_metier_list_in_place(session) -> None:
    request = make_request(session, metiers=["AES", "ME", "EJE"], now=NOW)
    first_row_id = request.metiers[0].id
    result = ops.update_request(
        session, request, metiers=["TISF", "garagiste"], max_distance_km=80, now=LATER
    )
    assert result.unresolved == ("garagiste",)
    assert [(m.position, m.text, m.metier_code) for m in request.metiers] == [
        (0, "TISF", "technicien-intervention-sociale-familiale"),
        (1, "garagiste", None),
    ]
    assert request.metiers[0].id == first_row_id
    assert (
        session.scalar(
            select(func.count())
            .select_from(RequestMetier)
            .where(RequestMetier.request_id == request.id)
        )
        == 2
    )
    assert request.max_distance_km == 80
    assert request.updated_at == LATER == request.candidate.last_activity_at

    ops.update_request(session, request, metiers=["ADVF", "AS", "EJE", "ES"])
    assert [m.metier_code for m in request.metiers] == [
        "assistant-de-vie-aux-familles",
        "aide-soignant",
        "educateur-jeunes-enfants",
        "educateur-specialise",
    ]
    # Without métiers the list stays.
    assert ops.update_request(session, request, has_car=True).unresolved == ()
    assert len(request.metiers) == 4

    with pytest.raises(ValidationError) as info:
        ops.update_request(session, request, metiers=["garagiste"], status="closed")
    assert set(info.value.errors) == {"status"}
    with pytest.raises(ValidationError) as info:
        ops.update_request(session, request, metiers=["garagiste"], commune_insee="00000")
    assert set(info.value.errors) == {"metiers", "commune_insee"}
    assert_nothing_pending(session)
    assert len(request.metiers) == 4


ACTIONS = {
    RequestStatus.PAUSED: ops.pause_request,
    RequestStatus.CLOSED: ops.close_request,
    RequestStatus.ACTIVE: ops.reactivate_request,
}


@pytest.mark.parametrize("target", list(ACTIONS))
@pytest.mark.parametrize("start", list(RequestStatus))
def test_request_transitions(session, start: RequestStatus, target: RequestStatus) -> None:
    request = make_request(session)
    request.status = start
    session.flush()
    if target in REQUEST_TRANSITIONS[start]:
        ACTIONS[target](session, request, now=LATER)
        assert request.status is target
        assert request.candidate.last_activity_at == LATER
    else:
        with pytest.raises(InvalidTransition):
            ACTIONS[target](session, request, now=LATER)
        assert request.status is start
        assert_nothing_pending(session)


def test_an_anonymised_candidate_cannot_be_edited(session) -> None:
    request = make_request(session)
    candidate = request.candidate
    erase_candidate(session, candidate, cause=ErasureCause.RETENTION, now=NOW)
    with pytest.raises(Conflict):
        ops.update_candidate(session, candidate, first_name="Léa")
    with pytest.raises(Conflict):
        ops.update_request(session, request, has_car=True)
    assert_nothing_pending(session)
