"""A candidate's CV: put, replaced, deleted by the person; read by whom the contact rule allows.

The world's candidate has an approved pair with the world's employer (who may read the CV) and
an unreviewed one with another structure (whose employer may not). Files live in the test's own
CV folder (``CV_DIR`` under tmp_path), never under the web root.
"""

from __future__ import annotations

import base64
import io
import os
from datetime import UTC, datetime, timedelta
from html import unescape as html_text
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import mail
from data.models import AuditEntry, Candidate, Role
from data.operations import audit
from data.operations.cv import MAX_CV_BYTES, save_cv
from jobs.retention import apply_retention
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in
from web.db import state

A_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n9\n%%EOF\n"
OTHER_PDF = A_PDF.replace(b"Catalog", b"Catalog /Lang (fr)")


def _files(app: Flask) -> list[Path]:
    folder = Path(app.config["CV_DIR"])
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _upload(client: Any, content: bytes, name: str = "mon-cv.pdf") -> Any:
    return post(
        client,
        "/candidat/cv",
        {"cv": (io.BytesIO(content), name, "application/pdf")},
        content_type="multipart/form-data",
    )


def _cv_views(session: Session, candidate_id: int) -> int:
    return len(
        [
            e
            for e in session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == audit.ACCESS_ACTION,
                    AuditEntry.object_id == candidate_id,
                )
            )
            if e.details.get("fields") == ["cv"]
        ]
    )


def test_the_cv_is_put_read_by_whom_the_contact_rule_allows_replaced_and_deleted(
    app: Flask, world: World, session: Session
) -> None:
    me = sign_in(app.test_client(), world.candidate_user)
    page = me.get("/candidat/informations").text
    assert (
        "Au format PDF uniquement, 2 Mo au plus" in page and 'enctype="multipart/form-data"' in page
    )

    sent = _upload(me, A_PDF, "Mon CV – Léa Dupont.pdf")
    assert sent.status_code == 302 and sent.location.endswith("/candidat/informations#mon-cv")
    [stored] = _files(app)
    # Our own random name: never the uploaded one; the folder is not under the web root.
    assert "Dupont" not in stored.name and stored.suffix == ".pdf"
    assert stored.read_bytes() == A_PDF
    assert not str(stored).startswith(str(Path(app.root_path) / "static"))
    assert "Votre CV est enregistré" in me.get("/candidat/informations").text

    own = me.get("/candidat/cv")
    assert own.status_code == 200 and own.data == A_PDF
    assert own.mimetype == "application/pdf"
    assert own.headers["Content-Disposition"].startswith("attachment")
    assert own.headers["Content-Security-Policy"] == "sandbox"

    candidate_id = world.request.candidate_id
    employer = sign_in(app.test_client(), world.employer_user)
    offer_page = employer.get(f"/employeur/offres/{world.offer.id}").text
    link = f"/employeur/suggestions/{world.suggestion.id}/cv"
    assert link in offer_page
    assert employer.get(link).data == A_PDF
    # The unreviewed pair shows no person: no CV through it, for its employer or another.
    assert employer.get(f"/employeur/suggestions/{world.proposed.id}/cv").status_code == 404
    other = sign_in(app.test_client(), world.other_employer_user)
    assert other.get(link).status_code == 404
    assert other.get(f"/employeur/suggestions/{world.proposed.id}/cv").status_code == 404
    staff = sign_in(app.test_client(), world.coordinator)
    assert (
        f"/coordination/candidats/{candidate_id}/cv"
        in staff.get(f"/coordination/candidats/{candidate_id}").text
    )
    assert staff.get(f"/coordination/candidats/{candidate_id}/cv").data == A_PDF
    # The employer's and the coordinator's reads are written down; the person's own are not.
    assert _cv_views(session, candidate_id) == 2

    assert _upload(me, OTHER_PDF).status_code == 302
    [replaced] = _files(app)
    assert replaced != stored and replaced.read_bytes() == OTHER_PDF
    assert employer.get(link).data == OTHER_PDF

    assert post(me, "/candidat/cv/supprimer").status_code == 302
    assert _files(app) == []
    assert me.get("/candidat/cv").status_code == 404
    assert employer.get(link).status_code == 404
    assert "Vous n'avez pas encore envoyé de CV" in html_text(me.get("/candidat/informations").text)


def test_bad_files_are_refused_in_french_and_nothing_is_written(
    app: Flask, world: World, session: Session
) -> None:
    me = sign_in(app.test_client(), world.candidate_user)
    html = b"<!DOCTYPE html><html><body>%PDF-1.4</body></html>"
    cases = [
        (b"MZ\x90\x00 a program", "cv.pdf", "n'est pas un PDF"),
        (html, "cv.pdf", "n'est pas un PDF"),
        (A_PDF, "cv.exe", "n'est pas un PDF"),
        (b"", "cv.pdf", "est vide"),
        (A_PDF[:40], "cv.pdf", "abîmé ou incomplet"),
        (b"%PDF-1.4\n" + b"0" * MAX_CV_BYTES, "cv.pdf", "dépasse 2 Mo"),
    ]
    for content, name, message in cases:
        answer = _upload(me, content, name)
        assert answer.status_code == 400, name
        assert message in html_text(answer.text), (name, message)
        assert 'aria-invalid="true"' in answer.text
    assert post(me, "/candidat/cv", {}).status_code == 400  # no file at all
    # Beyond the request's limit (refused before anything is read): the CV form, its message.
    huge = _upload(me, b"%PDF-1.4\n" + b"0" * app.config["MAX_CONTENT_LENGTH"])
    assert huge.status_code == 413 and huge.mimetype == "text/html"
    assert "Le CV dépasse 2 Mo : réduisez-le" in html_text(huge.text)
    assert 'aria-invalid="true"' in huge.text and "Mes informations" in huge.text
    assert "dépasse la taille autorisée" not in html_text(huge.text)
    # Someone else than a candidate gets the generic page (the view would not let them in).
    staff = sign_in(app.test_client(), world.coordinator)
    other = _upload(staff, b"%PDF-1.4\n" + b"0" * app.config["MAX_CONTENT_LENGTH"])
    assert other.status_code == 413 and "dépasse la taille autorisée" in html_text(other.text)
    assert _files(app) == []
    session.expire_all()
    assert session.get(Candidate, world.request.candidate_id).cv_file is None  # type: ignore[union-attr]


def test_the_api_twins_follow_the_same_rules(
    app: Flask,
    world: World,
    api: Any,  # noqa: F811
    tokens: Tokens,  # noqa: F811
) -> None:
    candidate_id = world.request.candidate_id
    url = f"/api/v1/candidates/{candidate_id}/cv"
    me: ApiClient = api("candidate")
    assert me.get(url).status_code == 404  # none yet
    put = me.call("PUT", url, {"content": base64.b64encode(A_PDF).decode()})
    assert put.status_code == 200 and put.get_json()["size"] == len(A_PDF)
    assert me.get(url).data == A_PDF
    assert api("employer").get(f"/api/v1/suggestions/{world.suggestion.id}/cv").data == A_PDF
    assert api("other_employer").get(url).status_code == 404
    assert api("other_candidate").get(url).status_code == 404
    assert api("coordinator").call("PUT", url, {"content": "JVBERi0="}).status_code == 403

    bad = {
        "pas du base64 !": "encodé en base64",
        base64.b64encode(b"<html></html>").decode(): "n'est pas un PDF",
        "": "",
        base64.b64encode(b"%PDF-1.4\n" + b"0" * MAX_CV_BYTES).decode(): "dépasse 2 Mo",
    }
    for content, message in bad.items():
        answer = me.call("PUT", url, {"content": content})
        body = answer.get_json()
        assert answer.status_code == 422 and body["code"] == "validation_error", body
        assert message in " ".join(body["errors"]["content"])
    # A body over the request's limit: 413, the API's error body with the CV's own message.
    huge = base64.b64encode(b"%PDF-1.4\n" + b"0" * app.config["MAX_CONTENT_LENGTH"]).decode()
    answer = me.call("PUT", url, {"content": huge})
    body = answer.get_json()
    assert answer.status_code == 413 and body["code"] == "payload_too_large", body
    assert body["status"] == 413 and body["message"].startswith("Le CV dépasse 2 Mo")
    assert body["errors"] == {"content": [body["message"]]}
    [kept] = _files(app)
    assert kept.read_bytes() == A_PDF  # the refused ones changed nothing

    assert me.call("DELETE", url).status_code == 204
    assert me.call("DELETE", url).status_code == 404
    assert _files(app) == []


def test_the_cv_goes_with_the_account_and_the_export_lists_it(
    app: Flask, world: World, session: Session
) -> None:
    me = sign_in(app.test_client(), world.candidate_user)
    assert _upload(me, A_PDF).status_code == 302
    export = me.get("/candidat/donnees/export.json").get_json()
    assert export["candidat"]["cv"]["taille_octets"] == len(A_PDF)
    assert any("CV supprimé" in line for line in export["ce_fichier"])
    answer = post(me, "/candidat/supprimer", {"confirm": "SUPPRIMER"})
    assert answer.status_code == 302
    assert _files(app) == []
    session.expire_all()
    assert session.get(Candidate, world.request.candidate_id).cv_file is None  # type: ignore[union-attr]

    # The coordinator's « effacer » takes the file too.
    user = f.make_user(session, Role.CANDIDATE)
    assert user.candidate is not None
    save_cv(session, user.candidate, A_PDF, app.config["CV_DIR"])
    session.commit()
    staff = sign_in(app.test_client(), world.coordinator)
    erased = post(
        staff, f"/coordination/candidats/{user.candidate.id}/effacer", {"confirm": "EFFACER"}
    )
    assert erased.status_code == 302
    assert _files(app) == []


def test_the_retention_job_erases_the_cv_and_sweeps_orphans(app: Flask, session: Session) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=800)
    candidate = f.make_candidate(session)
    save_cv(session, candidate, A_PDF, app.config["CV_DIR"], now=old)
    candidate.email = None  # no address to warn: erased on time
    candidate.last_activity_at = old
    session.commit()
    orphan = Path(app.config["CV_DIR"]) / ("0" * 32 + ".pdf")
    orphan.write_bytes(A_PDF)
    stamp = (now - timedelta(days=2)).timestamp()
    os.utime(orphan, (stamp, stamp))
    factory = state(app).session_factory
    counts = apply_retention(
        factory, mail.make_mailer(app.config), now, cv_dir=app.config["CV_DIR"]
    )
    assert counts["anonymised"] == 1 and counts["orphan_cv_files_deleted"] == 1
    assert _files(app) == []
