"""Re-matching follows the maîtres d'apprentissage (issue 19): a master who takes one more
apprentice outside Passerelle, and has no place left, makes the next incremental run drop the
offer naming them from the suggestions; a place freed brings it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.mail import make_mailer
from data.models import LegalRule, Suggestion
from data.operations import masters as master_ops
from data.reference import read_legal_rules
from jobs.rematch import rematch
from tests.jobs.conftest import build_world

MASTER = {
    "name": "Sophie Bernard",
    "role": "Aide-soignante",
    "diploma": "DEAS",
    "experience_years": 12,
    "supervised_elsewhere": 1,
}


def test_rematch_runs_again_when_a_master_s_places_change(
    committed_factory: sessionmaker[Session], tmp_path
) -> None:
    # Real time: ORM ``onupdate`` stamps use the clock, and the watermark compares them.
    t0 = datetime.now(UTC)
    w = build_world(committed_factory, now=t0)
    mailer = make_mailer({"MAIL_DIR": str(tmp_path)})
    with committed_factory.begin() as s:
        # The jobs' database keeps no reference row but communes and métiers: the shipped rules.
        s.add_all(LegalRule(**row) for row in read_legal_rules())
        master = master_ops.create_master(s, w.employer_id, MASTER)
        master_ops.set_offer_master(s, w.offer_id, master.id)
        master_id = master.id
    assert rematch(committed_factory, mailer, t0)["created"] == 1

    def stale() -> bool:
        with committed_factory() as s:
            return s.scalars(select(Suggestion)).one().stale

    assert not stale()
    assert rematch(committed_factory, mailer, t0 + timedelta(minutes=5)) == {"skipped": 1}
    # The master now supervises two apprentices outside Passerelle: no place left.
    with committed_factory.begin() as s:
        master_ops.update_master(s, master_id, {**MASTER, "supervised_elsewhere": 2})
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=10))
    assert stale()
    # One of them leaves: the offer is suggested again.
    with committed_factory.begin() as s:
        master_ops.update_master(s, master_id, MASTER)
    assert "skipped" not in rematch(committed_factory, mailer, t0 + timedelta(minutes=15))
    assert not stale()
