"""Housing in the database's engine runs (issue 17): the published resources go to the engine with
their free beds, each suggestion keeps where its candidate would live, the allocation shares the
beds, and the coordinators' needs view counts needs against supply, on both backends."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import Actor
from data.models import HousingKind, HousingResource
from data.models import SuggestionStatus as S
from data.operations._common import local_today
from data.operations.allocation import propose_allocation
from data.presentation import label, reasons_for
from data.presentation.export import COLUMNS
from data.queries import communes_within, housing_needs
from data.recompute import housing_inputs, recompute_suggestions
from matching import HOUSING_KIND_LABELS, HOUSING_KINDS
from tests.data import factories as f

PERONNAS = "01289"  # Péronnas, next to Bourg-en-Bresse
AMBERIEU = "01004"  # Ambérieu-en-Bugey, about 25 km from Bourg-en-Bresse


def _hostel(session: Session, **overrides: object) -> HousingResource:
    """A published hostel of a partner at Péronnas with one free bed, 380 € a month."""
    values: dict[str, object] = {
        "name": "Les Tilleuls (test)",
        "commune_insee": PERONNAS,
        "beds": 1,
    }
    values.update(overrides)
    return f.make_housing_resource(session, **values)


def test_only_published_resources_off_site_with_a_free_bed_go_to_the_engine(
    session: Session,
) -> None:
    free = _hostel(session)
    _hostel(session, name="Complet (test)", beds=2, beds_taken=2)
    _hostel(session, name="Pas publié (test)", published=False)
    _hostel(session, name="Fermé (test)", periods=((date(2020, 1, 1), date(2020, 6, 30)),))
    reopening = _hostel(
        session,
        name="Rouvre (test)",
        periods=((local_today() + timedelta(days=90), None),),
    )
    f.make_site(session, beds=2)  # a site's studio: the site's offers reserve its beds
    housing = housing_inputs(session)
    assert [h.name for h in housing] == [free.name, reopening.name]
    assert [(h.kind, h.beds, h.monthly_cost_eur) for h in housing] == [("fjt", 1, 380)] * 2


def test_a_hostel_near_the_offer_houses_its_candidate_and_the_pair_keeps_it(
    session: Session,
) -> None:
    offer = f.make_offer(session)  # Bourg-en-Bresse, no bed of its own
    request = f.make_request(session, needs_housing=True)
    recompute_suggestions(session)
    pair = f.pair_of(session, offer, request)
    assert pair.housing_source is None and pair.proposed_housing_id is None
    low = pair.criteria["housing"]["score"]

    hostel = _hostel(session)
    recompute_suggestions(session)
    session.refresh(pair)
    assert pair.housing_source == "resource" and pair.proposed_housing_id == hostel.id
    assert pair.proposed_housing_km is not None and 0 < pair.proposed_housing_km < 10
    assert pair.criteria["housing"]["score"] > low
    said = " ".join(reasons_for(pair, "candidate"))
    assert "Les Tilleuls (test)" in said and "380" in said, said
    columns = {c.header: c for c in COLUMNS["suggestions"]}
    shown = columns["Logement proposé"].value(pair)
    assert shown is not None and shown.startswith("Les Tilleuls (test) (Péronnas), à "), shown


def test_a_candidate_without_a_housing_need_is_not_housed(session: Session) -> None:
    offer = f.make_offer(session)
    request = f.make_request(session, needs_housing=False)
    _hostel(session)
    recompute_suggestions(session)
    pair = f.pair_of(session, offer, request)
    assert pair.housing_source is None and pair.proposed_housing_id is None


def test_the_allocation_shares_one_bed_between_two_offers(session: Session) -> None:
    """The issue's worked example: two candidates, two offers without beds, one hostel with one
    free bed near both: one housed pair, and the other request says housing was the obstacle."""
    offers = [f.make_offer(session), f.make_offer(session)]
    requests = [f.make_request(session, needs_housing=True) for _ in range(2)]
    hostel = _hostel(session)
    proposal = propose_allocation(session)
    assert len(proposal.assignments) == 1
    (placed,) = proposal.assignments
    assert placed.offer_id in {str(o.id).zfill(12) for o in offers}
    assert placed.match.housing is not None
    assert placed.match.housing.resource_id == str(hostel.id).zfill(12)
    (left,) = proposal.unassigned
    assert left.request_id in {str(r.id).zfill(12) for r in requests}
    assert left.obstacle == "housing", left
    assert "logement" in left.reason.lower(), left.reason


def test_the_needs_view_counts_needs_blocked_pairs_and_beds(session: Session) -> None:
    offer = f.make_offer(session)  # Bourg-en-Bresse
    far_offer = f.make_offer(session, site=f.make_site(session, commune_insee=AMBERIEU))
    housed, blocked = (f.make_request(session, needs_housing=True) for _ in range(2))
    f.make_request(session, needs_housing=False)
    hostel = _hostel(session, beds=3)
    recompute_suggestions(session)
    near_pair, far_pair = f.pair_of(session, offer, housed), f.pair_of(session, far_offer, housed)
    assert near_pair.housing_source == "resource" and far_pair.housing_source is None

    needs = housing_needs(session)
    by_request = {n.request.id: n for n in needs.needs}
    assert set(by_request) == {housed.id, blocked.id}
    assert by_request[housed.id].beds_near == 3  # the hostel, near one of its offers
    assert by_request[housed.id].housed >= 1
    assert far_pair.id in {s.id for s in needs.blocked}
    assert near_pair.id not in {s.id for s in needs.blocked}
    assert needs.beds_free == 3 and needs.taken == []

    # A pair signed, its candidate housed at the hostel, takes one of its beds, for the engine
    # as for the view (approved, then contacted, interviewed and signed, by a coordinator).
    staff = Actor.user(f.make_user(session))
    ops.approve_suggestion(session, near_pair, staff)
    ops.mark_contacted(session, near_pair, staff)
    ops.mark_interview(session, near_pair, staff)
    ops.mark_contract_signed(session, near_pair, staff)
    assert near_pair.status is S.CONTRACT_SIGNED and hostel.beds_taken == 1
    needs = housing_needs(session)
    assert needs.beds_free == 2 and needs.taken == [(hostel, 1)]
    assert [h.beds for h in housing_inputs(session)] == [2]

    # Around Ambérieu, only the far offer's pairs and no bed.
    around = housing_needs(session, communes_within(session, far_offer.site.commune, 15))
    assert around.resources == [] and around.taken == []
    assert {s.offer_id for s in around.blocked} == {far_offer.id}
    # The housed candidate signed: their request is matched, no longer a need.
    assert {n.request.id for n in around.needs} == {blocked.id}


def test_the_kinds_of_housing_are_the_engines() -> None:
    assert tuple(k.value for k in HousingKind) == HOUSING_KINDS
    assert all(label(k) == HOUSING_KIND_LABELS[k.value] for k in HousingKind)
