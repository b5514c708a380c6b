"""Re-matching follows the housing resources (issue 17): a hostel opened, then deleted, each make
the next incremental run house the pairs again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import make_mailer
from data.models import HousingSource, Request, Suggestion
from data.operations import housing as housing_ops
from jobs.rematch import rematch
from tests.jobs.conftest import build_world


def test_rematch_runs_again_when_housing_opens_and_closes(
    committed_factory: sessionmaker[Session], tmp_path
) -> None:
    # Real time: ORM ``onupdate`` stamps use the clock, and the watermark compares them.
    t0 = datetime.now(UTC)
    w = build_world(committed_factory, now=t0)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path)})
    with committed_factory.begin() as s:
        s.get_one(Request, w.request_id).needs_housing = True
    assert rematch(committed_factory, mailer, t0)["created"] == 1

    def housed() -> tuple[HousingSource | None, int | None]:
        with committed_factory() as s:
            pair = s.scalars(select(Suggestion)).one()
            return pair.housing_source, pair.proposed_housing_id

    assert housed() == (None, None)
    assert rematch(committed_factory, mailer, t0 + timedelta(minutes=5)) == {"skipped": 1}
    # A coordinator publishes a partner's hostel in the offer's town: the pair is housed there.
    with committed_factory.begin() as s:
        hostel = housing_ops.create_housing(
            s,
            Actor.system(),
            name="Les Tilleuls (test)",
            kind="fjt",
            partner_name="Habitat jeunes (test)",
            commune_insee="01053",  # Bourg-en-Bresse, where the offer is
            beds=2,
            published=True,
        )
        hostel_id = hostel.id
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=10))
    assert housed() == (HousingSource.RESOURCE, hostel_id)
    # It closes: deleted, it leaves no stamp but its line in the audit log, which the run reads.
    assert rematch(committed_factory, mailer, t0 + timedelta(minutes=15)) == {"skipped": 1}
    with committed_factory.begin() as s:
        housing_ops.delete_housing(s, Actor.system(), hostel_id)
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=20))
    assert housed() == (None, None)
