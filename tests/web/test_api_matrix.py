"""Role x endpoint matrix of the JSON API, and what each role may see of candidates.

Columns: anonymous (no token), candidate_page (signed in on the pages: the API ignores the
cookie), candidate (the world's candidate's token), other_candidate (another candidate's token,
with a request of its own), employer, another employer, coordinator, admin. Each call runs in a
savepoint rolled back after it, so every role meets the same world. Every 2xx answer is checked
against the OpenAPI document. The matrix runs on SQLite only (see ``test_role_matrix``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from flask import Flask
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from data import auth as data_auth
from data.actor import Actor
from data.errors import ValidationError
from data.models import AuditEntry, Role, SuggestionStatus
from data.models.auth import ApiToken
from data.operations import audit, pair_history
from data.operations import housing as housing_ops
from data.operations._common import local_today
from data.operations.cv import save_cv
from data.platform_settings import ReviewRule, set_review_rule
from tests.data import factories as f
from tests.web.api_fixtures import ROLES, ApiClient, Tokens, api, tokens  # noqa: F401
from web.listing import EXPORT_FORMATS

W = Any  # tests.web.conftest.World (plus ``other_request`` in the matrix)
SOON = (local_today() + timedelta(days=90)).isoformat()
#: The smallest whole PDF the CV check accepts (tests/web/test_cv.py tries the refused ones).
A_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstartxref\n9\n%%EOF\n"


@dataclass(frozen=True)
class Endpoint:
    """One call of the matrix: its OpenAPI path, the values of its parameters, its body."""

    method: str
    path: str
    params: Callable[[W], dict[str, Any]] = lambda w: {}
    body: Callable[[W], Any] | None = None
    query: str = ""
    expected: dict[str, int] = field(default_factory=dict)
    # What a success answers (the CV: a PDF), and what the world needs first (the CV put).
    mimetype: str = "application/json"
    setup: Callable[[W, Session, str], None] | None = None

    def url(self, world: W) -> str:
        url = self.path.format(**self.params(world))
        return f"{url}?{self.query}" if self.query else url


def expect(
    *,
    employer: int,
    other: int,
    staff: int,
    candidate: int,
    other_candidate: int,
    anonymous: int = 401,
) -> dict[str, int]:
    """Return the expected status of each column (a page cookie is no token: always 401)."""
    return {
        "anonymous": anonymous,
        "candidate_page": anonymous,
        "candidate": candidate,
        "other_candidate": other_candidate,
        "employer": employer,
        "other_employer": other,
        "coordinator": staff,
        "admin": staff,
    }


# The world's offer: its employer's, published (candidates read it), paired with the world's
# candidate (approved). The world's request: the world's candidate's.
ANY_TOKEN = expect(employer=200, other=200, staff=200, candidate=200, other_candidate=200)
EMPLOYER_OWN = expect(employer=200, other=404, staff=200, candidate=403, other_candidate=403)
CANDIDATE_OWN = expect(employer=403, other=403, staff=200, candidate=200, other_candidate=404)
STAFF = expect(employer=403, other=403, staff=200, candidate=403, other_candidate=403)
PUBLIC = dict.fromkeys(ROLES, 200)

offer_id = lambda w: {"offer_id": w.offer.id}  # noqa: E731
request_id = lambda w: {"request_id": w.request.id}  # noqa: E731
suggestion_id = lambda w: {"suggestion_id": w.suggestion.id}  # noqa: E731
centre_id = lambda w: {"centre_id": w.centre.id}  # noqa: E731
programme_id = lambda w: {"centre_id": w.centre.id, "programme_id": w.centre.programmes[0].id}  # noqa: E731
session_id = lambda w: {  # noqa: E731
    **programme_id(w),
    "session_id": w.centre.programmes[0].sessions[0].id,
}
site_housing = lambda w: {"housing_id": w.offer.site.housings[0].id}  # noqa: E731
partner_housing = lambda w: {"housing_id": w.partner_housing.id}  # noqa: E731


def _partner(world: W, session: Session, cv_dir: str) -> None:
    """Add a partner's published hostel to the world (``world.partner_housing``)."""
    world.partner_housing = housing_ops.create_housing(
        session,
        Actor.system(),
        name="Foyer Les Tilleuls (démo)",
        kind="fjt",
        partner_name="Habitat Jeunes (démo)",
        commune=f.OYONNAX,
        beds=20,
        published=True,
    )


#: Writes of the training centres: staff only (200 unless said).
STAFF_WRITES = STAFF

ENDPOINTS = {
    "offers.list": Endpoint("GET", "/api/v1/offers", expected=ANY_TOKEN),
    "offers.create": Endpoint(
        "POST",
        "/api/v1/offers",
        body=lambda w: {"site_id": w.offer.site_id, "metier_code": "aide-soignant"},
        # Another employer names a site that is not theirs: refused on that field.
        expected=expect(employer=201, other=422, staff=201, candidate=403, other_candidate=403),
    ),
    "offers.detail": Endpoint(
        "GET",
        "/api/v1/offers/{offer_id}",
        offer_id,
        # Published: candidates read it as the public page shows it.
        expected=expect(employer=200, other=404, staff=200, candidate=200, other_candidate=200),
    ),
    "offers.detail_draft": Endpoint(
        "GET",
        "/api/v1/offers/{offer_id}",
        lambda w: {"offer_id": w.draft.id},
        expected=expect(employer=200, other=404, staff=200, candidate=404, other_candidate=404),
    ),
    "offers.update": Endpoint(
        "PATCH",
        "/api/v1/offers/{offer_id}",
        offer_id,
        body=lambda w: {"tutor_role": "Infirmière coordinatrice"},
        expected=EMPLOYER_OWN,
    ),
    "offers.publish": Endpoint(
        "POST",
        "/api/v1/offers/{offer_id}/publish",
        lambda w: {"offer_id": w.draft.id},
        expected=EMPLOYER_OWN,
    ),
    "offers.close": Endpoint(
        "POST", "/api/v1/offers/{offer_id}/close", offer_id, expected=EMPLOYER_OWN
    ),
    "offers.import": Endpoint(
        "POST",
        "/api/v1/offers/import",
        body=lambda w: {
            "csv": f"lieu;metier\n{w.offer.site.name};aide-soignant\n",
            "employer_id": w.offer.site.employer_id,
        },
        # Another employer names a structure that is not theirs: the operation refuses (403).
        expected=expect(employer=200, other=403, staff=200, candidate=403, other_candidate=403),
    ),
    "offers.suggestions": Endpoint(
        "GET", "/api/v1/offers/{offer_id}/suggestions", offer_id, expected=EMPLOYER_OWN
    ),
    # The world's candidate has a pair of this offer already (200: interest recorded on it); the
    # other candidate makes a new one (201). Employers and coordinators: candidates only.
    "offers.interest": Endpoint(
        "POST",
        "/api/v1/offers/{offer_id}/interest",
        offer_id,
        expected=expect(employer=403, other=403, staff=403, candidate=200, other_candidate=201),
    ),
    "offers.interest_draft": Endpoint(
        "POST",
        "/api/v1/offers/{offer_id}/interest",
        lambda w: {"offer_id": w.draft.id},
        expected=expect(employer=403, other=403, staff=403, candidate=404, other_candidate=404),
    ),
    "offers.fit": Endpoint(
        "GET",
        "/api/v1/offers/{offer_id}/fit",
        offer_id,
        expected=expect(employer=403, other=403, staff=403, candidate=200, other_candidate=200),
    ),
    "offers.fit_draft": Endpoint(
        "GET",
        "/api/v1/offers/{offer_id}/fit",
        lambda w: {"offer_id": w.draft.id},
        expected=expect(employer=403, other=403, staff=403, candidate=404, other_candidate=404),
    ),
    "requests.list": Endpoint(
        "GET",
        "/api/v1/requests",
        expected=expect(employer=403, other=403, staff=200, candidate=200, other_candidate=200),
    ),
    "requests.create": Endpoint(
        "POST",
        "/api/v1/requests",
        # The world's candidate has a request already: staff and that candidate reach the
        # operation, which refuses; another candidate may not create it for them.
        body=lambda w: {
            "candidate_id": w.request.candidate_id,
            "metiers": ["AES"],
            "commune_insee": f.BOURG,
        },
        expected=expect(employer=403, other=403, staff=409, candidate=409, other_candidate=403),
    ),
    "requests.detail": Endpoint(
        "GET", "/api/v1/requests/{request_id}", request_id, expected=CANDIDATE_OWN
    ),
    "requests.detail_other": Endpoint(
        "GET",
        "/api/v1/requests/{request_id}",
        lambda w: {"request_id": w.other_request.id},
        expected=expect(employer=403, other=403, staff=200, candidate=404, other_candidate=200),
    ),
    "requests.update": Endpoint(
        "PATCH",
        "/api/v1/requests/{request_id}",
        request_id,
        body=lambda w: {"max_distance_km": 40},
        expected=CANDIDATE_OWN,
    ),
    "requests.suggestions": Endpoint(
        "GET", "/api/v1/requests/{request_id}/suggestions", request_id, expected=CANDIDATE_OWN
    ),
    "suggestions.list": Endpoint("GET", "/api/v1/suggestions", expected=ANY_TOKEN),
    "suggestions.create": Endpoint(
        "POST",
        "/api/v1/suggestions",
        body=lambda w: {"request_id": w.request.id, "offer_id": w.offer.id},
        expected=expect(  # the pair exists already
            employer=403, other=403, staff=409, candidate=403, other_candidate=403
        ),
    ),
    "suggestions.detail": Endpoint(
        "GET",
        "/api/v1/suggestions/{suggestion_id}",
        suggestion_id,
        expected=expect(employer=200, other=404, staff=200, candidate=200, other_candidate=404),
    ),
    "suggestions.detail_unreviewed": Endpoint(
        "GET",
        "/api/v1/suggestions/{suggestion_id}",
        lambda w: {"suggestion_id": w.proposed.id},
        # Not reviewed: neither side sees it, not even the pair's own (under the default rule).
        expected=expect(employer=404, other=404, staff=200, candidate=404, other_candidate=404),
    ),
    "suggestions.decision": Endpoint(
        "POST",
        "/api/v1/suggestions/{suggestion_id}/decision",
        lambda w: {"suggestion_id": w.proposed.id},
        body=lambda w: {"decision": "approve"},
        expected=STAFF,
    ),
    "suggestions.decisions": Endpoint(
        "POST",
        "/api/v1/suggestions/decisions",
        body=lambda w: {"ids": [w.proposed.id], "decision": "reject", "reason": "Trop loin."},
        expected=STAFF,
    ),
    "suggestions.status": Endpoint(
        "POST",
        "/api/v1/suggestions/{suggestion_id}/status",
        suggestion_id,
        body=lambda w: {"status": "contacted"},
        expected=STAFF,
    ),
    "suggestions.interest": Endpoint(
        "POST",
        "/api/v1/suggestions/{suggestion_id}/interest",
        suggestion_id,
        body=lambda w: {"interested": False, "reason": "Poste pourvu en interne."},
        # Staff must say whose answer it is (``side``): 422 without it. No reason is asked of a
        # candidate: 422 with one.
        expected=expect(employer=200, other=404, staff=422, candidate=422, other_candidate=404),
    ),
    "suggestions.interest_yes": Endpoint(
        "POST",
        "/api/v1/suggestions/{suggestion_id}/interest",
        suggestion_id,
        body=lambda w: {"interested": True},
        expected=expect(employer=200, other=404, staff=422, candidate=200, other_candidate=404),
    ),
    "pairs.list": Endpoint("GET", "/api/v1/pairs", expected=STAFF),
    "pairs.list_by_stage": Endpoint(
        "GET", "/api/v1/pairs", query="status=approved", expected=STAFF
    ),
    "pairs.detail": Endpoint(
        "GET", "/api/v1/pairs/{pair_id}", lambda w: {"pair_id": w.suggestion.id}, expected=STAFF
    ),
    "pairs.detail_unreviewed": Endpoint(
        "GET",
        "/api/v1/pairs/{pair_id}",
        lambda w: {"pair_id": w.proposed.id},
        # A suggestion still under review is no pair.
        expected=expect(employer=403, other=403, staff=404, candidate=403, other_candidate=403),
    ),
    "pairs.next": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/next",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"from": "approved"},
        expected=STAFF,
    ),
    "pairs.next_seen_late": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/next",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"from": "contacted"},  # it is approved: someone else's view
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "pairs.abandon": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/abandon",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"reason": "Le candidat a trouvé ailleurs."},
        expected=STAFF,
    ),
    "pairs.note": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/notes",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"note": "Entretien prévu mardi à 10 h, sur place."},
        expected=expect(employer=403, other=403, staff=201, candidate=403, other_candidate=403),
    ),
    "lists.page": Endpoint(
        "GET", "/api/v1/lists/{name}", lambda w: {"name": "pairs"}, query="q=a", expected=STAFF
    ),
    "lists.export": Endpoint(
        "GET",
        "/api/v1/lists/{name}/export.csv",
        lambda w: {"name": "requests"},
        expected=STAFF,
        mimetype=EXPORT_FORMATS["csv"],
    ),
    "lists.export_xlsx": Endpoint(
        "GET",
        "/api/v1/lists/{name}/export.xlsx",
        lambda w: {"name": "pairs"},
        expected=STAFF,
        mimetype=EXPORT_FORMATS["xlsx"],
    ),
    # The pair's story (issue 15). The world's pair is approved: the interview goes with the
    # next stage... after the contact (422), its details wait for the interview (409), there is
    # no contract to break (409) and no stage change to undo (409).
    "pairs.next_with_interview": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/next",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"from": "approved", "interview": {"date": SOON, "place": "Sur place"}},
        expected=expect(employer=403, other=403, staff=422, candidate=403, other_candidate=403),
    ),
    "pairs.interview": Endpoint(
        "PUT",
        "/api/v1/pairs/{pair_id}/interview",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"date": SOON, "time": "14:30", "place": "Sur place"},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "pairs.contract": Endpoint(
        "PUT",
        "/api/v1/pairs/{pair_id}/contract",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"kind": "apprentissage", "training_centre": "IFAS de Bourg"},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "pairs.rupture": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/rupture",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"broken_on": local_today().isoformat(), "reason": "Période d'essai"},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "pairs.undo": Endpoint(
        "POST",
        "/api/v1/pairs/{pair_id}/undo",
        lambda w: {"pair_id": w.suggestion.id},
        body=lambda w: {"from": "approved"},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    # Moderation (staff only). The world's structures are checked: checking or reinstating one is
    # a 409; another employer's token is refused like the employer's own (403).
    "moderation.structures": Endpoint("GET", "/api/v1/moderation/structures", expected=STAFF),
    "moderation.structures_checked": Endpoint(
        "GET", "/api/v1/moderation/structures", query="state=checked", expected=STAFF
    ),
    "moderation.structure": Endpoint(
        "GET",
        "/api/v1/moderation/structures/{employer_id}",
        lambda w: {"employer_id": w.employer.id},
        expected=STAFF,
    ),
    "moderation.check": Endpoint(
        "POST",
        "/api/v1/moderation/structures/{employer_id}/check",
        lambda w: {"employer_id": w.employer.id},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "moderation.suspend": Endpoint(
        "POST",
        "/api/v1/moderation/structures/{employer_id}/suspend",
        lambda w: {"employer_id": w.employer.id},
        body=lambda w: {"reason": "SIRET d'une autre structure."},
        expected=STAFF,
    ),
    "moderation.suspend_without_reason": Endpoint(
        "POST",
        "/api/v1/moderation/structures/{employer_id}/suspend",
        lambda w: {"employer_id": w.employer.id},
        body=lambda w: {},
        expected=expect(employer=403, other=403, staff=422, candidate=403, other_candidate=403),
    ),
    "moderation.reinstate": Endpoint(
        "POST",
        "/api/v1/moderation/structures/{employer_id}/reinstate",
        lambda w: {"employer_id": w.employer.id},
        body=lambda w: {},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "moderation.unpublish": Endpoint(
        "POST",
        "/api/v1/moderation/offers/{offer_id}/unpublish",
        offer_id,
        body=lambda w: {"reason": "Offre en double."},
        expected=STAFF,
    ),
    "moderation.reopen": Endpoint(
        "POST",
        "/api/v1/moderation/offers/{offer_id}/reopen",
        offer_id,
        body=lambda w: {"reason": "Offre corrigée."},
        expected=expect(employer=403, other=403, staff=409, candidate=403, other_candidate=403),
    ),
    "communes.list": Endpoint("GET", "/api/v1/communes", query="q=bourg", expected=ANY_TOKEN),
    "communes.resolve": Endpoint(
        "GET", "/api/v1/communes/resolve", query="q=01000", expected=ANY_TOKEN
    ),
    "communes.detail": Endpoint(
        "GET", "/api/v1/communes/{insee}", lambda w: {"insee": f.BOURG}, expected=ANY_TOKEN
    ),
    "metiers.list": Endpoint("GET", "/api/v1/metiers", expected=ANY_TOKEN),
    "metiers.detail": Endpoint(
        "GET", "/api/v1/metiers/{code}", lambda w: {"code": "aide-soignant"}, expected=ANY_TOKEN
    ),
    "metiers.resolve": Endpoint(
        "GET", "/api/v1/metiers/resolve", query="q=AES", expected=ANY_TOKEN
    ),
    # A candidate's CV: the world's candidate has one; the employer of the approved pair reads
    # it, another structure's employer does not (404), nor another candidate (404).
    "cv.get": Endpoint(
        "GET",
        "/api/v1/candidates/{candidate_id}/cv",
        lambda w: {"candidate_id": w.request.candidate_id},
        expected=expect(employer=200, other=404, staff=200, candidate=200, other_candidate=404),
        mimetype="application/pdf",
        setup=lambda w, s, d: save_cv(s, w.request.candidate, A_PDF, d),
    ),
    "cv.put": Endpoint(
        "PUT",
        "/api/v1/candidates/{candidate_id}/cv",
        lambda w: {"candidate_id": w.request.candidate_id},
        body=lambda w: {"content": base64.b64encode(A_PDF).decode()},
        expected=expect(employer=403, other=403, staff=403, candidate=200, other_candidate=404),
    ),
    "cv.delete": Endpoint(
        "DELETE",
        "/api/v1/candidates/{candidate_id}/cv",
        lambda w: {"candidate_id": w.request.candidate_id},
        expected=expect(employer=403, other=403, staff=403, candidate=204, other_candidate=404),
        setup=lambda w, s, d: save_cv(s, w.request.candidate, A_PDF, d),
    ),
    "cv.pair": Endpoint(
        "GET",
        "/api/v1/suggestions/{suggestion_id}/cv",
        suggestion_id,
        expected=expect(employer=200, other=404, staff=200, candidate=200, other_candidate=404),
        mimetype="application/pdf",
        setup=lambda w, s, d: save_cv(s, w.request.candidate, A_PDF, d),
    ),
    # Team (issue 15): a structure's people, an offer's contact, one's sign-in address.
    "team.team": Endpoint(
        "GET",
        "/api/v1/employers/{employer_id}/team",
        lambda w: {"employer_id": w.employer.id},
        expected=EMPLOYER_OWN,
    ),
    "team.invite": Endpoint(
        "POST",
        "/api/v1/employers/{employer_id}/team",
        lambda w: {"employer_id": w.employer.id},
        body=lambda w: {"name": "Hélène Morel", "email": "helene.morel@example.org"},
        expected=expect(employer=201, other=404, staff=201, candidate=403, other_candidate=403),
    ),
    "team.remove": Endpoint(
        "DELETE",
        "/api/v1/employers/{employer_id}/team/{user_id}",
        lambda w: {"employer_id": w.employer.id, "user_id": w.employer_user.id},
        # The structure's only person: refused (409); another structure: 404.
        expected=expect(employer=409, other=404, staff=409, candidate=403, other_candidate=403),
    ),
    "team.remove_another_structures": Endpoint(
        "DELETE",
        "/api/v1/employers/{employer_id}/team/{user_id}",
        lambda w: {"employer_id": w.employer.id, "user_id": w.other_employer_user.id},
        expected=expect(employer=404, other=404, staff=404, candidate=403, other_candidate=403),
    ),
    "offers.update_contact": Endpoint(
        "PATCH",
        "/api/v1/offers/{offer_id}",
        offer_id,
        body=lambda w: {"contact_user_id": w.employer_user.id},
        expected=EMPLOYER_OWN,
    ),
    "offers.update_contact_of_another_structure": Endpoint(
        "PATCH",
        "/api/v1/offers/{offer_id}",
        offer_id,
        body=lambda w: {"contact_user_id": w.other_employer_user.id},
        expected=expect(employer=422, other=404, staff=422, candidate=403, other_candidate=403),
    ),
    "team.join_requests": Endpoint(
        "GET",
        "/api/v1/employers/{employer_id}/join-requests",
        lambda w: {"employer_id": w.employer.id},
        expected=EMPLOYER_OWN,
    ),
    # No such request in the world (decisions: tests/web/test_team_web.py).
    "team.join_decision": Endpoint(
        "POST",
        "/api/v1/employers/{employer_id}/join-requests/{join_id}/decision",
        lambda w: {"employer_id": w.employer.id, "join_id": 2**31 - 1},
        body=lambda w: {"decision": "refuse"},
        expected=expect(employer=404, other=404, staff=404, candidate=403, other_candidate=403),
    ),
    # The world's candidate has an account (202); the other candidate and the employer tokens
    # name none (409); staff change theirs elsewhere (403).
    "account.email": Endpoint(
        "POST",
        "/api/v1/account/email",
        body=lambda w: {"email": "nouvelle.adresse@example.org"},
        expected=expect(employer=409, other=409, staff=403, candidate=202, other_candidate=409),
    ),
    # Training centres (issue 16): every token reads them; staff write them.
    "training_centres.list": Endpoint(
        "GET",
        "/api/v1/training-centres",
        query="commune=Oyonnax&distance_km=80",
        expected=ANY_TOKEN,
    ),
    "training_centres.detail": Endpoint(
        "GET", "/api/v1/training-centres/{centre_id}", centre_id, expected=ANY_TOKEN
    ),
    "training_centres.create": Endpoint(
        "POST",
        "/api/v1/training-centres",
        body=lambda w: {"name": "Centre (démo)", "kind": "greta", "commune_insee": "01053"},
        expected=STAFF_WRITES | {"coordinator": 201, "admin": 201},
    ),
    "training_centres.update": Endpoint(
        "PATCH",
        "/api/v1/training-centres/{centre_id}",
        centre_id,
        body=lambda w: {"public_transport": "yes", "website": "www.exemple.fr"},
        expected=STAFF_WRITES,
    ),
    "training_centres.delete": Endpoint(
        "DELETE",
        "/api/v1/training-centres/{centre_id}",
        centre_id,
        expected=STAFF_WRITES | {"coordinator": 204, "admin": 204},
    ),
    "training_centres.create_programme": Endpoint(
        "POST",
        "/api/v1/training-centres/{centre_id}/programmes",
        centre_id,
        body=lambda w: {"metier": "AES", "rhythm": "1 semaine en centre / 3 semaines en structure"},
        expected=STAFF_WRITES | {"coordinator": 201, "admin": 201},
    ),
    "training_centres.update_programme": Endpoint(
        "PATCH",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}",
        programme_id,
        body=lambda w: {"duration_months": 18},
        expected=STAFF_WRITES,
    ),
    # A programme named under another centre: 404 (its centre is part of its address).
    "training_centres.update_programme_of_another_centre": Endpoint(
        "PATCH",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}",
        lambda w: {"centre_id": 2**31 - 1, "programme_id": w.centre.programmes[0].id},
        body=lambda w: {"duration_months": 18},
        expected=STAFF_WRITES | {"coordinator": 404, "admin": 404},
    ),
    "training_centres.delete_programme": Endpoint(
        "DELETE",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}",
        programme_id,
        expected=STAFF_WRITES | {"coordinator": 204, "admin": 204},
    ),
    "training_centres.create_session": Endpoint(
        "POST",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions",
        programme_id,
        body=lambda w: {"start_date": "2027-09-06", "application_deadline": "2027-05-31"},
        expected=STAFF_WRITES | {"coordinator": 201, "admin": 201},
    ),
    # The end before the start: refused on that field (422).
    "training_centres.create_session_ending_before": Endpoint(
        "POST",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions",
        programme_id,
        body=lambda w: {"start_date": "2027-09-06", "end_date": "2027-01-01"},
        expected=STAFF_WRITES | {"coordinator": 422, "admin": 422},
    ),
    "training_centres.update_session": Endpoint(
        "PATCH",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions/{session_id}",
        session_id,
        body=lambda w: {"apprenticeship_places": 12},
        expected=STAFF_WRITES,
    ),
    "training_centres.delete_session": Endpoint(
        "DELETE",
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions/{session_id}",
        session_id,
        expected=STAFF_WRITES | {"coordinator": 204, "admin": 204},
    ),
    "training_centres.import": Endpoint(
        "POST",
        "/api/v1/training-centres/import",
        body=lambda w: {"csv": "Centre;Commune;Type de centre\nCFA (démo);Belley;CFA\n"},
        expected=STAFF_WRITES,
    ),
    # The observatory's public figures (issue 20): everyone, without a token too.
    "indicators.list": Endpoint("GET", "/api/v1/indicators", expected=PUBLIC),
    # Housing (issue 17): everyone reads the published ones, without a token too; staff and
    # the managing structure write. The world's site has the employer's beds (not published).
    "housing_resources.list": Endpoint(
        "GET", "/api/v1/housing", query="commune=Oyonnax&distance_km=80", expected=PUBLIC
    ),
    "housing_resources.detail": Endpoint(
        "GET", "/api/v1/housing/{housing_id}", partner_housing, expected=PUBLIC, setup=_partner
    ),
    "housing_resources.detail_unpublished": Endpoint(
        "GET",
        "/api/v1/housing/{housing_id}",
        site_housing,
        expected=EMPLOYER_OWN
        | {"candidate": 404, "other_candidate": 404, "anonymous": 404}
        | {"candidate_page": 404},
    ),
    "housing_resources.create_partner": Endpoint(
        "POST",
        "/api/v1/housing",
        body=lambda w: {
            "name": "Foyer (démo)",
            "kind": "fjt",
            "partner_name": "Habitat Jeunes (démo)",
            "commune": "Oyonnax",
            "beds": 20,
            "aids": ["apl"],
            "periods": [{"starts_on": "2027-09-01", "ends_on": None}],
        },
        # A structure may not declare a partner's housing.
        expected=STAFF | {"coordinator": 201, "admin": 201},
    ),
    "housing_resources.create_own": Endpoint(
        "POST",
        "/api/v1/housing",
        body=lambda w: {
            "name": "Appartement (démo)",
            "kind": "other",
            "commune_insee": f.BOURG,
            "beds": 2,
        },  # fmt: skip
        # A structure's is its own; staff must name a manager (422).
        expected=expect(employer=201, other=201, staff=422, candidate=403, other_candidate=403),
    ),
    "housing_resources.update_own": Endpoint(
        "PATCH",
        "/api/v1/housing/{housing_id}",
        site_housing,
        body=lambda w: {"beds": 3, "beds_taken": 1, "published": True},
        expected=expect(employer=200, other=404, staff=200, candidate=403, other_candidate=403),
    ),
    "housing_resources.update_partner": Endpoint(
        "PATCH",
        "/api/v1/housing/{housing_id}",
        partner_housing,
        body=lambda w: {"beds_taken": 3},
        expected=STAFF,
        setup=_partner,
    ),
    "housing_resources.delete": Endpoint(
        "DELETE",
        "/api/v1/housing/{housing_id}",
        partner_housing,
        expected=STAFF | {"coordinator": 204, "admin": 204},
        setup=_partner,
    ),
    "openapi": Endpoint("GET", "/api/openapi.json", expected=PUBLIC),
    "docs": Endpoint("GET", "/api/docs", expected=PUBLIC),
}


@pytest.fixture
def openapi(app: Flask) -> Any:
    """The app's OpenAPI document, loaded by schemathesis to check answers against it."""
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


# One engine: who may call what, and the answers' shape, do not depend on the engine; what each
# operation does in the database runs on both engines in its own tests.
@pytest.mark.one_engine
@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_role_matrix(
    name: str,
    api: Callable[[str], ApiClient],  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
    connection: Connection,
    openapi: Any,
    app: Flask,
    session: Session,
) -> None:
    endpoint = ENDPOINTS[name]
    world = SimpleNamespace(**vars(world), other_request=tokens.other_request)
    if endpoint.setup is not None:
        endpoint.setup(world, session, app.config["CV_DIR"])
        session.commit()
    got: dict[str, int] = {}
    for role in ROLES:
        client = api(role)
        body = endpoint.body(world) if endpoint.body else None
        savepoint = connection.begin_nested()
        try:
            response = client.call(endpoint.method, endpoint.url(world), body)
            got[role] = response.status_code
            if endpoint.path.startswith("/api/v1/") and response.status_code == 204:
                assert not response.data
            elif endpoint.path.startswith("/api/v1/"):
                success = response.status_code < 300
                wanted = endpoint.mimetype if success else "application/json"
                assert response.mimetype == wanted, (role, response.data[:200])
                if (success and wanted == "application/json") or response.status_code == 401:
                    operation = openapi[endpoint.path][endpoint.method]
                    operation.validate_response(response)
                if response.status_code == 401:
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")
        finally:
            savepoint.rollback()
    assert got == endpoint.expected


def test_every_api_operation_is_in_the_matrix(app: Flask) -> None:
    doc = app.test_client().get("/api/openapi.json").get_json()
    operations = {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert operations == {(e.method, e.path) for e in ENDPOINTS.values()} - {
        ("GET", "/api/openapi.json"),
        ("GET", "/api/docs"),
    }


# --- What each role sees of a candidate ------------------------------------------------------


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _secrets(world: W) -> list[str]:
    candidate = world.request.candidate
    return [candidate.email, candidate.phone, candidate.last_name]


def test_employer_sees_only_employer_visible_candidate_fields(api: Any, world: W) -> None:  # noqa: F811
    employer = api("employer")
    listing = employer.get(f"/api/v1/offers/{world.offer.id}/suggestions")
    detail = employer.get(f"/api/v1/suggestions/{world.suggestion.id}")
    everything = employer.get("/api/v1/suggestions")
    for response in (listing, detail, everything):
        assert response.status_code == 200
        for secret in _secrets(world):
            assert secret not in _text(response)
    [item] = listing.get_json()["items"]
    assert item == detail.get_json()
    assert set(item["candidate"]) == {
        "first_name",
        "commune",
        "metiers",
        "distance_km",
        "needs_housing",
        "available_from",
    }
    assert item["candidate"]["first_name"] == world.request.candidate.first_name
    assert item["candidate"]["needs_housing"] is True
    assert item["candidate"]["metiers"] == [{"code": "aide-soignant", "label": "Aide-soignant"}]
    # Nothing that ties the pair to the request or tells the coordinators' notes.
    for key in ("request_id", "rejection_reason", "candidate_interest", "engine_version"):
        assert key not in item
    assert [s["id"] for s in everything.get_json()["items"]] == [world.suggestion.id]


def test_employer_lists_only_its_own_offers(api: Any, world: W) -> None:  # noqa: F811
    mine = api("employer").get("/api/v1/offers").get_json()
    theirs = api("other_employer").get("/api/v1/offers").get_json()
    everyone = api("coordinator").get("/api/v1/offers?page_size=100").get_json()
    assert {o["id"] for o in mine["items"]} == {world.offer.id, world.draft.id}
    assert {o["id"] for o in theirs["items"]} == {world.other_offer.id}
    assert {world.offer.id, world.draft.id, world.other_offer.id} <= {
        o["id"] for o in everyone["items"]
    }
    # Asking for another employer's offers by filter gives nothing more.
    other = world.other_employer_user.employer_id
    assert api("employer").get(f"/api/v1/offers?employer_id={other}").get_json()["items"] == []


def test_unreviewed_pair_is_hidden_from_the_offer_employer(api: Any, world: W) -> None:  # noqa: F811
    response = api("other_employer").get(f"/api/v1/offers/{world.other_offer.id}/suggestions")
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    staff = api("coordinator").get(f"/api/v1/offers/{world.other_offer.id}/suggestions")
    assert [s["id"] for s in staff.get_json()["items"]] == [world.proposed.id]


def test_coordinator_list_shows_no_contact_details(api: Any, world: W) -> None:  # noqa: F811
    response = api("coordinator").get("/api/v1/requests")
    assert response.status_code == 200
    for secret in _secrets(world):
        assert secret not in _text(response)
    item = next(r for r in response.get_json()["items"] if r["id"] == world.request.id)
    assert "candidate" not in item
    assert item["first_name"] == world.request.candidate.first_name


def test_coordinator_reads_contact_details_and_the_view_is_audited(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    def views() -> list[AuditEntry]:
        stmt = select(AuditEntry).where(
            AuditEntry.action == audit.ACCESS_ACTION,
            AuditEntry.object_type == audit.CANDIDATE,
            AuditEntry.object_id == world.request.candidate_id,
        )
        return list(session.scalars(stmt))

    assert views() == []
    response = api("coordinator").get(f"/api/v1/requests/{world.request.id}")
    assert response.status_code == 200
    contact = response.get_json()["candidate"]
    candidate = world.request.candidate
    assert contact["email"] == candidate.email and contact["phone"] == candidate.phone
    [entry] = views()
    assert entry.details["fields"] == ["email", "first_name", "last_name", "phone"]
    assert entry.details["via"] == "api"


def test_candidate_token_needs_its_candidate(session: Session, world: W) -> None:
    with pytest.raises(ValidationError) as exc:
        data_auth.create_api_token(session, role=Role.CANDIDATE)
    assert set(exc.value.errors) == {"candidate_id"}


def test_token_from_the_cli_opens_exactly_its_employer(
    app: Flask, world: W, session: Session
) -> None:
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--role", "employer", "--employer", str(world.employer.id)]
    )
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    client = ApiClient(app.test_client(), raw)
    listing = client.get("/api/v1/offers")
    assert listing.status_code == 200
    assert {o["id"] for o in listing.get_json()["items"]} == {world.offer.id, world.draft.id}
    assert client.get(f"/api/v1/offers/{world.other_offer.id}").status_code == 404


def test_auto_review_rule_shows_good_unreviewed_pairs_to_the_employer(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    other = api("other_employer")
    url = f"/api/v1/suggestions/{world.proposed.id}"
    assert other.get(url).status_code == 404  # default rule: approved pairs only
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.85))
    session.commit()
    shown = other.get(url)
    assert shown.status_code == 200 and shown.get_json()["status"] == "proposed"
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.95))  # its score is 0.9
    session.commit()
    assert other.get(url).status_code == 404


def test_revoked_token_is_refused(api: Any, world: W, session: Session, tokens: Tokens) -> None:  # noqa: F811
    client = api("coordinator")
    assert client.get("/api/v1/metiers").status_code == 200
    token = data_auth.authenticate_api_token(session, tokens.coordinator)
    assert token is not None
    data_auth.revoke_api_token(session, token.id)
    session.commit()
    response = client.get("/api/v1/metiers")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def _token_id(session: Session, raw: str) -> int:
    return session.scalar(
        select(ApiToken.id).where(ApiToken.token_hash == data_auth.hash_secret(raw))
    )


def test_employer_answers_and_coordinator_moves_the_pair(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
    tokens: Tokens,  # noqa: F811
) -> None:
    url = f"/api/v1/suggestions/{world.suggestion.id}"
    employer = api("employer")
    staff = api("coordinator")
    said = employer.post(f"{url}/interest", {"interested": True})
    assert said.status_code == 200 and said.get_json()["employer_interest"] == "interested"
    # A coordinator records the candidate's answer given by phone.
    answered = staff.post(f"{url}/interest", {"interested": True, "side": "candidate"})
    assert answered.status_code == 200
    assert answered.get_json()["candidate_interest"] == "interested"
    # An employer token may not answer for the candidate.
    assert (
        employer.post(f"{url}/interest", {"interested": True, "side": "candidate"}).status_code
        == 403
    )
    for step in ("contacted", "interview", "contract_signed"):
        moved = staff.post(f"{url}/status", {"status": step})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json()["status"] == step
    # Each step is written to the pair's history with the token that made it.
    history = pair_history(session, world.suggestion.id)
    assert [e.action for e in history][-5:] == [
        "employer_interest",
        "candidate_interest",
        "status_change",
        "status_change",
        "status_change",
    ]
    assert {e.details["api_token_id"] for e in history[-5:]} == {
        _token_id(session, tokens.employer),
        _token_id(session, tokens.coordinator),
    }
    assert history[-5].details["api_token_id"] == _token_id(session, tokens.employer)
    # The end is final: the life cycle refuses to go on.
    again = staff.post(f"{url}/status", {"status": "abandoned", "reason": "Trop tard."})
    assert again.status_code == 409
    session.expire_all()
    assert world.suggestion.status == SuggestionStatus.CONTRACT_SIGNED
    offer = staff.get(f"/api/v1/offers/{world.offer.id}").get_json()
    assert offer["places_filled"] == 1 and offer["status"] == "filled"


def test_review_decisions(api: Any, world: W, session: Session) -> None:  # noqa: F811
    staff = api("coordinator")
    url = f"/api/v1/suggestions/{world.proposed.id}/decision"
    missing_reason = staff.post(url, {"decision": "reject"})
    assert missing_reason.status_code == 422
    assert "reason" in missing_reason.get_json()["errors"]
    rejected = staff.post(url, {"decision": "reject", "reason": "Trop loin pour elle."})
    assert rejected.status_code == 200
    assert rejected.get_json()["rejection_reason"] == "Trop loin pour elle."
    # Rejected pairs stay hidden from the employer; approving shows it.
    other = api("other_employer")
    assert other.get(f"/api/v1/suggestions/{world.proposed.id}").status_code == 404
    approved = staff.post(url, {"decision": "approve"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert other.get(f"/api/v1/suggestions/{world.proposed.id}").status_code == 200


def test_create_request_and_offer_flow(api: Any, world: W, session: Session) -> None:  # noqa: F811
    candidate = f.make_candidate(session)
    session.commit()
    staff = api("coordinator")
    created = staff.post(
        "/api/v1/requests",
        {
            "candidate_id": candidate.id,
            "metiers": ["aide soignante", "astronaute"],
            "commune_insee": f.OYONNAX,
            "needs_housing": True,
            "available_from": SOON,
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["unresolved"] == ["astronaute"]
    assert [m["code"] for m in body["metiers"]] == ["aide-soignant", None]
    assert body["commune"] == {"insee": f.OYONNAX, "name": "Oyonnax", "label": "Oyonnax (01100)"}

    employer = api("employer")
    offer = employer.post(
        "/api/v1/offers",
        {
            "site_id": world.offer.site_id,
            "metier_code": "aide-soignant",
            "housing_beds": 1,
            "places": 2,
        },
    )
    assert offer.status_code == 201, offer.get_json()
    new = offer.get_json()
    assert new["status"] == "draft" and new["employer"]["id"] == world.employer.id
    # Publishing needs what a candidate must know: the data layer lists what is missing.
    refused = employer.post(f"/api/v1/offers/{new['id']}/publish")
    assert refused.status_code == 422
    assert {"start_date", "duration_months", "description"} <= set(refused.get_json()["errors"])
    fixed = employer.patch(
        f"/api/v1/offers/{new['id']}",
        {
            "start_date": SOON,
            "duration_months": 24,
            "description": "Apprentissage d'aide-soignant en EHPAD, logement possible sur place.",
        },
    )
    assert fixed.status_code == 200, fixed.get_json()
    published = employer.post(f"/api/v1/offers/{new['id']}/publish")
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert employer.post(f"/api/v1/offers/{new['id']}/publish").status_code == 409


def test_offer_filters(api: Any, world: W) -> None:  # noqa: F811
    staff = api("coordinator")

    def ids(query: str) -> set[int]:
        response = staff.get(f"/api/v1/offers?page_size=100&{query}")
        assert response.status_code == 200, response.get_json()
        return {o["id"] for o in response.get_json()["items"]}

    assert world.draft.id in ids("status=draft")
    assert world.draft.id not in ids("status=published")
    assert world.other_offer.id in ids("metier=accompagnant-educatif-social")
    assert world.offer.id not in ids("metier=accompagnant-educatif-social")
    assert world.offer.id not in ids("housing=true")  # its site has beds, the offer none
    assert world.offer.id in ids("housing=false")
    # Around Oyonnax: the other employer's offer there comes first, at 0 km.
    near = staff.get(f"/api/v1/offers?commune={f.OYONNAX}&distance_km=5&page_size=100")
    items = near.get_json()["items"]
    assert items[0]["id"] == world.other_offer.id and items[0]["distance_km"] == 0.0
    assert all(o["distance_km"] <= 5 for o in items)
    assert world.offer.id not in {o["id"] for o in items}  # Bourg is 34 km away
    wide = ids(f"commune={f.OYONNAX}&distance_km=50")
    assert world.offer.id in wide


def test_pagination_envelope(api: Any, world: W) -> None:  # noqa: F811
    staff = api("coordinator")
    first = staff.get("/api/v1/communes?q=saint&page_size=3").get_json()
    second = staff.get("/api/v1/communes?q=saint&page_size=3&page=2").get_json()
    assert first["pagination"]["page"] == 1 and first["pagination"]["page_size"] == 3
    assert first["pagination"]["total"] > 6
    assert first["pagination"]["pages"] == -(-first["pagination"]["total"] // 3)
    assert len(first["items"]) == 3 and len(second["items"]) == 3
    assert not {c["insee"] for c in first["items"]} & {c["insee"] for c in second["items"]}
    beyond = staff.get(f"/api/v1/communes?q=saint&page={first['pagination']['pages'] + 1}")
    assert beyond.status_code == 200 and beyond.get_json()["items"] == []


def test_reference_lookups(api: Any, world: W) -> None:  # noqa: F811
    client = api("employer")
    by_postal = client.get("/api/v1/communes?postal_code=01000").get_json()["items"]
    assert f.BOURG in {c["insee"] for c in by_postal}
    by_insee = client.get(f"/api/v1/communes?insee={f.OYONNAX}").get_json()["items"]
    assert [c["name"] for c in by_insee] == ["Oyonnax"]
    spaced = client.get("/api/v1/communes?q=bourg en&departement=01").get_json()["items"]
    assert "Bourg-en-Bresse" in {c["name"] for c in spaced}
    resolution = client.get("/api/v1/metiers/resolve?q=aide soignante").get_json()
    assert resolution["code"] == "aide-soignant" and resolution["label"] == "Aide-soignant"
    unknown = client.get("/api/v1/metiers/resolve?q=astronaute").get_json()
    assert unknown["code"] is None and unknown["label"] is None
    assert client.get("/api/v1/metiers/inconnu").status_code == 404
    assert client.get("/api/v1/communes/99999").status_code == 404
