"""The coordinators' lists in the API (a page as a table, the CSV export) and group decisions."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditEntry, StructureCheck, SuggestionStatus
from data.models.mail import OutboxMessage
from data.operations import audit
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, sign_in
from tests.web.test_coordinator_lists import PAIR_HEADERS, broken_pair

Api = Callable[[str], ApiClient]


def _csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_a_list_page_is_the_table_its_page_shows(
    api: Api,  # noqa: F811
    app: Flask,
    world: World,
    session: Session,
) -> None:
    site = f.make_site(session, world.employer)
    big = f.make_offer(session, site, places=3)
    session.commit()
    coordinator = api("coordinator")
    answer = coordinator.get("/api/v1/lists/offers?sort=-places&page_size=2")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["columns"][:2] == ["N°", "Métier"]
    assert body["items"][0][0] == big.id and len(body["items"]) == 2
    assert body["pagination"]["total"] == 4 and body["pagination"]["pages"] == 2
    # The same search as the page: the employer's SIRET finds its two offers and its draft.
    found = coordinator.get(f"/api/v1/lists/offers?q={world.employer.siret}").json
    assert sorted(row[0] for row in found["items"]) == sorted(
        [world.offer.id, world.draft.id, big.id]
    )
    # Filters as on the page: status by its code, the priority métiers, a commune as typed.
    drafts = coordinator.get("/api/v1/lists/offers?status=draft").json["items"]
    assert [row[0] for row in drafts] == [world.draft.id]
    near = coordinator.get("/api/v1/lists/offers?territory=Oyonnax").json["items"]
    assert [row[0] for row in near] == [world.other_offer.id]
    # The CSV export holds every row of the same query, the page's export byte for byte.
    exported = coordinator.get("/api/v1/lists/offers/export.csv?sort=-places")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    client = app.test_client()
    sign_in(client, world.coordinator)
    page_export = client.get("/coordination/offres/export.csv?tri=-places")
    assert exported.data == page_export.data
    rows = _csv(exported.data)
    assert rows[0] == body["columns"] and int(rows[1][0]) == big.id and len(rows) == 1 + 4


def test_the_employers_table_holds_and_filters_the_structures_check(
    api: Api,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    waiting = f.make_employer(session, check_status=StructureCheck.TO_CHECK)
    session.commit()
    coordinator = api("coordinator")
    body = coordinator.get("/api/v1/lists/employers?check=to_check").json
    assert body["columns"] == ["Structure", "Type", "SIRET", "Vérification"]
    assert body["items"] == [[waiting.name, "EHPAD", waiting.siret, "À vérifier"]]
    checked = coordinator.get("/api/v1/lists/employers?check=checked").json["items"]
    assert world.employer.name in {row[0] for row in checked}
    assert waiting.name not in {row[0] for row in checked}
    refused = coordinator.get("/api/v1/lists/employers?check=fantome")
    assert refused.status_code == 422
    assert refused.json["errors"]["check"] == [
        "Choisissez une valeur de la liste « Vérification »."
    ]
    exported = _csv(coordinator.get("/api/v1/lists/employers/export.csv?check=to_check").data)
    assert exported[1] == [waiting.name, "EHPAD", waiting.siret, "À vérifier"]


def test_bad_list_queries_are_refused_in_french(
    api: Api,  # noqa: F811
    world: World,
) -> None:
    coordinator = api("coordinator")
    bad_sort = coordinator.get("/api/v1/lists/offers?sort=salaire")
    assert bad_sort.status_code == 422
    assert bad_sort.json["errors"] == {"sort": ["Ce tri n'existe pas pour cette liste."]}
    bad_status = coordinator.get("/api/v1/lists/pairs?status=perdu")
    assert bad_status.status_code == 422 and "status" in bad_status.json["errors"]
    nowhere = coordinator.get("/api/v1/lists/requests/export.csv?territory=Zzzzzz")
    assert nowhere.status_code == 422 and list(nowhere.json["errors"]) == ["territory"]
    unknown = coordinator.get("/api/v1/lists/offers?salaire=3")
    assert unknown.status_code == 422 and "salaire" in unknown.json["errors"]
    assert coordinator.get("/api/v1/lists/contrats").status_code == 404
    assert api("employer").get("/api/v1/lists/offers").status_code == 403


def test_candidates_shown_in_a_table_are_audited(
    api: Api,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    def seen() -> int:
        return len(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == audit.CANDIDATE,
                    AuditEntry.object_id == world.request.candidate_id,
                )
            ).all()
        )

    before = seen()
    table = api("coordinator").get("/api/v1/lists/candidates").json
    assert world.candidate_user.candidate.first_name in {row[1] for row in table["items"]}
    assert seen() == before + 1


def test_several_suggestions_are_decided_at_once_all_or_none(
    api: Api,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    site = f.make_site(session, world.employer)
    other = f.make_suggestion(session, world.request, f.make_offer(session, site), score=0.7)
    session.commit()
    coordinator = api("coordinator")
    mails = len(session.scalars(select(OutboxMessage)).all())
    ids = [world.proposed.id, other.id]
    # One already decided among them: 409 and none decided.
    mixed = coordinator.post(
        "/api/v1/suggestions/decisions", {"ids": [*ids, world.suggestion.id], "decision": "approve"}
    )
    assert mixed.status_code == 409, mixed.json
    gone = coordinator.post(
        "/api/v1/suggestions/decisions", {"ids": [*ids, 99999], "decision": "approve"}
    )
    assert gone.status_code == 404
    no_reason = coordinator.post(
        "/api/v1/suggestions/decisions", {"ids": ids, "decision": "reject"}
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    none = coordinator.post("/api/v1/suggestions/decisions", {"ids": [], "decision": "reject"})
    assert none.status_code == 422 and "ids" in none.json["errors"]
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.PROPOSED}
    assert len(session.scalars(select(OutboxMessage)).all()) == mails
    done = coordinator.post("/api/v1/suggestions/decisions", {"ids": ids, "decision": "approve"})
    assert done.status_code == 200, done.json
    assert done.json["decided"] == 2
    assert [s["status"] for s in done.json["items"]] == ["approved", "approved"]
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.APPROVED}
    assert len(session.scalars(select(OutboxMessage)).all()) == mails + 4


def test_the_pairs_list_holds_their_story(
    api: Api,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    broken_pair(session, world)
    body = api("coordinator").get("/api/v1/lists/pairs").json
    assert body["columns"] == PAIR_HEADERS
    [row] = body["items"]
    assert dict(zip(body["columns"][5:], row[5:], strict=True)) | {"Depuis le": None} == {
        "Étape": "Contrat rompu",
        "Depuis le": None,
        "Entretien le": "2026-03-02",
        "Contrat signé le": "2026-03-09",
        "Début du contrat": "2026-04-01",
        "Type de contrat": "Contrat de professionnalisation",
        "Centre de formation": "IFAS de Bourg",
        "Rupture le": "2026-05-04",
    }
    assert "Démission" not in row
