"""CSV files of the pages: a download (an export, an import's template) and an import's form.

One way for every page: a download is ``text/csv`` with its file name (a template starts with a
BOM, so that spreadsheets read UTF-8); an import's form answers a missing file or a refused file
with its French messages (400, nothing kept), else the report of what was kept and refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Any, Protocol

from flask import Response, render_template, request
from sqlalchemy.orm import Session

from data.actor import Actor
from web.db import get_session
from web.sessions import current_actor

__all__ = ["NO_FILE", "csv_download", "import_form"]

NO_FILE = "Choisissez un fichier CSV à importer."


class _Report(Protocol):
    fatal: dict[str, list[str]]


def csv_download(text: str, filename: str, *, bom: bool = False) -> Response:
    """Return ``text`` as a CSV file to save as ``filename`` (``bom``: for a template)."""
    return Response(
        ("\ufeff" if bom else "") + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def import_form(
    template: str,
    columns: Sequence[Any],
    run: Callable[[Session, Actor, IO[bytes]], _Report],
) -> str | tuple[str, int]:
    """The import page ``template``: the form (GET), then what ``run`` made of the file (POST).

    A file refused whole is rolled back and its messages shown (400); otherwise the import is
    committed and its report shown.
    """

    def page(report: _Report | None, errors: dict[str, list[str]]) -> str:
        return render_template(template, report=report, errors=errors, columns=columns)

    if request.method == "GET":
        return page(None, {})
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return page(None, {"file": [NO_FILE]}), 400
    session = get_session()
    report = run(session, current_actor(), upload.stream)
    if report.fatal:
        session.rollback()
        return page(None, report.fatal), 400
    session.commit()
    return page(report, {})
