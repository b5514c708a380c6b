"""An employer publishes while a coordinator checks the structure, at the same instant: the offer
ends published every time, never waiting for a check already made.

Real commits (``committed_factory``: a SQLite file, or a PostgreSQL schema of its own), each side
in its own thread and session, released together (see ``tests/jobs/test_concurrent_decisions.py``
for the harness this borrows).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data import operations as ops
from data.actor import Actor
from data.models import Offer, OfferStatus, Role, StructureCheck
from data.operations import moderation
from tests.data import factories as f
from tests.jobs.test_concurrent_decisions import _together

RUNS = 10


def test_publishing_while_the_structure_is_checked_always_ends_published(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    seen: Counter[str] = Counter()
    for _ in range(RUNS):
        with committed_factory.begin() as s:
            employer = f.make_employer(s, check_status=StructureCheck.TO_CHECK)
            offer_id = f.make_offer(s, f.make_site(s, employer), publish=False).id
            employer_id = employer.id
            coordinator = Actor.user(f.make_user(s, Role.COORDINATOR))

        def publish(offer_id: int = offer_id) -> str:
            with committed_factory.begin() as s:
                return ops.publish_offer(s, offer_id).status.value

        def check(employer_id: int = employer_id, who: Actor = coordinator) -> str:
            with committed_factory.begin() as s:
                done = moderation.check_structure(s, employer_id, who, base_url="http://x")
                return f"checked {len(done.offers)}"

        seen.update(_together([publish, check]))
        with committed_factory() as s:
            assert s.get(Offer, offer_id).status is OfferStatus.PUBLISHED, seen
    # Both orders happen over the runs on a loaded machine; each must end published.
    print(f"\npublish vs check [{committed_engine.dialect.name}]: {dict(seen)}")
