"""The engine's third place in the database (issue 16): each suggestion keeps the training centre
the engine proposes for the pair, its distance from the candidate's home and the intake, on both
backends; the coordinators' exports and the rematch watermark follow the centres."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import Offer
from data.operations import training as training_ops
from data.operations.employers import set_training_centres
from data.operations.offers import update_offer
from data.presentation import reasons_for
from data.presentation.export import COLUMNS
from data.recompute import (
    centre_inputs,
    engine_inputs,
    recompute_suggestions,
    shipped_referential,
)
from tests.data import factories as f

GEX = "01173"  # Gex, about 90 km from Bourg-en-Bresse
AMBERIEU = "01004"  # Ambérieu-en-Bugey, about 25 km from Bourg-en-Bresse
STAFF = Actor.system()


def _start(offer: Offer) -> date:
    assert offer.start_date is not None
    return offer.start_date


def test_without_any_centre_suggestions_are_scored_as_before(session: Session) -> None:
    offer, request = f.make_offer(session), f.make_request(session)
    recompute_suggestions(session)
    pair = f.pair_of(session, offer, request)
    assert set(pair.criteria) == {"metier", "distance", "housing"}
    assert pair.proposed_centre_id is None and pair.proposed_intake_on is None


def test_the_nearest_centre_with_a_fitting_intake_is_kept_with_the_pair(
    session: Session,
) -> None:
    offer, request = f.make_offer(session), f.make_request(session)  # both at Bourg
    start = _start(offer)
    late = f.make_centre(session, name="Institut tardif (test)", intakes=(start + timedelta(240),))
    near = f.make_centre(
        session, name="IFAS d'Ambérieu (test)", commune=AMBERIEU, intakes=(start + timedelta(7),)
    )
    f.make_centre(session, name="IFAS de Gex (test)", commune=GEX, intakes=(start,))
    recompute_suggestions(session)
    pair = f.pair_of(session, offer, request)
    assert "training" in pair.criteria
    # Ambérieu, 25 km away with an intake a week after the start, beats Bourg's centre, at the
    # candidate's door but eight months late, and Gex, 90 km away.
    assert pair.proposed_centre_id == near.id, late.id
    assert pair.proposed_intake_on == start + timedelta(7)
    assert pair.proposed_centre_km is not None and 15 < pair.proposed_centre_km < 35
    assert pair.proposed_centre is not None and pair.proposed_centre.name == near.name
    said = " ".join(reasons_for(pair, "candidate"))
    assert "IFAS d'Ambérieu (test)" in said, said
    # The coordinators' export of the queue names it and its intake.
    columns = {c.header: c for c in COLUMNS["suggestions"]}
    assert columns["Centre de formation proposé"].value(pair) == (
        "IFAS d'Ambérieu (test) (Ambérieu-en-Bugey)"
    )
    assert columns["Rentrée proposée"].value(pair) == start + timedelta(7)


def test_an_enrolled_candidate_trains_at_their_centre_and_an_offer_at_its_partner(
    session: Session,
) -> None:
    offer = f.make_offer(session)
    enrolled, free = f.make_request(session), f.make_request(session)
    start = _start(offer)
    f.make_centre(session, name="IFAS de Bourg (test)", intakes=(start,))
    gex = f.make_centre(session, name="IFAS de Gex (test)", commune=GEX, intakes=(start,))
    oyonnax = f.make_centre(
        session, name="IFSI d'Oyonnax (test)", commune=f.OYONNAX, intakes=(start,)
    )
    enrolled.training_centre_id = gex.id
    update_offer(session, offer, partner_centre_id=oyonnax.id)
    recompute_suggestions(session)
    assert f.pair_of(session, offer, enrolled).proposed_centre_id == gex.id
    assert f.pair_of(session, offer, free).proposed_centre_id == oyonnax.id


def test_a_deleted_centre_is_forgotten_by_the_pairs(session: Session) -> None:
    offer, request = f.make_offer(session), f.make_request(session)
    centre = f.make_centre(session, intakes=(_start(offer),))
    recompute_suggestions(session)
    assert f.pair_of(session, offer, request).proposed_centre_id == centre.id
    training_ops.delete_centre(session, STAFF, centre)
    session.expire_all()
    assert f.pair_of(session, offer, request).proposed_centre_id is None
    recompute_suggestions(session)
    pair = f.pair_of(session, offer, request)
    assert pair.proposed_centre_id is None and "training" not in pair.criteria


def test_centre_inputs_keep_apprenticeship_programmes_of_known_metiers(
    session: Session,
) -> None:
    f.make_centre(session, name="Par apprentissage (test)", intakes=(date(2027, 9, 6),))
    f.make_centre(session, name="Sans apprentissage (test)", by_apprenticeship=False)
    f.make_centre(session, name="Sans formation (test)", metier=None)
    inputs = {c.name: c for c in centre_inputs(session, shipped_referential())}
    assert [p.metier for p in inputs["Par apprentissage (test)"].programmes] == ["aide-soignant"]
    assert inputs["Par apprentissage (test)"].programmes[0].intakes == (date(2027, 9, 6),)
    assert inputs["Par apprentissage (test)"].commune == "Bourg-en-Bresse"
    # A centre without a programme by apprenticeship stays: a candidate may be enrolled there.
    assert inputs["Sans apprentissage (test)"].programmes == ()
    assert inputs["Sans formation (test)"].programmes == ()


def test_the_employers_centres_reach_the_engine(session: Session) -> None:
    offer = f.make_offer(session)
    centre = f.make_centre(session)
    set_training_centres(session, offer.site.employer, [centre.id])
    inputs = engine_inputs(session, shipped_referential())
    (found,) = [o for o in inputs.offers if int(o.id) == offer.id]
    assert [int(c) for c in found.employer_centres] == [centre.id]
    assert inputs.centres is not None and [int(c.id) for c in inputs.centres] == [centre.id]
