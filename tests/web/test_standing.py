"""Where each side stands: the candidate's request and each of an employer's offers, in French.

Each status of :mod:`data.standing` is built as it happens (factories, real operations, a job
run recorded as the scheduler records it) and the page is read for its sentence. The last tests
check that a pair the review rule hides never reaches either side's page: only a count does.
"""

from __future__ import annotations

import doctest
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from data import jobruns, standing
from data import operations as ops
from data.actor import SYSTEM
from data.models import Offer, Request, Role, SuggestionStatus, User, utcnow
from data.operations import masters
from data.operations._common import local_today
from data.platform_settings import ReviewRule, set_review_rule
from data.recompute import recompute_suggestions
from data.standing import Status
from tests.data import factories as f
from tests.web.conftest import make_app, sign_in

S = SuggestionStatus


def rematched(session: Session, at: datetime | None = None, job: str = "rematch") -> None:
    """Record a successful re-matching run started at ``at`` (now by default)."""
    at = at or utcnow()
    run = jobruns.start_run(session, job, now=at)
    jobruns.finish_run(session, run, counts={"created": 0}, now=at + timedelta(seconds=1))


def page_text(app: Flask, user: User, url: str) -> str:
    response = sign_in(app.test_client(), user).get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


@dataclass
class Candidacy:
    """A signed-in candidate with a request, and an offer near it (not paired unless asked)."""

    user: User
    request: Request
    offer: Offer


def candidacy(session: Session, **request_overrides: object) -> Candidacy:
    user = f.make_user(session, Role.CANDIDATE)
    req = f.make_request(session, user.candidate, **request_overrides)
    offer = f.make_offer(session)
    return Candidacy(user, req, offer)


@dataclass
class Offering:
    """A signed-in employer with one offer, and an active request near it."""

    user: User
    offer: Offer
    request: Request


def offering(session: Session, *, publish: bool = True) -> Offering:
    user = f.make_user(session, Role.EMPLOYER)
    offer = f.make_offer(session, f.make_site(session, user.employer), publish=publish)
    return Offering(user, offer, f.make_request(session))


# --- The candidate's request --------------------------------------------------------------------


def _paused(session: Session, c: Candidacy) -> None:
    ops.pause_request(session, c.request)


def _closed(session: Session, c: Candidacy) -> None:
    ops.close_request(session, c.request)


def _matched(session: Session, c: Candidacy) -> None:
    pair = f.make_suggestion(session, c.request, c.offer, status=S.INTERVIEW)
    ops.mark_contract_signed(session, pair, SYSTEM)


def _broken(session: Session, c: Candidacy) -> None:
    """A signed contract broke off, the request left matched (not made active by the rupture)."""
    pair = f.make_suggestion(session, c.request, c.offer, status=S.INTERVIEW)
    ops.mark_contract_signed(session, pair, SYSTEM)
    ops.break_contract(session, pair, SYSTEM, local_today(), None, cause="other_job")


def _stage(status: SuggestionStatus) -> Callable[[Session, Candidacy], None]:
    def build(session: Session, c: Candidacy) -> None:
        f.make_suggestion(session, c.request, c.offer, status=status)
        rematched(session)

    return build


def _in_review(count: int) -> Callable[[Session, Candidacy], None]:
    def build(session: Session, c: Candidacy) -> None:
        f.make_suggestion(session, c.request, c.offer)
        for _ in range(count - 1):
            f.make_suggestion(session, c.request, f.make_offer(session))
        rematched(session)

    return build


def _proposed(session: Session, c: Candidacy) -> None:
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.7))
    f.make_suggestion(session, c.request, c.offer, score=0.8)
    rematched(session)


def _no_match(session: Session, c: Candidacy) -> None:
    rematched(session)


CANDIDATE_CASES: dict[str, tuple[Callable[[Session, Candidacy], None], list[str]]] = {
    "paused": (_paused, ["Votre demande est en pause", "Réactivez-la"]),
    "closed": (_closed, ["Votre demande est close", "Réactivez-la si vous cherchez"]),
    "matched": (_matched, ["Contrat signé : votre demande a abouti"]),
    # After a rupture the person is offered to look again (issue 19).
    "contract_broken": (
        _broken,
        ["Contrat rompu : aucune offre ne vous est proposée", "réactivez votre demande"],
    ),
    "approved": (
        _stage(S.APPROVED),
        ["Mise en relation faite : les coordonnées de l'employeur vous sont envoyées par courriel"],
    ),
    "contacted": (_stage(S.CONTACTED), ["Contact pris : l'employeur et vous êtes en relation"]),
    "interview": (_stage(S.INTERVIEW), ["Entretien : après l'entretien"]),
    "in_review_one": (
        _in_review(1),
        [
            "1 proposition est en cours d'examen par l'équipe de coordination.",
            "Elle vous sera montrée ici si elle est approuvée.",
        ],
    ),
    "in_review_many": (
        _in_review(3),
        ["3 propositions sont en cours d'examen par l'équipe de coordination."],
    ),
    "proposed": (_proposed, ["1 offre vous est proposée : dites-nous si elle vous intéresse."]),
    "no_match": (
        _no_match,
        [
            "Aucune offre ne correspond pour l'instant à votre demande dans un rayon de 30 km.",
            "L'équipe de coordination examine chaque proposition avant de vous la montrer.",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CANDIDATE_CASES))
def test_candidate_page_says_where_the_request_stands(
    case: str, app: Flask, session: Session
) -> None:
    build, sentences = CANDIDATE_CASES[case]
    c = candidacy(session)
    build(session, c)
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    for sentence in sentences:
        assert sentence in text, (case, sentence)
    assert "seront calculées" not in text  # nothing changed since the last re-matching


def test_new_request_is_told_when_its_suggestions_come(app: Flask, session: Session) -> None:
    # No re-matching has run yet: at most one interval (5 minutes by default).
    c = candidacy(session)
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    assert "Vos propositions d'offres seront calculées d'ici 5 minutes." in text
    assert "L'équipe de coordination examine chaque proposition avant de vous la montrer." in text
    assert "Aucune offre ne vous est proposée pour l'instant." in text


def test_new_request_under_the_auto_rule_is_told_who_sees_first(
    app: Flask, session: Session
) -> None:
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.8))
    c = candidacy(session)
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    assert "Les propositions qui correspondent le mieux vous sont montrées aussitôt" in text
    assert "examine chaque proposition avant de vous la montrer" not in text


def test_minutes_follow_the_schedule_and_the_last_run(
    connection: Connection, engine: Engine, tmp_path: Path, session: Session
) -> None:
    app = make_app(connection, engine, tmp_path, JOB_SCHEDULE={"rematch": {"minutes": 10}})
    rematched(session, utcnow() - timedelta(minutes=3))
    c = candidacy(session)  # changed after that run
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    assert "Vos propositions d'offres seront calculées d'ici 7 minutes." in text
    # The next run takes the change into account: nothing is announced any more.
    rematched(session)
    session.commit()
    assert "seront calculées" not in page_text(app, c.user, "/candidat/")
    # A change after it is announced again, along with the pair still under review.
    f.make_suggestion(session, c.request, c.offer)
    rematched(session)
    session.commit()
    ops.update_request(session, c.request, max_distance_km=40)
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    assert "seront calculées d'ici 10 minutes" in text
    assert "1 proposition est en cours d'examen" in text


def test_an_overdue_rematching_promises_no_number(app: Flask, session: Session) -> None:
    rematched(session, utcnow() - timedelta(hours=2))
    c = candidacy(session)
    session.commit()
    assert "seront calculées prochainement." in page_text(app, c.user, "/candidat/")


def test_nothing_near_offers_to_widen(app: Flask, session: Session) -> None:
    # The only offer is in Oyonnax, 32 km from Bourg: beyond the request's 20 km.
    c = candidacy(session, max_distance_km=20)
    ops.close_offer(session, c.offer)
    f.make_offer(session, f.make_site(session, commune_insee=f.OYONNAX))
    rematched(session)
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    assert (
        "Aucune offre ne correspond pour l'instant à votre demande dans un rayon de 20 km" in text
    )
    assert "Élargir ma recherche à 33 km" in text


# --- The employer's offers ----------------------------------------------------------------------


def _offer_stage(status: SuggestionStatus) -> Callable[[Session, Offering], None]:
    def build(session: Session, o: Offering) -> None:
        f.make_suggestion(session, o.request, o.offer, status=status)
        rematched(session)

    return build


def _offer_in_review(session: Session, o: Offering) -> None:
    f.make_suggestion(session, o.request, o.offer)
    f.make_suggestion(session, f.make_request(session), o.offer, score=0.6)
    rematched(session)


def _offer_proposed(session: Session, o: Offering) -> None:
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.7))
    f.make_suggestion(session, o.request, o.offer, score=0.9)
    f.make_suggestion(session, f.make_request(session), o.offer, score=0.8)
    f.make_suggestion(session, f.make_request(session), o.offer, score=0.5)  # hidden
    rematched(session)


def _offer_tutor_full(session: Session, o: Offering) -> None:
    """The offer names a master who already supervises two apprentices elsewhere; the
    re-matching then leaves its pair stale (not a « no match »)."""
    master = masters.create_master(
        session,
        o.offer.site.employer,
        {
            "name": "Jade Lopez",
            "role": "Aide-soignante",
            "diploma": "DEAS",
            "experience_years": "6",
            "supervised_elsewhere": "2",
        },
    )
    masters.set_offer_master(session, o.offer, master.id)
    recompute_suggestions(session)
    rematched(session)


EMPLOYER_CASES: dict[str, tuple[Callable[[Session, Offering], None], list[str]]] = {
    "closed": (
        lambda s, o: ops.close_offer(s, o.offer),
        ["Offre fermée : elle n'est plus proposée aux candidats. Dupliquez-la"],
    ),
    "expired": (
        lambda s, o: ops.expire_offer(s, o.offer),
        ["Offre expirée : elle n'est plus proposée aux candidats."],
    ),
    "filled": (
        lambda s, o: ops.mark_offer_filled(s, o.offer),
        ["Toutes les places sont pourvues"],
    ),
    "approved": (
        _offer_stage(S.APPROVED),
        ["Mise en relation faite : les coordonnées du candidat vous sont envoyées par courriel"],
    ),
    "contacted": (_offer_stage(S.CONTACTED), ["Contact pris : le candidat et vous êtes"]),
    "interview": (_offer_stage(S.INTERVIEW), ["Entretien : après l'entretien"]),
    "in_review": (
        _offer_in_review,
        ["2 propositions sont en cours d'examen par l'équipe de coordination."],
    ),
    "proposed": (
        _offer_proposed,
        [
            "2 candidatures vous sont proposées : dites-nous si elles vous intéressent.",
            "1 proposition est en cours d'examen par l'équipe de coordination.",
        ],
    ),
    "no_match": (
        lambda s, o: rematched(s),
        ["Aucune demande de candidat ne correspond pour l'instant à cette offre."],
    ),
    "tutor_full": (
        _offer_tutor_full,
        [
            "Le maître d'apprentissage de cette offre, Jade Lopez, n'a plus de place : il ou elle "
            "encadre déjà autant d'apprentis que la loi le permet. L'offre n'est plus proposée "
            "aux candidats"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(EMPLOYER_CASES))
def test_employer_pages_say_where_the_offer_stands(case: str, app: Flask, session: Session) -> None:
    build, sentences = EMPLOYER_CASES[case]
    o = offering(session)
    build(session, o)
    session.commit()
    for url in (f"/employeur/offres/{o.offer.id}", "/employeur/"):
        text = page_text(app, o.user, url)
        for sentence in sentences:
            assert sentence in text, (case, url, sentence)
        assert "seront calculées" not in text


def test_draft_and_new_offer(app: Flask, session: Session) -> None:
    o = offering(session, publish=False)
    session.commit()
    text = page_text(app, o.user, f"/employeur/offres/{o.offer.id}")
    assert "Brouillon : publiez l'offre pour qu'elle soit proposée aux candidats." in text
    ops.publish_offer(session, o.offer)
    session.commit()
    text = page_text(app, o.user, f"/employeur/offres/{o.offer.id}")
    assert "Les candidatures à vous proposer pour cette offre seront calculées d'ici 5" in text
    assert "Aucune candidature ne vous est proposée pour l'instant." in text


def test_dashboard_tells_each_offer_apart(app: Flask, session: Session) -> None:
    o = offering(session)
    second = f.make_offer(session, o.offer.site, metier_code="accompagnant-educatif-social")
    f.make_suggestion(session, o.request, second)
    rematched(session)
    session.commit()
    got = standing.offer_standings(session, [o.offer, second], config=app.config)
    assert got[o.offer.id].status == Status.NO_MATCH
    assert (got[second.id].status, got[second.id].in_review) == (Status.IN_REVIEW, 1)
    text = page_text(app, o.user, "/employeur/")
    assert "1 proposition est en cours d'examen" in text
    assert "Aucune demande de candidat ne correspond" in text


# --- The rule itself ----------------------------------------------------------------------------


def test_status_order_and_what_also_holds(app: Flask, session: Session) -> None:
    c = candidacy(session)
    f.make_suggestion(session, c.request, c.offer, status=S.CONTACTED)
    f.make_suggestion(session, c.request, f.make_offer(session), status=S.APPROVED)
    f.make_suggestion(session, c.request, f.make_offer(session))
    f.make_suggestion(session, c.request, f.make_offer(session), status=S.REJECTED)
    f.make_suggestion(session, c.request, f.make_offer(session), stale=True)
    rematched(session)
    got = standing.request_standing(session, c.request, config=app.config)
    assert got.status == Status.CONTACTED and got.also == (Status.IN_REVIEW,)
    assert got.stages == {S.CONTACTED: 1, S.APPROVED: 1}
    # Rejected and stale pairs are not counted: the count never tells of a rejection.
    assert (got.in_review, got.proposed, got.minutes) == (1, 0, None)
    ops.pause_request(session, c.request)
    paused = standing.request_standing(session, c.request, config=app.config)
    assert (paused.status, paused.also) == (Status.PAUSED, ())


def test_module_examples() -> None:
    assert doctest.testmod(standing).failed == 0
    assert standing.next_stage(S.CONTACTED) == S.INTERVIEW
    assert standing.next_stage(S.PROPOSED) is None


# --- What the review rule hides never reaches the parties --------------------------------------


def test_hidden_pair_details_reach_neither_side_in_approval_mode(
    app: Flask, session: Session
) -> None:
    candidate = f.make_candidate(
        session, first_name="Ysaline", last_name="Morel-Quintard", phone="06 55 44 33 22"
    )
    user = f.make_user(session, Role.CANDIDATE, candidate=candidate)
    req = f.make_request(session, candidate, metiers=["AES"], commune_insee=f.BOURG)
    employer_user = f.make_user(
        session,
        Role.EMPLOYER,
        employer=f.make_employer(session, name="Foyer Les Hirondelles", contact_name="Basile"),
    )
    site = f.make_site(
        session, employer_user.employer, name="Maison Hirondelle", commune_insee=f.OYONNAX
    )
    offer = f.make_offer(
        session, site, metier_code="accompagnant-educatif-social", tutor_name="Gaspard Lenoir"
    )
    hidden = f.make_suggestion(
        session, req, offer, score=0.93, distance_km=0.0, reasons=["Raison très secrète"]
    )
    rematched(session)
    session.commit()

    candidate_page = page_text(app, user, "/candidat/")
    assert "1 proposition est en cours d'examen" in candidate_page
    for secret in (
        "Hirondelle",
        "Basile",
        offer.site.employer.contact_email,
        "Gaspard",
        "Raison très secrète",
        "93 %",
        f"suggestion-{hidden.id}",
    ):
        assert secret not in candidate_page, secret

    for url in (f"/employeur/offres/{offer.id}", "/employeur/"):
        employer_page = page_text(app, employer_user, url)
        assert "1 proposition est en cours d'examen" in employer_page
        for secret in (
            "Ysaline",
            "Morel-Quintard",
            candidate.email,
            "06 55 44 33 22",
            "Bourg-en-Bresse",
            "Raison très secrète",
            "93 %",
            f"suggestion-{hidden.id}",
        ):
            assert secret not in employer_page, (url, secret)

    # Once approved, the pair is shown to both: the same page now names it.
    ops.approve_suggestion(session, hidden, SYSTEM)
    session.commit()
    assert "Hirondelle" in page_text(app, user, "/candidat/")
    assert "Ysaline" in page_text(app, employer_user, f"/employeur/offres/{offer.id}")


def test_pair_under_the_auto_threshold_stays_hidden(app: Flask, session: Session) -> None:
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.9))
    c = candidacy(session)
    employer = c.offer.site.employer
    f.make_suggestion(session, c.request, c.offer, score=0.6)
    rematched(session)
    session.commit()
    text = page_text(app, c.user, "/candidat/")
    assert "1 proposition est en cours d'examen" in text
    assert employer.name not in text and "60 %" not in text
    assert "Les propositions qui correspondent le mieux vous sont montrées aussitôt" not in text
