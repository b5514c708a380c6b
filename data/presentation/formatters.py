"""French formatters of numbers, dates, distances and plurals: one way for pages and mails.

Each is a plain function of a value; ``data.presentation.install`` makes them Jinja filters under
the names of :data:`FILTERS`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from data.models.base import PARIS
from matching.explanations import MONTHS

__all__ = [
    "PARIS",
    "period_fr",
    "agree",
    "date_fr",
    "date_short",
    "datetime_fr",
    "euros",
    "km",
    "month_fr",
    "number",
    "percent",
    "plural",
    "tel_uri",
    "weight",
]

#: Below this distance, a distance is not worth a number of kilometres.
NEAR_KM = 1.0

_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = MONTHS  # one list of French months, the engine's


def date_fr(value: date | datetime | None, weekday: bool = False) -> str:
    """Write the day of ``value`` the French way (a datetime is taken in Paris time).

    >>> date_fr(date(2026, 3, 1))
    '1er mars 2026'
    >>> date_fr(date(2026, 3, 2), weekday=True)
    'lundi 2 mars 2026'
    >>> date_fr(None)
    ''
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    day = "1er" if value.day == 1 else str(value.day)
    text = f"{day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{_DAYS[value.weekday()]} {text}" if weekday else text


def month_fr(value: date | None) -> str:
    """Write the month of ``value`` the French way, as a time series by month reads it.

    >>> month_fr(date(2026, 3, 1)), month_fr(None)
    ('mars 2026', '')
    """
    if value is None:
        return ""
    return f"{_MONTHS[value.month - 1]} {value.year}"


def period_fr(first: date, last: date) -> str:
    """Write a span of days the French way: one day, or from the first to the last.

    >>> period_fr(date(2027, 3, 2), date(2027, 3, 2))
    'le mardi 2 mars 2027'
    >>> period_fr(date(2027, 3, 1), date(2027, 3, 5))
    'du lundi 1er mars 2027 au vendredi 5 mars 2027'
    """
    if first == last:
        return f"le {date_fr(first, weekday=True)}"
    return f"du {date_fr(first, weekday=True)} au {date_fr(last, weekday=True)}"


def date_short(value: date) -> str:
    """Write a day in digits, as forms ask for and error messages quote it.

    >>> date_short(date(2026, 3, 1))
    '01/03/2026'
    """
    return value.strftime("%d/%m/%Y")


def datetime_fr(value: date | datetime | None) -> str:
    """Write a moment as « 3 mars 2026 à 14:05 » in Paris time (a date alone: its day).

    >>> from datetime import UTC
    >>> datetime_fr(datetime(2026, 3, 3, 13, 5, tzinfo=UTC))
    '3 mars 2026 à 14:05'
    """
    if isinstance(value, datetime):
        return f"{date_fr(value)} à {value.astimezone(PARIS):%H:%M}"
    return date_fr(value)


def km(value: float | None, digits: int = 0) -> str:
    """Write a distance in kilometres, whole by default (« moins de 1 km » below one).

    >>> km(12.4), km(0.3), km(None), km(12.5, 1), km(1234.4)
    ('12 km', 'moins de 1 km', '', '12,5 km', '1\u202f234 km')
    """
    if value is None:
        return ""
    if value < NEAR_KM:
        return "moins de 1 km"
    return f"{number(value, digits)} km"


def percent(value: float | None) -> str:
    """Write a score in [0, 1] as a whole percentage.

    >>> percent(0.874)
    '87 %'
    """
    if value is None:
        return ""
    return f"{number(value * 100)} %"


#: Between groups of three digits: a narrow no-break space, everywhere.
THOUSANDS = "\u202f"


def number(value: float | None, digits: int = 0) -> str:
    """Write a number the French way: thousands apart (:data:`THOUSANDS`), a decimal comma.

    ``digits``: decimals at most (trailing zeros dropped); whole numbers by default.

    >>> number(10000), number(1234.5, 1), number(0.5, 2), number(0.35, 2), number(2.0, 2)
    ('10\u202f000', '1\u202f234,5', '0,5', '0,35', '2')
    >>> number(-1234567), number(None)
    ('-1\u202f234\u202f567', '')
    """
    if value is None:
        return ""
    text = f"{value:,.{digits}f}" if digits > 0 else f"{round(value):,}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", THOUSANDS).replace(".", ",")


def euros(value: Decimal | float | None) -> str:
    """Write an amount in euros to the cent, the French way: « 1 823,03 € ».

    >>> euros(Decimal("492.22")), euros(-12), euros(None)
    ('492,22 €', '-12,00 €', '')
    """
    if value is None:
        return ""
    cents = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{cents:,.2f}".replace(",", THOUSANDS).replace(".", ",")
    return f"{text} €"


def weight(value: float | None) -> str:
    """Write a criterion's weight in the score (0 to 1), as a decimal: « 0,35 ».

    >>> weight(0.5), weight(0.35), weight(0.1234)
    ('0,5', '0,35', '0,12')
    """
    return number(value, 2)


def agree(n: float, one: str, many: str) -> str:
    """Return the words that agree with the number ``n``, without the number.

    In French the plural starts at two: « 0 lit », « 1 lit », « 2 lits ».

    >>> agree(1, "offre trouvée", "offres trouvées"), agree(2, "offre trouvée", "offres trouvées")
    ('offre trouvée', 'offres trouvées')
    >>> agree(0, "réponse", "réponses")
    'réponse'
    """
    return one if abs(n) < 2 else many


def plural(n: int, one: str, many: str) -> str:
    """Return the number and the word that fits it: never a lazy « proposition(s) ».

    >>> plural(1, "proposition", "propositions"), plural(0, "lit", "lits"), plural(3, "lit", "lits")
    ('1 proposition', '0 lit', '3 lits')
    """
    return f"{number(n)} {agree(n, one, many)}"


def tel_uri(phone: str | None) -> str:
    """Return the ``tel:`` address of a phone number as people type it (a French number read
    as one: spaces, dots and dashes dropped, « 0 » becomes « +33 »); empty for no number.

    >>> tel_uri("06 12 34 56 78"), tel_uri("+33 (0)4.74.12.34.56"), tel_uri("")
    ('tel:+33612345678', 'tel:+33474123456', '')
    """
    if not phone:
        return ""
    digits = "".join(c for c in phone.replace("(0)", "") if c.isdigit() or c == "+")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+33" + digits[1:]
    return f"tel:{digits}"
