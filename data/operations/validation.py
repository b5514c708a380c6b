"""Check and normalise user input, with French messages, collecting every field error of a call.

Each ``clean_*`` function returns the normalised value or raises
``data.errors.ValidationError({field: [message]})``; an :class:`ErrorCollector` runs several of them
and raises one error listing every field that failed.

>>> errors = ErrorCollector()
>>> errors.run(clean_siret, "732 829 320 00074")
'73282932000074'
>>> errors.run(clean_int, "12", "places", min_value=1) is None
False
>>> errors.run(clean_email, "pas-un-mail", "email")
>>> errors.errors
{'email': ['Adresse électronique invalide.']}
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import Commune, Metier, TrainingCentre
from data.presentation.formatters import date_short

from .metiers import MAX_METIER_CODE, MAX_METIER_TEXT, did_you_mean, metier_resolver

__all__ = [
    "ErrorCollector",
    "REQUIRED",
    "luhn_valid",
    "luhn_check_digit",
    "is_valid_siret",
    "clean_siret",
    "clean_email",
    "clean_phone",
    "MAX_ID",
    "NUL_MESSAGE",
    "ONE_LINE_MESSAGE",
    "check_characters",
    "clean_text",
    "clean_int",
    "clean_id",
    "clean_bool",
    "clean_optional_bool",
    "clean_date",
    "clean_enum",
    "clean_commune",
    "clean_metier",
    "reject_unknown_fields",
]

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

REQUIRED = "Ce champ est obligatoire."
UNKNOWN_CENTRE = "Centre de formation inconnu : choisissez-le dans la liste."
UNKNOWN_METIER = "Métier inconnu du référentiel."
DATE_FORMAT_MESSAGE = "Date invalide : format attendu JJ/MM/AAAA ou AAAA-MM-JJ."

#: Row ids are 32-bit keys in both databases: a larger number names no row (and PostgreSQL
#: refuses to compare a 32-bit column with it).
MAX_ID = 2**31 - 1
NUL_MESSAGE = "Le caractère NUL n'est pas accepté."
ONE_LINE_MESSAGE = (
    "Ce champ tient sur une ligne : retours à la ligne et caractères de contrôle refusés."
)
CONTROL_MESSAGE = "Ce texte contient des caractères de contrôle non acceptés."

# La Poste's establishments share one SIREN and do not follow the Luhn key (INSEE rule).
LA_POSTE_SIREN = "356000000"

_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
# French overseas departments dial their own country codes but have French national numbers.
_OVERSEAS_PREFIXES = ("262", "590", "594", "596", "269")
_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# What a multi-line text keeps: line breaks and tabs.
_MULTILINE_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ErrorCollector:
    """Gather the field errors of one operation, then raise them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Record one message for ``field`` (each message once)."""
        messages = self.errors.setdefault(field, [])
        if message not in messages:
            messages.append(message)

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Call a validator; on ``ValidationError`` keep its messages and return ``None``."""
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.add(field, message)
            return None

    def has(self, field: str) -> bool:
        """Tell whether ``field`` already failed."""
        return field in self.errors

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        """Raise one ``ValidationError`` with every message gathered so far."""
        if self.errors:
            raise ValidationError(self.errors)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def reject_unknown_fields(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse an update that names a field the operation does not let one change."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError(
            {name: ["Ce champ ne peut pas être modifié ici."] for name in unknown}
        )


#: A field's cleaner in a table of rules: (session, value as given, field name) -> clean value.
FieldCleaner = Callable[[Session, object, str], Any]


def clean_by_rules(
    session: Session,
    rules: Mapping[str, tuple[FieldCleaner, str]],
    values: Mapping[str, Any],
    errors: ErrorCollector,
    *,
    new: bool,
    required: Iterable[str] = (),
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the model's attributes for ``values`` by a table of rules (field -> (cleaner,
    attribute)); each field's message goes to ``errors``.

    A new object (``new``) needs the ``required`` fields (a commune may come as
    ``commune_insee``) and gets the ``defaults`` of the fields not given; a change only
    touches the fields given. A field the rules do not name is refused at once.
    """
    reject_unknown_fields(values, rules)
    needed, fallback = set(required), defaults or {}
    cleaned: dict[str, Any] = {}
    for name, (cleaner, attribute) in rules.items():
        if name not in values:
            given_as_code = name == "commune" and "commune_insee" in values
            if new and name in needed and not given_as_code:
                errors.add(name, "Ce champ est obligatoire.")
            elif new and name in fallback:
                cleaned[attribute] = fallback[name]
            continue
        value = errors.run(cleaner, session, values[name], name)
        if not errors.has(name):
            cleaned[attribute] = value
    return cleaned


# --- Identifiers ------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """Tell whether a string of digits passes the Luhn check (used by SIREN and SIRET).

    >>> luhn_valid("732829320"), luhn_valid("732829321")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """Return the digit to append to ``digits`` so that the result passes the Luhn check.

    >>> luhn_check_digit("73282932")
    '0'
    """
    for candidate in "0123456789":
        if luhn_valid(digits + candidate):
            return candidate
    raise AssertionError("unreachable: one Luhn digit always fits")


def is_valid_siret(siret: str) -> bool:
    """Tell whether a 14-digit string is a well-formed SIRET (SIREN key and SIRET key).

    La Poste (SIREN 356000000) is the INSEE exception: its thousands of establishments outgrew
    the Luhn key, so the digits of its SIRETs add up to a multiple of 5 instead.

    >>> is_valid_siret("73282932000074"), is_valid_siret("73282932000075")
    (True, False)
    >>> is_valid_siret("35600000012341"), is_valid_siret("35600000012342")
    (True, False)
    """
    if len(siret) != 14 or not siret.isascii() or not siret.isdigit():
        return False
    if siret[:9] == LA_POSTE_SIREN:
        return luhn_valid(siret) or sum(int(c) for c in siret) % 5 == 0
    return luhn_valid(siret[:9]) and luhn_valid(siret)


def clean_siret(value: object, field: str = "siret") -> str:
    """Return the SIRET as 14 digits (spaces and dots removed), or raise with a French message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(field, REQUIRED)
    if not isinstance(value, str):
        raise _fail(field, "Le numéro SIRET doit être saisi comme du texte.")
    siret = re.sub(r"[\s.\-]", "", value)
    if len(siret) != 14 or not siret.isascii() or not siret.isdigit():
        raise _fail(field, "Le numéro SIRET doit comporter exactement 14 chiffres.")
    if not is_valid_siret(siret):
        raise _fail(field, "Numéro SIRET invalide : la clé de contrôle ne correspond pas.")
    return siret


def clean_email(value: object, field: str = "email", *, required: bool = True) -> str | None:
    """Return the address trimmed and lower-cased, or raise if it is not an e-mail address."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(field, REQUIRED)
        return None
    if not isinstance(value, str):
        raise _fail(field, "Adresse électronique invalide.")
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL_RE.match(email) or ".." in email:
        raise _fail(field, "Adresse électronique invalide.")
    return email


def clean_phone(value: object, field: str = "phone", *, required: bool = False) -> str | None:
    """Return a French phone number as ``0X XX XX XX XX``, or raise.

    Accepts spaces, dots, dashes, ``+33``, ``0033`` and ``+33 (0)``.

    >>> clean_phone("+33 (0)6.12.34.56.78")
    '06 12 34 56 78'
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(field, REQUIRED)
        return None
    message = "Numéro de téléphone invalide : 10 chiffres attendus, par exemple 06 12 34 56 78."
    if not isinstance(value, str):
        raise _fail(field, message)
    raw = value.strip()
    raw = raw.replace("(0)", "")
    compact = re.sub(r"[\s.\-/]", "", raw)
    if compact.startswith("+"):
        compact = "00" + compact[1:]
    if not compact.isascii() or not compact.isdigit():
        raise _fail(field, message)
    if compact.startswith("0033"):
        national = "0" + compact[4:]
    elif compact.startswith("00") and compact[2:5] in _OVERSEAS_PREFIXES:
        # +262 692 12 34 56 is dialled 0692 12 34 56 from mainland France.
        national = "0" + compact[5:]
    elif compact.startswith("00") and len(compact) > 10:
        raise _fail(field, "Seuls les numéros de téléphone français sont acceptés.")
    else:
        national = compact
    if len(national) != 10 or national[0] != "0" or national[1] == "0":
        raise _fail(field, message)
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))


# --- Plain values -----------------------------------------------------------------------------


def check_characters(value: str, field: str, *, multiline: bool = False) -> str:
    """Return ``value`` if it holds no character a field of its kind refuses, or raise.

    NUL is refused everywhere (PostgreSQL cannot store it); a one-line field (a name, an
    address) refuses every control character, line breaks included, so that it can never add a
    line to a mail; a multi-line text keeps line breaks and tabs only.

    >>> ErrorCollector().run(check_characters, "EHPAD\\r\\nBcc: x", "name") is None
    True
    >>> check_characters("ligne 1\\nligne 2", "description", multiline=True)
    'ligne 1\\nligne 2'
    """
    if "\x00" in value:
        raise _fail(field, NUL_MESSAGE)
    if multiline:
        if _MULTILINE_CONTROL_RE.search(value):
            raise _fail(field, CONTROL_MESSAGE)
    elif _CONTROL_RE.search(value):
        raise _fail(field, ONE_LINE_MESSAGE)
    return value


def clean_text(
    value: object,
    field: str,
    *,
    required: bool = True,
    max_length: int = 200,
    min_length: int = 0,
    multiline: bool = False,
) -> str | None:
    """Return the text trimmed (``None`` when empty and optional), or raise.

    Every text field goes through here: NUL is refused, a one-line field (the default) refuses
    control characters, a ``multiline`` one keeps line breaks; a text over ``max_length`` is
    refused with a message saying so, never cut.
    """
    if value is None:
        if required:
            raise _fail(field, REQUIRED)
        return None
    if not isinstance(value, str):
        raise _fail(field, "Texte attendu.")
    text = check_characters(value.strip(), field, multiline=multiline)
    if not text:
        if required:
            raise _fail(field, REQUIRED)
        return None
    if len(text) > max_length:
        raise _fail(field, f"Ce texte ne peut pas dépasser {max_length} caractères.")
    if len(text) < min_length:
        raise _fail(field, f"Ce texte doit comporter au moins {min_length} caractères.")
    return text


def _range_message(min_value: int | None, max_value: int | None) -> str:
    if min_value is not None and max_value is not None:
        return f"La valeur doit être comprise entre {min_value} et {max_value}."
    if min_value is not None:
        return f"La valeur doit être au moins {min_value}."
    return f"La valeur doit être au plus {max_value}."


def clean_int(
    value: object,
    field: str,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    required: bool = True,
) -> int | None:
    """Return an integer within the bounds (a string of digits is accepted), or raise.

    Booleans and non-integral numbers are refused: ``True`` is not 1 place.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(field, REQUIRED)
        return None
    if isinstance(value, bool):
        raise _fail(field, "Nombre entier attendu.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,10}\s*", value):
        number = int(value)
    else:
        raise _fail(field, "Nombre entier attendu.")
    if (min_value is not None and number < min_value) or (
        max_value is not None and number > max_value
    ):
        raise _fail(field, _range_message(min_value, max_value))
    return number


def clean_id(value: object, field: str, *, required: bool = True) -> int | None:
    """Return a row id (1 to :data:`MAX_ID`, an integer or a string of digits), or raise.

    >>> errors = ErrorCollector()
    >>> errors.run(clean_id, "9" * 4999, "site_id"), errors.errors
    (None, {'site_id': ['Identifiant invalide.']})
    """
    if isinstance(value, str) and len(value.strip()) > len(str(MAX_ID)):
        digits = value.strip().lstrip("+-")
        if digits.isascii() and digits.isdigit():
            raise _fail(field, "Identifiant invalide.")
        raise _fail(field, "Nombre entier attendu.")
    number = clean_int(value, field, required=required)
    if number is not None and not 1 <= number <= MAX_ID:
        raise _fail(field, "Identifiant invalide.")
    return number


def clean_bool(value: object, field: str) -> bool:
    """Return the boolean; only ``True`` and ``False`` are booleans."""
    if not isinstance(value, bool):
        raise _fail(field, "Valeur oui ou non attendue.")
    return value


def clean_optional_bool(value: object, field: str) -> bool | None:
    """Return the boolean, or None when unknown (None)."""
    return None if value is None else clean_bool(value, field)


_FRENCH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(text: str) -> date | None:
    """Return the date written ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``, None if it is neither."""
    french = _FRENCH_DATE_RE.match(text)
    try:
        if french:
            day, month, year = (int(g) for g in french.groups())
            return date(year, month, day)
        if _ISO_DATE_RE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        return None
    return None


def clean_date(
    value: object,
    field: str,
    *,
    required: bool = False,
    min_value: date | None = None,
    max_value: date | None = None,
) -> date | None:
    """Return a date (``date``, ``JJ/MM/AAAA`` or ISO ``AAAA-MM-JJ`` text) within the bounds.

    >>> clean_date("02/09/2026", "d"), clean_date(" 2026-09-02 ", "d")
    (datetime.date(2026, 9, 2), datetime.date(2026, 9, 2))
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(field, REQUIRED)
        return None
    if isinstance(value, datetime):
        raise _fail(field, "Date attendue (sans heure).")
    parsed = value if isinstance(value, date) else None
    if isinstance(value, str):
        parsed = _parse_date(value.strip())
    if parsed is None:
        raise _fail(field, DATE_FORMAT_MESSAGE)
    day = parsed
    if min_value is not None and day < min_value:
        raise _fail(field, f"La date ne peut pas être antérieure au {date_short(min_value)}.")
    if max_value is not None and day > max_value:
        raise _fail(field, f"La date ne peut pas être postérieure au {date_short(max_value)}.")
    return day


def clean_enum(
    value: object, enum_class: type[E], field: str, *, required: bool = True
) -> E | None:
    """Return the enum member named by ``value`` (member or its value), or raise."""
    if value is None or value == "":
        if required:
            raise _fail(field, REQUIRED)
        return None
    if isinstance(value, enum_class):
        return value
    for member in enum_class:
        if member.value == value:
            return member
    choices = ", ".join(str(m.value) for m in enum_class)
    raise _fail(field, f"Valeur non reconnue ; valeurs possibles : {choices}.")


# --- References -------------------------------------------------------------------------------


def clean_commune(session: Session, value: object, field: str = "commune_insee") -> Commune:
    """Return the commune whose INSEE code is ``value``, or raise if there is none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(field, REQUIRED)
    if not isinstance(value, str) or not _INSEE_RE.match(value.strip().upper()):
        # (the pattern also keeps NUL and control characters away from the database)
        raise _fail(field, "Code INSEE de commune invalide : 5 caractères attendus, par ex. 01053.")
    commune = session.get(Commune, value.strip().upper())
    if commune is None:
        raise _fail(field, f"Aucune commune ne porte le code INSEE {value.strip()}.")
    return commune


def clean_metier(session: Session, value: object, field: str = "metier_code") -> Metier:
    """Return the métier that ``value`` names (a code, or any text the resolver reads), or raise.

    The text goes through :func:`.metiers.metier_resolver` (label, synonym, abbreviation, a
    coordinator's mapping...); a text that resolves to nothing is refused with suggestions.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail(field, REQUIRED)
    if not isinstance(value, str):
        raise _fail(field, UNKNOWN_METIER)
    check_characters(value, field)
    text = value.strip()
    metier = session.get(Metier, text) if len(text) <= MAX_METIER_CODE else None
    if metier is not None:
        return metier
    referential = metier_resolver(session)
    code = referential.resolve(text[:MAX_METIER_TEXT]).code
    metier = session.get(Metier, code) if code is not None else None
    if metier is None:
        hint = did_you_mean(referential, text[:MAX_METIER_TEXT])
        raise _fail(field, f"{UNKNOWN_METIER} {hint}" if hint else UNKNOWN_METIER)
    return metier


def clean_centre(
    session: Session, value: object, field: str = "centre_id", *, required: bool = False
) -> TrainingCentre | None:
    """Return the training centre whose id is ``value`` (None when empty and not required)."""
    centre_id = clean_id(value, field, required=required)
    if centre_id is None:
        return None
    centre = session.get(TrainingCentre, centre_id)
    if centre is None:
        raise _fail(field, UNKNOWN_CENTRE)
    return centre
