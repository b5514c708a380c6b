"""A candidate's CV: one optional PDF, checked by its content, kept outside the web root.

The file lives under the CV folder (``CV_DIR``, by default ``<instance>/cv``) with a random
name of ours: the name a person uploaded never reaches a path, and nothing serves the folder
statically; pages and API read it through :func:`cv_path` after checking who asks
(:func:`data.queries.may_read_cv`). Replacing or deleting a CV removes the old file once the
row is flushed; a file whose row was rolled back afterwards is an orphan that the retention job
sweeps (:func:`sweep_orphan_cvs`). The erasure of a person removes their file too.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import Candidate

from ._common import load, now_or_utc
from .candidates import _check_not_anonymised

__all__ = [
    "CV_FIELD",
    "CV_LIMIT_WORDS",
    "MAX_CV_BYTES",
    "TOO_BIG",
    "CvFile",
    "check_pdf",
    "discard_pdf_file",
    "pdf_fault",
    "stored_pdf",
    "write_pdf_file",
    "cv_of",
    "cv_path",
    "delete_cv",
    "discard_cv_file",
    "save_cv",
    "sweep_orphan_cvs",
]

#: The largest CV accepted: « 2 Mo » (the form says so; the request limit leaves room around it).
MAX_CV_BYTES = 2_000_000
CV_LIMIT_WORDS = "2 Mo"
#: The field the messages are attached to, on the page and in the API.
CV_FIELD = "cv"

EMPTY = "Le fichier envoyé est vide : choisissez votre CV au format PDF."
TOO_BIG = f"Le CV dépasse {CV_LIMIT_WORDS} : réduisez-le (moins de pages, images allégées)."
NOT_PDF = "Ce fichier n'est pas un PDF : enregistrez votre CV au format PDF, puis envoyez-le."
BROKEN_PDF = "Ce PDF semble abîmé ou incomplet : enregistrez-le de nouveau, puis envoyez-le."

# Our own names: 32 hexadecimal digits and ".pdf". Anything else found in a row is not read.
_NAME = re.compile(r"[0-9a-f]{32}\.pdf")
_HEADER = re.compile(rb"%PDF-[12]\.\d")
# A PDF ends with "startxref", the offset of its cross-reference, and "%%EOF" (maybe followed by
# a line end or a little padding); an incremental update appends another such trailer.
_TRAILER = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*\Z")
#: How far from the end the trailer is looked for (some writers pad after %%EOF).
TRAILER_WINDOW = 1024
#: An orphan file (its row rolled back or erased without the folder) is swept after this delay,
#: so that an upload being committed is never taken for one.
ORPHAN_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class CvFile:
    """What a page or the API says of a CV: its size and when it was put."""

    size: int
    uploaded_at: datetime


def check_pdf(content: bytes, filename: str | None = None) -> None:
    """Refuse what is not a whole PDF, in French (field ``cv``); cheap, no parser.

    A file name, when the upload has one, must end with ``.pdf`` (a PDF named ``.exe`` is
    most likely the wrong file); the name is never kept nor used in a path.

    The content must start with the PDF header (``%PDF-1.x`` or ``%PDF-2.0``, which rules out
    HTML, images, programs renamed ``.pdf``) and end with a PDF trailer whose cross-reference
    offset lies inside the file (which rules out a truncated upload). The size is checked first.

    >>> check_pdf(b"%PDF-1.4\\n1 0 obj <<>> endobj\\nstartxref\\n9\\n%%EOF\\n")
    >>> try:
    ...     check_pdf(b"<html>%PDF-1.4</html>")
    ... except ValidationError as exc:
    ...     print(exc.errors["cv"][0])
    Ce fichier n'est pas un PDF : enregistrez votre CV au format PDF, puis envoyez-le.
    """
    if filename is not None and not filename.lower().endswith(".pdf"):
        raise ValidationError({CV_FIELD: [NOT_PDF]})
    fault = pdf_fault(content, MAX_CV_BYTES)
    if fault is not None:
        message = {"empty": EMPTY, "too_big": TOO_BIG, "not_pdf": NOT_PDF}.get(fault, BROKEN_PDF)
        raise ValidationError({CV_FIELD: [message]})


def pdf_fault(content: bytes, max_bytes: int) -> str | None:
    """Return what is wrong with a PDF upload (``empty``, ``too_big``, ``not_pdf``,
    ``broken``), or None for a whole PDF of at most ``max_bytes``: :func:`check_pdf`'s rules,
    for other uploads to word their own messages.

    >>> pdf_fault(b"GIF89a", 100), pdf_fault(b"%PDF-1.4 obj", 100)
    ('not_pdf', 'broken')
    """
    if not content:
        return "empty"
    if len(content) > max_bytes:
        return "too_big"
    if not _HEADER.match(content):
        return "not_pdf"
    trailer = _TRAILER.search(content[-TRAILER_WINDOW:])
    if trailer is None or not 0 < int(trailer.group(1)) < len(content) or b"obj" not in content:
        return "broken"
    return None


def cv_path(candidate: Candidate, cv_dir: str | Path) -> Path | None:
    """Return the candidate's CV file if there is one on disk, else None."""
    return stored_pdf(candidate.cv_file, cv_dir)


def stored_pdf(name: str | None, cv_dir: str | Path) -> Path | None:
    """Return the PDF file of ours named ``name`` in a folder if it is there, else None."""
    if not name or not _NAME.fullmatch(name):
        return None
    path = Path(cv_dir) / name
    return path if path.is_file() else None


def cv_of(candidate: Candidate) -> CvFile | None:
    """Return what may be said of the candidate's CV (None without one)."""
    if candidate.cv_file is None or candidate.cv_uploaded_at is None:
        return None
    return CvFile(candidate.cv_size or 0, candidate.cv_uploaded_at)


def write_pdf_file(content: bytes, cv_dir: Path) -> str:
    """Write ``content`` under a new random name, whole or not at all; return the name."""
    cv_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}.pdf"
    fd, tmp = tempfile.mkstemp(dir=cv_dir, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, cv_dir / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name


def discard_cv_file(name: str | None, cv_dir: str | Path) -> bool:
    """Delete one CV file of ours by name; return whether one was there."""
    return discard_pdf_file(name, cv_dir)


def discard_pdf_file(name: str | None, cv_dir: str | Path) -> bool:
    """Delete one PDF file of ours (a name :func:`write_pdf_file` gave) from a folder; return
    whether one was there."""
    if not name or not _NAME.fullmatch(name):
        return False
    path = Path(cv_dir) / name
    existed = path.is_file()
    path.unlink(missing_ok=True)
    return existed


def save_cv(
    session: Session,
    candidate: Candidate | int,
    content: bytes,
    cv_dir: str | Path,
    *,
    filename: str | None = None,
    now: datetime | None = None,
) -> CvFile:
    """Put (or replace) the candidate's CV after checking it; flushes; the old file goes.

    Nothing is written when the content is refused (``ValidationError``, field ``cv``).
    """
    candidate = load(session, Candidate, candidate, "Candidat")
    _check_not_anonymised(candidate)
    check_pdf(content, filename)
    folder = Path(cv_dir)
    name = write_pdf_file(content, folder)
    old = candidate.cv_file
    stamp = now_or_utc(now)
    try:
        candidate.cv_file = name
        candidate.cv_size = len(content)
        candidate.cv_uploaded_at = stamp
        candidate.last_activity_at = stamp
        session.flush()
    except BaseException:
        discard_cv_file(name, folder)
        raise
    discard_cv_file(old, folder)
    return CvFile(len(content), stamp)


def delete_cv(session: Session, candidate: Candidate | int, cv_dir: str | Path | None) -> bool:
    """Remove the candidate's CV (row and file); flushes; return whether there was one."""
    candidate = load(session, Candidate, candidate, "Candidat")
    old = candidate.cv_file
    if old is None:
        return False
    candidate.cv_file = None
    candidate.cv_size = None
    candidate.cv_uploaded_at = None
    session.flush()
    if cv_dir is not None:
        discard_cv_file(old, cv_dir)
    return True


def sweep_orphan_cvs(session: Session, cv_dir: str | Path, now: datetime | None = None) -> int:
    """Delete the files of the CV folder no candidate names any more; return how many.

    Only our own names older than :data:`ORPHAN_AFTER` go (and left-over temporary files).
    """
    folder = Path(cv_dir)
    if not folder.is_dir():
        return 0
    cutoff = (now_or_utc(now) - ORPHAN_AFTER).timestamp()
    named = set(session.scalars(select(Candidate.cv_file).where(Candidate.cv_file.is_not(None))))
    deleted = 0
    for path in folder.iterdir():
        ours = _NAME.fullmatch(path.name) or path.name.endswith(".tmp")
        if ours and path.name not in named and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
