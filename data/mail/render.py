"""Render mails from the Jinja2 templates in ``data/mail/templates/mail``: a text and an HTML part.

Each mail ``NAME`` has ``NAME.txt`` (first line: the subject; the rest: the text body) and
``NAME.html`` (the HTML body, extending ``base.html``). Links are absolute (see
:mod:`data.mail.links`). The jobs and the data operations that promise a mail render here alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .links import url

__all__ = ["TEMPLATES_DIR", "PARIS", "RenderedMail", "render_mail", "fr_date", "environment"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
PARIS = ZoneInfo("Europe/Paris")

_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def fr_date(value: date | datetime | None, weekday: bool = False) -> str:
    """Write a date the French way (datetimes are taken in Paris time).

    >>> fr_date(date(2026, 3, 1))
    '1er mars 2026'
    >>> fr_date(date(2026, 3, 2), weekday=True)
    'lundi 2 mars 2026'
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    day = "1er" if value.day == 1 else str(value.day)
    text = f"{day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{_DAYS[value.weekday()]} {text}" if weekday else text


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def _km(value: float | None) -> str:
    if value is None:
        return ""
    return "sur place" if value < 1 else f"{round(value)} km"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the shared Jinja2 environment (HTML templates autoescaped, strict undefined)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fr_date"] = fr_date
    env.filters["percent"] = _percent
    env.filters["km"] = _km
    env.globals["url"] = url
    return env


@dataclass(frozen=True)
class RenderedMail:
    """A mail ready to queue: subject, text body, HTML body."""

    subject: str
    text: str
    html: str


def render_mail(name: str, **context: Any) -> RenderedMail:
    """Render mail ``name`` with ``context`` (``base_url`` is required by every template)."""
    env = environment()
    context.setdefault("unsubscribe_url", None)
    rendered = env.get_template(f"mail/{name}.txt").render(**context)
    subject, _, body = rendered.lstrip().partition("\n")
    subject = " ".join(subject.split())
    html = env.get_template(f"mail/{name}.html").render(subject=subject, **context)
    return RenderedMail(subject=subject, text=body.strip() + "\n", html=html)
