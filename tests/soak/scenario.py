"""A scripted day of Passerelle, through HTTP as people use it, and the record of what was done.

Staff accounts are made with ``flask --app web users create-staff`` and sign in with their password
and TOTP code; employers and candidates sign up and sign in with the link mailed to them (caught at
the SMTP relay). The test reads the database only to find what a person would see on a page (the
id of a suggestion) and to wait for the scheduler; every action is an HTTP request.

Each day brings new people (their addresses carry the day's number) at communes around
Bourg-en-Bresse, so that every request and every offer has suggestions.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from data.models import Candidate, HousingResource, Request, Suggestion
from data.operations._common import local_today
from tests.data.factories import fake_siret
from tests.soak.harness import Person, Service, one_click, unsubscribe_link, wait_until

#: Timeouts (seconds) of the waits for the scheduler: several of its intervals, on a slow machine.
SCHEDULER_WAIT = 60.0
OFFER_TEXT = (
    "Accompagnement des résidents dans les gestes de la vie quotidienne, au sein d'une équipe "
    "soignante attentive. Horaires de jour, un week-end sur trois, tutrice diplômée. "
)


@dataclass
class Change:
    """An offer or a request created or changed at ``at`` (epoch seconds, after the answer)."""

    kind: str  # "offer" or "request"
    ident: int | str  # offer id, or the candidate's address for a request
    at: float
    what: str


@dataclass
class Record:
    """What the people did, for the invariants to check."""

    answers: list[tuple[str, str, int]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    #: Approved pairs: suggestion id -> (candidate address, employer address, approval time).
    approved: dict[int, tuple[str, str, float]] = field(default_factory=dict)
    #: Addresses that left (unsubscribed, deleted) -> when (after the answer).
    left: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: Offers closed and candidates deleted: no suggestion is expected for them any more.
    closed_offers: set[int] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    #: Housing resources the coordinators published, and the pairs signed while housed there.
    hostels: set[int] = field(default_factory=set)
    housed_signed: set[int] = field(default_factory=set)


@dataclass
class Employer:
    """An employer's staff member, signed in, with the offers they published."""

    person: Person
    email: str
    offers: list[int] = field(default_factory=list)


@dataclass
class CandidateP:
    """A candidate, signed in."""

    person: Person
    email: str


class People:
    """Sign people up and act for them; everything through the service's pages."""

    def __init__(self, service: Service, record: Record) -> None:
        self.service = service
        self.record = record
        self.mail = service.mail

    def person(self, name: str) -> Person:
        return Person(self.service.base, self.record.answers, name)

    # --- Staff

    def staff(self, email: str, role: str = "coordinator") -> Person:
        """Create a staff account (CLI) and sign it in (password + TOTP)."""
        password, secret = self.service.create_staff(email, role)
        p = self.person(email)
        p.sign_in_staff(email, password, secret)
        return p

    def sign_up(self, page: str, email: str, form: dict[str, str]) -> Person:
        """Fill a sign-up form (consenting), then sign in with the link mailed to ``email``."""
        p = self.person(email)
        since = len(self.mail.to(email))
        status, _, _ = p.submit(page, form={**form, "consent": "1"})
        assert status == 200, f"{email}: signing up answered {status}"
        p.sign_in_with_link(self.mail, email, since)
        return p

    def staff_at_once(self, *accounts: tuple[str, str]) -> list[Person]:
        """Create several staff accounts (e-mail, role) with CLI processes run at once.

        As several admins in several terminals would; it takes a third of the time of one after
        the other.
        """
        with ThreadPoolExecutor(len(accounts)) as pool:
            return list(pool.map(lambda account: self.staff(*account), accounts))

    # --- Employers

    def employer(self, key: str, name: str, commune: str, metier: str) -> Employer:
        """Sign up an employer, add its site at ``commune``, publish one offer of ``metier``."""
        email = f"rh.{key}@soak.example"
        p = self.sign_up(
            "/inscription/employeur",
            email,
            {
                "name": name,
                "siret": fake_siret(),
                "kind": "ehpad",
                "contact_name": f"Direction {key}",
                "contact_email": email,
                "contact_phone": "04 74 00 00 00",
            },
        )
        status, _, _ = p.submit(
            "/employeur/lieux/nouveau",
            form={"name": f"Résidence {key}", "commune": commune, "address": "1 rue de la Gare"},
        )
        assert status == 302, f"{email}: the new site answered {status}"
        employer = Employer(p, email)
        employer.offers.append(self.publish_offer(employer, metier))
        return employer

    def publish_offer(self, employer: Employer, metier: str) -> int:
        """Create and publish an offer; record it as a change."""
        p = employer.person
        page = p.get("/employeur/offres/nouvelle")
        site = re.search(r'<option value="(\d+)"', page)
        assert site, "the offer form lists no site"
        status, _, location = p.submit(
            "/employeur/offres/nouvelle",
            form=self._offer_form(site.group(1), metier, places=1),
        )
        assert status == 302, f"{employer.email}: the new offer answered {status}"
        offer_id = int(location.rstrip("/").rsplit("/", 1)[1])
        status, _, _ = p.submit(
            f"/employeur/offres/{offer_id}", f"/employeur/offres/{offer_id}/publier"
        )
        assert status == 302, f"{employer.email}: publishing answered {status}"
        self.record.changes.append(Change("offer", offer_id, time.time(), "published"))
        return offer_id

    @staticmethod
    def _offer_form(site_id: str, metier: str, places: int) -> dict[str, str]:
        return {
            "site_id": site_id,
            "metier_code": metier,
            "contract": "apprentissage",
            "places": str(places),
            "start_date": (local_today() + timedelta(days=60)).isoformat(),
            "duration_months": "24",
            "housing_beds": "0",
            "description": OFFER_TEXT,
        }

    def edit_offer(self, employer: Employer, offer_id: int, metier: str, places: int) -> None:
        """Change a published offer (its places); record the change."""
        page = employer.person.get(f"/employeur/offres/{offer_id}/modifier")
        site = re.search(r'<option value="(\d+)" selected', page) or re.search(
            r'<option value="(\d+)"', page
        )
        assert site
        status, _, _ = employer.person.submit(
            f"/employeur/offres/{offer_id}/modifier",
            form=self._offer_form(site.group(1), metier, places),
        )
        assert status == 302, f"{employer.email}: editing the offer answered {status}"
        self.record.changes.append(Change("offer", offer_id, time.time(), f"{places} places"))

    def close_offer(self, employer: Employer, offer_id: int) -> None:
        status, _, _ = employer.person.submit(
            f"/employeur/offres/{offer_id}", f"/employeur/offres/{offer_id}/fermer"
        )
        assert status == 302, f"{employer.email}: closing the offer answered {status}"
        self.record.closed_offers.add(offer_id)

    # --- Candidates

    def candidate(
        self,
        key: str,
        first: str,
        commune: str,
        metier: str,
        frequency: str = "daily",
        *,
        housing: bool = False,
    ) -> CandidateP:
        """Sign up a candidate, choose how often to be mailed, post a request."""
        email = f"{first.lower()}.{key}@soak.example"
        p = self.sign_up(
            "/inscription/candidat",
            email,
            {
                "first_name": first,
                "last_name": f"Soak {key}",
                "email": email,
                "phone": "06 00 00 00 00",
            },
        )
        c = CandidateP(p, email)
        if frequency != "daily":
            status, _, _ = p.submit("/candidat/notifications", form={"notify_frequency": frequency})
            assert status == 302, f"{email}: notifications answered {status}"
        self.post_request(c, metier, commune, 30, housing=housing)
        return c

    def post_request(
        self,
        c: CandidateP,
        metier: str,
        commune: str,
        km: int,
        second: str = "",
        *,
        housing: bool = False,
    ) -> None:
        """Create or change the candidate's request; record the change."""
        form = {"metier_1": metier, "commune": commune, "max_distance_km": str(km)}
        if second:
            form["metier_2"] = second
        if housing:
            form["needs_housing"] = "1"
        status, _, _ = c.person.submit("/candidat/demande", form=form)
        assert status == 302, f"{c.email}: the request answered {status}"
        self.record.changes.append(Change("request", c.email, time.time(), f"{metier} {km} km"))

    def delete(self, c: CandidateP) -> None:
        """The candidate deletes their account."""
        status, _, _ = c.person.submit(
            "/candidat/donnees", "/candidat/supprimer", {"confirm": "SUPPRIMER"}
        )
        assert status == 302, f"{c.email}: deleting the account answered {status}"
        now = time.time()
        self.record.left[c.email] = ("deleted", now)
        self.record.deleted.add(c.email)

    def unsubscribe(self, email: str) -> None:
        """Follow the List-Unsubscribe link of a mail received (one click, as a mail client)."""

        def link() -> str | None:
            return next((u for _, m in self.mail.to(email) if (u := unsubscribe_link(m))), None)

        found = wait_until(link, f"a mail to {email} with a List-Unsubscribe link", SCHEDULER_WAIT)
        assert one_click(found) == 200, f"{email}: one-click unsubscribe failed"
        self.record.left[email] = ("unsubscribed", time.time())

    # --- Coordinators

    def pair(self, candidate: CandidateP, offer_id: int) -> int:
        """Wait for the suggestion (candidate's request, offer) and return its id."""

        def find() -> int | None:
            with self.service.db.engine.connect() as conn:
                return conn.scalar(
                    select(Suggestion.id)
                    .join(Request, Request.id == Suggestion.request_id)
                    .join(Candidate, Candidate.id == Request.candidate_id)
                    .where(Candidate.email == candidate.email, Suggestion.offer_id == offer_id)
                )

        return wait_until(
            find, f"the suggestion {candidate.email} / offer {offer_id}", SCHEDULER_WAIT
        )

    def approve(
        self, coordinator: Person, suggestion_id: int, candidate: CandidateP, employer: Employer
    ) -> None:
        status, _, _ = coordinator.submit(
            f"/coordination/suggestions/{suggestion_id}",
            f"/coordination/suggestions/{suggestion_id}/approuver",
        )
        assert status == 302, f"approving {suggestion_id} answered {status}"
        self.record.approved[suggestion_id] = (candidate.email, employer.email, time.time())

    def stage(self, coordinator: Person, suggestion_id: int, stage: str, reason: str = "") -> None:
        status, body, _ = coordinator.submit(
            f"/coordination/suggestions/{suggestion_id}",
            f"/coordination/suggestions/{suggestion_id}/etape/{stage}",
            # Confirmed at once (a contract, an abandon: the page asks first).
            {"reason": reason, "confirme": "1"} if reason else {"confirme": "1"},
        )
        assert status == 302, f"moving {suggestion_id} to {stage} answered {status}"

    def hostel(self, coordinator: Person, name: str, commune: str, beds: int) -> int:
        """Publish a partner's hostel through the inventory's form; return its id."""
        status, _, location = coordinator.submit(
            "/coordination/logements/nouveau",
            form={
                "name": name,
                "housing_kind": "fjt",
                "manager": "partner",
                "partner_name": "Habitat jeunes (soak)",
                "commune": commune,
                "beds": str(beds),
                "monthly_cost_eur": "390",
                "published": "1",
            },
        )
        assert status == 302, f"publishing the hostel {name} answered {status}"
        with self.service.db.engine.connect() as conn:
            found = conn.scalar(select(HousingResource.id).where(HousingResource.name == name))
        assert found is not None, f"the hostel {name} was not saved ({location})"
        self.record.hostels.add(found)
        return found

    def housed_pair(self, candidate: CandidateP, offer_id: int, hostel: int) -> int:
        """Wait for the suggestion (candidate, offer) housed by the engine at ``hostel``."""

        def find() -> int | None:
            with self.service.db.engine.connect() as conn:
                return conn.scalar(
                    select(Suggestion.id)
                    .join(Request, Request.id == Suggestion.request_id)
                    .join(Candidate, Candidate.id == Request.candidate_id)
                    .where(
                        Candidate.email == candidate.email,
                        Suggestion.offer_id == offer_id,
                        Suggestion.proposed_housing_id == hostel,
                    )
                )

        return wait_until(
            find, f"the suggestion {candidate.email} / offer {offer_id} housed", SCHEDULER_WAIT
        )

    def reject(self, coordinator: Person, suggestion_id: int, reason: str) -> None:
        status, _, _ = coordinator.submit(
            f"/coordination/suggestions/{suggestion_id}",
            f"/coordination/suggestions/{suggestion_id}/rejeter",
            {"reason": reason},
        )
        assert status == 302, f"rejecting {suggestion_id} answered {status}"


@dataclass
class Staff:
    """Two coordinators and an admin, signed in for the whole soak."""

    coordinators: tuple[Person, Person]
    admin: Person


def set_up_staff(people: People) -> Staff:
    """Create and sign in the staff; the admin sets the review rule to « automatique » (50) and
    lets new structures publish without a check."""
    a, b, admin = people.staff_at_once(
        ("coord.a@soak.example", "coordinator"),
        ("coord.b@soak.example", "coordinator"),
        ("admin@soak.example", "admin"),
    )
    staff = Staff((a, b), admin)
    # Suggestions scoring 50 or more are shown (and mailed) to both sides before any review:
    # digests then flow all day, to be stopped by an unsubscription.
    status, _, _ = staff.admin.submit(
        "/admin/", "/admin/regle-de-revue", {"mode": "auto", "min_score": "50"}
    )
    assert status == 302, f"the review rule answered {status}"
    # New structures publish at once (their check is moderation's tests' subject): the days
    # time each offer from its publication.
    status, _, _ = staff.admin.submit(
        "/admin/", "/admin/verification-des-structures", {"structures_check": "none"}
    )
    assert status == 302, f"the structures' check answered {status}"
    return staff


BOURG = "Bourg-en-Bresse (01000)"


def run_day(people: People, staff: Staff, n: int) -> None:
    """One day: three employers, six candidates, and the coordinators' decisions."""
    key = f"j{n}"
    a, b = staff.coordinators
    e1 = people.employer(f"{key}e1", f"EHPAD Les Tilleuls {key}", BOURG, "aide-soignant")
    e2 = people.employer(f"{key}e2", f"EHPAD Le Parc {key}", "Péronnas (01960)", "aide-soignant")
    e3 = people.employer(
        f"{key}e3", f"IME Les Saules {key}", "Viriat (01440)", "accompagnant-educatif-social"
    )
    o1, o2, o3 = e1.offers[0], e2.offers[0], e3.offers[0]
    c1 = people.candidate(key, "Lea", BOURG, "aide-soignant", "immediate")
    c2 = people.candidate(key, "Hugo", BOURG, "aide soignant", "immediate")
    c3 = people.candidate(key, "Ines", "Saint-Denis-lès-Bourg (01000)", "aide-soignante")
    c4 = people.candidate(key, "Yanis", BOURG, "accompagnant éducatif et social", "immediate")
    c5 = people.candidate(key, "Chloe", "Ceyzériat (01250)", "aide-soignant", "weekly")
    c6 = people.candidate(key, "Nael", BOURG, "aide-soignant", "immediate")
    people.delete(c6)  # changed their mind at once

    # Coordinators review as soon as the suggestions are there, and move some pairs on at once,
    # before the contacts job has run.
    s11 = people.pair(c1, o1)
    people.approve(a, s11, c1, e1)
    people.stage(a, s11, "contacte")
    s32 = people.pair(c3, o2)
    people.approve(a, s32, c3, e2)
    people.stage(a, s32, "entretien")
    s43 = people.pair(c4, o3)
    people.approve(b, s43, c4, e3)
    people.close_offer(e3, o3)  # the offer closes right after the approval
    people.reject(b, people.pair(c1, o2), "Trop loin de chez la candidate, sans voiture.")
    s21 = people.pair(c2, o1)
    people.approve(a, s21, c2, e1)  # left "approved": the contacts job moves it on
    s52 = people.pair(c5, o2)
    people.approve(b, s52, c5, e2)
    people.stage(b, s52, "abandon", "La candidate a trouvé un contrat ailleurs.")

    # Housing (issue 17): a coordinator publishes a partner's hostel with one bed; a candidate
    # who needs housing is housed there by the engine, signs, and the bed is taken.
    hostel = people.hostel(a, f"Foyer Les Tilleuls {key}", "Péronnas (01960)", beds=1)
    c7 = people.candidate(key, "Sarah", BOURG, "aide-soignant", "immediate", housing=True)
    s72 = people.housed_pair(c7, o2, hostel)
    people.approve(a, s72, c7, e2)
    people.stage(a, s72, "contacte")
    people.stage(a, s72, "contrat")
    people.record.housed_signed.add(s72)

    # People change their minds.
    people.post_request(c3, "aide-soignant", "Saint-Denis-lès-Bourg (01000)", 40, "AES")
    people.edit_offer(e1, o1, "aide-soignant", places=2)
    # The second candidate, once put in contact, stops the mails with the List-Unsubscribe link
    # of a mail (a digest), then widens the search: the new suggestions must not be mailed.
    people.mail.wait_for(c2.email, "contact_candidate", SCHEDULER_WAIT)
    people.unsubscribe(c2.email)
    people.post_request(c2, "aide-soignant", BOURG, 45)
