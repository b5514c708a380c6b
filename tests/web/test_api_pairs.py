"""``/api/v1/pairs``: coordinators follow pairs through the API as they do on the pages.

Access by role is in tests/web/test_api_matrix.py; here, what the operations do: the stages in
order, the history with who acted, the guard against a pair moved twice, abandoning with a
reason, the filters, and that a page and the API write the same history.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from data.models import OfferStatus, RequestStatus, SuggestionStatus
from tests.data import factories as f
from tests.web.api_fixtures import Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

W = World


def test_a_suggestion_approved_then_moved_to_a_contract(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    staff = api("coordinator")
    pair_id = world.proposed.id
    assert staff.get(f"/api/v1/pairs/{pair_id}").status_code == 404  # under review: no pair yet
    approved = staff.post(f"/api/v1/suggestions/{pair_id}/decision", {"decision": "approve"})
    assert approved.status_code == 200

    listed = staff.get("/api/v1/pairs?status=approved").get_json()["items"]
    assert {p["id"] for p in listed} == {pair_id, world.suggestion.id}
    pair = staff.get(f"/api/v1/pairs/{pair_id}").get_json()
    assert (pair["status"], pair["next_stage"]) == ("approved", "contacted")
    assert pair["candidate"]["first_name"] == world.request.candidate.first_name
    assert pair["offer"]["id"] == world.other_offer.id

    for seen, then in (
        ("approved", "contacted"),
        ("contacted", "interview"),
        ("interview", "contract_signed"),
    ):
        moved = staff.post(f"/api/v1/pairs/{pair_id}/next", {"from": seen})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["status"] == then

    pair = staff.get(f"/api/v1/pairs/{pair_id}").get_json()
    assert pair["next_stage"] is None
    steps = [(e["action"], e["from"], e["to"]) for e in pair["history"]]
    assert steps == [
        ("status_change", "proposed", "approved"),
        ("status_change", "approved", "contacted"),
        ("status_change", "contacted", "interview"),
        ("status_change", "interview", "contract_signed"),
    ]
    # Each line also reads in French, as on the pair's page: the codes are for programs.
    assert pair["history"][0]["text"] == "Changement d'étape : À examiner → Mise en relation faite"
    assert all("_" not in e["text"] for e in pair["history"])
    # Every line names the token that acted, none a user (a token is no user).
    assert {e["actor_id"] for e in pair["history"]} == {None}
    assert len({e["api_token_id"] for e in pair["history"]}) == 1
    assert pair["history"][0]["api_token_id"] is not None

    # The end is final, in French.
    ended = staff.post(f"/api/v1/pairs/{pair_id}/next", {"from": "contract_signed"})
    assert ended.status_code == 409
    assert "n'a pas d'étape suivante" in ended.get_json()["message"]
    # The contract did what a signed contract does: a place filled, the request matched.
    session.expire_all()
    assert world.other_offer.places_filled == 1
    assert world.other_offer.status == OfferStatus.FILLED
    assert world.request.status == RequestStatus.MATCHED
    signed = staff.get("/api/v1/pairs?status=contract_signed").get_json()
    assert [p["id"] for p in signed["items"]] == [pair_id]


def test_next_sent_twice_moves_the_pair_once(api: Any, world: W, session: Session) -> None:  # noqa: F811
    staff = api("coordinator")
    url = f"/api/v1/pairs/{world.suggestion.id}/next"
    first = staff.post(url, {"from": "approved"})
    again = staff.post(url, {"from": "approved"})
    assert first.status_code == 200 and again.status_code == 409
    body = again.get_json()
    assert body["code"] == "conflict"
    assert "« Contact pris »" in body["message"] and "approved" not in body["message"]
    session.expire_all()
    assert world.suggestion.status == SuggestionStatus.CONTACTED
    moves = [e for e in staff.get(url[: -len("/next")]).get_json()["history"]]
    assert [e["to"] for e in moves] == ["contacted"]


def test_abandon_needs_a_reason_and_ends_the_pair(api: Any, world: W, session: Session) -> None:  # noqa: F811
    staff = api("coordinator")
    url = f"/api/v1/pairs/{world.suggestion.id}"
    missing = staff.post(f"{url}/abandon", {})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    blank = staff.post(f"{url}/abandon", {"reason": "   "})
    assert blank.status_code == 422 and "reason" in blank.get_json()["errors"]
    session.expire_all()
    assert world.suggestion.status == SuggestionStatus.APPROVED  # nothing half-written

    ended = staff.post(f"{url}/abandon", {"reason": "Le candidat a trouvé ailleurs."})
    assert ended.status_code == 200
    body = ended.get_json()
    assert (body["status"], body["next_stage"]) == ("abandoned", None)
    assert body["history"][-1]["reason"] == "Le candidat a trouvé ailleurs."
    assert staff.post(f"{url}/abandon", {"reason": "Encore."}).status_code == 409
    assert staff.post(f"{url}/next", {"from": "abandoned"}).status_code == 409
    listed = staff.get("/api/v1/pairs?status=abandoned").get_json()["items"]
    assert [p["id"] for p in listed] == [world.suggestion.id]
    assert staff.get("/api/v1/pairs?status=approved").get_json()["items"] == []


def test_pairs_list_only_pairs_newest_change_first(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    staff = api("coordinator")
    rejected = f.make_suggestion(session, f.make_request(session), world.offer)
    session.commit()
    refused = staff.post(
        f"/api/v1/suggestions/{rejected.id}/decision",
        {"decision": "reject", "reason": "Trop loin."},
    )
    assert refused.status_code == 200
    manual = staff.post(
        "/api/v1/suggestions",
        {"request_id": f.make_request(session).id, "offer_id": world.offer.id, "note": "Vu"},
    )
    assert manual.status_code == 201, manual.get_json()
    manual_id = manual.get_json()["id"]
    page = staff.get("/api/v1/pairs?page_size=1").get_json()
    assert page["pagination"]["total"] == 2  # the approved ones; not proposed, not rejected
    assert [p["id"] for p in page["items"]] == [manual_id]
    [created] = page["items"][0]["history"]
    assert (created["action"], created["to"], created["reason"]) == ("created", "approved", "Vu")
    assert staff.get(f"/api/v1/pairs/{rejected.id}").status_code == 404
    wrong = staff.get("/api/v1/pairs?status=proposed")
    assert wrong.status_code == 422 and "status" in wrong.get_json()["errors"]


def test_a_page_and_the_api_write_the_same_history(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
) -> None:
    page = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/suggestions/{world.suggestion.id}/etape/contacte"
    assert post(page, url).status_code == 302
    staff = api("coordinator")
    moved = staff.post(f"/api/v1/pairs/{world.suggestion.id}/next", {"from": "contacted"})
    assert moved.status_code == 200
    history = moved.get_json()["history"]
    assert [(e["from"], e["to"]) for e in history] == [
        ("approved", "contacted"),
        ("contacted", "interview"),
    ]
    assert (history[0]["actor_id"], history[0]["api_token_id"]) == (world.coordinator.id, None)
    assert history[1]["actor_id"] is None and history[1]["api_token_id"] is not None


def test_every_next_stage_has_its_operation() -> None:
    from data.standing import PAIR_STAGES, next_stage
    from web.api.pairs import MOVES

    assert {next_stage(s) for s in PAIR_STAGES} - {None} == set(MOVES)
