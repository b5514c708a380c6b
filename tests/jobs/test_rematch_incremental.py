"""The re-matching job: the offers and requests changed since its last run re-matched one by one
when only they changed, a full recomputation otherwise; either way, what a full one makes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data import operations as ops
from data.mail import make_mailer
from data.models import Offer, Suggestion
from data.recompute import recompute_suggestions
from jobs import rematch as rematch_module
from jobs.rematch import TOP_K, rematch
from tests.data.factories import make_candidate, make_centre, make_offer, make_request, make_site

AMBERIEU, OYONNAX = "01004", "01283"


def suggestions(factory: sessionmaker[Session]) -> dict[tuple[int, int], tuple[Any, ...]]:
    with factory() as s:
        return {
            (x.request_id, x.offer_id): (
                x.status,
                x.stale,
                x.in_request_list,
                x.in_offer_list,
                x.score,
                x.reasons,
            )
            for x in s.scalars(select(Suggestion))
        }


def world(factory: sessionmaker[Session], now: datetime) -> tuple[list[int], list[int]]:
    with factory.begin() as s:
        offers = [
            make_offer(s, make_site(s, commune_insee=commune), now=now).id
            for commune in ("01053", AMBERIEU, OYONNAX, "01053")
        ]
        requests = [
            make_request(s, make_candidate(s, now=now), commune_insee=commune, now=now).id
            for commune in ("01053", AMBERIEU, OYONNAX, AMBERIEU, "01053")
        ]
    return offers, requests


def test_changed_offers_and_requests_are_re_matched_one_by_one(
    committed_factory: sessionmaker[Session], tmp_path
) -> None:
    # Real time: ORM ``onupdate`` stamps use the clock, and the watermark compares them.
    t0 = datetime.now(UTC)
    offers, requests = world(committed_factory, t0)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path)})
    first = rematch(committed_factory, mailer, t0)
    assert first["offers"] == 4 and "offers_changed" not in first  # no watermark yet: in full

    with committed_factory.begin() as s:
        ops.update_request(s, requests[1], max_distance_km=80, now=t0 + timedelta(minutes=1))
        site_id = s.get_one(Offer, offers[0]).site_id
        ops.update_site(s, site_id, commune_insee=OYONNAX)  # the offer moves with its site
    again = rematch(committed_factory, mailer, t0 + timedelta(minutes=5))
    assert again["requests_changed"] == 1 and again["offers_changed"] == 1
    assert again["created"] > 0  # the wider search reaches Oyonnax and Bourg
    one_by_one = suggestions(committed_factory)
    with committed_factory.begin() as s:
        recompute_suggestions(s, top_k=TOP_K)
    assert one_by_one == suggestions(committed_factory)
    assert rematch(committed_factory, mailer, t0 + timedelta(minutes=10)) == {"skipped": 1}


def test_many_changes_or_a_change_beyond_offers_and_requests_recompute_everything(
    committed_factory: sessionmaker[Session], tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = datetime.now(UTC)
    offers, requests = world(committed_factory, t0)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path)})
    rematch(committed_factory, mailer, t0)
    monkeypatch.setattr(rematch_module, "ONE_BY_ONE", 1)
    with committed_factory.begin() as s:
        for request_id in requests[:2]:
            ops.update_request(s, request_id, max_distance_km=60)
    many = rematch(committed_factory, mailer, t0 + timedelta(minutes=5))
    assert "requests_changed" not in many and many["requests"] == 5

    monkeypatch.setattr(rematch_module, "ONE_BY_ONE", 300)
    with committed_factory.begin() as s:
        ops.update_request(s, requests[0], max_distance_km=20)
        make_centre(s)  # anything else the engine reads: every pair may change
    beyond = rematch(committed_factory, mailer, t0 + timedelta(minutes=10))
    assert "requests_changed" not in beyond and beyond["requests"] == 5
