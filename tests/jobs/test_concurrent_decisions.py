"""Decisions taken at the same instant: exactly one wins, the other is told, nothing is doubled.

Real races on a real SQLite file and on PostgreSQL (``committed_factory``: commits are real), each
contender in its own thread with its own session (or its own HTTP request), released together by a
``threading.Barrier``. Each race runs :data:`RUNS` times on fresh rows; every run must have exactly
one winner. The barrier is passed before any transaction opens, so the race also holds when SQLite
transactions start with ``BEGIN IMMEDIATE`` (a contender that held a lock at the barrier would wait
for the other forever).

On both engines the loser must get our Conflict: on SQLite, transactions begin ``IMMEDIATE``
(data/db.py), so the loser waits for the winner's commit and then reads the decided state; without
it, the loser's read snapshot could not become a write and SQLite answered "database is locked"
(a 500 on pages), which this test reports as ``locked`` and fails.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from data import auth as data_auth
from data import operations as ops
from data.actor import SYSTEM, Actor
from data.db import make_session_factory
from data.errors import Conflict
from data.models import (
    AuditEntry,
    Candidate,
    HousingResource,
    HousingSource,
    Offer,
    OfferStatus,
    Role,
    Suggestion,
    SuggestionStatus,
    User,
)
from data.models.mail import OutboxMessage
from data.operations.beds import held_bed
from data.operations.pairs import MOVED_SINCE
from data.operations.suggestions import TAKEN
from tests.data import factories as f
from tests.web.conftest import CSRF, make_app, sign_in
from web.db import state

S = SuggestionStatus
RUNS = 20
HTTP_RUNS = 10
#: Winners and losers of every race of the session, by race and backend (printed at the end).
TALLY: dict[str, Counter[str]] = {}

Contender = Callable[[Session], Any]


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same instant; return their results in order."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _race(factory: sessionmaker[Session], contenders: list[Contender]) -> list[str]:
    """Run the contenders at the same instant, each in its own session; return each outcome."""

    def outcome(contender: Contender) -> Callable[[], str]:
        def run() -> str:
            with factory() as s:
                try:
                    contender(s)
                    s.commit()
                    return "won"
                except Conflict as exc:
                    return "taken" if str(exc) == TAKEN else f"conflict: {exc}"
                except OperationalError as exc:
                    sqlite_lock = s.get_bind().dialect.name == "sqlite" and "locked" in str(exc)
                    return "locked" if sqlite_lock else f"error: {exc}"

        return run

    return _together([outcome(c) for c in contenders])


def _check_outcomes(name: str, engine_name: str, outcomes: list[str], lost: set[str]) -> int:
    """Assert exactly one winner and only expected losers; tally; return the winner's index."""
    TALLY.setdefault(f"{name} [{engine_name}]", Counter()).update(outcomes)
    assert outcomes.count("won") == 1, outcomes
    assert all(o in lost for o in outcomes if o != "won"), outcomes
    return outcomes.index("won")


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    for race, counts in sorted(TALLY.items()):
        print(f"\n{race}: {dict(sorted(counts.items()))}")


def _pair(
    factory: sessionmaker[Session], status: S = S.PROPOSED, places: int = 1
) -> tuple[int, int, Actor]:
    """Commit a fresh pair (its own candidate, employer and offer); return (pair, offer, coord)."""
    with factory.begin() as s:
        offer = f.make_offer(s, places=places)
        f.make_user(s, Role.EMPLOYER, employer=offer.site.employer)
        pair = f.make_suggestion(s, f.make_request(s), offer, status=status)
        coordinator = f.make_user(s, Role.COORDINATOR)
        return pair.id, offer.id, Actor.user(coordinator)


def _audit_lines(s: Session, pair_id: int) -> int:
    return s.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.object_type == "suggestion", AuditEntry.object_id == pair_id)
    )


def _contact_mails(s: Session, pair_id: int) -> list[tuple[str, str]]:
    return sorted(
        s.execute(
            select(OutboxMessage.kind, OutboxMessage.recipient).where(
                OutboxMessage.key == f"contact:{pair_id}"
            )
        ).all()
    )


def _approve(pair_id: int, coordinator: Actor) -> Contender:
    """A coordinator approving the pair as the review page shows it (proposed)."""
    return lambda s: ops.approve_suggestion(s, pair_id, coordinator, expected=S.PROPOSED)


def test_two_coordinators_approve_the_same_suggestion(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    for _ in range(RUNS):
        pair_id, _offer, coordinator = _pair(committed_factory)
        approve = _approve(pair_id, coordinator)
        outcomes = _race(committed_factory, [approve, approve])
        _check_outcomes("two approvals", committed_engine.dialect.name, outcomes, {"taken"})
        with committed_factory() as s:
            assert s.get(Suggestion, pair_id).status == S.APPROVED
            assert _audit_lines(s, pair_id) == 1
            kinds = [kind for kind, _ in _contact_mails(s, pair_id)]
            assert kinds == ["contact_candidate", "contact_employer"]


def test_approve_and_reject_at_the_same_instant(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    for _ in range(RUNS):
        pair_id, _offer, coordinator = _pair(committed_factory)

        def reject(s: Session, pid: int = pair_id, who: Actor = coordinator) -> None:
            ops.reject_suggestion(s, pid, who, "Trop loin", expected=S.PROPOSED)

        outcomes = _race(committed_factory, [_approve(pair_id, coordinator), reject])
        winner = _check_outcomes(
            "approve vs reject", committed_engine.dialect.name, outcomes, {"taken"}
        )
        with committed_factory() as s:
            status = s.get(Suggestion, pair_id).status
            assert status == (S.APPROVED if winner == 0 else S.REJECTED)
            assert _audit_lines(s, pair_id) == 1
            assert len(_contact_mails(s, pair_id)) == (2 if winner == 0 else 0)


def test_two_contracts_on_the_last_place(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    for _ in range(RUNS):
        pair_id, offer_id, coordinator = _pair(committed_factory, S.INTERVIEW)
        with committed_factory.begin() as s:
            rival = f.make_suggestion(
                s, f.make_request(s), s.get(Offer, offer_id), status=S.INTERVIEW
            ).id

        def sign(pid: int, who: Actor = coordinator) -> Contender:
            return lambda s: ops.mark_contract_signed(s, pid, who)

        outcomes = _race(committed_factory, [sign(pair_id), sign(rival)])
        _check_outcomes(
            "two contracts, one place",
            committed_engine.dialect.name,
            outcomes,
            {"conflict: Toutes les places de cette offre sont déjà pourvues."},
        )
        with committed_factory() as s:
            offer = s.get(Offer, offer_id)
            assert (offer.places_filled, offer.status) == (1, OfferStatus.FILLED)
            signed = s.scalars(
                select(Suggestion.id).where(
                    Suggestion.offer_id == offer_id, Suggestion.status == S.CONTRACT_SIGNED
                )
            ).all()
            assert len(signed) == 1


def test_two_contracts_housed_at_the_last_bed(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    """Two pairs of two offers, both housed by the engine at a hostel's last bed, signed at the
    same instant: both contracts are signed, one bed is taken, the other pair holds none."""
    for _ in range(RUNS // 4):
        pairs, coordinators = [], []
        with committed_factory.begin() as s:
            hostel = f.make_housing_resource(s, beds=1, beds_taken=0)
            hostel_id = hostel.id
        for _ in range(2):
            pair_id, _offer, coordinator = _pair(committed_factory, S.INTERVIEW)
            with committed_factory.begin() as s:
                pair = s.get_one(Suggestion, pair_id)
                pair.housing_source = HousingSource.RESOURCE
                pair.proposed_housing_id = hostel_id
            pairs.append(pair_id)
            coordinators.append(coordinator)

        def sign(pid: int, who: Actor) -> Contender:
            return lambda s: ops.mark_contract_signed(s, pid, who)

        outcomes = _race(
            committed_factory, [sign(p, c) for p, c in zip(pairs, coordinators, strict=True)]
        )
        TALLY.setdefault(f"two contracts, one bed [{committed_engine.dialect.name}]", Counter())[
            "both signed"
        ] += 1
        assert outcomes == ["won", "won"], outcomes
        with committed_factory() as s:
            assert s.get_one(HousingResource, hostel_id).beds_taken == 1
            held = [held_bed(s, p) for p in pairs]
            assert sorted(held, key=lambda h: h is None) == [hostel_id, None], held


def test_two_manual_pairs_of_the_same_request_and_offer(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    for _ in range(RUNS):
        with committed_factory.begin() as s:
            offer = f.make_offer(s)
            request_id, offer_id = f.make_request(s).id, offer.id
            coordinator = Actor.user(f.make_user(s, Role.COORDINATOR))

        def pair(
            s: Session, rid: int = request_id, oid: int = offer_id, who: Actor = coordinator
        ) -> None:
            ops.create_manual_pair(s, rid, oid, who)

        outcomes = [
            "exists" if o.startswith("conflict: Cette mise en relation existe déjà") else o
            for o in _race(committed_factory, [pair, pair])
        ]
        # The loser either clashed on the unique key, or (serialised) found the pair made.
        _check_outcomes(
            "two manual pairs", committed_engine.dialect.name, outcomes, {"taken", "exists"}
        )
        with committed_factory() as s:
            [pair_id] = s.scalars(
                select(Suggestion.id).where(
                    Suggestion.request_id == request_id, Suggestion.offer_id == offer_id
                )
            ).all()
            assert _audit_lines(s, pair_id) == 1
            kinds = [kind for kind, _ in _contact_mails(s, pair_id)]
            assert kinds == ["contact_candidate", "contact_employer"]


def test_a_decision_on_a_stale_read_loses_at_the_write(
    committed_factory: sessionmaker[Session],
) -> None:
    """The compare-and-set itself, in one thread: B read the rows, A changed them, B writes."""
    pair_id, offer_id, coordinator = _pair(committed_factory, S.PROPOSED)
    with committed_factory() as b:
        stale = b.get(Suggestion, pair_id)
        b.commit()  # B keeps what it read (expire_on_commit=False), as a page shown earlier
        with committed_factory.begin() as a:
            ops.approve_suggestion(a, pair_id, coordinator)
        with pytest.raises(Conflict, match="traitée par quelqu'un d'autre"):
            ops.reject_suggestion(b, stale, coordinator, "Trop loin")
        b.rollback()
        assert b.get(Suggestion, pair_id).status == S.APPROVED  # refreshed: the database's

        # An answer to a pair that moved meanwhile conflicts too.
        seen = b.get(Suggestion, pair_id)
        b.commit()
        with committed_factory.begin() as a:
            ops.abandon_suggestion(a, pair_id, coordinator, "Plus de nouvelles")
        assert seen.status == S.APPROVED  # what B still believes
        with pytest.raises(Conflict, match="traitée par quelqu'un d'autre"):
            ops.set_candidate_interest(b, seen, SYSTEM, True)
        b.rollback()
        assert seen.candidate_interest is None and seen.status == S.ABANDONED

    # The last place taken by A while B still sees it free.
    pair_id, offer_id, coordinator = _pair(committed_factory, S.INTERVIEW)
    with committed_factory.begin() as s:
        rival = f.make_suggestion(s, f.make_request(s), s.get(Offer, offer_id), status=S.INTERVIEW)
        rival_id = rival.id
    with committed_factory() as b:
        seen = b.get(Suggestion, rival_id)
        assert seen.offer.places_left == 1
        b.commit()
        with committed_factory.begin() as a:
            ops.mark_contract_signed(a, pair_id, coordinator)
        with pytest.raises(Conflict, match="Toutes les places"):
            ops.mark_contract_signed(b, seen, coordinator)
        b.rollback()
        assert seen.status == S.INTERVIEW and ops.pair_history(b, rival_id) == []
    with committed_factory() as s:
        assert s.get(Offer, offer_id).places_filled == 1


# --- The same races through HTTP: pages and API, each request its own session --------------------


@pytest.fixture
def live_app(committed_engine: Engine, tmp_path: Path) -> Flask:
    """The app on the committing database: each request opens its own session, as in production."""
    with committed_engine.connect() as unused:  # make_app binds to a test connection: replaced
        app = make_app(unused, committed_engine, tmp_path, fresh=True)
    state(app).session_factory = make_session_factory(committed_engine)
    return app


def test_two_coordinators_press_approve_at_the_same_instant(
    live_app: Flask, committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    with committed_factory.begin() as s:
        first, second = f.make_user(s, Role.COORDINATOR), f.make_user(s, Role.COORDINATOR)
    clients = [sign_in(live_app.test_client(), user) for user in (first, second)]
    for _ in range(HTTP_RUNS):
        pair_id, _offer, _coord = _pair(committed_factory)

        def press(client: Any, pid: int = pair_id) -> Any:
            def go() -> Any:
                return client.post(
                    f"/coordination/suggestions/{pid}/approuver",
                    data={"csrf_token": CSRF, "depuis": "proposed"},
                    follow_redirects=True,
                )

            return go

        answers = _together([press(c) for c in clients])
        codes = [a.status_code for a in answers]
        won = ["les deux parties vont recevoir les coordonnées" in a.text for a in answers]
        # The loser's flash: TAKEN (its apostrophes are escaped in the page).
        told = ["tre traitée par quelqu" in a.text for a in answers]
        TALLY.setdefault(f"pages: two approvals [{committed_engine.dialect.name}]", Counter())[
            f"codes={sorted(codes)} won={won.count(True)} told={told.count(True)}"
        ] += 1
        assert won.count(True) == 1, codes
        loser = won.index(False)
        assert codes == [200, 200] and told[loser], codes
        with committed_factory() as s:
            assert s.get(Suggestion, pair_id).status == S.APPROVED
            assert _audit_lines(s, pair_id) == 1
            assert len(_contact_mails(s, pair_id)) == 2


def test_two_manual_pairs_through_the_api_give_201_and_409(
    live_app: Flask, committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    with committed_factory.begin() as s:
        _, token = data_auth.create_api_token(
            s, role=Role.COORDINATOR, user_id=f.make_user(s, Role.COORDINATOR).id, label="test"
        )
    client = live_app.test_client()
    for _ in range(HTTP_RUNS):
        with committed_factory.begin() as s:
            body = {"request_id": f.make_request(s).id, "offer_id": f.make_offer(s).id}

        def create(payload: dict[str, int] = body) -> Any:
            return client.post(
                "/api/v1/suggestions", json=payload, headers={"Authorization": f"Bearer {token}"}
            )

        answers = _together([create, create])
        codes = sorted(a.status_code for a in answers)
        TALLY.setdefault(f"API: two manual pairs [{committed_engine.dialect.name}]", Counter())[
            str(codes)
        ] += 1
        assert codes == [201, 409], codes
        loser = next(a for a in answers if a.status_code == 409).get_json()
        assert loser["code"] == "conflict" and loser["message"]


def _sign_up_employer(app: Flask, address: str, siret: str, email: str) -> Callable[[], Any]:
    """One employer sign-up from its own client address (the limits are per address)."""
    client = sign_in(app.test_client(), None)
    form = {
        "csrf_token": CSRF,
        "name": "EHPAD Les Jardins de Brou",
        "siret": siret,
        "kind": "ehpad",
        "contact_name": "Claire Martin",
        "contact_email": email,
        "contact_phone": "04 74 00 00 02",
        "message": "",
        "consent": "1",
    }

    def go() -> Any:
        return client.post(
            "/inscription/employeur", data=form, environ_base={"REMOTE_ADDR": address}
        )

    return go


def test_two_sign_ups_of_one_new_siret_at_once_give_one_structure_and_a_join_request(
    live_app: Flask, committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    from data.models import Employer, StructureJoinRequest

    for run in range(HTTP_RUNS):
        siret = f.fake_siret()
        emails = [f"direction{run}@brou.example", f"adjointe{run}@brou.example"]
        answers = _together(
            [
                _sign_up_employer(live_app, f"10.0.{run}.{i + 1}", siret, email)
                for i, email in enumerate(emails)
            ]
        )
        pages = [(a.status_code, a.get_data(as_text=True)) for a in answers]
        alike = all(code == 200 and "Vérifiez votre messagerie" in page for code, page in pages)
        TALLY.setdefault(
            f"Pages: two sign-ups of one new SIRET [{committed_engine.dialect.name}]", Counter()
        )["one structure, one join request" if alike else "told apart"] += 1
        assert alike, [code for code, _ in pages]
        assert all("SIRET" not in page for _, page in pages)
        with committed_factory() as s:
            employers = s.scalars(select(Employer.id).where(Employer.siret == siret)).all()
            assert len(employers) == 1
            joins = s.scalars(
                select(StructureJoinRequest.email).where(
                    StructureJoinRequest.employer_id == employers[0]
                )
            ).all()
            accounts = s.scalars(select(User.email).where(User.employer_id == employers[0])).all()
            assert sorted([*joins, *accounts]) == sorted(emails)
            assert len(joins) == 1 and len(accounts) == 1


def test_two_candidate_sign_ups_of_one_address_at_once_answer_alike(
    live_app: Flask, committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    from data.models import Candidate

    for run in range(HTTP_RUNS):
        email = f"lea{run}@example.org"

        def sign_up(address: str, mail: str = email) -> Callable[[], Any]:
            client = sign_in(live_app.test_client(), None)
            form = {
                "csrf_token": CSRF,
                "first_name": "Léa",
                "last_name": "Martin",
                "email": mail,
                "phone": "",
                "consent": "1",
            }
            return lambda: client.post(
                "/inscription/candidat", data=form, environ_base={"REMOTE_ADDR": address}
            )

        answers = _together([sign_up(f"10.1.{run}.1"), sign_up(f"10.1.{run}.2")])
        codes = [a.status_code for a in answers]
        alike = codes == [200, 200] and all(
            "Vérifiez votre messagerie" in a.get_data(as_text=True) for a in answers
        )
        TALLY.setdefault(
            f"Pages: two sign-ups of one address [{committed_engine.dialect.name}]", Counter()
        )["one account" if alike else "told apart"] += 1
        assert alike, codes
        with committed_factory() as s:
            assert s.scalar(select(func.count()).select_from(User).where(User.email == email)) == 1
            candidates = select(func.count()).select_from(Candidate).where(Candidate.email == email)
            assert s.scalar(candidates) == 1


def test_two_interested_clicks_at_once_record_one_answer(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    for _ in range(RUNS):
        pair_id, _offer, _coord = _pair(committed_factory, status=S.APPROVED)
        with committed_factory.begin() as s:
            candidate = s.get(Candidate, s.get(Suggestion, pair_id).request.candidate_id)
            person = Actor.user(f.make_user(s, Role.CANDIDATE, candidate=candidate))

        def click(s: Session, pid: int = pair_id, who: Actor = person) -> None:
            ops.set_candidate_interest(s, pid, who, True)

        outcomes = _race(committed_factory, [click, click])
        # Both clicks say the same: the second finds the answer given and records nothing.
        TALLY.setdefault(
            f"two interested clicks [{committed_engine.dialect.name}]", Counter()
        ).update(outcomes)
        assert outcomes == ["won", "won"], outcomes
        with committed_factory() as s:
            assert s.get(Suggestion, pair_id).candidate_interest is not None
            assert _audit_lines(s, pair_id) == 1


def test_a_rupture_and_the_undo_of_the_signing_at_the_same_instant(
    committed_factory: sessionmaker[Session], committed_engine: Engine
) -> None:
    """Both would give the place back: one wins, the place is freed once (issue 15)."""
    for _ in range(RUNS // 2):
        pair_id, offer_id, coordinator = _pair(committed_factory, S.INTERVIEW)
        with committed_factory.begin() as s:
            ops.mark_contract_signed(s, pair_id, coordinator)

        def rupture(s: Session, pid: int = pair_id, who: Actor = coordinator) -> None:
            today = datetime.now(UTC).date()
            ops.break_contract(
                s, pid, who, today, "Période d'essai", reopen_place=True, expected=S.CONTRACT_SIGNED
            )

        def undo(s: Session, pid: int = pair_id, who: Actor = coordinator) -> None:
            ops.undo_last_stage(s, pid, who, expected=S.CONTRACT_SIGNED)

        outcomes = _race(committed_factory, [rupture, undo])
        # The undo may also read the rupture's line already written: it says so.
        lost = {"taken", f"conflict: {MOVED_SINCE}"}
        winner = _check_outcomes("rupture vs undo", committed_engine.dialect.name, outcomes, lost)
        with committed_factory() as s:
            offer = s.get(Offer, offer_id)
            assert (offer.places_filled, offer.status) == (0, OfferStatus.PUBLISHED)
            status = s.get(Suggestion, pair_id).status
            assert status == (S.BROKEN if winner == 0 else S.INTERVIEW)
            assert _audit_lines(s, pair_id) == 2
