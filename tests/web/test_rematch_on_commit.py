"""The pages re-match the offers and requests they change as they commit: an employer who
publishes an offer finds its suggestions at once, the same as a full recomputation makes; if
the re-matching fails, the change is kept and left to the re-matching job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

import data.incremental
from data.models import Offer, OfferStatus, Suggestion
from data.recompute import recompute_suggestions
from jobs.rematch import TOP_K
from tests.web.conftest import World, make_app, post, sign_in


@pytest.fixture
def app(connection: Connection, engine: Engine, tmp_path: Path) -> Flask:
    return make_app(connection, engine, tmp_path, REMATCH_ON_COMMIT=True)


def state(session: Session) -> dict[tuple[int, int], tuple[Any, ...]]:
    session.expire_all()
    return {
        (x.request_id, x.offer_id): (x.status, x.stale, x.in_request_list, x.in_offer_list, x.score)
        for x in session.scalars(select(Suggestion))
    }


def test_an_offer_published_has_its_suggestions_at_once(
    app: Flask, session: Session, world: World
) -> None:
    recompute_suggestions(session, top_k=TOP_K)
    session.commit()
    employer = sign_in(app.test_client(), world.employer_user)
    draft = world.draft
    assert not session.scalars(select(Suggestion).where(Suggestion.offer_id == draft.id)).all()

    assert post(employer, f"/employeur/offres/{draft.id}/publier").status_code == 302
    page = employer.get(f"/employeur/offres/{draft.id}").text
    assert "seront calculées" not in page  # matched already: nothing to wait for
    session.expire_all()
    pairs = session.scalars(select(Suggestion).where(Suggestion.offer_id == draft.id)).all()
    assert [(p.request_id, p.in_offer_list, p.stale) for p in pairs] == [
        (world.request.id, True, False)
    ]
    published = state(session)
    recompute_suggestions(session, top_k=TOP_K)
    assert published == state(session)  # what a full recomputation makes
    session.commit()

    assert post(employer, f"/employeur/offres/{draft.id}/fermer").status_code == 302
    session.expire_all()
    pair = session.scalars(select(Suggestion).where(Suggestion.offer_id == draft.id)).one()
    assert (pair.stale, pair.in_request_list, pair.in_offer_list) == (True, False, False)


def test_a_failed_re_matching_keeps_the_change_for_the_job(
    app: Flask, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(data.incremental, "rematch_changed", broken)
    employer = sign_in(app.test_client(), world.employer_user)
    assert post(employer, f"/employeur/offres/{world.draft.id}/publier").status_code == 302
    session.expire_all()
    assert session.get_one(Offer, world.draft.id).status == OfferStatus.PUBLISHED
    page = employer.get(f"/employeur/offres/{world.draft.id}").text
    assert "Les candidatures à vous proposer pour cette offre seront calculées" in page
    assert not session.scalars(
        select(Suggestion).where(Suggestion.offer_id == world.draft.id)
    ).all()
