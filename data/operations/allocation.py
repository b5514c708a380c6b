"""Propose an allocation of the active requests to the open offers, for coordinators to review."""

from __future__ import annotations

from sqlalchemy.orm import Session

from data.recompute import engine_inputs, shipped_referential
from matching import Allocation, MetierReferential, allocate

__all__ = ["propose_allocation"]


def propose_allocation(
    session: Session, referential: MetierReferential | None = None
) -> Allocation:
    """Return the engine's stable allocation of active requests to published offers.

    The inputs are those of the suggestions (:func:`data.recompute.engine_inputs`: no
    maître d'apprentissage gets more apprentices than their capacity), with the
    shipped métier referential unless another is given. Nothing is written: a proposal is read
    as a whole by a coordinator, who then approves pairs one by one.
    """
    referential = referential if referential is not None else shipped_referential()
    inputs = engine_inputs(session, referential)
    return allocate(
        inputs.requests,
        inputs.offers,
        referential,
        centres=inputs.centres,
        housing=inputs.housing,
        tutors=inputs.tutors,
    )
