"""The validators: normalised values, every French error message, errors gathered per call."""

from __future__ import annotations

import doctest
import enum
from datetime import date, datetime

import pytest

from data.errors import ValidationError
from data.operations import validation as v
from data.operations.validation import (
    REQUIRED,
    ErrorCollector,
    clean_bool,
    clean_commune,
    clean_date,
    clean_email,
    clean_enum,
    clean_int,
    clean_metier,
    clean_phone,
    clean_siret,
    clean_text,
    is_valid_siret,
    luhn_check_digit,
    luhn_valid,
    reject_unknown_fields,
)


def _message(fn, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    return info.value.errors


def test_doctests_of_the_validation_module() -> None:
    result = doctest.testmod(v)
    assert result.attempted >= 8
    assert result.failed == 0


# --- SIRET ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("73282932000074", "73282932000074"),
        ("732 829 320 00074", "73282932000074"),
        (" 732.829.320.00074 ", "73282932000074"),
        ("35600000012341", "35600000012341"),  # La Poste: digits add up to 25
    ],
)
def test_clean_siret_accepts_and_normalises(raw: str, expected: str) -> None:
    assert clean_siret(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, REQUIRED),
        ("   ", REQUIRED),
        (73282932000074, "Le numéro SIRET doit être saisi comme du texte."),
        ("7328293200007", "Le numéro SIRET doit comporter exactement 14 chiffres."),
        ("732829320000745", "Le numéro SIRET doit comporter exactement 14 chiffres."),
        ("7328293200007A", "Le numéro SIRET doit comporter exactement 14 chiffres."),
        ("７３２８２９３２０００７４", "Le numéro SIRET doit comporter exactement 14 chiffres."),
        ("73282932000075", "Numéro SIRET invalide : la clé de contrôle ne correspond pas."),
        # SIRET key right but SIREN key wrong: 732829321 fails Luhn.
        ("73282932100072", "Numéro SIRET invalide : la clé de contrôle ne correspond pas."),
        ("35600000012342", "Numéro SIRET invalide : la clé de contrôle ne correspond pas."),
    ],
)
def test_clean_siret_refuses(raw: object, message: str) -> None:
    assert _message(clean_siret, raw) == {"siret": [message]}


def test_the_siren_case_really_has_a_valid_siret_key() -> None:
    # Guards the parametrized case above: only the SIREN key is wrong in it.
    assert luhn_valid("73282932100072") and not luhn_valid("732829321")


def test_luhn_check_digit_completes_any_prefix() -> None:
    for prefix in ("1", "12345678", "9900001", "3560000000001"):
        assert luhn_valid(prefix + luhn_check_digit(prefix))
        assert sum(luhn_valid(prefix + d) for d in "0123456789") == 1


def test_is_valid_siret_la_poste_accepts_luhn_or_sum_of_five() -> None:
    la_poste = [f"356000000{nic:05d}" for nic in range(200)]
    valid = [s for s in la_poste if is_valid_siret(s)]
    assert all(luhn_valid(s) or sum(map(int, s)) % 5 == 0 for s in valid)
    assert {s for s in la_poste if sum(map(int, s)) % 5 == 0} <= set(valid)
    assert len(valid) < len(la_poste)


# --- E-mail and phone ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lea.Dupont@Example.ORG", "lea.dupont@example.org"),
        ("  jean+ain@example.org ", "jean+ain@example.org"),
        ("a_b@sous.domaine.example.org", "a_b@sous.domaine.example.org"),
    ],
)
def test_clean_email_normalises(raw: str, expected: str) -> None:
    assert clean_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, REQUIRED),
        ("", REQUIRED),
        ("pas-un-mail", "Adresse électronique invalide."),
        ("a@b", "Adresse électronique invalide."),
        ("a b@example.org", "Adresse électronique invalide."),
        ("a..b@example.org", "Adresse électronique invalide."),
        ("@example.org", "Adresse électronique invalide."),
        ("x" * 250 + "@example.org", "Adresse électronique invalide."),
        (42, "Adresse électronique invalide."),
    ],
)
def test_clean_email_refuses(raw: object, message: str) -> None:
    assert _message(clean_email, raw, "contact_email") == {"contact_email": [message]}


def test_clean_email_optional() -> None:
    assert clean_email("  ", required=False) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0612345678", "06 12 34 56 78"),
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("06.12.34.56.78", "06 12 34 56 78"),
        ("06-12-34-56-78", "06 12 34 56 78"),
        ("+33612345678", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("+33 (0)4 74 32 10 00", "04 74 32 10 00"),
        ("0033 4 74 32 10 00", "04 74 32 10 00"),
        ("+262 692 12 34 56", "06 92 12 34 56"),
        ("09 70 00 00 00", "09 70 00 00 00"),
    ],
)
def test_clean_phone_normalises(raw: str, expected: str) -> None:
    assert clean_phone(raw) == expected


FORMAT = "Numéro de téléphone invalide : 10 chiffres attendus, par exemple 06 12 34 56 78."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("061234567", FORMAT),
        ("06123456789", FORMAT),
        ("0012345678", FORMAT),
        ("0041221234567", "Seuls les numéros de téléphone français sont acceptés."),
        ("+41 22 123 45 67", "Seuls les numéros de téléphone français sont acceptés."),
        ("00 12 34 56 78", FORMAT),
        ("6 12 34 56 78", FORMAT),
        ("06 12 34 56 7a", FORMAT),
        ("+33 0 12 34 56 78", FORMAT),
        (612345678, FORMAT),
    ],
)
def test_clean_phone_refuses(raw: object, message: str) -> None:
    assert _message(clean_phone, raw) == {"phone": [message]}


def test_clean_phone_optional_and_required() -> None:
    assert clean_phone(None) is None
    assert clean_phone("  ") is None
    assert _message(clean_phone, "", required=True) == {"phone": [REQUIRED]}


# --- Plain values ----------------------------------------------------------------------------


def test_clean_text() -> None:
    assert clean_text("  Foyer  ", "name") == "Foyer"
    assert clean_text("  ", "address", required=False) is None
    assert clean_text(None, "address", required=False) is None


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        (None, {}, REQUIRED),
        ("   ", {}, REQUIRED),
        (12, {}, "Texte attendu."),
        ("x" * 11, {"max_length": 10}, "Ce texte ne peut pas dépasser 10 caractères."),
        ("abc", {"min_length": 5}, "Ce texte doit comporter au moins 5 caractères."),
    ],
)
def test_clean_text_refuses(raw: object, kwargs: dict, message: str) -> None:
    assert _message(clean_text, raw, "name", **kwargs) == {"name": [message]}


@pytest.mark.parametrize(("raw", "expected"), [(3, 3), ("3", 3), (" 12 ", 12), ("-2", -2), (0, 0)])
def test_clean_int_accepts(raw: object, expected: int) -> None:
    assert clean_int(raw, "n") == expected


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        (None, {}, REQUIRED),
        ("", {}, REQUIRED),
        (True, {}, "Nombre entier attendu."),
        (2.5, {}, "Nombre entier attendu."),
        ("2,5", {}, "Nombre entier attendu."),
        ("deux", {}, "Nombre entier attendu."),
        ("1" * 12, {}, "Nombre entier attendu."),
        (0, {"min_value": 1, "max_value": 5}, "La valeur doit être comprise entre 1 et 5."),
        (6, {"min_value": 1, "max_value": 5}, "La valeur doit être comprise entre 1 et 5."),
        (-1, {"min_value": 0}, "La valeur doit être au moins 0."),
        (9, {"max_value": 8}, "La valeur doit être au plus 8."),
    ],
)
def test_clean_int_refuses(raw: object, kwargs: dict, message: str) -> None:
    assert _message(clean_int, raw, "n", **kwargs) == {"n": [message]}


def test_clean_int_optional() -> None:
    assert clean_int(None, "n", required=False) is None


@pytest.mark.parametrize("raw", [1, 0, "true", "oui", None])
def test_clean_bool_accepts_only_booleans(raw: object) -> None:
    assert _message(clean_bool, raw, "night_work") == {
        "night_work": ["Valeur oui ou non attendue."]
    }
    assert clean_bool(True, "x") is True and clean_bool(False, "x") is False


def test_clean_date_accepts() -> None:
    assert clean_date("2026-09-01", "d") == date(2026, 9, 1)
    # As people write dates in France (issue 14), with or without leading zeros.
    assert clean_date("01/09/2026", "d") == date(2026, 9, 1)
    assert clean_date(" 1/9/2026 ", "d") == date(2026, 9, 1)
    assert clean_date(date(2026, 9, 1), "d") == date(2026, 9, 1)
    assert clean_date(None, "d") is None
    assert clean_date(" ", "d") is None


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        (None, {"required": True}, REQUIRED),
        ("31/02/2026", {}, "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ."),
        ("09/2026", {}, "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ."),
        ("2026/09/01", {}, "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ."),
        ("2026-02-30", {}, "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ."),
        (20260901, {}, "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ."),
        (datetime(2026, 9, 1, 8, 0), {}, "Date attendue (sans heure)."),
        (
            date(2025, 12, 31),
            {"min_value": date(2026, 1, 1)},
            "La date ne peut pas être antérieure au 01/01/2026.",
        ),
        (
            "2030-01-01",
            {"max_value": date(2027, 6, 30)},
            "La date ne peut pas être postérieure au 30/06/2027.",
        ),
    ],
)
def test_clean_date_refuses(raw: object, kwargs: dict, message: str) -> None:
    assert _message(clean_date, raw, "start_date", **kwargs) == {"start_date": [message]}


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


def test_clean_enum() -> None:
    assert clean_enum("red", Colour, "c") is Colour.RED
    assert clean_enum(Colour.BLUE, Colour, "c") is Colour.BLUE
    assert clean_enum(None, Colour, "c", required=False) is None
    assert _message(clean_enum, None, Colour, "c") == {"c": [REQUIRED]}
    assert _message(clean_enum, "RED", Colour, "c") == {
        "c": ["Valeur non reconnue ; valeurs possibles : red, blue."]
    }


def test_reject_unknown_fields() -> None:
    reject_unknown_fields({"name": 1}, ["name", "kind"])
    assert _message(reject_unknown_fields, {"id": 1, "status": "x", "name": 2}, ["name"]) == {
        "id": ["Ce champ ne peut pas être modifié ici."],
        "status": ["Ce champ ne peut pas être modifié ici."],
    }


def test_collector_gathers_every_field_and_each_message_once() -> None:
    errors = ErrorCollector()
    assert not errors
    assert errors.run(clean_int, "4", "places", min_value=1) == 4
    assert errors.run(clean_siret, "123") is None
    assert errors.run(clean_email, "x", "email") is None
    errors.add("email", "Adresse électronique invalide.")
    errors.add("email", "Autre.")
    assert errors and errors.has("siret") and not errors.has("places")
    with pytest.raises(ValidationError) as info:
        errors.raise_if_any()
    assert info.value.errors == {
        "siret": ["Le numéro SIRET doit comporter exactement 14 chiffres."],
        "email": ["Adresse électronique invalide.", "Autre."],
    }


# --- References (database) -------------------------------------------------------------------


def test_clean_metier(session) -> None:
    assert clean_metier(session, "aide-soignant").diploma_code == "DEAS"
    assert _message(clean_metier, session, "plombier") == {
        "metier_code": ["Métier inconnu du référentiel."]
    }
    assert _message(clean_metier, session, 12) == {
        "metier_code": ["Métier inconnu du référentiel."]
    }
    assert _message(clean_metier, session, "") == {"metier_code": [REQUIRED]}


def test_clean_commune(session) -> None:
    assert clean_commune(session, "01053").name == "Bourg-en-Bresse"
    assert clean_commune(session, " 01053 ").insee == "01053"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, REQUIRED),
        ("", REQUIRED),
        ("1053", "Code INSEE de commune invalide : 5 caractères attendus, par ex. 01053."),
        ("01O53", "Code INSEE de commune invalide : 5 caractères attendus, par ex. 01053."),
        (1053, "Code INSEE de commune invalide : 5 caractères attendus, par ex. 01053."),
        ("01999", "Aucune commune ne porte le code INSEE 01999."),
    ],
)
def test_clean_commune_refuses(session, raw: object, message: str) -> None:
    assert _message(clean_commune, session, raw) == {"commune_insee": [message]}
