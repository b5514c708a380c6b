"""The review queue groups near-identical rows and offers a keyboard path (without needing it).

One candidate proposed for two offers of the same site is one group (the candidate once, each
offer told apart by its title and start date); one offer proposed to two candidates is another;
a row alone stays a row. Bulk selection still works per row, and for a group through its box.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from flask import Flask
from sqlalchemy.orm import Session

from data.models import Suggestion, SuggestionStatus
from data.queries import queue_groups
from tests.data import factories as f
from tests.web.conftest import World, post, sign_in


def _queue_world(session: Session, world: World) -> dict[str, Suggestion]:
    site = f.make_site(session, world.employer, name="Résidence Les Cèdres")
    morning = f.make_offer(session, site, start_date=date(2027, 3, 1))
    evening = f.make_offer(
        session, site, metier_code="accompagnant-educatif-social", start_date=date(2027, 9, 1)
    )
    alone = f.make_offer(session, f.make_site(session, world.employer))
    nadia = f.make_request(session, f.make_candidate(session, first_name="Nadia"))
    yanis = f.make_request(session, f.make_candidate(session, first_name="Yanis"))
    made = {
        "nadia_morning": f.make_suggestion(session, nadia, morning, score=0.95),
        "yanis_alone": f.make_suggestion(session, yanis, alone, score=0.93),
        "nadia_evening": f.make_suggestion(session, nadia, evening, score=0.91),
        "other_alone": f.make_suggestion(
            session, f.make_request(session, f.make_candidate(session)), alone, score=0.5
        ),
    }
    session.commit()
    return made


def test_groups_keep_the_page_and_its_order(session: Session, world: World) -> None:
    made = _queue_world(session, world)
    rows = [
        made["nadia_morning"],
        made["yanis_alone"],
        world.proposed,
        made["nadia_evening"],
        made["other_alone"],
    ]
    groups = queue_groups(rows)
    assert [(g.kind, [s.id for s in g.rows]) for g in groups] == [
        ("candidate", [made["nadia_morning"].id, made["nadia_evening"].id]),
        ("offer", [made["yanis_alone"].id, made["other_alone"].id]),
        ("single", [world.proposed.id]),
    ]
    assert sorted(s.id for g in groups for s in g.rows) == sorted(s.id for s in rows)
    assert queue_groups([]) == []


def test_the_queue_page_shows_groups_rows_and_the_keyboard_hint(
    app: Flask, world: World, session: Session
) -> None:
    made = _queue_world(session, world)
    staff = sign_in(app.test_client(), world.coordinator)
    page = unescape(staff.get("/coordination/suggestions").text)

    group = page[page.index(f'id="groupe-{made["nadia_morning"].id}"') :]
    group = group[: group.index("</section>")]
    assert "Nadia (" in group and "2 offres de Résidence Les Cèdres" in group
    assert group.count("Nadia") == 1  # the candidate once
    # Each offer told apart by its title and start date.
    assert "Aide-soignant" in group and "début le 1er mars 2027" in group
    assert "Accompagnant" in group and "début le 1er septembre 2027" in group
    for s in (made["nadia_morning"], made["nadia_evening"]):
        assert f'id="suggestion-{s.id}"' in group and f'id="choisir-{s.id}"' in group
    assert f'data-select-group="groupe-{made["nadia_morning"].id}"' in group
    assert "2 candidats" in page
    assert f'id="suggestion-{world.proposed.id}"' in page

    # The keyboard path: a local script, a hint saying the keys (shown by the script).
    assert re.search(r'<script src="/static/js/queue\.js[^"]*" defer>', page)
    assert "j ou flèche bas" in page and "a pour approuver" in page
    script = staff.get("/static/js/queue.js")
    assert script.status_code == 200 and "data-queue-row" in script.text
    assert "http" not in script.text  # nothing fetched from elsewhere

    # Without the script, ticking the group's rows and confirming approves them both.
    ids = [made["nadia_morning"].id, made["nadia_evening"].id]
    confirm = post(staff, "/coordination/suggestions/approuver", {"ids": ids})
    assert confirm.status_code == 200 and "Nadia" in confirm.text
    done = post(staff, "/coordination/suggestions/approuver", {"ids": ids, "confirme": "1"})
    assert done.status_code == 302
    for s in (made["nadia_morning"], made["nadia_evening"]):
        session.refresh(s)
        assert s.status == SuggestionStatus.APPROVED
