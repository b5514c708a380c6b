"""Render mails from the Jinja2 templates in ``data/mail/templates/mail``: a text and an HTML part.

The one mail renderer: the web (sign-in links, requests to join), the jobs and the data operations
that promise a mail render here alike, from this one template tree. Each mail ``NAME`` has
``NAME.txt`` (first line: the subject; the rest: the text body) and ``NAME.html`` (the HTML body,
extending ``base.html``). Labels and formatters are those of the pages
(:mod:`data.presentation`); links are absolute (see :mod:`data.mail.links`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from data.presentation import install

from .links import url

__all__ = ["TEMPLATES_DIR", "RenderedMail", "render_mail", "environment"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


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
    install(env)  # the pages' labels and formatters (data.presentation), the same words
    env.globals["url"] = url
    return env


@dataclass(frozen=True)
class RenderedMail:
    """A mail ready to queue: subject, text body, HTML body."""

    subject: str
    text: str
    html: str


def render_mail(name: str, /, **context: Any) -> RenderedMail:
    """Render mail ``name`` with ``context`` (``base_url`` is required by every template).

    ``name`` is positional-only: a template may have a variable called ``name`` (a person's).
    """
    env = environment()
    context.setdefault("unsubscribe_url", None)
    rendered = env.get_template(f"mail/{name}.txt").render(**context)
    subject, _, body = rendered.lstrip().partition("\n")
    subject = " ".join(subject.split())
    html = env.get_template(f"mail/{name}.html").render(subject=subject, **context)
    return RenderedMail(subject=subject, text=body.strip() + "\n", html=html)
