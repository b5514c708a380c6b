"""Absolute links put in mails: the web app's paths joined to the configured base URL.

Jobs and data operations have no request to build URLs from; the base URL comes from
``PASSERELLE_BASE_URL`` (carried by the mailer, or given by the web app). The paths are the web
app's; keep them in step with ``web/views``.
"""

from __future__ import annotations

__all__ = ["PATHS", "url"]

PATHS: dict[str, str] = {
    "home": "/",
    "sign_in": "/connexion",
    "public_offer": "/offres/{offer_id}",
    "candidate_home": "/candidat/",
    "candidate_request": "/candidat/demande",
    "candidate_notifications": "/candidat/notifications",
    "employer_home": "/employeur/",
    "employer_offer": "/employeur/offres/{offer_id}",
    "employer_offer_edit": "/employeur/offres/{offer_id}/modifier",
    "employer_notifications": "/employeur/notifications",
    "coordination_home": "/coordination/",
    "still_looking": "/toujours-en-recherche/{token}",
    "unsubscribe": "/desabonnement/{token}",
}


def url(base_url: str, name: str, **params: object) -> str:
    """Return the absolute URL of a named page.

    >>> url("https://passerelle.ain.fr/", "employer_offer", offer_id=12)
    'https://passerelle.ain.fr/employeur/offres/12'
    """
    return base_url.rstrip("/") + PATHS[name].format(**params)
