"""Employers, sites and housing: creation, every validation error, duplicates, removal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data import operations as ops
from data.errors import Conflict, NotFound, ValidationError
from data.models import Employer, HousingKind, Site, StructureKind
from data.operations._common import unique_guard
from data.operations.employers import DUPLICATE_SIRET
from data.operations.validation import REQUIRED
from tests.data.factories import (
    OYONNAX,
    assert_nothing_pending,
    fake_siret,
    make_employer,
    make_offer,
    make_site,
)


def _employer_values(**overrides):
    values = {
        "name": "IME Les Sapins",
        "siret": fake_siret(),
        "kind": "ime",
        "contact_name": "Paul Girard",
        "contact_email": "Direction@Example.org",
        "contact_phone": "+33 4 74 12 34 56",
    }
    values.update(overrides)
    return values


def test_create_employer_normalises(session) -> None:
    siret = fake_siret()
    spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    employer = ops.create_employer(session, **_employer_values(siret=spaced))
    assert employer.id is not None
    assert employer.siret == siret
    assert employer.kind is StructureKind.IME
    assert employer.contact_email == "direction@example.org"
    assert employer.contact_phone == "04 74 12 34 56"
    assert session.get(Employer, employer.id) is employer


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "  ", REQUIRED),
        ("name", "x" * 201, "Ce texte ne peut pas dépasser 200 caractères."),
        ("siret", "123", "Le numéro SIRET doit comporter exactement 14 chiffres."),
        (
            "siret",
            "73282932000075",
            "Numéro SIRET invalide : la clé de contrôle ne correspond pas.",
        ),
        ("kind", "boulangerie", None),
        ("contact_name", None, REQUIRED),
        ("contact_email", "direction", "Adresse électronique invalide."),
        ("contact_phone", "123", None),
    ],
)
def test_create_employer_refuses(session, field: str, value: object, message: str | None) -> None:
    before = session.scalar(select(func.count()).select_from(Employer))
    with pytest.raises(ValidationError) as info:
        ops.create_employer(session, **_employer_values(**{field: value}))
    assert list(info.value.errors) == [field]
    if message is not None:
        assert info.value.errors[field] == [message]
    assert_nothing_pending(session)
    assert session.scalar(select(func.count()).select_from(Employer)) == before


def test_create_employer_reports_every_field_at_once(session) -> None:
    with pytest.raises(ValidationError) as info:
        ops.create_employer(
            session,
            name="",
            siret="1",
            kind="x",
            contact_name="",
            contact_email="y",
            contact_phone="z",
        )
    assert set(info.value.errors) == {
        "name",
        "siret",
        "kind",
        "contact_name",
        "contact_email",
        "contact_phone",
    }
    assert_nothing_pending(session)


def test_duplicate_siret_is_a_clear_error_not_an_integrity_error(session) -> None:
    first = make_employer(session)
    with pytest.raises(ValidationError) as info:
        ops.create_employer(session, **_employer_values(siret=first.siret, name=""))
    assert info.value.errors == {"siret": [DUPLICATE_SIRET], "name": [REQUIRED]}
    assert_nothing_pending(session)
    assert (
        session.scalar(
            select(func.count()).select_from(Employer).where(Employer.siret == first.siret)
        )
        == 1
    )


def test_unique_guard_turns_a_race_into_a_validation_error(session) -> None:
    # The pre-check cannot see a concurrent insert; the savepoint catches the clash instead.
    first = make_employer(session)
    clash = Employer(**{**_employer_values(siret=first.siret), "kind": StructureKind.IME})
    with pytest.raises(ValidationError) as info:
        with unique_guard(session, "siret", DUPLICATE_SIRET):
            session.add(clash)
    assert info.value.errors == {"siret": [DUPLICATE_SIRET]}
    assert clash not in session
    assert_nothing_pending(session)
    make_employer(session)  # the session goes on


def test_update_employer(session) -> None:
    employer = make_employer(session)
    other = make_employer(session)
    ops.update_employer(session, employer, name="  EHPAD Le Bief  ", siret=employer.siret)
    assert employer.name == "EHPAD Le Bief"
    ops.update_employer(session, employer.id, contact_phone=None)
    assert employer.contact_phone is None

    with pytest.raises(ValidationError) as info:
        ops.update_employer(session, employer, siret=other.siret, contact_email="bad")
    assert info.value.errors == {
        "siret": [DUPLICATE_SIRET],
        "contact_email": ["Adresse électronique invalide."],
    }
    assert_nothing_pending(session)
    assert employer.siret != other.siret

    with pytest.raises(ValidationError) as info:
        ops.update_employer(session, employer, id=3, created_at=None)
    assert set(info.value.errors) == {"id", "created_at"}
    with pytest.raises(NotFound):
        ops.update_employer(session, 10**9, name="x")


def test_add_update_remove_site(session) -> None:
    employer = make_employer(session)
    site = ops.add_site(session, employer, name=" Résidence du Lac ", commune_insee="01283")
    assert (site.name, site.commune.name, site.address) == ("Résidence du Lac", "Oyonnax", None)
    assert employer.sites == [site]

    ops.update_site(session, site, address="  12 rue Anatole France ", commune_insee="01053")
    assert site.address == "12 rue Anatole France"
    assert site.commune.name == "Bourg-en-Bresse"

    ops.remove_site(session, site)
    assert employer.sites == []
    assert session.get(Site, site.id) is None


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"name": "", "commune_insee": "01053"}, {"name": [REQUIRED]}),
        (
            {"name": "Foyer", "commune_insee": "01999"},
            {"commune_insee": ["Aucune commune ne porte le code INSEE 01999."]},
        ),
        (
            {"name": "Foyer", "commune_insee": "1053"},
            {
                "commune_insee": [
                    "Code INSEE de commune invalide : 5 caractères attendus, par ex. 01053."
                ]
            },
        ),
        (
            {"name": "Foyer", "commune_insee": "01053", "address": "x" * 301},
            {"address": ["Ce texte ne peut pas dépasser 300 caractères."]},
        ),
        ({"name": None, "commune_insee": None}, {"name": [REQUIRED], "commune_insee": [REQUIRED]}),
    ],
)
def test_add_site_refuses(session, values: dict, errors: dict) -> None:
    employer = make_employer(session)
    with pytest.raises(ValidationError) as info:
        ops.add_site(session, employer, **values)
    assert info.value.errors == errors
    assert_nothing_pending(session)
    assert employer.sites == []


def test_update_site_refuses_and_keeps_the_site(session) -> None:
    site = make_site(session, commune_insee=OYONNAX)
    with pytest.raises(ValidationError) as info:
        ops.update_site(session, site, commune_insee="99999", employer_id=1)
    assert set(info.value.errors) == {"employer_id"}
    with pytest.raises(ValidationError) as info:
        ops.update_site(session, site, commune_insee="99999", name="")
    assert set(info.value.errors) == {"commune_insee", "name"}
    assert_nothing_pending(session)
    assert site.commune_insee == OYONNAX


def test_a_site_with_offers_cannot_be_removed(session) -> None:
    offer = make_offer(session, publish=False)
    with pytest.raises(Conflict, match="porte 1 offre"):
        ops.remove_site(session, offer.site)
    assert_nothing_pending(session)
    assert session.get(Site, offer.site.id) is offer.site


def test_set_site_housing_one_row_per_kind(session) -> None:
    site = make_site(session)
    studio = ops.set_site_housing(session, site, kind="esms_room", beds=2, monthly_cost_eur=300)
    assert (studio.kind, studio.beds, studio.monthly_cost_eur) == (
        HousingKind.ESMS_ROOM,
        2,
        300,
    )
    fjt = ops.set_site_housing(session, site, kind=HousingKind.FJT, beds=3, notes=" FJT Bourg ")
    assert fjt.notes == "FJT Bourg" and fjt.monthly_cost_eur is None
    assert site.housing_beds == 5

    again = ops.set_site_housing(session, site, kind="esms_room", beds=1, monthly_cost_eur=0)
    assert again is studio and site.housing_beds == 4 and studio.monthly_cost_eur == 0

    assert ops.set_site_housing(session, site, kind="fjt", beds=0) is None
    assert [h.kind for h in site.housings] == [HousingKind.ESMS_ROOM]
    assert ops.set_site_housing(session, site, kind="host_family", beds=0) is None
    assert site.housing_beds == 1


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"kind": "castle", "beds": 1}, "kind", None),
        ({"kind": "fjt", "beds": -1}, "beds", "La valeur doit être comprise entre 0 et 500."),
        ({"kind": "fjt", "beds": "deux"}, "beds", "Nombre entier attendu."),
        (
            {"kind": "fjt", "beds": 1, "monthly_cost_eur": -5},
            "monthly_cost_eur",
            "La valeur doit être comprise entre 0 et 5000.",
        ),
        (
            {"kind": "fjt", "beds": 1, "notes": "x" * 501},
            "notes",
            "Ce texte ne peut pas dépasser 500 caractères.",
        ),
    ],
)
def test_set_site_housing_refuses(session, values: dict, field: str, message: str | None) -> None:
    site = make_site(session)
    with pytest.raises(ValidationError) as info:
        ops.set_site_housing(session, site, **values)
    assert list(info.value.errors) == [field]
    if message:
        assert info.value.errors[field] == [message]
    assert_nothing_pending(session)
    assert site.housings == []


def test_housing_cannot_fall_below_beds_reserved_by_an_open_offer(session) -> None:
    offer = make_offer(session, housing_beds=2)
    site = offer.site
    with pytest.raises(ValidationError) as info:
        ops.set_site_housing(session, site, kind="esms_room", beds=1)
    assert info.value.errors == {
        "beds": ["Une offre de ce site réserve 2 lits : le site doit en proposer au moins autant."]
    }
    assert_nothing_pending(session)
    assert site.housing_beds == 2
    # Moving beds to another kind is fine as long as the total holds.
    ops.set_site_housing(session, site, kind="fjt", beds=2)
    ops.set_site_housing(session, site, kind="esms_room", beds=0)
    assert site.housing_beds == 2
    # Once the offer is closed its beds are free.
    ops.close_offer(session, offer)
    assert ops.set_site_housing(session, site, kind="fjt", beds=0) is None
