"""Maîtres d'apprentissage in the database (issue 19): declared by a structure, named on its
offers, their capacity from the dated legal limit, and the engine's runs that respect it, on both
backends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import ApprenticeshipMaster, LegalRule, Offer, RuleKey
from data.models import SuggestionStatus as S
from data.operations import masters as m
from data.operations.allocation import propose_allocation
from data.queries import masters as q
from data.recompute import engine_id, engine_inputs, recompute_suggestions, shipped_referential
from matching import Tutor
from tests.data import factories as f

GOOD = {
    "name": "Sophie Bernard",
    "role": "Aide-soignante",
    "diploma": "DEAS",
    "experience_years": "12",
    "supervised_elsewhere": "",
}
VIRIAT = "01451"  # Viriat, next to Bourg-en-Bresse


def test_the_legal_limit_is_the_dated_rule_in_force(session: Session) -> None:
    """The limit is the rule of the apprenticeship ``master_max_apprentices`` (R6223-6, shipped
    in data/reference/legal_rules.csv), with the repeating apprentice allowed besides."""
    limit = q.master_limit(session)
    assert limit is not None and (limit.apprentices, limit.repeating) == (2, 1)
    assert "R6223-6" in limit.source
    assert q.master_limit(session, date(2018, 12, 31)) is None
    # A change is a new row: the latest in force on the day counts.
    session.add(
        LegalRule(
            key=RuleKey.MASTER_MAX_APPRENTICES,
            value=Decimal(3),
            valid_from=date(2030, 1, 1),
            source="test",
        )
    )
    session.flush()
    assert q.master_limit(session, date(2029, 12, 31)).apprentices == 2  # type: ignore[union-attr]
    assert q.master_limit(session, date(2030, 1, 1)).apprentices == 3  # type: ignore[union-attr]


def test_a_structure_declares_a_master_with_no_more_than_the_contract_states(
    session: Session,
) -> None:
    employer = f.make_employer(session)
    master = m.create_master(session, employer, GOOD)
    assert (master.name, master.role, master.diploma) == (
        "Sophie Bernard",
        "Aide-soignante",
        "DEAS",
    )
    assert (master.experience_years, master.supervised_elsewhere) == (12, 0)
    assert employer.masters == [master]
    m.update_master(session, master, {**GOOD, "supervised_elsewhere": "1"})
    assert master.supervised_elsewhere == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"role": "x" * 201}, "role"),
        ({"diploma": "DE\nAS"}, "diploma"),
        ({"experience_years": "-1"}, "experience_years"),
        ({"experience_years": "deux"}, "experience_years"),
        ({"experience_years": "61"}, "experience_years"),
        ({"supervised_elsewhere": "-1"}, "supervised_elsewhere"),
        ({"supervised_elsewhere": "1.5"}, "supervised_elsewhere"),
    ],
)
def test_bad_master_input_names_the_field_and_writes_nothing(
    session: Session, changes: dict[str, str], field: str
) -> None:
    employer = f.make_employer(session)
    with pytest.raises(ValidationError) as e:
        m.create_master(session, employer, {**GOOD, **changes})
    assert field in e.value.errors
    assert session.scalars(select(ApprenticeshipMaster)).all() == []


def test_an_offer_names_one_of_its_own_structure_s_masters(session: Session) -> None:
    offer = f.make_offer(session)
    mine = m.create_master(session, offer.site.employer, GOOD)
    theirs = m.create_master(session, f.make_employer(session), GOOD)
    m.set_offer_master(session, offer, str(mine.id))
    assert offer.master_id == mine.id
    for bad in (str(theirs.id), "0", "99999999999", "x", True):
        with pytest.raises(ValidationError) as e:
            m.set_offer_master(session, offer, bad)
        assert e.value.errors == {"master_id": [m.NOT_A_MASTER_OF_YOURS]}
    assert offer.master_id == mine.id
    m.set_offer_master(session, offer, "")
    assert offer.master_id is None
    # A master removed: the offers naming them name none.
    m.set_offer_master(session, offer, mine.id)
    m.delete_master(session, mine)
    session.expire_all()
    assert session.get(Offer, offer.id).master_id is None  # type: ignore[union-attr]


def test_capacity_is_the_limit_less_declared_and_signed_apprentices(session: Session) -> None:
    first = f.make_offer(session, places=3)
    second = f.make_offer(session, f.make_site(session, first.site.employer), places=1)
    master = m.create_master(session, first.site.employer, GOOD)
    idle = m.create_master(session, first.site.employer, {**GOOD, "name": "Jean Roux"})
    for offer in (first, second):
        m.set_offer_master(session, offer, master.id)
    assert q.master_capacities(session) == {master.id: 2, idle.id: 2}
    f.make_suggestion(session, offer=first, status=S.CONTRACT_SIGNED)
    f.make_suggestion(session, offer=second, status=S.INTERVIEW)  # not signed yet
    f.make_suggestion(session, offer=second, status=S.BROKEN)  # a broken contract frees it
    assert q.master_capacities(session, [master.id]) == {master.id: 1}
    m.update_master(session, master, {**GOOD, "supervised_elsewhere": "1"})
    assert q.master_capacities(session, [master.id]) == {master.id: 0}
    m.update_master(session, master, {**GOOD, "supervised_elsewhere": "3"})
    assert q.master_capacities(session, [master.id]) == {master.id: 0}  # never below 0
    assert q.master_capacities(session, day=date(2018, 1, 1)) is None  # no limit in force


def test_the_engine_reads_the_named_masters_with_their_capacity(session: Session) -> None:
    offer = f.make_offer(session)
    f.make_offer(session)  # names none
    ref = shipped_referential()
    assert engine_inputs(session, ref).tutors is None  # as before masters existed
    master = m.create_master(session, offer.site.employer, {**GOOD, "supervised_elsewhere": "1"})
    m.create_master(session, offer.site.employer, {**GOOD, "name": "Jean Roux"})  # named by none
    m.set_offer_master(session, offer, master.id)
    inputs = engine_inputs(session, ref)
    assert inputs.tutors == [Tutor(engine_id(master.id), 1)]
    assert [o.tutor for o in inputs.offers] == [engine_id(master.id), None]


def test_an_offer_whose_master_has_no_place_left_is_not_suggested(session: Session) -> None:
    offer = f.make_offer(session)
    request = f.make_request(session)
    master = m.create_master(session, offer.site.employer, GOOD)
    m.set_offer_master(session, offer, master.id)
    recompute_suggestions(session)
    pair = f.pair_of(session, offer, request)
    assert pair.status == S.PROPOSED and not pair.stale
    m.update_master(session, master, {**GOOD, "supervised_elsewhere": "2"})
    recompute_suggestions(session)
    session.refresh(pair)
    assert pair.stale  # no longer suggested: the master supervises two apprentices already


def test_the_allocation_gives_a_master_no_more_apprentices_than_their_capacity(
    session: Session,
) -> None:
    """The issue's worked example: two offers share one master with one place left."""
    near = f.make_offer(session)  # Bourg-en-Bresse
    other = f.make_offer(session, f.make_site(session, near.site.employer, commune_insee=VIRIAT))
    master = m.create_master(session, near.site.employer, {**GOOD, "supervised_elsewhere": "1"})
    for offer in (near, other):
        m.set_offer_master(session, offer, master.id)
    first = f.make_request(session)  # at Bourg-en-Bresse
    second = f.make_request(session, commune_insee=VIRIAT)
    proposal = propose_allocation(session)
    assert [(a.request_id, a.offer_id) for a in proposal.assignments] == [
        (engine_id(first.id), engine_id(near.id))
    ]
    (left,) = proposal.unassigned
    assert left.request_id == engine_id(second.id) and left.obstacle == "tutor"
    m.update_master(session, master, GOOD)  # two places: both placed
    assert len(propose_allocation(session).assignments) == 2
