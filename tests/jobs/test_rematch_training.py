"""Re-matching follows the training centres (issue 16): a new intake, a programme removed, the
centres a structure works with each make the next incremental run score the pairs again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import make_mailer
from data.models import Offer, Suggestion
from data.operations import training as training_ops
from data.operations.employers import set_training_centres
from jobs.rematch import rematch
from tests.data import factories as f
from tests.jobs.conftest import build_world


def test_rematch_runs_again_when_the_centres_change(
    committed_factory: sessionmaker[Session], tmp_path
) -> None:
    # Real time: ORM ``onupdate`` stamps use the clock, and the watermark compares them.
    t0 = datetime.now(UTC)
    w = build_world(committed_factory, now=t0)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path)})
    with committed_factory.begin() as s:
        start = s.get(Offer, w.offer_id).start_date
        centre = f.make_centre(s, name="IFAS (test)", intakes=(start + timedelta(days=200),))
        centre_id, programme_id = centre.id, centre.programmes[0].id
    assert rematch(committed_factory, mailer, t0)["created"] == 1
    assert rematch(committed_factory, mailer, t0 + timedelta(minutes=5)) == {"skipped": 1}

    def proposed() -> tuple[int | None, object]:
        with committed_factory() as s:
            pair = s.scalars(select(Suggestion)).one()
            return pair.proposed_centre_id, pair.proposed_intake_on

    assert proposed() == (centre_id, start + timedelta(days=200))
    # A coordinator adds an intake close to the offer's start: the pair gets it.
    with committed_factory.begin() as s:
        training_ops.create_session(s, Actor.system(), programme_id, start_date=start)
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=10))
    assert proposed() == (centre_id, start)
    # The programme is deleted: no centre prepares the diploma any more.
    with committed_factory.begin() as s:
        training_ops.delete_programme(s, Actor.system(), programme_id)
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=15))
    assert proposed() == (None, None)
    # The structure names the centres it works with: scored again too.
    assert rematch(committed_factory, mailer, t0 + timedelta(minutes=20)) == {"skipped": 1}
    with committed_factory.begin() as s:
        set_training_centres(s, s.get(Offer, w.offer_id).site.employer, [centre_id])
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=25))
