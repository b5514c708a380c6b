"""The observatory's pages, files and figures (issue 20): the public figures protect people, the
coordinators read them whole, the open-data files validate, and the weekly mail, the dashboard
and the observatory give the same figures."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import frictionless
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from data.models import Role, SuggestionStatus
from data.observatory.indicators import operational_figures
from data.observatory.publish import publication
from data.observatory.snapshots import take_snapshots
from data.reference import epci_of
from jobs.summary import weekly_figures
from tests.data import factories as f
from tests.web.conftest import sign_in

NOV = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


def _month_of_requests(session: Session) -> None:
    """Fourteen requests in November: twelve in Bourg-en-Bresse, two in Oyonnax (a small count
    the public figures must hold back), and the snapshot of November."""
    site = f.make_site(session)
    f.make_offer(session, site, places=3)
    for n in range(14):
        request = f.make_request(session, commune_insee=f.OYONNAX if n < 2 else f.BOURG)
        request.created_at = NOV
    session.flush()
    take_snapshots(session, now=DECEMBER)
    session.commit()


def test_the_public_figures_hold_back_a_small_count_and_what_would_give_it_away(
    session: Session,
) -> None:
    _month_of_requests(session)
    table = publication(session)["indicateurs-par-metier-et-territoire"]
    index = {c.key: i for i, c in enumerate(table.columns)}
    requests = {
        (r[index["code_metier"]], r[index["code_territoire"]]): r[index["demandes_deposees"]]
        for r in table.rows
    }
    oyonnax, bourg = epci_of(f.OYONNAX), epci_of(f.BOURG)
    assert oyonnax and bourg
    shown = {k: v for k, v in requests.items() if isinstance(v, int)}
    assert all(v == 0 or v > 10 for v in shown.values()), shown
    held = [k for k, v in requests.items() if not isinstance(v, int)]
    assert ("aide-soignant", oyonnax) in held
    # Its territory's total and the métier's cells in Bourg would give it away: held back too.
    assert len(held) >= 4
    whole = publication(session, protect=False)["indicateurs-par-metier-et-territoire"]
    unprotected = {
        (r[index["code_metier"]], r[index["code_territoire"]]): r[index["demandes_deposees"]]
        for r in whole.rows
    }
    assert unprotected[("aide-soignant", oyonnax)] == 2
    assert unprotected[("ensemble", "ensemble")] == 14


@pytest.mark.one_engine
def test_the_public_page_shows_the_secret_and_the_coordinators_see_the_counts(
    session: Session, client: FlaskClient
) -> None:
    _month_of_requests(session)
    page = client.get("/observatoire")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "secret statistique" in html
    assert "novembre 2026" in html
    assert "Données ouvertes" in html
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    staff = sign_in(client, coordinator).get("/coordination/observatoire")
    assert staff.status_code == 200
    text = staff.get_data(as_text=True)
    assert "Mois en cours (provisoire)" in text or "mois en cours (provisoire)" in text
    assert 'data-value="2"' in text  # the two requests of Oyonnax, which the public page hides
    assert "Par commune" in text and "Oyonnax" in text
    assert "Par commune" not in html


def test_the_open_data_files_validate_and_never_show_a_count_of_one_to_ten(
    session: Session, client: FlaskClient, tmp_path
) -> None:
    _month_of_requests(session)
    listing = client.get("/donnees-ouvertes").get_data(as_text=True)
    names = sorted(set(re.findall(r'/donnees-ouvertes/([\w.-]+)"', listing)))
    assert "datapackage.json" in names and "series-mensuelles.csv" in names
    for name in names:
        answer = client.get(f"/donnees-ouvertes/{name}")
        assert answer.status_code == 200, name
        (tmp_path / name).write_bytes(answer.data)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "etalab-2.0"
    people = {"demandes_deposees", "rapprochements_proposes", "contrats_signes", "nombre"}
    for name in names:
        if not name.endswith(".csv"):
            continue
        rows = list(csv.DictReader(io.StringIO((tmp_path / name).read_text(encoding="utf-8"))))
        for row in rows:
            for key in people & set(row):
                value = row[key]
                assert value in ("", "secret", "0") or int(value) > 10, (name, key, row)
    assert client.get("/donnees-ouvertes/inconnu.csv").status_code == 404


def test_before_any_month_is_over_the_pages_say_so(client: FlaskClient) -> None:
    html = client.get("/observatoire").get_data(as_text=True)
    assert "Les premiers chiffres seront publiés" in html
    assert "Aucun fichier n'est encore publié" in client.get("/donnees-ouvertes").get_data(
        as_text=True
    )


def test_the_weekly_mail_and_the_dashboard_give_the_observatory_s_figures(
    session: Session, client: FlaskClient
) -> None:
    site = f.make_site(session, beds=0)
    offers = [f.make_offer(session, site) for _ in range(3)]
    lonely = f.make_offer(session, f.make_site(session, commune_insee=f.OYONNAX))
    requests = [f.make_request(session, needs_housing=n == 0) for n in range(4)]
    f.make_suggestion(session, requests[0], offers[0])
    f.make_suggestion(session, requests[1], offers[1], stale=True)  # no longer suggested
    f.make_suggestion(session, requests[1], offers[2], status=SuggestionStatus.APPROVED)
    f.make_suggestion(
        session,
        requests[2],
        offers[2],
        status=SuggestionStatus.CONTRACT_SIGNED,
        contract_signed_on=date(2026, 11, 3),
    )
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    now = datetime.now(UTC)
    figures = operational_figures(session, now)
    mail = weekly_figures(session, now)
    assert mail["review_queue"] == figures.review_queue == 1
    assert dict(mail["stages"])["Contrat signé"] == 1
    assert mail["offers_without_count"] == figures.lonely_offers >= 1
    assert mail["requests_without"] == figures.requests_without
    assert mail["housing_unmet"] == figures.housing_unsolved == 1
    assert (
        lonely.id and figures.lonely_offers == 2
    )  # the lonely one, and the one only stale reaches

    board = sign_in(client, coordinator).get("/coordination/").get_data(as_text=True)
    assert f"{figures.review_queue} suggestion à examiner" in board
    assert f"{figures.lonely_offers} offres ouvertes sans aucune suggestion en cours" in board
    assert f"{figures.housing_unsolved} demande avec un besoin de logement" in board
    page = client.get("/coordination/observatoire").get_data(as_text=True)
    assert f"<dt>Suggestions à examiner</dt><dd>{figures.review_queue}</dd>" in page


def test_the_coordinators_files_are_theirs_alone(session: Session, app: Flask) -> None:
    _month_of_requests(session)
    url = "/coordination/observatoire/fichiers/indicateurs-par-metier-et-territoire.csv"
    assert app.test_client().get(url).status_code == 302
    candidate = f.make_user(session, Role.CANDIDATE)
    employer = f.make_user(session, Role.EMPLOYER)
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    for user in (candidate, employer):
        assert sign_in(app.test_client(), user).get(url).status_code == 403
    answer = sign_in(app.test_client(), coordinator).get(url)
    assert answer.status_code == 200
    assert ",2," in answer.get_data(as_text=True)  # Oyonnax's two requests, whole
    missing = url.replace("indicateurs", "inconnu")
    assert sign_in(app.test_client(), coordinator).get(missing).status_code == 404


def test_the_api_gives_the_public_tables_with_the_same_secret(
    session: Session, client: FlaskClient
) -> None:
    _month_of_requests(session)
    answer = client.get("/api/v1/indicators?page_size=100")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["licence"]["name"] == "etalab-2.0"
    assert body["period"]["end"] == "2026-11-01" and body["updated_on"] == "2026-12-01"
    tables = {t["key"]: t for t in body["items"]}
    assert set(tables) == set(publication(session).tables)
    assert body["pagination"]["total"] == len(tables)
    one = client.get("/api/v1/indicators?table=entonnoir").get_json()
    assert [t["key"] for t in one["items"]] == ["entonnoir"]
    bad = client.get("/api/v1/indicators?tableau=entonnoir")
    assert bad.status_code == 422 and bad.get_json()["code"] == "validation_error"
    rows = tables["indicateurs-par-metier-et-territoire"]["rows"]
    oyonnax = epci_of(f.OYONNAX)
    cell = next(
        r for r in rows if r["code_metier"] == "aide-soignant" and r["code_territoire"] == oyonnax
    )
    assert cell["demandes_deposees"] == "secret"
    csv_file = client.get("/donnees-ouvertes/indicateurs-par-metier-et-territoire.json").get_json()
    assert csv_file == rows  # the API's rows are the open-data file's
    fields = {f["name"]: f for f in tables["series-mensuelles"]["fields"]}
    assert fields["contrats_signes"]["title"] == "Contrats d'apprentissage signés via la plateforme"
