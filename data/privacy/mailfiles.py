"""The ``.eml`` files of the file mail transport: find and delete those to or about a person."""

from __future__ import annotations

import html
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

__all__ = ["mail_file_text", "erase_mail_files"]

log = logging.getLogger(__name__)

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})

#: Headers whose text may name a person (the address a mail went to, its subject).
SEARCHED_HEADERS = ("To", "Cc", "Subject", "Reply-To")


def mail_file_text(path: Path) -> str:
    """Return the lower-cased readable text of one ``.eml`` file: headers and decoded bodies.

    Bodies are decoded from their transfer encoding (quoted-printable, base64) and HTML entities
    are resolved, so that a name is found however the mail was written.
    """
    with path.open("rb") as f:
        message = BytesParser(policy=policy.default).parse(f)
    assert isinstance(message, EmailMessage)
    parts = [str(message.get(h, "")) for h in SEARCHED_HEADERS]
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # unknown charset: the raw bytes still tell
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        parts.append(html.unescape(content) if part.get_content_subtype() == "html" else content)
    # Non-breaking spaces (French typography, "06&nbsp;12...") read as spaces.
    return "\n".join(parts).translate(_SPACES).lower()


def erase_mail_files(mail_dir: Path, identifiers: list[str]) -> int:
    """Delete the ``.eml`` files of ``mail_dir`` holding one of ``identifiers``; return how many.

    ``identifiers`` are lower-cased (see :meth:`data.privacy.person.Person.identifiers`). An absent
    folder holds nothing; a file that cannot be read is logged and left.
    """
    if not identifiers or not mail_dir.is_dir():
        return 0
    erased = 0
    for path in sorted(mail_dir.glob("*.eml")):
        try:
            text = mail_file_text(path)
        except OSError as exc:
            log.warning("mail file %s not read for erasure: %s", path.name, exc)
            continue
        if any(i in text for i in identifiers):
            path.unlink(missing_ok=True)
            erased += 1
    return erased
