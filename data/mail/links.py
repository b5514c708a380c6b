"""Absolute links put in mails: the web app's paths joined to the configured base URL.

Jobs and data operations have no request to build URLs from (and ``data`` never imports ``web``);
the base URL comes from ``PASSERELLE_BASE_URL`` (carried by the mailer, or given by the web app).
Each link names the web app's endpoint that answers it, per HTTP method:
``tests/web/test_mail_links.py`` builds every link and checks it against the real app's
``url_map``, so a renamed route breaks a test instead of the links in people's mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["LINKS", "PATHS", "Link", "url"]


@dataclass(frozen=True)
class Link:
    """A page that mails link to: its path pattern and the web endpoint of each HTTP method."""

    path: str  # ``str.format`` pattern: "/offres/{offer_id}"
    endpoints: Mapping[str, str] = field(default_factory=dict)  # method -> endpoint


def _get(path: str, endpoint: str) -> Link:
    return Link(path, {"GET": endpoint})


#: Every page a mail links to, by name.
LINKS: dict[str, Link] = {
    "home": _get("/", "public.home"),
    "sign_in": _get("/connexion", "signin.request_link"),
    # A mailed sign-in link (an invitation): the page of a click, then its button (POST).
    "sign_in_link": Link(
        "/connexion/lien/{token}", {"GET": "signin.link", "POST": "signin.use_link"}
    ),
    # The confirmation of a new sign-in address: the page of a click, then its button (POST).
    "email_change": Link(
        "/compte/adresse/{token}",
        {"GET": "signin.email_change_page", "POST": "signin.confirm_email_change"},
    ),
    "public_offer": _get("/offres/{offer_id}", "public.offer"),
    "public_centre": _get("/se-former/centres/{centre_id}", "training_public.centre"),
    "public_housing": _get("/se-loger/{resource_id}", "housing_public.resource"),
    "library": _get("/mallette", "library.index"),
    "library_resource": _get("/mallette/{resource_id}", "library.resource"),
    "candidate_home": _get("/candidat/", "candidate.dashboard"),
    "candidate_request": _get("/candidat/demande", "candidate.edit_request"),
    "candidate_notifications": _get("/candidat/notifications", "candidate.notifications"),
    "employer_home": _get("/employeur/", "employer.dashboard"),
    "employer_offer": _get("/employeur/offres/{offer_id}", "employer.offer"),
    "employer_offer_edit": _get("/employeur/offres/{offer_id}/modifier", "employer.edit_offer"),
    "employer_notifications": _get("/employeur/notifications", "employer.notifications"),
    "employer_kit": _get("/employeur/kits/{kit_id}", "kit_employer.kit"),
    "coordination_home": _get("/coordination/", "coordinator.dashboard"),
    "coordination_structures": _get("/coordination/structures/", "structures.queue"),
    # The page answers a click; the POST is the one-click answer (a button on that page).
    "still_looking": Link(
        "/toujours-en-recherche/{token}",
        {"GET": "public.still_looking_page", "POST": "public.still_looking"},
    ),
    # The housing survey's form (issue 17): the link's token is the authority, no sign-in.
    "housing_survey": Link(
        "/logement/recensement/{token}",
        {"GET": "housing_survey_public.form", "POST": "housing_survey_public.answer"},
    ),
    # A questionnaire answered without sign-in (issue 18's discovery feedback, issue 19's
    # check-ins): the link's token is the authority, single-use.
    "questionnaire": Link(
        "/questionnaire/{token}", {"GET": "questionnaires.form", "POST": "questionnaires.answer"}
    ),
    # The discovery days (issue 18): each side's page of its discoveries.
    "candidate_discovery": _get("/candidat/decouvertes/", "discovery_candidate.index"),
    "employer_discovery_day": _get("/employeur/decouvertes/{day_id}", "discovery_employer.day"),
    "public_metier": _get("/metiers/{code}", "metier_sheets.sheet"),
    # GET: the page of a click; POST: RFC 8058 one-click unsubscribe (List-Unsubscribe-Post).
    "unsubscribe": Link(
        "/desabonnement/{token}",
        {"GET": "public.unsubscribe_page", "POST": "public.unsubscribe"},
    ),
}
#: The path pattern of each link, by name.
PATHS: dict[str, str] = {name: link.path for name, link in LINKS.items()}


def url(base_url: str, name: str, **params: object) -> str:
    """Return the absolute URL of a named page.

    >>> url("https://passerelle.ain.fr/", "employer_offer", offer_id=12)
    'https://passerelle.ain.fr/employeur/offres/12'
    """
    return base_url.rstrip("/") + PATHS[name].format(**params)
