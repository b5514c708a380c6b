"""A signed pair's bed (issue 17): the candidate moves into the resource the engine proposed.

When a pair's contract is signed and the engine housed its candidate at a resource near the offer
(``Suggestion.housing_source`` « resource »), one bed of that resource is taken: its
``beds_taken`` goes up by one, so that every reader (« Se loger », the inventory, the API, the
engine's next run) counts it with the one number it already reads. A rupture, or the signature
undone, gives the bed back; undoing the rupture takes it again.

Both moves are guarded counters, as an offer's places are (:func:`.offers.fill_one_place`):
``UPDATE ... SET beds_taken = beds_taken + 1 WHERE id = :id AND beds_taken < beds``, checked by
its row count, so that two signatures at once never take one bed twice. A full resource does not
stop the signature (the contract is signed, the candidate will live elsewhere): no bed is taken,
and none is given back later. Which bed a pair holds is read from its history (a line of the
pair that moved a bed says which and how: ``"bed"`` and ``"bed_move"``), never guessed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.models import AuditEntry, HousingResource, HousingSource, Suggestion

__all__ = ["BED_KEY", "BED_MOVE", "free_bed", "held_bed", "take_bed"]

#: The keys of a pair's history line that moved a bed: the resource, and « taken » or « freed ».
BED_KEY = "bed"
BED_MOVE = "bed_move"


def _move(session: Session, resource_id: int, step: int, now: datetime) -> bool:
    beds = HousingResource.beds_taken
    guard = beds < HousingResource.beds if step > 0 else beds > 0
    result = session.execute(
        update(HousingResource)
        .where(HousingResource.id == resource_id, guard)
        .values(beds_taken=beds + step, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    # Bulk statements bypass the identity map: a loaded resource reads its beds again.
    resource = session.identity_map.get(session.identity_key(HousingResource, resource_id))
    if resource is not None:
        session.expire(resource, ["beds_taken", "updated_at"])
    return rows_changed(result) == 1


def take_bed(
    session: Session, suggestion: Suggestion, details: dict[str, Any], *, now: datetime
) -> None:
    """Take one bed of the resource the engine proposed for the pair, and say so in ``details``
    (the pair's history line); nothing when the pair has no proposed resource (no housing
    needed, or the offer's own beds) or the resource is full."""
    resource_id = suggestion.proposed_housing_id
    if resource_id is None or suggestion.housing_source != HousingSource.RESOURCE:
        return
    if _move(session, resource_id, +1, now):
        details.update({BED_KEY: resource_id, BED_MOVE: "taken"})


def held_bed(session: Session, suggestion_id: int) -> int | None:
    """The resource whose bed the pair holds now: the last history line that moved a bed says
    whether it took it or gave it back."""
    lines = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "suggestion", AuditEntry.object_id == suggestion_id)
        .order_by(AuditEntry.id.desc())
    )
    for line in lines:
        details = line.details or {}
        if BED_KEY in details:
            bed = details[BED_KEY]
            return int(bed) if details.get(BED_MOVE) == "taken" else None
    return None


def free_bed(
    session: Session, suggestion_id: int, details: dict[str, Any], *, now: datetime
) -> None:
    """Give back the bed the pair holds, if any, and say so in ``details``."""
    resource_id = held_bed(session, suggestion_id)
    if resource_id is not None and _move(session, resource_id, -1, now):
        details.update({BED_KEY: resource_id, BED_MOVE: "freed"})
