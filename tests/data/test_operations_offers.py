"""Offers: creation, every validation error, publication, the end of their life, duplication."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data import operations as ops
from data.actor import Actor
from data.errors import Conflict, InvalidTransition, ValidationError
from data.models import HELD_OFFER_STATUSES, ContractKind, Offer, OfferStatus, StructureCheck
from data.operations import moderation
from data.operations.offers import OFFER_TRANSITIONS
from data.operations.validation import REQUIRED
from tests.data.factories import assert_nothing_pending, make_employer, make_offer, make_site

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BASE = "http://localhost"
TODAY = date(2026, 3, 2)
DESCRIPTION = "Accompagnement des résidents au quotidien, équipe de jour, week-ends alternés."


def _values(site, **overrides):
    values = {
        "site_id": site.id,
        "metier_code": "accompagnant-educatif-social",
        "places": 2,
        "start_date": TODAY + timedelta(days=120),
        "duration_months": 24,
        "description": DESCRIPTION,
    }
    values.update(overrides)
    return values


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Offer))


def test_create_offer_is_a_draft_with_the_diploma_of_its_metier(session) -> None:
    site = make_site(session, beds=2)
    offer = ops.create_offer(
        session,
        site.employer,
        **_values(site, housing_beds=2, licence_required=True, tutor_name=" Anne Roux "),
        now=NOW,
    )
    assert offer.status is OfferStatus.DRAFT
    assert offer.diploma == "DEAES"
    assert offer.contract is ContractKind.APPRENTISSAGE
    assert (offer.places, offer.places_filled, offer.housing_beds) == (2, 0, 2)
    assert offer.licence_required and not offer.night_work
    assert offer.tutor_name == "Anne Roux"
    assert offer.created_at == NOW and offer.published_at is None
    assert offer.site is site and offer.metier.code == "accompagnant-educatif-social"


def test_create_offer_keeps_a_diploma_given_and_accepts_form_strings(session) -> None:
    site = make_site(session)
    offer = ops.create_offer(
        session,
        site.employer.id,
        **_values(
            site,
            site_id=str(site.id),
            diploma="TP ADVF",
            metier_code="assistant-de-vie-aux-familles",
            places="3",
            start_date=(TODAY + timedelta(days=30)).isoformat(),
            duration_months="12",
            contract="professionnalisation",
        ),
        now=NOW,
    )
    assert (offer.diploma, offer.places, offer.duration_months) == ("TP ADVF", 3, 12)
    assert offer.contract is ContractKind.PROFESSIONNALISATION


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"site_id": 10**8}, "site_id", "Ce site n'appartient pas à votre structure."),
        ({"site_id": "x"}, "site_id", "Nombre entier attendu."),
        ({"metier_code": "plombier"}, "metier_code", "Métier inconnu du référentiel."),
        ({"metier_code": None}, "metier_code", REQUIRED),
        ({"diploma": "x" * 41}, "diploma", "Ce texte ne peut pas dépasser 40 caractères."),
        ({"contract": "cdi"}, "contract", None),
        ({"places": 0}, "places", "La valeur doit être comprise entre 1 et 50."),
        ({"places": 51}, "places", "La valeur doit être comprise entre 1 et 50."),
        ({"places": True}, "places", "Nombre entier attendu."),
        (
            {"start_date": "02/13/2026"},
            "start_date",
            "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ.",
        ),
        (
            {"start_date": TODAY - timedelta(days=366)},
            "start_date",
            "La date ne peut pas être antérieure au 02/03/2025.",
        ),
        (
            {"start_date": TODAY + timedelta(days=731)},
            "start_date",
            "La date ne peut pas être postérieure au 01/03/2028.",
        ),
        ({"duration_months": 5}, "duration_months", "La valeur doit être comprise entre 6 et 48."),
        ({"duration_months": 49}, "duration_months", "La valeur doit être comprise entre 6 et 48."),
        (
            {"housing_beds": 1},
            "housing_beds",
            "Ce site ne propose pas de logement : déclarez-le d'abord sur le site.",
        ),
        ({"housing_beds": -1}, "housing_beds", "La valeur doit être comprise entre 0 et 500."),
        ({"licence_required": "oui"}, "licence_required", "Valeur oui ou non attendue."),
        ({"night_work": 1}, "night_work", "Valeur oui ou non attendue."),
        ({"weekend_work": None}, "weekend_work", "Valeur oui ou non attendue."),
        ({"tutor_name": "x" * 201}, "tutor_name", "Ce texte ne peut pas dépasser 200 caractères."),
        ({"tutor_role": 3}, "tutor_role", "Texte attendu."),
        (
            {"description": "x" * 5001},
            "description",
            "Ce texte ne peut pas dépasser 5000 caractères.",
        ),
    ],
)
def test_create_offer_refuses(session, overrides: dict, field: str, message: str | None) -> None:
    site = make_site(session)
    before = _count(session)
    with pytest.raises(ValidationError) as info:
        ops.create_offer(session, site.employer, **_values(site, **overrides), now=NOW)
    assert list(info.value.errors) == [field]
    if message is not None:
        assert info.value.errors[field] == [message]
    assert_nothing_pending(session)
    assert _count(session) == before


def test_an_offer_cannot_be_placed_at_another_employers_site(session) -> None:
    mine = make_site(session)
    theirs = make_site(session)
    with pytest.raises(ValidationError) as info:
        ops.create_offer(session, mine.employer, **_values(theirs))
    assert info.value.errors == {"site_id": ["Ce site n'appartient pas à votre structure."]}


def test_housing_beds_are_bounded_by_the_site(session) -> None:
    site = make_site(session, beds=2)
    with pytest.raises(ValidationError) as info:
        ops.create_offer(session, site.employer, **_values(site, housing_beds=3))
    assert info.value.errors == {
        "housing_beds": ["Ce site ne propose que 2 lits : impossible d'en réserver 3."]
    }


def test_create_offer_reports_every_field_at_once(session) -> None:
    employer = make_employer(session)
    with pytest.raises(ValidationError) as info:
        ops.create_offer(
            session,
            employer,
            site_id=0,
            metier_code="x",
            contract="y",
            places=0,
            duration_months=2,
            night_work="z",
        )
    assert set(info.value.errors) == {
        "site_id",
        "metier_code",
        "contract",
        "places",
        "duration_months",
        "night_work",
    }
    assert_nothing_pending(session)


def test_publish_needs_what_a_candidate_needs(session) -> None:
    site = make_site(session)
    offer = ops.create_offer(
        session,
        site.employer,
        site_id=site.id,
        metier_code="aide-soignant",
        description="Court.",
        now=NOW,
    )
    with pytest.raises(ValidationError) as info:
        ops.publish_offer(session, offer, now=NOW)
    assert info.value.errors == {
        "start_date": ["Indiquez la date de début pour publier l'offre."],
        "duration_months": ["Indiquez la durée du contrat pour publier l'offre."],
        "description": [
            "Décrivez le poste en quelques lignes (au moins 30 caractères) pour publier l'offre."
        ],
    }
    assert_nothing_pending(session)
    assert offer.status is OfferStatus.DRAFT

    ops.update_offer(
        session,
        offer,
        start_date=TODAY - timedelta(days=91),
        duration_months=18,
        description=DESCRIPTION,
        now=NOW,
    )
    with pytest.raises(ValidationError) as info:
        ops.publish_offer(session, offer, now=NOW)
    assert info.value.errors == {
        "start_date": ["La date de début est passée : corrigez-la avant de publier."]
    }
    ops.update_offer(session, offer, start_date=TODAY - timedelta(days=30), now=NOW)
    ops.publish_offer(session, offer, now=NOW)
    assert offer.status is OfferStatus.PUBLISHED
    assert offer.published_at == NOW

    with pytest.raises(InvalidTransition):
        ops.publish_offer(session, offer, now=NOW)


def test_update_offer(session) -> None:
    offer = make_offer(session, places=3)
    ops.update_offer(session, offer, metier_code="moniteur-educateur", night_work=True)
    assert (offer.metier_code, offer.diploma, offer.night_work) == (
        "moniteur-educateur",
        "DEME",
        True,
    )
    ops.update_offer(session, offer, diploma="CAFME")
    assert offer.diploma == "CAFME"
    ops.update_offer(session, offer, diploma=None)
    assert offer.diploma == "DEME"

    other_site = make_site(session, offer.site.employer, commune_insee="01283")
    ops.update_offer(session, offer, site_id=other_site.id)
    assert offer.site is other_site

    # A published offer must stay publishable.
    with pytest.raises(ValidationError) as info:
        ops.update_offer(session, offer, description="", duration_months=None)
    assert set(info.value.errors) == {"description", "duration_months"}
    assert_nothing_pending(session)

    ops.set_places_filled(session, offer, 2)
    with pytest.raises(ValidationError) as info:
        ops.update_offer(session, offer, places=1)
    assert info.value.errors == {
        "places": ["2 places sont déjà pourvues : le nombre de places ne peut pas être inférieur."]
    }
    with pytest.raises(ValidationError) as info:
        ops.update_offer(session, offer, status="closed", places_filled=0)
    assert set(info.value.errors) == {"status", "places_filled"}
    assert offer.places == 3


def test_update_offer_moving_site_checks_its_beds(session) -> None:
    offer = make_offer(session, housing_beds=1)
    bare = make_site(session, offer.site.employer)
    with pytest.raises(ValidationError) as info:
        ops.update_offer(session, offer, site_id=bare.id)
    assert list(info.value.errors) == ["housing_beds"]
    ops.update_offer(session, offer, site_id=bare.id, housing_beds=0)
    assert offer.site is bare


def test_an_old_start_date_resent_by_a_form_is_not_revalidated(session) -> None:
    offer = make_offer(session, start_date=TODAY - timedelta(days=60), now=NOW)
    later = NOW + timedelta(days=400)
    ops.update_offer(session, offer, start_date=offer.start_date, tutor_name="Zoé", now=later)
    assert offer.tutor_name == "Zoé"
    with pytest.raises(ValidationError):
        ops.update_offer(session, offer, start_date=offer.start_date - timedelta(days=1), now=later)


def test_ended_offers_are_read_only_and_can_be_duplicated(session) -> None:
    offer = make_offer(session, housing_beds=2, places=2, night_work=True)
    ops.set_places_filled(session, offer, 1)
    ops.close_offer(session, offer, now=NOW)
    assert (offer.status, offer.closed_at) == (OfferStatus.CLOSED, NOW)
    with pytest.raises(Conflict):
        ops.update_offer(session, offer, places=4)

    ops.set_site_housing(session, offer.site, kind="esms_room", beds=1)
    copy = ops.duplicate_offer(session, offer, now=NOW)
    assert copy.id != offer.id
    assert copy.status is OfferStatus.DRAFT
    assert (copy.places, copy.places_filled, copy.night_work) == (2, 0, True)
    assert copy.housing_beds == 1  # the site has fewer beds now
    assert copy.published_at is None and copy.closed_at is None
    assert (copy.site_id, copy.metier_code, copy.description) == (
        offer.site_id,
        offer.metier_code,
        offer.description,
    )
    ops.publish_offer(session, copy)


def test_places_filled_and_filled_status(session) -> None:
    offer = make_offer(session, places=2)
    ops.set_places_filled(session, offer, 1, now=NOW)
    assert (offer.status, offer.places_filled, offer.places_left) == (OfferStatus.PUBLISHED, 1, 1)
    ops.set_places_filled(session, offer, "2", now=NOW)
    assert (offer.status, offer.closed_at) == (OfferStatus.FILLED, NOW)
    ops.set_places_filled(session, offer, 1)
    assert (offer.status, offer.closed_at) == (OfferStatus.PUBLISHED, None)
    for bad in (3, -1):
        with pytest.raises(ValidationError) as info:
            ops.set_places_filled(session, offer, bad)
        assert info.value.errors == {
            "places_filled": ["La valeur doit être comprise entre 0 et 2."]
        }
    ops.mark_offer_filled(session, offer)
    assert (offer.status, offer.places_filled) == (OfferStatus.FILLED, 2)

    draft = make_offer(session, publish=False)
    with pytest.raises(Conflict):
        ops.set_places_filled(session, draft, 1)
    with pytest.raises(InvalidTransition):
        ops.mark_offer_filled(session, draft)
    assert_nothing_pending(session)


def _held_offer(session, status: OfferStatus) -> Offer:
    """An offer moderation holds back: waiting for its structure's check, suspended, withdrawn."""
    staff = Actor.system()
    check = StructureCheck.TO_CHECK if status is OfferStatus.PENDING_CHECK else None
    site = make_site(session, make_employer(session, **({"check_status": check} if check else {})))
    offer = make_offer(session, site)
    if status is OfferStatus.SUSPENDED:
        moderation.suspend_structure(session, site.employer, staff, "Motif", base_url=BASE)
    elif status is OfferStatus.WITHDRAWN:
        moderation.unpublish_offer(session, offer, staff, "Motif", base_url=BASE)
    assert offer.status is status
    return offer


ACTIONS = {
    OfferStatus.PUBLISHED: ops.publish_offer,
    OfferStatus.CLOSED: ops.close_offer,
    OfferStatus.EXPIRED: ops.expire_offer,
    OfferStatus.FILLED: ops.mark_offer_filled,
}


def _offer_in(session, status: OfferStatus) -> Offer:
    if status in HELD_OFFER_STATUSES:  # moderation's: data.operations.moderation
        return _held_offer(session, status)
    offer = make_offer(session, publish=status is not OfferStatus.DRAFT)
    if status is OfferStatus.FILLED:
        ops.mark_offer_filled(session, offer)
    elif status in ACTIONS and status is not OfferStatus.PUBLISHED:
        ACTIONS[status](session, offer)
    assert offer.status is status
    return offer


@pytest.mark.parametrize("target", list(ACTIONS))
@pytest.mark.parametrize("start", list(OfferStatus))
def test_offer_transitions(session, start: OfferStatus, target: OfferStatus) -> None:
    offer = _offer_in(session, start)
    # publish is only ever from a draft; a filled offer reopens through set_places_filled.
    allowed = target in OFFER_TRANSITIONS[start] and not (
        target is OfferStatus.PUBLISHED and start is not OfferStatus.DRAFT
    )
    if allowed:
        ACTIONS[target](session, offer, now=NOW)
        assert offer.status is target
    else:
        with pytest.raises(InvalidTransition) as info:
            ACTIONS[target](session, offer, now=NOW)
        assert (info.value.current, info.value.target) == (start.value, target.value)
        assert offer.status is start
        assert_nothing_pending(session)
