"""A signed pair's bed (issue 17): signing takes one bed of the resource the engine proposed, a
rupture or the signature undone gives it back, undoing the rupture takes it again; a full
resource never stops a signature; two signatures never take one bed twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import Actor
from data.models import HousingResource, HousingSource, Suggestion, SuggestionStatus
from data.models.mail import OutboxMessage
from data.operations.beds import held_bed
from tests.data import factories as f

S = SuggestionStatus
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 09:30 in Paris on a Monday
TODAY = date(2026, 3, 2)


def _at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def _housed_pair(session: Session, hostel: HousingResource) -> Suggestion:
    pair = f.make_suggestion(session, offer=f.make_offer(session), status=S.INTERVIEW)
    pair.housing_source = HousingSource.RESOURCE
    pair.proposed_housing_id = hostel.id
    session.flush()
    return pair


def test_signing_takes_the_bed_and_the_rupture_gives_it_back(session: Session) -> None:
    me = Actor.user(f.make_user(session))
    hostel = f.make_housing_resource(session, beds=2, beds_taken=0)
    pair = _housed_pair(session, hostel)
    ops.mark_contract_signed(session, pair, me, now=_at(1))
    assert hostel.beds_taken == 1 and held_bed(session, pair.id) == hostel.id
    # The rupture gives it back, whether the offer's place reopens or not.
    ops.break_contract(session, pair, me, TODAY, "Démission", now=_at(2))
    assert hostel.beds_taken == 0 and held_bed(session, pair.id) is None
    # Undoing the rupture takes it again; undoing nothing twice.
    ops.undo_last_stage(session, pair, me, now=_at(3))
    assert pair.status is S.CONTRACT_SIGNED
    assert hostel.beds_taken == 1 and held_bed(session, pair.id) == hostel.id


def test_a_signature_undone_gives_the_bed_back(session: Session) -> None:
    me = Actor.user(f.make_user(session))
    hostel = f.make_housing_resource(session, beds=1, beds_taken=0)
    pair = _housed_pair(session, hostel)
    ops.mark_contract_signed(session, pair, me, now=_at(1))
    assert hostel.beds_taken == 1
    ops.undo_last_stage(session, pair, me, now=_at(2))
    assert pair.status is S.INTERVIEW and hostel.beds_taken == 0


def test_a_full_resource_never_stops_a_signature_nor_loses_a_bed(session: Session) -> None:
    me = Actor.user(f.make_user(session))
    hostel = f.make_housing_resource(session, beds=1, beds_taken=0)
    first, second = _housed_pair(session, hostel), _housed_pair(session, hostel)
    ops.mark_contract_signed(session, first, me, now=_at(1))
    ops.mark_contract_signed(session, second, me, now=_at(2))  # the bed is gone: signed anyway
    assert second.status is S.CONTRACT_SIGNED and hostel.beds_taken == 1
    assert held_bed(session, second.id) is None
    # The second pair's rupture gives back no bed: the first pair's stays taken.
    ops.break_contract(session, second, me, TODAY, "Démission", now=_at(3))
    assert hostel.beds_taken == 1 and held_bed(session, first.id) == hostel.id


def test_a_pair_housed_by_its_offer_or_not_at_all_takes_no_resource_bed(
    session: Session,
) -> None:
    me = Actor.user(f.make_user(session))
    hostel = f.make_housing_resource(session, beds=1, beds_taken=0)
    on_site = _housed_pair(session, hostel)
    on_site.housing_source, on_site.proposed_housing_id = HousingSource.OFFER, None
    plain = f.make_suggestion(session, offer=f.make_offer(session), status=S.INTERVIEW)
    for pair in (on_site, plain):
        ops.mark_contract_signed(session, pair, me, now=_at(1))
        assert held_bed(session, pair.id) is None
    assert hostel.beds_taken == 0


def test_the_candidates_contact_mail_says_where_to_live(session: Session) -> None:
    hostel = f.make_housing_resource(session, name="Les Tilleuls (test)", monthly_cost_eur=380)
    pair = f.make_suggestion(session, offer=f.make_offer(session), status=S.PROPOSED)
    pair.housing_source = HousingSource.RESOURCE
    pair.proposed_housing_id, pair.proposed_housing_km = hostel.id, 2.0
    session.flush()
    ops.approve_suggestion(session, pair, Actor.user(f.make_user(session)))
    mail = session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == pair.request.candidate.email)
    ).one()
    said = " ".join(mail.text.split())
    assert (
        "Pour vous loger : Les Tilleuls (test), à 2 km de l'établissement, 380 € par mois" in said
    )
    assert f"/se-loger/{hostel.id}" in mail.text and f"/se-loger/{hostel.id}" in mail.html
