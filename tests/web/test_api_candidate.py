"""A candidate's API token: exactly the candidate's own data, as the candidate pages show it.

The world's candidate has a request paired with the world's offer (approved) and with the other
employer's offer (proposed, unreviewed); the other candidate (``tokens.other_request``) has a
request of their own and no pair. The role x endpoint statuses are in test_api_matrix.py; here is
what the answers hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import schemathesis
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth as data_auth
from data import operations as ops
from data.actor import SYSTEM
from data.models import AuditEntry, Role, SuggestionStatus
from data.models.auth import ApiToken
from data.operations import audit, pair_history
from data.platform_settings import ReviewRule, set_review_rule
from data.privacy import ErasureCause, erase_candidate
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401

W = Any  # tests.web.conftest.World

CANDIDATE_SUGGESTION_KEYS = {
    "id",
    "offer_id",
    "request_id",
    "score",
    "distance_km",
    "criteria",
    "reasons",
    "status",
    "candidate_interest",
    "status_changed_at",
    "offer",
    "employer_contact",
    "interview",
    "proposed_centre",
    "proposed_housing",
}


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _others_secrets(world: W, tokens: Tokens) -> list[str]:  # noqa: F811
    """What a candidate token must never show: other people's names and contact details."""
    other = tokens.other_request.candidate
    tutor = world.offer.tutor_name
    return [other.first_name, other.last_name, other.email, other.phone, tutor]


def _token_id(session: Session, raw: str) -> int:
    return session.scalar(
        select(ApiToken.id).where(ApiToken.token_hash == data_auth.hash_secret(raw))
    )


def _validate(app: Flask, path: str, method: str, response: Any) -> None:
    schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path][method].validate_response(
        response
    )


def test_candidate_reads_its_own_request_and_nobody_else_s(
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
    session: Session,
) -> None:
    me = api("candidate")
    listing = me.get("/api/v1/requests?page_size=100")
    assert listing.status_code == 200
    assert [r["id"] for r in listing.get_json()["items"]] == [world.request.id]
    assert listing.get_json()["pagination"]["total"] == 1
    # Filters cannot widen the list to other requests.
    wide = me.get(f"/api/v1/requests?commune={f.OYONNAX}").get_json()
    assert wide["items"] == [] and wide["pagination"]["total"] == 0

    detail = me.get(f"/api/v1/requests/{world.request.id}")
    assert detail.status_code == 200
    own = world.request.candidate
    assert detail.get_json()["candidate"] == {
        "id": own.id,
        "first_name": own.first_name,
        "last_name": own.last_name,
        "email": own.email,
        "phone": own.phone,
    }
    # One's own data read by oneself is no access to be logged.
    accesses = select(AuditEntry).where(AuditEntry.action == audit.ACCESS_ACTION)
    assert session.scalars(accesses).all() == []

    other_url = f"/api/v1/requests/{tokens.other_request.id}"
    for response in (me.get(other_url), me.get(f"{other_url}/suggestions")):
        assert response.status_code == 404
        assert response.get_json()["code"] == "not_found"
    for response in (listing, detail):
        for secret in _others_secrets(world, tokens):
            assert secret not in _text(response)
    # The other candidate sees their own, and nothing of the world's candidate.
    theirs = api("other_candidate").get("/api/v1/requests").get_json()["items"]
    assert [r["id"] for r in theirs] == [tokens.other_request.id]
    assert own.email not in str(theirs) and own.phone not in str(theirs)


def test_candidate_sees_its_pairs_as_its_page_does(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
) -> None:
    me = api("candidate")
    everything = me.get("/api/v1/suggestions")
    of_request = me.get(f"/api/v1/requests/{world.request.id}/suggestions")
    detail = me.get(f"/api/v1/suggestions/{world.suggestion.id}")
    for response, path in (
        (everything, "/api/v1/suggestions"),
        (of_request, "/api/v1/requests/{request_id}/suggestions"),
        (detail, "/api/v1/suggestions/{suggestion_id}"),
    ):
        assert response.status_code == 200
        _validate(app, path, "GET", response)
        for secret in _others_secrets(world, tokens):
            assert secret not in _text(response)
    # Under the default rule the unreviewed pair is hidden, as on the candidate's page.
    [item] = everything.get_json()["items"]
    assert of_request.get_json()["items"] == [item] and detail.get_json() == item
    assert item["id"] == world.suggestion.id and set(item) == CANDIDATE_SUGGESTION_KEYS
    assert item["request_id"] == world.request.id
    assert item["offer"]["employer"]["name"] == world.employer.name
    # Approved: the employer's contact, as the page shows it.
    employer = world.employer
    assert item["employer_contact"] == {
        "contact_name": employer.contact_name,
        "email": employer.contact_email,
        "phone": employer.contact_phone,
        "address": world.offer.site.address,
    }
    # The other candidate sees none of these pairs.
    other = api("other_candidate")
    assert other.get("/api/v1/suggestions").get_json()["items"] == []
    assert other.get(f"/api/v1/suggestions/{world.suggestion.id}").status_code == 404


def test_employer_contact_only_once_approved(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    me = api("candidate")
    url = f"/api/v1/suggestions/{world.proposed.id}"
    assert me.get(url).status_code == 404
    # The "auto" rule shows good unreviewed pairs to both sides, without contact details.
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.85))
    session.commit()
    shown = me.get(url)
    assert shown.status_code == 200
    assert shown.get_json()["status"] == "proposed" and shown.get_json()["employer_contact"] is None
    other_employer = world.other_offer.site.employer
    assert other_employer.contact_email not in _text(shown)
    listed = me.get("/api/v1/suggestions").get_json()["items"]
    assert {s["id"] for s in listed} == {world.suggestion.id, world.proposed.id}
    # A coordinator approves: the contact appears.
    decided = api("coordinator").post(f"{url}/decision", {"decision": "approve"})
    assert decided.status_code == 200
    contact = me.get(url).get_json()["employer_contact"]
    assert contact["email"] == other_employer.contact_email
    # An abandoned pair leaves both sides' view.
    session.expire_all()
    ops.change_suggestion_status(
        session, world.proposed.id, SuggestionStatus.ABANDONED, SYSTEM, reason="Plus disponible."
    )
    session.commit()
    assert me.get(url).status_code == 404


def test_candidate_answers_for_itself_and_the_line_names_its_token(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
    tokens: Tokens,  # noqa: F811
) -> None:
    me = api("candidate")
    url = f"/api/v1/suggestions/{world.suggestion.id}/interest"
    refused = me.post(url, {"interested": True, "side": "employer"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    with_reason = me.post(url, {"interested": False, "reason": "Trop loin."})
    assert with_reason.status_code == 422 and "reason" in with_reason.get_json()["errors"]
    said = me.post(url, {"interested": True, "side": "candidate"})
    assert said.status_code == 200
    assert said.get_json()["candidate_interest"] == "interested"
    declined = me.post(url, {"interested": False})
    assert declined.status_code == 200
    assert declined.get_json()["candidate_interest"] == "declined"
    session.expire_all()
    assert world.suggestion.employer_interest is None
    lines = [e for e in pair_history(session, world.suggestion.id) if e.action != "created"]
    assert [e.action for e in lines][-2:] == ["candidate_interest", "candidate_interest"]
    for entry in lines[-2:]:
        assert entry.details["via"] == "api"
        assert entry.details["api_token_id"] == _token_id(session, tokens.candidate)
    # Another candidate cannot answer this pair: it is out of their reach.
    assert api("other_candidate").post(url, {"interested": True}).status_code == 404


def test_candidate_reads_published_offers_without_the_tutor(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
) -> None:
    me = api("candidate")
    listing = me.get("/api/v1/offers?page_size=100")
    assert listing.status_code == 200
    _validate(app, "/api/v1/offers", "GET", listing)
    ids = {o["id"] for o in listing.get_json()["items"]}
    assert {world.offer.id, world.other_offer.id} <= ids and world.draft.id not in ids
    assert all(o["status"] == "published" for o in listing.get_json()["items"])
    near = me.get(f"/api/v1/offers?commune={f.OYONNAX}&distance_km=5").get_json()["items"]
    assert [o["id"] for o in near] == [world.other_offer.id]
    detail = me.get(f"/api/v1/offers/{world.offer.id}")
    assert detail.status_code == 200
    _validate(app, "/api/v1/offers/{offer_id}", "GET", detail)
    for response in (listing, detail):
        assert "tutor_name" not in _text(response) and "tutor_role" not in _text(response)
        for secret in _others_secrets(world, tokens):
            assert secret not in _text(response)
    # The employer's own token still reads the tutor.
    assert api("employer").get(f"/api/v1/offers/{world.offer.id}").get_json()["tutor_name"]
    assert me.get(f"/api/v1/offers/{world.draft.id}").status_code == 404
    denied = me.get(f"/api/v1/offers/{world.offer.id}/suggestions")
    assert denied.status_code == 403 and denied.get_json()["code"] == "forbidden"


def test_candidate_changes_its_own_request_only(
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
    session: Session,
) -> None:
    me = api("candidate")
    changed = me.patch(
        f"/api/v1/requests/{world.request.id}",
        {"max_distance_km": 45, "metiers": ["AES", "astronaute"], "has_car": True},
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["max_distance_km"] == 45 and body["has_car"] is True
    assert body["unresolved"] == ["astronaute"]
    bad = me.patch(f"/api/v1/requests/{world.request.id}", {"max_distance_km": "loin"})
    assert bad.status_code == 422 and "max_distance_km" in bad.get_json()["errors"]
    other_url = f"/api/v1/requests/{tokens.other_request.id}"
    assert me.patch(other_url, {"max_distance_km": 99}).status_code == 404
    session.expire_all()
    assert world.request.max_distance_km == 45
    assert tokens.other_request.max_distance_km == 30


def test_candidate_creates_its_own_request(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    newcomer = f.make_candidate(session, first_name="Inès")
    _, raw = data_auth.create_api_token(session, role=Role.CANDIDATE, candidate_id=newcomer.id)
    session.commit()
    me = ApiClient(app.test_client(), raw)
    assert me.get("/api/v1/requests").get_json()["items"] == []
    body = {"metiers": ["aide soignante"], "commune_insee": f.BOURG}
    for_someone_else = me.post(
        "/api/v1/requests", {**body, "candidate_id": world.request.candidate_id}
    )
    assert for_someone_else.status_code == 403
    created = me.post("/api/v1/requests", body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["candidate_id"] == newcomer.id
    assert created.get_json()["first_name"] == "Inès"
    assert me.post("/api/v1/requests", {**body, "candidate_id": newcomer.id}).status_code == 409
    assert [r["id"] for r in me.get("/api/v1/requests").get_json()["items"]] == [
        created.get_json()["id"]
    ]
    # Staff still name the candidate.
    missing = api("coordinator").post("/api/v1/requests", body)
    assert missing.status_code == 422 and "candidate_id" in missing.get_json()["errors"]


def test_token_of_an_anonymised_or_deleted_candidate_is_refused(
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
    session: Session,
) -> None:
    me, other = api("candidate"), api("other_candidate")
    assert me.get("/api/v1/suggestions").status_code == 200
    assert other.get("/api/v1/suggestions").status_code == 200
    erase_candidate(
        session, world.request.candidate_id, cause=ErasureCause.RETENTION, now=datetime.now(UTC)
    )
    erase_candidate(session, tokens.other_request.candidate_id, cause=ErasureCause.PERSON)
    session.commit()
    for client in (me, other):
        response = client.get(f"/api/v1/requests/{world.request.id}")
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    # Both erasures are the same: the token rows stay (listed), revoked.
    roles = session.scalars(
        select(ApiToken.candidate_id)
        .where(ApiToken.role == Role.CANDIDATE, ApiToken.revoked_at.is_not(None))
        .order_by(ApiToken.id)
    )
    assert sorted(roles) == sorted([world.request.candidate_id, tokens.other_request.candidate_id])


def test_candidate_token_from_the_cli(app: Flask, world: W) -> None:
    candidate_id = world.request.candidate_id
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "candidate", "--candidate", str(candidate_id)]
    )
    assert result.exit_code == 0, result.output
    client = ApiClient(app.test_client(), result.output.strip().splitlines()[-1])
    listing = client.get("/api/v1/requests")
    assert [r["id"] for r in listing.get_json()["items"]] == [world.request.id]
    assert client.get(f"/api/v1/suggestions/{world.suggestion.id}").status_code == 200
    assert client.post(f"/api/v1/suggestions/{world.proposed.id}/decision", {}).status_code == 403
    missing = app.test_cli_runner().invoke(args=["tokens", "create", "--role", "candidate"])
    assert missing.exit_code != 0 and "--candidate" in missing.output


def test_admin_lists_and_revokes_a_candidate_token(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
    session: Session,
) -> None:
    from tests.web.conftest import post, sign_in

    token_id = _token_id(session, tokens.candidate)
    admin = sign_in(app.test_client(), world.admin)
    page = admin.get("/admin/comptes")
    assert page.status_code == 200
    assert f"(candidat n° {world.request.candidate_id})" in _text(page)
    assert "--candidate ID" in _text(page)
    assert post(admin, f"/admin/jetons/{token_id}/revoquer").status_code == 302
    assert api("candidate").get("/api/v1/suggestions").status_code == 401
    assert api("other_candidate").get("/api/v1/suggestions").status_code == 200
