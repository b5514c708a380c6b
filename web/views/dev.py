"""Local development helpers: the mailbox of mails kept as files, and how to sign in to the demo.

Mounted only when ENV is "development" (``make run``); in any other setting the routes do not
exist, and each view checks again, so a misconfiguration answers 404 rather than showing mails.
The mailbox shows every sign-in link, so it answers only requests from the loopback address (the
developer's own browser: ``make run`` listens on 127.0.0.1); a development server reached from
elsewhere (a shared network, a forwarded port) answers 404. Employers and candidates of the demo
still read their link there, as ``make run`` says; staff need no mail.
The mailbox reads the ``.eml`` files the "file" backend writes under MAIL_DIR; with another
backend it answers 404 too.
"""

from __future__ import annotations

import ipaddress
import re
from email.message import EmailMessage

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    has_request_context,
    render_template,
    request,
)
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import mail
from data.demo import ADMIN_EMAIL, COORDINATOR_EMAIL
from data.models import Role, User
from web.config import dev_tools_enabled

__all__ = [
    "DEMO_STAFF",
    "bp",
    "from_loopback",
    "linkify",
    "local_mailbox_enabled",
    "register",
    "sign_in_examples",
]

bp = Blueprint("dev", __name__, url_prefix="/dev")

#: Mails listed, newest first (the directory may hold thousands after the digests ran).
MAILBOX_LIMIT = 200
DEMO_STAFF = (ADMIN_EMAIL, COORDINATOR_EMAIL)

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)»"


def local_mailbox_enabled() -> bool:
    """Tell whether the local mailbox is on: development, and mails kept as files."""
    app = current_app
    backend = str(app.config.get("MAIL_BACKEND") or "file").lower()
    return dev_tools_enabled(app) and backend == "file"


def register(app: Flask) -> None:
    """Mount the helpers in development only; tell every template whether they are there."""
    app.context_processor(_template_flags)
    if dev_tools_enabled(app):
        app.register_blueprint(bp)


def from_loopback() -> bool:
    """Tell whether this request comes from the machine itself (127.0.0.0/8 or ::1)."""
    if not has_request_context():
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _template_flags() -> dict[str, bool]:
    mailbox = local_mailbox_enabled() and from_loopback()
    return {"dev_tools": dev_tools_enabled(current_app), "local_mailbox": mailbox}


@bp.before_request
def _only_in_development() -> None:
    if not local_mailbox_enabled() or not from_loopback():
        abort(404)


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn its http(s) addresses into links.

    >>> str(linkify("Lien : https://x.test/a?b=1&c=2. <b>"))
    'Lien : <a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a>. &lt;b&gt;'
    """
    parts: list[str] = []
    pos = 0
    for found in _URL.finditer(text):
        url = found.group(0).rstrip(_TRAILING)
        parts.append(escape(text[pos : found.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        pos = found.start() + len(url)
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    content = body.get_content()
    return content if isinstance(content, str) else ""


@bp.get("/courriels")
def mails() -> str:
    found = mail.list_local_mails(current_app.config["MAIL_DIR"], limit=MAILBOX_LIMIT)
    return render_template("dev/mails.html", mails=found, limit=MAILBOX_LIMIT)


@bp.get("/courriels/<name>")
def mail_detail(name: str) -> str:
    message = mail.read_local_mail(current_app.config["MAIL_DIR"], name)
    if message is None:
        abort(404)
    return render_template(
        "dev/mail.html", name=name, message=message, body=linkify(_text_of(message))
    )


def sign_in_examples(session: Session) -> dict[str, str | None]:
    """Return an employer's and a candidate's sign-in address, to suggest on the home page."""

    def first(role: Role) -> str | None:
        return session.scalar(
            select(User.email)
            .where(User.role == role, User.is_active.is_(True))
            .order_by(User.id)
            .limit(1)
        )

    return {"employer": first(Role.EMPLOYER), "candidate": first(Role.CANDIDATE)}
