"""Odd input gets a clear 4xx, never a 500: the reproductions of the outside probe (issue 12).

NUL bytes (PostgreSQL refuses them), ids beyond the 32-bit keys, JSON bodies too deep or with
numbers too long for Python's parser, CSV cells beyond the csv module's limit, a ``next`` with a
line break, line breaks in one-line fields, long text cut silently. Each test failed on 7162f65
(a 500, or a silent cut or line break accepted); the rules live in ``web/input.py`` (the door)
and ``data/operations/validation.py`` (each field). The page fuzzing at the end sends these odd
values to every route of the app, for every role.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.routing import AnyConverter, IntegerConverter

from data import auth
from data.models import Candidate, Employer, Offer, Site
from data.operations.validation import MAX_ID, NUL_MESSAGE, ONE_LINE_MESSAGE
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in
from web.input import FORM_TOO_LONG, MAX_FORM_BODY_BYTES, MAX_QUERY_BYTES, IdConverter

NUL_PAGE = "caractère NUL"
OUT_OF_RANGE = (str(MAX_ID + 1), str(2**70))  # 2147483648 and 1180591620717411303424


def _text(response: Any) -> str:
    """Return the words of a page, without tags, in single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- NUL bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/communes?q=ab%00",
        "/offres?commune=Bourg%00",
        "/offres?metier=aide%00soignant",
        "/desabonnement/ab%00cd",
        "/toujours-en-recherche/ab%00cd",
        "/connexion/lien/ab%00cd",
        "/api/v1/offers?commune_insee=01053%00",
    ],
)
def test_nul_in_a_path_or_query_string_is_a_400(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        body = response.get_json()
        assert body["code"] == "bad_request" and NUL_PAGE in body["message"]
    else:
        assert NUL_PAGE in response.text


@pytest.mark.parametrize("path", ["/offres", "/communes", "/api/v1/offers"])
def test_an_overlong_query_string_is_a_414_in_french(client: FlaskClient, path: str) -> None:
    fits = quote("é" * (MAX_QUERY_BYTES // 6 - 2))  # « q= » and the encoded text within the bound
    assert client.get(path, query_string=f"q={fits}").status_code != 414
    response = client.get(path, query_string=f"q={fits}{quote('ééé')}")
    assert response.status_code == 414
    if path.startswith("/api/"):
        assert response.get_json()["code"] == "uri_too_long"
    else:
        assert "trop longue" in response.text


def _offer_form(world: World, description: str) -> dict[str, str]:
    """The employer's new-offer form, filled but for ``description``."""
    return {
        "site_id": str(world.offer.site_id),
        "metier_code": "aide-soignant",
        "places": "1",
        "contract": "apprentissage",
        "description": description,
    }


def test_an_overlong_form_body_is_a_413_in_french_and_writes_nothing(
    client: FlaskClient, session: Session, world: World
) -> None:
    employer = sign_in(client, world.employer_user)
    before = _count(session, Offer)
    # The longest real text: a description of 4,960 characters.
    form = _offer_form(world, "Missions auprès des résidents. " * 160)
    assert post(employer, "/employeur/offres/nouvelle", form).status_code == 302
    assert _count(session, Offer) == before + 1
    form["padding"] = "é" * (MAX_FORM_BODY_BYTES // 6)  # 6 bytes each once encoded
    response = post(employer, "/employeur/offres/nouvelle", form)
    assert response.status_code == 413
    assert FORM_TOO_LONG in _text(response) and "Envoi trop volumineux" in response.text
    assert _count(session, Offer) == before + 1


@pytest.mark.parametrize(
    "url", ["/desabonnement/ab%00cd", "/toujours-en-recherche/ab%00cd", "/connexion"]
)
def test_nul_in_a_form_is_a_400(client: FlaskClient, url: str) -> None:
    sign_in(client, None)
    response = post(client, url, {"email": "a\x00@b.fr", "answer": "oui"})
    assert response.status_code == 400 and NUL_PAGE in response.text


def test_nul_in_a_sign_up_name_is_a_400_and_creates_nothing(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, None)
    before = _count(session, Candidate)
    form = {
        "first_name": "Lé\x00a",
        "last_name": "Martin",
        "email": "lea.martin@exemple.fr",
        "consent": "1",
    }
    response = post(client, "/inscription/candidat", form)
    assert response.status_code == 400 and NUL_PAGE in response.text
    assert _count(session, Candidate) == before


def test_nul_in_a_json_body_is_a_422_naming_the_field(
    api: Any,  # noqa: F811
    world: World,
) -> None:
    staff: ApiClient = api("coordinator")
    body = {"site_id": world.offer.site_id, "metier_code": "aide-soignant", "tutor_name": "a\x00"}
    response = staff.post("/api/v1/offers", body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"tutor_name": [NUL_MESSAGE]}
    nested = staff.post("/api/v1/requests", {"metiers": ["AES", "x\x00"], "commune_insee": "1"})
    assert nested.status_code == 422
    assert nested.get_json()["errors"] == {"metiers.1": [NUL_MESSAGE]}


# --- Ids out of range --------------------------------------------------------------------------


def test_no_route_parses_ids_without_their_range(app: Flask) -> None:
    id_rules = []
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert not isinstance(converter, IntegerConverter), (rule.rule, name)
            if isinstance(converter, IdConverter):
                id_rules.append(rule.rule)
    assert len(id_rules) > 30  # pages and API


@pytest.mark.parametrize("offer_id", OUT_OF_RANGE)
def test_ids_out_of_range_are_404(client: FlaskClient, world: World, offer_id: str) -> None:
    assert client.get(f"/offres/{offer_id}").status_code == 404
    coordinator = sign_in(client, world.coordinator)
    assert coordinator.get(f"/coordination/offres/{offer_id}").status_code == 404
    approve = post(coordinator, f"/coordination/suggestions/{offer_id}/approuver")
    assert approve.status_code == 404
    employer = sign_in(client, world.employer_user)
    assert employer.get(f"/employeur/lieux/{offer_id}").status_code == 404
    assert post(employer, f"/employeur/lieux/{offer_id}").status_code == 404


@pytest.mark.parametrize("offer_id", OUT_OF_RANGE)
def test_api_ids_out_of_range_are_404_with_the_error_body(
    api: Any,  # noqa: F811
    offer_id: str,
) -> None:
    staff: ApiClient = api("coordinator")
    for method, url in (
        ("GET", f"/api/v1/offers/{offer_id}"),
        ("PATCH", f"/api/v1/offers/{offer_id}"),
        ("POST", f"/api/v1/suggestions/{offer_id}/decision"),
    ):
        response = staff.call(method, url, {} if method != "GET" else None)
        assert response.status_code == 404, (method, url)
        assert response.get_json()["code"] == "not_found"


def test_an_id_field_of_4999_digits_is_a_french_field_error(
    client: FlaskClient, session: Session, world: World
) -> None:
    employer = sign_in(client, world.employer_user)
    before = _count(session, Offer)
    form = {"site_id": "9" * 4999, "metier_code": "aide-soignant", "places": "1"}
    response = post(employer, "/employeur/offres/nouvelle", form)
    assert response.status_code == 400 and "Identifiant invalide." in response.text
    assert _count(session, Offer) == before
    coordinator = sign_in(client, world.coordinator)
    manual = post(
        coordinator,
        "/coordination/suggestions/nouvelle",
        {"request_id": "9" * 4999, "offer_id": str(MAX_ID + 1)},
    )
    assert manual.status_code == 400
    assert "Choisissez une demande." in manual.text and "Choisissez une offre." in manual.text


# --- JSON bodies, CSV files, next ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 20_000 + "]" * 20_000, "imbriqué trop profondément"),
        ('{"site_id": 1, "metier_code": "x", "places": ' + "9" * 5000 + "}", "dépasse 30 chiffres"),
        ('{"site_id": 1, "metier_code": "x", "places": 1e' + "9" * 40 + "}", "dépasse 30 chiffres"),
        ('{"a": ' * 65 + "1" + "}" * 65, "imbriqué trop profondément"),
    ],
)
def test_json_bodies_too_deep_or_with_too_long_numbers_are_400(
    api: Any,  # noqa: F811
    raw: str,
    message: str,
) -> None:
    staff: ApiClient = api("coordinator")
    headers = {"Content-Type": "application/json"}
    response = staff.call("POST", "/api/v1/offers", data=raw, headers=headers)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "bad_request" and message in body["message"]
    assert set(body) == {"code", "status", "message", "errors"}


def test_json_at_the_depth_limit_and_malformed_json_are_left_to_the_api(
    api: Any,  # noqa: F811
) -> None:
    staff: ApiClient = api("coordinator")
    headers = {"Content-Type": "application/json"}
    deep = json.dumps({"metier_code": [[[[["x"]]]]], "site_id": 1})
    assert staff.call("POST", "/api/v1/offers", data=deep, headers=headers).status_code == 422
    broken = staff.call("POST", "/api/v1/offers", data='{"a": "\\', headers=headers)
    assert broken.status_code == 400
    assert broken.get_json()["code"] == "bad_request"


@pytest.mark.parametrize("limit", ["default", "raised"])
def test_a_csv_cell_of_200000_characters_is_a_french_error(
    client: FlaskClient, session: Session, world: World, limit: str
) -> None:
    # The csv module's limit is process-wide: a library may raise it (frictionless does on
    # import); the import keeps its own.
    before_limit = csv.field_size_limit(sys.maxsize if limit == "raised" else 131_072)
    employer = sign_in(client, world.employer_user)
    before = _count(session, Offer)
    site = world.offer.site.name
    text = (
        f"lieu;metier;description\n{site};aide-soignant;ok\n{site};aide-soignant;{'x' * 200_000}\n"
    )
    response = post(
        employer,
        "/employeur/offres/import",
        {"file": (io.BytesIO(text.encode()), "offres.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    csv.field_size_limit(before_limit)
    assert "pas pu être lu à la ligne 3 : une cellule dépasse la taille autorisée" in response.text
    assert _count(session, Offer) == before  # nothing half-imported


@pytest.mark.parametrize("nxt", ["/coordination/\r\nSet-Cookie: x=1", "/coordination/\n", "/a\tb"])
def test_a_next_with_a_line_break_signs_in_to_the_home_page(
    client: FlaskClient, session: Session, nxt: str
) -> None:
    user, password, secret = auth.create_staff_user(
        session, email="coord@ain.example", role="coordinator"
    )
    session.commit()
    sign_in(client, None)
    code = auth.totp_code(secret, datetime.now(UTC))
    response = post(
        client,
        "/connexion/equipe",
        {"email": user.email, "password": password, "code": code, "next": nxt},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/coordination/"
    assert client.get("/coordination/").status_code == 200


# --- One-line fields, long text ----------------------------------------------------------------


def test_an_employer_name_with_a_line_break_is_refused(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, None)
    form = {
        "name": "IME Les Saules\r\nBcc: tous@exemple.fr",
        "siret": "732 829 320 00074",
        "kind": "ime",
        "contact_name": "Paul\nMorel",
        "contact_email": "direction@saules.example.org",
        "consent": "1",
    }
    response = post(client, "/inscription/employeur", form)
    assert response.status_code == 400
    assert _text(response).count(ONE_LINE_MESSAGE.replace("'", "&#39;")) >= 2
    assert 'id="name-erreur"' in response.text and 'id="contact_name-erreur"' in response.text
    assert session.scalar(select(Employer).where(Employer.name.like("IME Les Saules%"))) is None


@pytest.mark.parametrize("value", ["Studio\u2028Nord", "Studio\x1bNord", "Studio\x85Nord"])
def test_a_site_name_with_a_control_character_is_refused(
    client: FlaskClient, session: Session, world: World, value: str
) -> None:
    employer = sign_in(client, world.employer_user)
    before = _count(session, Site)
    response = post(employer, "/employeur/lieux/nouveau", {"name": value, "commune_insee": "01053"})
    assert response.status_code == 400 and "Ce champ tient sur une ligne" in response.text
    assert _count(session, Site) == before


def test_api_one_line_fields_refuse_line_breaks_and_texts_keep_them(
    api: Any,  # noqa: F811
    world: World,
) -> None:
    staff: ApiClient = api("coordinator")
    base = {"site_id": world.offer.site_id, "metier_code": "aide-soignant"}
    refused = staff.post("/api/v1/offers", {**base, "tutor_name": "Anne\r\nBcc: x@y.fr"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"tutor_name": [ONE_LINE_MESSAGE]}
    kept = staff.post("/api/v1/offers", {**base, "description": "Ligne 1\r\n\tLigne 2"})
    assert kept.status_code == 201, kept.get_json()
    assert kept.get_json()["description"] == "Ligne 1\r\n\tLigne 2"


def test_long_form_text_is_refused_with_a_message_never_cut(
    client: FlaskClient, session: Session, world: World
) -> None:
    employer = sign_in(client, world.employer_user)
    before = _count(session, Offer)
    form = _offer_form(world, "x" * 5001)
    response = post(employer, "/employeur/offres/nouvelle", form)
    assert response.status_code == 400
    assert "Ce texte ne peut pas dépasser 5000 caractères." in response.text
    assert _count(session, Offer) == before
    form["description"] = "x" * 5000
    assert post(employer, "/employeur/offres/nouvelle", form).status_code == 302
    assert _count(session, Offer) == before + 1


# --- Page fuzzing: every route, every role, the odd values -------------------------------------

ODD_VALUES = ("ab\x00cd", "9" * 4999, str(MAX_ID + 1), "Nom\r\nBcc: x@y.fr\u2028", "é" * 5001)
# Each space is fuzzed as its own role (others are turned away before reading any input).
SPACES = {
    "/employeur": "employer_user",
    "/candidat": "candidate_user",
    "/coordination": "coordinator",
    "/admin": "admin",
}
# Routes that end sessions or disable accounts: fuzzed last, so the others run signed in.
LAST = ("signin.sign_out", "admin.account_action")
QUERY_FIELDS = 12  # the first FUZZ_FIELDS are the ones query strings carry
# Form and query fields the pages read, with odd values in each.
FUZZ_FIELDS = (
    "q",
    "commune",
    "metier",
    "distance",
    "logement",
    "page",
    "statut",
    "territoire",
    "score",
    "next",
    "email",
    "name",
    "first_name",
    "last_name",
    "siret",
    "kind",
    "contact_name",
    "contact_email",
    "contact_phone",
    "commune_insee",
    "address",
    "site_id",
    "metier_code",
    "places",
    "description",
    "tutor_name",
    "request_id",
    "offer_id",
    "note",
    "reason",
    "interested",
    "answer",
    "km",
    "mode",
    "min_score",
    "depuis",
    "back",
    "password",
    "code",
)


def _fill(rule: Any, world: World, odd: str) -> str:
    """Build a URL of ``rule``: ids out of range when ``odd`` is a number, tokens set to it."""
    path = rule.rule
    for name, converter in rule._converters.items():
        if isinstance(converter, IdConverter):
            value = odd if odd.lstrip("-").isdigit() else str(world.offer.id)
        elif isinstance(converter, AnyConverter):
            value = sorted(converter.items)[0]
        else:
            value = quote(odd, safe="")
        path = re.sub(rf"<(?:[^>:]*:)?{name}>", value, path)
    return path


@pytest.mark.parametrize("odd", ODD_VALUES, ids=lambda v: repr(v[:12]))
def test_page_fuzzing_finds_no_server_error(app: Flask, world: World, odd: str) -> None:
    data = {name: odd for name in FUZZ_FIELDS}
    # Beyond the door's bounds a query string is a 414 and an urlencoded body a 413 before any view
    # reads them (tested above). So a long value goes in a query cut to what the door reads, and in
    # a multipart body, which carries it whole without percent-encoding: browsers may send either,
    # and decoding 39 fields of encoded « é » took 13 s of this test for the same views.
    long = len(quote(odd)) * QUERY_FIELDS > MAX_QUERY_BYTES
    query = {
        name: odd[: MAX_QUERY_BYTES // QUERY_FIELDS // 10] if long else odd
        for name in FUZZ_FIELDS[:QUERY_FIELDS]
    }
    form_type = {"content_type": "multipart/form-data"} if long else {}
    failures: list[str] = []
    calls = 0
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.rule))
    for rule in rules:
        if rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue  # the API has its own run (test_api_schema.py)
        path = _fill(rule, world, odd)
        space = next((s for s in SPACES if rule.rule.startswith(s + "/")), None)
        users = [getattr(world, SPACES[space])] if space else [None, world.coordinator]
        for user in users:
            client = sign_in(app.test_client(), user)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = client.get(path, query_string=query)
                else:
                    response = post(client, path, data, **form_type)
                calls += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {path[:80]} as {user and user.role}: 500")
    assert calls > 80
    assert not failures, "\n".join(failures)
