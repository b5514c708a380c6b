"""Send a candidate's CV: the one way pages and API answer with the file, once rights are checked.

The file is read from the CV folder (``CV_DIR``, never under the web root) by the name of ours
the row holds; it goes as an attachment that no browser runs in the site's origin.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, send_file
from werkzeug.wrappers import Response

from data.models import Candidate
from data.operations.cv import cv_path

__all__ = ["CV_FIELDS", "cv_dir", "send_cv", "send_pdf"]

#: What a consultation of the CV names in the audit log.
CV_FIELDS = ("cv",)


def cv_dir() -> str:
    """Return the CV folder of the app (the ``CV_DIR`` setting)."""
    return str(current_app.config["CV_DIR"])


def send_cv(candidate: Candidate, download_name: str = "cv.pdf") -> Response:
    """Answer with the candidate's CV as a PDF attachment; 404 when there is none."""
    return send_pdf(cv_path(candidate, cv_dir()), download_name)


def send_pdf(path: Path | None, download_name: str) -> Response:
    """Answer with a PDF kept outside the web root, as an attachment; 404 when it is not there."""
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=download_name,
        max_age=0,
        conditional=False,
        etag=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    # Opened in a tab anyway, a PDF runs no script in the site's origin.
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
