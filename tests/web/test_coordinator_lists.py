"""The coordinators' lists: search, filters, sort, paging, back links and CSV exports."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    AuditEntry,
    ContractKind,
    OfferStatus,
    StructureCheck,
    SuggestionStatus,
    User,
)
from data.operations import audit
from data.queries.lists import LISTS
from tests.data import factories as f
from tests.web.conftest import World

Client = Callable[[User | None], FlaskClient]
TABLE_LISTS = ("offres", "demandes", "employeurs", "candidats", "binomes")


def _ids(html: str) -> list[int]:
    """The numbers of the first column of a list's table rows."""
    return [int(n) for n in re.findall(r"<tr><td>(\d+)</td>", html)]


def _csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_each_list_searches_its_own_words(as_user: Client, world: World, session: Session) -> None:
    other = f.make_candidate(session, first_name="Hugo", last_name="Zimmermann")
    f.make_request(session, other, metiers=["infirmier"])
    session.commit()
    client = as_user(world.coordinator)
    employer = world.employer.name
    hits = {
        "offres": (
            f"/coordination/offres?recherche={world.employer.siret}",
            [world.offer.id, world.draft.id],
        ),
        "demandes": ("/coordination/demandes?recherche=zimmer", [other.request.id]),
        "candidats": (f"/coordination/candidats?recherche={other.email}", [other.id]),
    }
    for url, expected in hits.values():
        assert sorted(_ids(client.get(url).text)) == sorted(expected), url
    oyonnax = client.get("/coordination/offres?recherche=oyonnax").text
    assert _ids(oyonnax) == [world.other_offer.id]
    found = client.get(f"/coordination/employeurs?recherche={world.employer.siret[:9]}").text
    assert employer in found and world.other_offer.site.employer.name not in found
    pairs = client.get(f"/coordination/binomes?recherche={employer}").text
    assert f"suggestions/{world.suggestion.id}?" in pairs
    assert "Aucun binôme." in client.get("/coordination/binomes?recherche=zzzz").text
    queue = client.get(f"/coordination/suggestions?recherche={world.other_offer.site.name}").text
    assert f'id="suggestion-{world.proposed.id}"' in queue
    assert "Aucune suggestion" in client.get("/coordination/suggestions?recherche=zzzz").text
    # A word with SQL wildcards is searched literally.
    assert _ids(client.get("/coordination/offres?recherche=%25").text) == []


def test_lists_filter_by_status_metier_territory_and_housing(
    as_user: Client, world: World, session: Session
) -> None:
    site = f.make_site(session, world.employer)
    nurse = f.make_offer(session, site, metier_code="infirmier")
    beds = f.make_offer(session, world.offer.site, housing_beds=1)
    session.commit()
    client = as_user(world.coordinator)
    drafts = _ids(client.get("/coordination/offres?statut=draft").text)
    assert drafts == [world.draft.id] and world.draft.status == OfferStatus.DRAFT
    priority = _ids(client.get("/coordination/offres?metier=prioritaires").text)
    assert nurse.id not in priority and {world.offer.id, beds.id} <= set(priority)
    assert _ids(client.get("/coordination/offres?metier=infirmier").text) == [nurse.id]
    oyonnax = _ids(client.get("/coordination/offres?territoire=Oyonnax").text)
    assert oyonnax == [world.other_offer.id]
    housed = _ids(client.get("/coordination/offres?logement=oui").text)
    assert housed == [beds.id]
    assert _ids(client.get("/coordination/demandes?logement=non").text) == []
    assert _ids(client.get("/coordination/demandes?territoire=Oyonnax").text) == []
    assert _ids(client.get("/coordination/candidats?statut=active").text) == [
        world.request.candidate_id
    ]
    pairs = client.get("/coordination/binomes?statut=contacted").text
    assert "Aucun binôme." in pairs
    ehpad = client.get("/coordination/employeurs?statut=ehpad").text
    assert world.employer.name in ehpad
    # The territory is the communes within 15 km of the one named, wherever each list places it.
    around = client.get("/coordination/employeurs?territoire=Oyonnax").text
    assert world.other_offer.site.employer.name in around and world.employer.name not in around
    queue = client.get("/coordination/suggestions?territoire=Oyonnax").text
    assert f'id="suggestion-{world.proposed.id}"' in queue
    assert "Aucun binôme." in client.get("/coordination/binomes?territoire=Oyonnax").text
    bourg = client.get("/coordination/binomes?territoire=Bourg-en-Bresse").text
    assert f"suggestions/{world.suggestion.id}?" in bourg
    assert _ids(client.get("/coordination/candidats?territoire=Bourg-en-Bresse").text) == [
        world.request.candidate_id
    ]


def test_employers_are_filtered_and_exported_by_their_check(
    app: Flask, as_user: Client, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting = [
        f.make_employer(session, name=f"Foyer Attente {n}", check_status=StructureCheck.TO_CHECK)
        for n in range(3)
    ]
    stopped = f.make_employer(session, name="IME Suspendu", check_status=StructureCheck.SUSPENDED)
    session.commit()
    client = as_user(world.coordinator)
    page = client.get("/coordination/employeurs?verification=to_check").text
    assert all(e.name in page for e in waiting)
    assert world.employer.name not in page and stopped.name not in page
    assert "3 employeurs" in page and "<td>À vérifier</td>" in page
    assert '<option value="to_check" selected>À vérifier</option>' in page
    suspended = client.get("/coordination/employeurs?verification=suspended").text
    assert stopped.name in suspended and "<td>Suspendue</td>" in suspended
    assert world.employer.name not in suspended
    checked = client.get("/coordination/employeurs?verification=checked").text
    assert world.employer.name in checked and stopped.name not in checked
    refused = client.get("/coordination/employeurs?verification=fantome").text
    assert "Choisissez une valeur de la liste « Vérification »." in refused
    # The filter is kept by the pager and the export links.
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    first = client.get("/coordination/employeurs?verification=to_check").text
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link is not None and "verification=to_check" in next_link.group(1)
    second = client.get(next_link.group(1).replace("&amp;", "&")).text
    assert "Page 2 sur 2" in second and sum(e.name in second for e in waiting) == 1
    assert "export.csv?verification=to_check" in first
    # The exports hold the column, by its French label, and only the filtered rows.
    rows = _csv(client.get("/coordination/employeurs/export.csv?verification=to_check").data)
    assert rows[0] == ["Structure", "Type", "SIRET", "Vérification"]
    assert sorted(r[0] for r in rows[1:]) == sorted(e.name for e in waiting)
    assert {r[3] for r in rows[1:]} == {"À vérifier"}
    every = _csv(client.get("/coordination/employeurs/export.csv?tri=verification").data)
    assert every[-1][0] == stopped.name and every[-1][3] == "Suspendue"
    excel = client.get("/coordination/employeurs/export.xlsx?verification=suspended")
    lines = list(load_workbook(io.BytesIO(excel.data)).active.iter_rows(values_only=True))
    assert lines == [
        ("Structure", "Type", "SIRET", "Vérification"),
        (stopped.name, "EHPAD", stopped.siret, "Suspendue"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/coordination/offres?statut=fantome",
        "/coordination/offres?metier=astronaute",
        "/coordination/demandes?territoire=zzzzzz",
        "/coordination/demandes?logement=peut-etre",
        "/coordination/suggestions?score=200",
        "/coordination/binomes?statut=proposed",
        "/coordination/employeurs?tri=inconnu",
        "/coordination/candidats?tri=-email",
    ],
)
def test_bad_values_are_told_in_french(as_user: Client, world: World, url: str) -> None:
    answer = as_user(world.coordinator).get(url)
    assert answer.status_code == 200
    assert "error-summary" in answer.text
    if "tri=" in url:
        assert "Ce tri n&#39;existe pas pour cette liste." in answer.text
    # The export of a refused query shows the page and its message, not a file.
    name = url.split("/")[2].split("?")[0]
    export = as_user(world.coordinator).get(url.replace(name, f"{name}/export.csv"))
    assert export.status_code == 302 and f"/coordination/{name}" in export.location


def test_every_list_sorts_by_each_allowed_column(as_user: Client, world: World) -> None:
    client = as_user(world.coordinator)
    for name, spec in LISTS.items():
        for key in spec.sorts:
            for wanted, state in ((key, "ascending"), (f"-{key}", "descending")):
                page = client.get(f"/coordination/{name}?tri={wanted}")
                assert page.status_code == 200, (name, wanted)
                if name in TABLE_LISTS:
                    assert f'aria-sort="{state}"' in page.text, (name, wanted)
                    assert page.text.count("aria-sort=") == 1
                export = client.get(f"/coordination/{name}/export.csv?tri={wanted}")
                assert export.status_code == 200, (name, wanted)


def test_sorting_orders_the_rows_with_ties_by_id(
    as_user: Client, world: World, session: Session
) -> None:
    client = as_user(world.coordinator)
    by_commune = _ids(client.get("/coordination/offres?tri=commune").text)
    # Bourg-en-Bresse before Oyonnax; the two offers of Bourg by id.
    assert by_commune == sorted([world.offer.id, world.draft.id]) + [world.other_offer.id]
    reverse = _ids(client.get("/coordination/offres?tri=-commune").text)
    bourg = sorted([world.offer.id, world.draft.id], reverse=True)
    assert reverse == [world.other_offer.id, *bourg]
    page = client.get("/coordination/offres?tri=commune").text
    # The header links flip the order of the sorted column and keep the query.
    assert "tri=-commune" in page and "tri=metier" in page


def test_pages_keep_the_query_and_the_back_link_returns_to_the_page(
    app: Flask, as_user: Client, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        f.make_offer(session, world.offer.site)
    session.commit()
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    client = as_user(world.coordinator)
    query = f"recherche={world.employer.siret}&tri=numero"
    first = client.get(f"/coordination/offres?{query}").text
    assert "Page 1 sur 3" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link is not None
    url = next_link.group(1).replace("&amp;", "&")
    assert "page=2" in url and f"recherche={world.employer.siret}" in url and "tri=numero" in url
    second = client.get(url).text
    assert "Page 2 sur 3" in second and 'aria-sort="ascending"' in second
    detail_link = re.search(r'href="(/coordination/offres/\d+\?retour=[^"]+)"', second)
    assert detail_link is not None
    detail = client.get(detail_link.group(1).replace("&amp;", "&")).text
    back = re.search(r'<a href="([^"]+)">Retour à la liste</a>', detail)
    assert back is not None
    target = back.group(1).replace("&amp;", "&")
    assert target.startswith("/coordination/offres?") and "page=2" in target
    assert "Page 2 sur 3" in client.get(target).text
    # A back link never leaves the coordination space.
    for evil in ("https://evil.example/coordination/", "//evil.example/", "/admin/"):
        page = client.get(f"/coordination/offres/{world.offer.id}", query_string={"retour": evil})
        assert '<a href="/coordination/offres">Retour à la liste</a>' in page.text


def test_the_export_holds_the_rows_of_the_list_as_a_spreadsheet_reads_them(
    as_user: Client, world: World, session: Session
) -> None:
    formula = f.make_employer(session, name='=HYPERLINK("https://evil.example","clic")')
    site = f.make_site(session, formula, name="@SOMME(A1)")
    f.make_offer(session, site, publish=False)
    session.commit()
    client = as_user(world.coordinator)
    query = "tri=-commune"
    page = client.get(f"/coordination/offres?{query}").text
    assert 'href="/coordination/offres/export.csv?tri=-commune"' in page
    assert 'href="/coordination/offres/export.xlsx?tri=-commune"' in page
    assert "Exporter cette liste" in page
    answer = client.get(f"/coordination/offres/export.csv?{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b"\xef\xbb\xbf")
    rows = _csv(answer.data)
    assert rows[0][:4] == ["N°", "Métier", "Employeur", "Site"] and "Statut" in rows[0]
    assert [int(r[0]) for r in rows[1:]] == _ids(page)
    cells = {c for r in rows[1:] for c in r}
    assert '\'=HYPERLINK("https://evil.example","clic")' in cells
    assert "'@SOMME(A1)" in cells
    assert "Brouillon" in cells and "draft" not in cells
    created = rows[1][rows[0].index("Créée le")]
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", created)
    text = answer.data.decode("utf-8")
    assert text.splitlines()[0].count(";") == len(rows[0]) - 1

    # The Excel file holds the same rows, days as days, numbers as numbers, a formula as text.
    excel = client.get(f"/coordination/offres/export.xlsx?{query}")
    assert excel.status_code == 200 and excel.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="passerelle-offres-' in excel.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(excel.data)).active
    assert sheet.title == "Offres" and sheet.freeze_panes == "A2"
    lines = list(sheet.iter_rows())
    assert [c.value for c in lines[0]] == rows[0] and lines[0][0].font.b
    assert [c.value for c in lines[1:] for c in [c[0]]] == [int(r[0]) for r in rows[1:]]
    by_name = {c.value: c for line in lines[1:] for c in line}
    hyperlink = by_name['=HYPERLINK("https://evil.example","clic")']
    assert hyperlink.data_type == "s"
    day = lines[1][rows[0].index("Créée le")]
    assert day.is_date and day.value.strftime("%d/%m/%Y") == created
    assert all(line[rows[0].index("Places")].data_type == "n" for line in lines[1:])


def test_exports_of_candidates_are_audited(as_user: Client, world: World, session: Session) -> None:
    client = as_user(world.coordinator)
    for name in ("candidats", "demandes", "binomes", "suggestions"):
        before = len(audit.entries_for(session, audit.CANDIDATE, world.request.candidate_id))
        answer = client.get(f"/coordination/{name}/export.csv")
        assert answer.status_code == 200
        assert world.request.candidate.first_name in answer.data.decode("utf-8")
        entries = audit.entries_for(session, audit.CANDIDATE, world.request.candidate_id)
        assert len(entries) == before + 1, name
        assert entries[-1].actor_id == world.coordinator.id
        assert entries[-1].details["fields"] == ["first_name"]
    # Employers' lists hold no candidate: nothing logged about candidates.
    count = len(list(session.scalars(select(AuditEntry))))
    assert client.get("/coordination/employeurs/export.csv").status_code == 200
    assert len(list(session.scalars(select(AuditEntry)))) == count


#: The pairs' export: who, where, the stage, then the pair's story.
PAIR_HEADERS = [
    "Candidat",
    "Demande",
    "Métier",
    "Site",
    "Employeur",
    "Étape",
    "Depuis le",
    "Entretien le",
    "Contrat signé le",
    "Début du contrat",
    "Type de contrat",
    "Centre de formation",
    "Rupture le",
]


def broken_pair(session: Session, world: World) -> None:
    """Give World's pair a story up to its rupture (written as the operations would)."""
    pair = world.suggestion
    pair.status = SuggestionStatus.BROKEN
    pair.interview_on = date(2026, 3, 2)
    pair.contract_signed_on = date(2026, 3, 9)
    pair.contract_start_on = date(2026, 4, 1)
    pair.contract_kind = ContractKind.PROFESSIONNALISATION
    pair.training_centre = "IFAS de Bourg"
    pair.broken_on = date(2026, 5, 4)
    pair.broken_reason = "Démission"
    session.commit()


def test_pairs_export_says_the_stage_and_the_story_in_french(
    as_user: Client, world: World, session: Session
) -> None:
    client = as_user(world.coordinator)
    rows = _csv(client.get("/coordination/binomes/export.csv").data)
    assert rows[0] == PAIR_HEADERS
    assert world.suggestion.status == SuggestionStatus.APPROVED
    assert [r[5:] for r in rows[1:]] == [["Mise en relation faite", rows[1][6], *[""] * 6]]
    broken_pair(session, world)
    rows = _csv(client.get("/coordination/binomes/export.csv").data)
    story = ["02/03/2026", "09/03/2026", "01/04/2026", "Contrat de professionnalisation"]
    assert rows[1][5:] == ["Contrat rompu", rows[1][6], *story, "IFAS de Bourg", "04/05/2026"]
    assert "Démission" not in ";".join(rows[1])  # the reason stays on the pair's page
    sheet = load_workbook(io.BytesIO(client.get("/coordination/binomes/export.xlsx").data)).active
    head, line = list(sheet.iter_rows(values_only=True))
    assert list(head) == PAIR_HEADERS
    assert line[7:] == (
        datetime(2026, 3, 2),
        datetime(2026, 3, 9),
        datetime(2026, 4, 1),
        "Contrat de professionnalisation",
        "IFAS de Bourg",
        datetime(2026, 5, 4),
    )


def test_several_suggestions_are_rejected_with_one_reason(
    as_user: Client, world: World, session: Session
) -> None:
    from tests.web.conftest import post

    site = f.make_site(session, world.employer)
    other = f.make_suggestion(session, world.request, f.make_offer(session, site), score=0.7)
    session.commit()
    client = as_user(world.coordinator)
    queue = client.get("/coordination/suggestions").text
    assert 'form="refus-groupe"' in queue and "Refuser les suggestions choisies" in queue
    ids = [world.proposed.id, other.id]
    back = "/coordination/suggestions?tri=-distance"
    # No reason: nothing changes, and the queue says why.
    answer = post(client, "/coordination/suggestions/rejeter", {"ids": ids, "back": back})
    assert answer.status_code == 302 and answer.location.endswith(back)
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.PROPOSED}
    assert "Indiquez le motif du refus." in client.get(back).text
    # One already decided among them: all or none.
    answer = post(
        client,
        "/coordination/suggestions/rejeter",
        {"ids": [*ids, world.suggestion.id], "reason": "Trop loin", "back": back},
    )
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.PROPOSED}
    answer = post(client, "/coordination/suggestions/rejeter", {"ids": ids, "reason": "Trop loin"})
    assert answer.status_code == 302
    session.expire_all()
    for s in (world.proposed, other):
        assert (s.status, s.rejection_reason) == (SuggestionStatus.REJECTED, "Trop loin")
    assert "2 suggestions refusées." in client.get("/coordination/suggestions").text
    nothing = post(client, "/coordination/suggestions/rejeter", {"reason": "Trop loin"})
    assert nothing.status_code == 302
    assert "Choisissez au moins une suggestion." in client.get("/coordination/suggestions").text


def test_several_suggestions_are_approved_after_a_confirmation(
    as_user: Client, world: World, session: Session
) -> None:
    """The queue's « Approuver les suggestions choisies… » first shows the pairs and the mails
    they send, changing nothing; the confirmation approves them all and queues both mails of
    each; one already decided among them: none approved."""
    from data.models.mail import OutboxMessage
    from tests.web.conftest import post

    site = f.make_site(session, world.employer)
    other = f.make_suggestion(session, world.request, f.make_offer(session, site), score=0.7)
    session.commit()
    client = as_user(world.coordinator)
    queue = client.get("/coordination/suggestions").text
    assert "Approuver les suggestions choisies" in queue
    ids = [world.proposed.id, other.id]
    back = "/coordination/suggestions?tri=-distance"
    mails = len(session.scalars(select(OutboxMessage)).all())

    asked = post(client, "/coordination/suggestions/approuver", {"ids": ids, "back": back})
    assert asked.status_code == 200
    page = asked.text
    assert "Confirmer 2 mises en relation" in page and "4 courriels en tout" in page
    assert page.count('name="ids"') == 2 and 'name="confirme" value="1"' in page
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.PROPOSED}

    mixed = {"ids": [*ids, world.suggestion.id], "confirme": "1", "back": back}
    post(client, "/coordination/suggestions/approuver", mixed)
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.PROPOSED}
    assert len(session.scalars(select(OutboxMessage)).all()) == mails

    done = post(
        client, "/coordination/suggestions/approuver", {"ids": ids, "confirme": "1", "back": back}
    )
    assert done.status_code == 302 and done.location.endswith(back)
    session.expire_all()
    assert {world.proposed.status, other.status} == {SuggestionStatus.APPROVED}
    assert len(session.scalars(select(OutboxMessage)).all()) == mails + 4
    assert "2 mises en relation faites : 4 courriels" in client.get(back).text


def test_search_ignores_case_and_accents(as_user: Client, session: Session, world: World) -> None:
    helene = f.make_candidate(session, first_name="Hélène", last_name="Bérard")
    f.make_request(session, helene)
    plain = f.make_candidate(session, first_name="Helene", last_name="Berard")
    f.make_request(session, plain)
    session.commit()
    client = as_user(world.coordinator)
    for typed in ("helene berard", "HÉLÈNE", "Berard", "bérard"):
        found = _ids(client.get(f"/coordination/candidats?recherche={typed}").text)
        assert sorted(found) == sorted([helene.id, plain.id]), typed


def test_a_status_sorts_in_the_order_of_its_life_not_of_its_code(
    as_user: Client, session: Session, world: World
) -> None:
    from data import operations as ops

    closed = f.make_offer(session, world.offer.site)
    ops.close_offer(session, closed)
    session.commit()
    client = as_user(world.coordinator)
    listed = _ids(client.get("/coordination/offres?tri=statut").text)
    # Draft, then published, then closed (by their codes: closed, draft, published).
    assert listed.index(world.draft.id) < listed.index(world.offer.id) < listed.index(closed.id)
    backwards = _ids(client.get("/coordination/offres?tri=-statut").text)
    assert backwards.index(closed.id) < backwards.index(world.offer.id)
