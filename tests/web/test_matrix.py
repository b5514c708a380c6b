"""Who may reach what: every page route for every role, and the personal fields each role sees.

Roles: anonymous, candidate, employer (owner of the offers), another employer, coordinator.
Anonymous people are sent to a sign-in page (302); a signed-in person of the wrong role gets 403;
another employer's or candidate's objects answer 404, so their existence is not even told.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from data.actor import Actor
from data.models import (
    Base,
    DiscoveryMatch,
    KitTemplate,
    MetierSheet,
    MetierSheetVersion,
    PlanAction,
    Role,
    User,
)
from data.operations import discovery as discovery_ops
from data.operations import plan as plan_ops
from data.operations import welcome_kit as kit_ops
from data.operations._common import local_today
from tests.data import factories as f
from tests.web.conftest import World, post, sign_in

ROLES = ("anonymous", "candidate", "employer", "other_employer", "coordinator")

# (url template, expected status per role, in ROLES order)
PUBLIC = (200, 200, 200, 200, 200)
EMPLOYER_ONLY = (302, 403, 200, 200, 403)
EMPLOYER_OWN = (302, 403, 200, 404, 403)
CANDIDATE_ONLY = (302, 200, 403, 403, 403)
STAFF_ONLY = (302, 403, 403, 403, 200)

GET_ROUTES: list[tuple[str, tuple[int, ...]]] = [
    ("/", PUBLIC),
    ("/healthz", PUBLIC),
    ("/offres", PUBLIC),
    ("/offres/{offer}", PUBLIC),
    ("/offres/{draft}", (404, 404, 404, 404, 404)),
    ("/offres/carte", PUBLIC),
    ("/offres/carte.geojson", PUBLIC),
    ("/carte/communes-ain.geojson", PUBLIC),
    ("/carte/epci-ain.geojson", PUBLIC),
    ("/communes?q=bourg", PUBLIC),
    ("/inscription", PUBLIC),
    ("/inscription/candidat", PUBLIC),
    ("/inscription/employeur", PUBLIC),
    ("/accessibilite", PUBLIC),
    ("/mentions-legales", PUBLIC),
    ("/donnees-personnelles", PUBLIC),
    ("/connexion/equipe", (200, 200, 200, 200, 302)),
    ("/connexion", (200, 302, 302, 302, 302)),
    ("/connexion/lien/unknown-token", PUBLIC),
    ("/connexion/defi", PUBLIC),
    ("/desabonnement/unknown-token", PUBLIC),
    ("/toujours-en-recherche/unknown-token", PUBLIC),
    ("/questionnaire/unknown-token", (404, 404, 404, 404, 404)),
    # Discovery days (issue 18): a day of the world's structure, a planned visit of its candidate.
    ("/employeur/decouvertes/", EMPLOYER_ONLY),
    ("/employeur/decouvertes/nouvelles", EMPLOYER_ONLY),
    ("/employeur/decouvertes/{dday}", EMPLOYER_OWN),
    ("/employeur/decouvertes/{dday}/modifier", EMPLOYER_OWN),
    ("/employeur/decouvertes/venues/{dmatch}/recapitulatif.pdf", EMPLOYER_OWN),
    ("/candidat/decouvertes/", CANDIDATE_ONLY),
    ("/candidat/decouvertes/demander", CANDIDATE_ONLY),
    ("/candidat/decouvertes/{dmatch}/recapitulatif.pdf", CANDIDATE_ONLY),
    # Only a discovery done turns into a request: this one is planned.
    ("/candidat/decouvertes/{dmatch}/demande-apprentissage", (302, 404, 403, 403, 403)),
    ("/coordination/decouvertes/", STAFF_ONLY),
    ("/employeur/", EMPLOYER_ONLY),
    ("/employeur/structure", EMPLOYER_ONLY),
    ("/employeur/lieux/nouveau", EMPLOYER_ONLY),
    ("/employeur/lieux/{site}", EMPLOYER_OWN),
    ("/employeur/offres/nouvelle", EMPLOYER_ONLY),
    ("/employeur/offres/import", EMPLOYER_ONLY),
    ("/employeur/offres/import/modele.csv", EMPLOYER_ONLY),
    ("/employeur/notifications", EMPLOYER_ONLY),
    ("/employeur/offres/{offer}", EMPLOYER_OWN),
    ("/employeur/offres/{offer}/modifier", EMPLOYER_OWN),
    ("/candidat/", CANDIDATE_ONLY),
    ("/candidat/demande", CANDIDATE_ONLY),
    ("/candidat/informations", CANDIDATE_ONLY),
    ("/candidat/notifications", CANDIDATE_ONLY),
    ("/candidat/donnees", CANDIDATE_ONLY),
    ("/candidat/donnees/export.json", CANDIDATE_ONLY),
    # The CV (the world's candidate has none: 404 where one may read it; tests/web/test_cv.py
    # walks the same routes with a CV, another structure and another candidate).
    ("/candidat/cv", (302, 404, 403, 403, 403)),
    ("/employeur/suggestions/{suggestion}/cv", (302, 403, 404, 404, 403)),
    ("/employeur/suggestions/{proposed}/cv", (302, 403, 404, 404, 403)),
    ("/coordination/candidats/{candidate}/cv", (302, 403, 403, 403, 404)),
    ("/coordination/", STAFF_ONLY),
    ("/coordination/suggestions", STAFF_ONLY),
    ("/coordination/suggestions/{proposed}", STAFF_ONLY),
    ("/coordination/suggestions/nouvelle", STAFF_ONLY),
    ("/coordination/binomes", STAFF_ONLY),
    ("/coordination/binomes-a-appeler", STAFF_ONLY),
    ("/coordination/offres", STAFF_ONLY),
    ("/coordination/offres/{offer}", STAFF_ONLY),
    ("/coordination/demandes", STAFF_ONLY),
    ("/coordination/demandes/{request}", STAFF_ONLY),
    ("/coordination/employeurs", STAFF_ONLY),
    ("/coordination/rattachements", STAFF_ONLY),
    ("/coordination/employeurs/{employer}", STAFF_ONLY),
    ("/coordination/candidats", STAFF_ONLY),
    ("/coordination/metiers-non-reconnus", STAFF_ONLY),
    ("/coordination/candidats/{candidate}", STAFF_ONLY),
    ("/coordination/candidats/{candidate}/effacer", STAFF_ONLY),
    ("/coordination/affectation", STAFF_ONLY),
    ("/coordination/logement", STAFF_ONLY),
    ("/coordination/logement?territoire=Bourg-en-Bresse&rayon=15", STAFF_ONLY),
    ("/coordination/taches", STAFF_ONLY),
    ("/coordination/offres/export.csv", STAFF_ONLY),
    ("/coordination/demandes/export.csv", STAFF_ONLY),
    ("/coordination/employeurs/export.csv", STAFF_ONLY),
    ("/coordination/candidats/export.csv", STAFF_ONLY),
    ("/coordination/binomes/export.csv", STAFF_ONLY),
    ("/coordination/suggestions/export.csv", STAFF_ONLY),
    ("/coordination/binomes/export.xlsx", STAFF_ONLY),
    ("/coordination/candidats/export.xlsx", STAFF_ONLY),
    ("/coordination/offres/export.csv?recherche=%3DHYPERLINK&tri=-commune", STAFF_ONLY),
    ("/coordination/structures/", STAFF_ONLY),
    ("/coordination/structures/{employer}", STAFF_ONLY),
    ("/compte/mot-de-passe", STAFF_ONLY),
    # The pair's story (issue 15): the world's pair, just approved, has no stage to undo: back
    # to its page with the reason.
    ("/coordination/suggestions/{suggestion}/annuler-etape", (302, 403, 403, 403, 302)),
    ("/admin/", (302, 403, 403, 403, 403)),
    ("/admin/courriels", (302, 403, 403, 403, 403)),
    ("/admin/comptes", (302, 403, 403, 403, 403)),
    ("/admin/remuneration", (302, 403, 403, 403, 403)),
    # Team (issue 15): the structure's people, one's sign-in address, the link to a new address.
    ("/employeur/equipe", EMPLOYER_ONLY),
    ("/employeur/mon-adresse", EMPLOYER_ONLY),
    ("/compte/adresse/unknown-token", PUBLIC),
    # Training centres (issue 16): the coordinators' pages.
    ("/coordination/formations", STAFF_ONLY),
    (
        "/coordination/formations?commune=Oyonnax&distance=50&ouvertes=1&metier=aide-soignant",
        STAFF_ONLY,
    ),
    ("/coordination/formations/export.csv", STAFF_ONLY),
    ("/coordination/formations/nouveau", STAFF_ONLY),
    ("/coordination/formations/{centre}", STAFF_ONLY),
    ("/coordination/formations/2147483647", (302, 403, 403, 403, 404)),
    ("/coordination/formations/{centre}/modifier", STAFF_ONLY),
    ("/coordination/formations/{centre}/supprimer", STAFF_ONLY),
    ("/coordination/formations/{centre}/programmes/nouveau", STAFF_ONLY),
    ("/coordination/formations/programmes/{programme}/modifier", STAFF_ONLY),
    ("/coordination/formations/programmes/{programme}/sessions/nouvelle", STAFF_ONLY),
    ("/coordination/formations/sessions/{intake}/modifier", STAFF_ONLY),
    ("/coordination/formations/import", STAFF_ONLY),
    ("/coordination/formations/import/modele.csv", STAFF_ONLY),
    # Housing (issue 17): the coordinators' « Logements », a structure's « Nos logements » (the
    # world's site has the employer's beds).
    ("/coordination/logements", STAFF_ONLY),
    (
        "/coordination/logements?type=fjt&gestionnaire=partner&commune=Oyonnax&distance=50"
        "&publie=oui&recherche=foyer",
        STAFF_ONLY,
    ),
    ("/coordination/logements?type=chateau", (302, 403, 403, 403, 400)),
    ("/coordination/logements/export.csv", STAFF_ONLY),
    ("/coordination/logements/nouveau", STAFF_ONLY),
    ("/coordination/logements/{housing}/modifier", STAFF_ONLY),
    ("/coordination/logements/2147483647/modifier", (302, 403, 403, 403, 404)),
    ("/coordination/logements/{housing}/supprimer", STAFF_ONLY),
    ("/coordination/logements/import", STAFF_ONLY),
    ("/coordination/logements/import/modele.csv", STAFF_ONLY),
    ("/employeur/logements", EMPLOYER_ONLY),
    ("/employeur/logements/nouveau", EMPLOYER_ONLY),
    ("/employeur/logements/{housing}/modifier", EMPLOYER_OWN),
    ("/employeur/logements/{housing}/supprimer", EMPLOYER_OWN),
    # « Nos maîtres d'apprentissage » (issue 19): the world has none (their own tests make
    # some: tests/web/test_masters_web.py), so a master's pages answer 404 to their structure.
    ("/employeur/maitres-apprentissage", EMPLOYER_ONLY),
    ("/employeur/maitres-apprentissage/nouveau", EMPLOYER_ONLY),
    ("/employeur/maitres-apprentissage/2147483647/modifier", (302, 403, 404, 404, 403)),
    ("/employeur/maitres-apprentissage/2147483647/supprimer", (302, 403, 404, 404, 403)),
    # « Les métiers » (issue 18): the list and a sheet for anyone; editing and history for staff.
    ("/metiers", PUBLIC),
    ("/observatoire", PUBLIC),
    ("/donnees-ouvertes", PUBLIC),
    ("/coordination/observatoire", STAFF_ONLY),
    ("/metiers/aide-soignant", PUBLIC),
    ("/metiers/infirmier", PUBLIC),  # a métier without a sheet yet
    ("/metiers/pas-un-metier", (404, 404, 404, 404, 404)),
    ("/metiers/aide-soignant/modifier", STAFF_ONLY),
    ("/metiers/infirmier/modifier", STAFF_ONLY),
    ("/metiers/aide-soignant/historique", STAFF_ONLY),
    ("/metiers/pas-un-metier/historique", (302, 403, 403, 403, 404)),
    # « Se former » (issue 16): the public list and map of the training centres, a centre's page.
    ("/se-former", PUBLIC),
    (
        "/se-former?metier=aide-soignant&commune=Bourg-en-Bresse&distance=30&rentree=365&ouvertes=1",
        PUBLIC,
    ),
    ("/se-former/centres.geojson", PUBLIC),
    ("/se-former/centres/{centre}", PUBLIC),
    ("/se-former/centres/2147483647", (404, 404, 404, 404, 404)),
    # « Se loger » (issue 17): the public list and map of housing, a resource's page.
    ("/se-loger", PUBLIC),
    (
        "/se-loger?commune=Bourg-en-Bresse&distance=10&type_logement=fjt&cout_max=400"
        "&disponible_le=01/09/2026&lits_libres=1",
        PUBLIC,
    ),
    ("/se-loger/carte", PUBLIC),
    ("/se-loger/carte.geojson", PUBLIC),
    ("/se-loger/2147483647", (404, 404, 404, 404, 404)),
    # The housing survey (issue 17): the coordinators' campaigns (their own tests make one:
    # tests/web/test_housing_survey_web.py); a structure's form, opened by its link alone.
    ("/coordination/recensement-logements", STAFF_ONLY),
    ("/coordination/recensement-logements/nouveau", STAFF_ONLY),
    ("/coordination/recensement-logements/2147483647", (302, 403, 403, 403, 404)),
    ("/coordination/recensement-logements/2147483647/reponses.csv", (302, 403, 403, 403, 404)),
    ("/logement/recensement/unknown-token", (404, 404, 404, 404, 404)),
    # The welcome kit (issue 19): the world's approved pair has its signature planned, so a
    # kit; the structure's pages, the person's booklet (one: the list leads to it), staff pages.
    ("/employeur/kits/", EMPLOYER_ONLY),
    ("/employeur/kits/{kit}", EMPLOYER_OWN),
    ("/employeur/kits/{kit}/kit-accueil.pdf", EMPLOYER_OWN),
    ("/employeur/kits/2147483647", (302, 403, 404, 404, 403)),
    ("/candidat/kits/", (302, 302, 403, 403, 403)),
    ("/candidat/kits/{kit}", CANDIDATE_ONLY),
    ("/candidat/kits/{kit}/livret-accueil.pdf", CANDIDATE_ONLY),
    ("/candidat/kits/2147483647", (302, 404, 403, 403, 403)),
    ("/coordination/kits/retards", STAFF_ONLY),
    ("/coordination/kits/{kit}", STAFF_ONLY),
    ("/coordination/kits/{kit}/kit-accueil.pdf", STAFF_ONLY),
    ("/coordination/kits/2147483647", (302, 403, 403, 403, 404)),
    ("/coordination/kits/modeles", STAFF_ONLY),
    ("/coordination/kits/modeles/{kit_template}/modifier", STAFF_ONLY),
    ("/coordination/kits/modeles/{kit_template}/historique", STAFF_ONLY),
    ("/coordination/kits/modeles/2147483647/historique", (302, 403, 403, 403, 404)),
    # The plan's roadmap (issue 20): public, and the coordinators' pages and exports.
    ("/feuille-de-route", PUBLIC),
    ("/coordination/plan", STAFF_ONLY),
    ("/coordination/plan/nouvelle", STAFF_ONLY),
    ("/coordination/plan/actions/{plan_action}", STAFF_ONLY),
    ("/coordination/plan/actions/2147483647", (302, 403, 403, 403, 404)),
    ("/coordination/plan/budget/{plan_line}", STAFF_ONLY),
    ("/coordination/plan/indicateurs/{plan_indicator}", STAFF_ONLY),
    ("/coordination/plan/feuille-de-route.csv", STAFF_ONLY),
    ("/coordination/plan/budget.csv", STAFF_ONLY),
    ("/coordination/plan/feuille-de-route.pdf", STAFF_ONLY),
    # The mallette (issue 18): anyone reads and searches; coordinators write and publish.
    ("/mallette", PUBLIC),
    ("/mallette?q=formation&categorie=legal&public=employers", PUBLIC),
    ("/mallette?categorie=poeme", (400, 400, 400, 400, 400)),
    ("/mallette/2147483647", (404, 404, 404, 404, 404)),
    ("/mallette/gestion", STAFF_ONLY),
    ("/mallette/nouvelle", STAFF_ONLY),
    ("/mallette/2147483647/modifier", (302, 403, 403, 403, 404)),
    ("/mallette/2147483647/versions", (302, 403, 403, 403, 404)),
    ("/mallette/2147483647/document.pdf", (404, 404, 404, 404, 404)),
]

# State-changing routes: only their owner may use them (CSRF token given, so only access counts).
POST_ROUTES: list[tuple[str, tuple[int, ...]]] = [
    # Discovery days (issue 18): forms posted incomplete come back (400) to their owner.
    ("/employeur/decouvertes/nouvelles", (302, 403, 400, 400, 403)),
    ("/employeur/decouvertes/{dday}/modifier", (302, 403, 400, 404, 403)),
    ("/employeur/decouvertes/{dday}/fermer", (302, 403, 302, 404, 403)),
    ("/employeur/decouvertes/{dday}/annuler", (302, 403, 302, 404, 403)),
    ("/employeur/decouvertes/venues/{dmatch}/annuler", (302, 403, 302, 404, 403)),
    ("/candidat/decouvertes/demander", (302, 400, 403, 403, 403)),
    ("/candidat/decouvertes/demandes/{dwish}/clore", (302, 302, 403, 403, 403)),
    ("/candidat/decouvertes/{dmatch}/annuler", (302, 302, 403, 403, 403)),
    ("/coordination/decouvertes/a-la-main", (302, 403, 403, 403, 302)),
    ("/coordination/decouvertes/{dmatch}/annuler", (302, 403, 403, 403, 302)),
    ("/questionnaire/unknown-token", (404, 404, 404, 404, 404)),
    ("/employeur/offres/{offer}/dupliquer", (302, 403, 302, 404, 403)),
    ("/employeur/offres/{draft}/publier", (302, 403, 302, 404, 403)),
    ("/employeur/offres/{offer}/fermer", (302, 403, 302, 404, 403)),
    ("/employeur/suggestions/{suggestion}/reponse", (302, 403, 302, 404, 403)),
    ("/employeur/suggestions/{proposed}/reponse", (302, 403, 404, 404, 403)),
    ("/candidat/suggestions/{suggestion}/reponse", (302, 302, 403, 403, 403)),
    ("/candidat/suggestions/{proposed}/reponse", (302, 404, 403, 403, 403)),
    # « Cette offre m'intéresse »: a signed-in candidate, on a published offer (a draft: 404).
    ("/candidat/offres/{offer}/interet", (302, 302, 403, 403, 403)),
    ("/candidat/offres/{draft}/interet", (302, 404, 403, 403, 403)),
    ("/coordination/suggestions/{proposed}/approuver", (302, 403, 403, 403, 302)),
    ("/coordination/suggestions/{proposed}/rejeter", (302, 403, 403, 403, 302)),
    ("/coordination/suggestions/rejeter", (302, 403, 403, 403, 302)),
    ("/coordination/suggestions/approuver", (302, 403, 403, 403, 302)),
    # A note posted empty: the pair's page again, with the message (400).
    ("/coordination/suggestions/{suggestion}/note", (302, 403, 403, 403, 400)),
    # A call after the check-ins (issue 19) noted without its note: the pair's page, 400.
    ("/coordination/suggestions/{suggestion}/appele", (302, 403, 403, 403, 400)),
    ("/coordination/recalculer", (302, 403, 403, 403, 302)),
    # The pair's story (issue 15): on the world's approved pair each is refused with a French
    # message (no interview nor contract yet, no stage change to undo, no contract to break).
    ("/coordination/suggestions/{suggestion}/entretien", (302, 403, 403, 403, 302)),
    ("/coordination/suggestions/{suggestion}/contrat", (302, 403, 403, 403, 302)),
    ("/coordination/suggestions/{suggestion}/annuler-etape", (302, 403, 403, 403, 302)),
    ("/coordination/suggestions/{suggestion}/etape/rupture", (302, 403, 403, 403, 302)),
    ("/admin/regle-de-revue", (302, 403, 403, 403, 403)),
    # Moderation (the reason posted is « Trop loin »): the world's structure is checked, so
    # checking or reinstating it, or reopening its published offer, is refused with a flash.
    ("/coordination/structures/{employer}/verifier", (302, 403, 403, 403, 302)),
    ("/coordination/structures/{employer}/suspendre", (302, 403, 403, 403, 302)),
    ("/coordination/structures/{employer}/retablir", (302, 403, 403, 403, 302)),
    ("/coordination/structures/offres/{offer}/retirer", (302, 403, 403, 403, 302)),
    ("/coordination/structures/offres/{offer}/rouvrir", (302, 403, 403, 403, 302)),
    ("/admin/verification-des-structures", (302, 403, 403, 403, 403)),
    ("/admin/remuneration/smic", (302, 403, 403, 403, 403)),
    ("/admin/remuneration/regles", (302, 403, 403, 403, 403)),
    ("/admin/remuneration/grille", (302, 403, 403, 403, 403)),
    # Forms posted incomplete: their owner gets the form back with messages (400).
    ("/connexion", (400, 302, 302, 302, 302)),
    ("/connexion/equipe", (400, 400, 400, 400, 302)),
    ("/compte/mot-de-passe", (302, 403, 403, 403, 400)),
    ("/inscription/candidat", (400, 400, 400, 400, 400)),
    ("/inscription/employeur", (400, 400, 400, 400, 400)),
    ("/employeur/structure", (302, 403, 400, 400, 403)),
    ("/employeur/lieux/nouveau", (302, 403, 400, 400, 403)),
    ("/employeur/lieux/{site}", (302, 403, 400, 404, 403)),
    ("/employeur/offres/nouvelle", (302, 403, 400, 400, 403)),
    ("/employeur/offres/{offer}/modifier", (302, 403, 400, 404, 403)),
    ("/employeur/offres/import", (302, 403, 400, 400, 403)),
    ("/employeur/notifications", (302, 403, 400, 400, 403)),
    ("/candidat/demande", (302, 400, 403, 403, 403)),
    ("/candidat/informations", (302, 400, 403, 403, 403)),
    ("/candidat/notifications", (302, 400, 403, 403, 403)),
    ("/coordination/suggestions/nouvelle", (302, 403, 403, 403, 400)),
    ("/coordination/candidats/{candidate}/effacer", (302, 403, 403, 403, 400)),
    # An empty decision: the page says "Choisissez le métier..." and shows the list again.
    ("/coordination/metiers-non-reconnus", (302, 403, 403, 403, 302)),
    # The CV: sent without a file, the form again with the message (400); deleting none: back.
    ("/candidat/cv", (302, 400, 403, 403, 403)),
    ("/candidat/cv/supprimer", (302, 302, 403, 403, 403)),
    # Team (issue 15). Invited without a name nor address, a new address left empty: the form
    # again (400). Removing oneself asks for a confirmation (200); another structure's: 404.
    ("/employeur/equipe/inviter", (302, 403, 400, 400, 403)),
    ("/employeur/maitres-apprentissage/nouveau", (302, 403, 400, 400, 403)),
    ("/employeur/maitres-apprentissage/2147483647/modifier", (302, 403, 404, 404, 403)),
    ("/employeur/maitres-apprentissage/2147483647/supprimer", (302, 403, 404, 404, 403)),
    ("/employeur/equipe/{employer_user}/retirer", (302, 403, 200, 404, 403)),
    ("/employeur/mon-adresse", (302, 403, 400, 400, 403)),
    ("/compte/adresse/unknown-token", (400, 400, 400, 400, 400)),
    # Training centres (issue 16): forms posted empty answer the form with messages (400);
    # deleting goes back to the list or the centre.
    ("/coordination/formations/nouveau", (302, 403, 403, 403, 400)),
    ("/coordination/formations/{centre}/modifier", (302, 403, 403, 403, 400)),
    ("/coordination/formations/{centre}/programmes/nouveau", (302, 403, 403, 403, 400)),
    ("/coordination/formations/programmes/{programme}/modifier", (302, 403, 403, 403, 400)),
    (
        "/coordination/formations/programmes/{programme}/sessions/nouvelle",
        (302, 403, 403, 403, 400),
    ),
    ("/coordination/formations/sessions/{intake}/modifier", (302, 403, 403, 403, 400)),
    ("/coordination/formations/import", (302, 403, 403, 403, 400)),
    ("/coordination/formations/sessions/{intake}/supprimer", (302, 403, 403, 403, 302)),
    ("/coordination/formations/programmes/{programme}/supprimer", (302, 403, 403, 403, 302)),
    ("/coordination/formations/{centre}/supprimer", (302, 403, 403, 403, 302)),
    # The centres a structure works with (issue 16): posted empty, none (back to the structure);
    # an unknown centre, the structure's page again with the message (400).
    ("/employeur/structure/centres-de-formation", (302, 403, 302, 302, 403)),
    # The housing survey (issue 17): a campaign posted empty, the form again (400); an unknown
    # campaign, 404; an unknown link, 404 for everyone (the token is the only authority).
    ("/coordination/recensement-logements/nouveau", (302, 403, 403, 403, 400)),
    ("/coordination/recensement-logements/2147483647/envoyer", (302, 403, 403, 403, 404)),
    ("/coordination/recensement-logements/2147483647/relancer", (302, 403, 403, 403, 404)),
    ("/coordination/recensement-logements/2147483647/clore", (302, 403, 403, 403, 404)),
    ("/logement/recensement/unknown-token", (404, 404, 404, 404, 404)),
    # Housing (issue 17): forms posted empty answer the form with messages (400); publishing
    # and deleting go back to the list (the structure deletes its own first: then 404).
    ("/coordination/logements/nouveau", (302, 403, 403, 403, 400)),
    ("/coordination/logements/{housing}/modifier", (302, 403, 403, 403, 400)),
    ("/coordination/logements/{housing}/publication", (302, 403, 403, 403, 302)),
    ("/coordination/logements/{housing}/supprimer", (302, 403, 403, 403, 302)),
    ("/coordination/logements/import", (302, 403, 403, 403, 400)),
    ("/employeur/logements/nouveau", (302, 403, 400, 400, 403)),
    ("/employeur/logements/{housing}/modifier", (302, 403, 400, 404, 403)),
    ("/employeur/logements/{housing}/supprimer", (302, 403, 302, 404, 403)),
    # Métier sheets (issue 18): a sheet posted empty, the form again with the message (400);
    # restoring a version goes back to the history (the seed, already the text: refused there
    # with a message); a version of another sheet: 404.
    ("/metiers/aide-soignant/modifier", (302, 403, 403, 403, 400)),
    ("/metiers/aide-soignant/versions/{sheet_version}/restaurer", (302, 403, 403, 403, 302)),
    ("/metiers/infirmier/versions/{sheet_version}/restaurer", (302, 403, 403, 403, 404)),
    # The welcome kit (issue 19): an item posted without « done » is refused with a message (back
    # to the kit); a planned signature without a date, the same; a template posted empty, the
    # form again (400); the seed version, already the text, is not restored (back, with why).
    ("/employeur/kits/{kit}/points/{kit_item}", (302, 403, 302, 404, 403)),
    ("/coordination/kits/{kit}/points/{kit_item}", (302, 403, 403, 403, 302)),
    ("/coordination/kits/binomes/{suggestion}/signature-prevue", (302, 403, 403, 403, 302)),
    ("/coordination/kits/modeles/{kit_template}/modifier", (302, 403, 403, 403, 400)),
    (
        "/coordination/kits/modeles/{kit_template}/versions/{kit_version}/restaurer",
        (302, 403, 403, 403, 302),
    ),
    # The plan's roadmap (issue 20): forms posted without their fields, the form again (400); a
    # status posted without one, back to the action with why; a budget line deleted.
    ("/coordination/plan/nouvelle", (302, 403, 403, 403, 400)),
    ("/coordination/plan/actions/{plan_action}", (302, 403, 403, 403, 400)),
    ("/coordination/plan/actions/{plan_action}/statut", (302, 403, 403, 403, 302)),
    ("/coordination/plan/actions/{plan_action}/budget", (302, 403, 403, 403, 400)),
    ("/coordination/plan/budget/{plan_line}", (302, 403, 403, 403, 400)),
    ("/coordination/plan/budget/{plan_line}/supprimer", (302, 403, 403, 403, 302)),
    ("/coordination/plan/actions/{plan_action}/indicateurs", (302, 403, 403, 403, 400)),
    ("/coordination/plan/indicateurs/{plan_indicator}", (302, 403, 403, 403, 400)),
    ("/mallette/nouvelle", (302, 403, 403, 403, 400)),
    ("/mallette/2147483647/modifier", (302, 403, 403, 403, 404)),
    ("/mallette/2147483647/publier", (302, 403, 403, 403, 404)),
    ("/mallette/2147483647/document", (302, 403, 403, 403, 404)),
    ("/mallette/2147483647/document/supprimer", (302, 403, 403, 403, 404)),
]


def _discovery(session: Session, world: World) -> dict[str, int]:
    """A discovery day of the world's structure and a wish of its candidate, planned (made once
    per world: the ids are read again by each route's formatting)."""
    found = session.scalar(select(DiscoveryMatch).order_by(DiscoveryMatch.id))
    if found is None:
        system = Actor.system()
        first = local_today() + timedelta(days=20)
        day = discovery_ops.create_day(
            session,
            system,
            world.employer,
            {
                "site_id": str(world.offer.site_id),
                "metier_code": "aide-soignant",
                "starts_on": first.isoformat(),
                "ends_on": first.isoformat(),
                "places": "2",
                "host_name": "Sophie Bernard",
                "host_role": "Aide-soignante",
            },
        )
        wish = discovery_ops.create_wish(
            session,
            system,
            world.request.candidate_id,
            {
                "metier_code": "aide-soignant",
                "commune_insee": world.request.commune_insee,
                "max_distance_km": "30",
                "free_from": local_today().isoformat(),
                "free_until": (first + timedelta(days=10)).isoformat(),
                "age_band": "18-20",
            },
        )
        found = discovery_ops.create_manual_match(session, wish, day, Actor.user(world.coordinator))
        session.commit()
    return {"dday": found.day_id, "dwish": found.wish_id, "dmatch": found.id}


def _kit(session: Session, world: World) -> dict[str, int]:
    """The kit of the world's pair, its signature planned (made once per world)."""
    kit = kit_ops.kit_of(session, world.suggestion.id)
    if kit is None:
        kit = kit_ops.plan_signature(
            session,
            Actor.user(world.coordinator),
            world.suggestion,
            (local_today() + timedelta(days=30)).isoformat(),
        )
        session.commit()
    template = session.scalar(select(KitTemplate).where(KitTemplate.key == "welcome"))
    assert template is not None
    return {
        "kit": kit.id,
        "kit_item": kit.items[0].id,
        "kit_template": template.id,
        "kit_version": template.versions[0].id,
    }


def _plan(session: Session, world: World) -> dict[str, int]:
    """A shipped action of the plan with a budget line and an indicator kept by hand (made once
    per world)."""
    action = session.scalars(
        select(PlanAction).where(PlanAction.seed_key == "a4-lab-innovation")
    ).one()
    if not action.budget_lines:
        actor = Actor.user(world.coordinator)
        line = {"year": "2025", "amount_eur": "1000", "funder": "cnsa"}
        plan_ops.add_budget_line(session, actor, action, line)
        plan_ops.add_indicator(session, actor, action, {"indicator_name": "Projets"})
        session.commit()
    hand = next(i for i in action.indicators if i.observatory_key is None)
    return {
        "plan_action": action.id,
        "plan_line": action.budget_lines[0].id,
        "plan_indicator": hand.id,
    }


def _ids(world: World) -> dict[str, int]:
    assert world.offer.site is not None
    session = object_session(world.offer)
    assert session is not None
    sheet_version = session.scalar(
        select(MetierSheetVersion.id)
        .join(MetierSheet)
        .where(MetierSheet.metier_code == "aide-soignant")
        .order_by(MetierSheetVersion.id)
    )
    assert sheet_version is not None  # the shipped seed sheet
    discovery = _discovery(session, world)
    return {
        **discovery,
        **_kit(session, world),
        **_plan(session, world),
        "sheet_version": sheet_version,
        "offer": world.offer.id,
        "draft": world.draft.id,
        "site": world.offer.site_id,
        "request": world.request.id,
        "candidate": world.request.candidate_id,
        "employer": world.employer.id,
        "suggestion": world.suggestion.id,
        "proposed": world.proposed.id,
        "employer_user": world.employer_user.id,
        "centre": world.centre.id,
        "programme": world.centre.programmes[0].id,
        "intake": world.centre.programmes[0].sessions[0].id,
        "housing": world.offer.site.housings[0].id,
    }


def _user(world: World, role: str) -> User | None:
    return {
        "anonymous": None,
        "candidate": world.candidate_user,
        "employer": world.employer_user,
        "other_employer": world.other_employer_user,
        "coordinator": world.coordinator,
    }[role]


def _counts(session: Session) -> dict[str, int]:
    """Rows per table, except the audit log (coordinators' views of personal data are logged)
    and the mallette's last visits (a reader's « Nouveautés » start there)."""
    session.expire_all()
    return {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0
        for t in Base.metadata.sorted_tables
        if t.name not in ("audit_log", "library_visits")
    }


# Who may reach a route is decided by the app's routing and checks, the same on both engines
# (each route's database work is tested on both by its own tests): the matrix runs on SQLite.
@pytest.mark.one_engine
def test_get_routes_by_role(app: Flask, world: World, session: Session) -> None:
    ids = _ids(world)
    before = _counts(session)
    failures = []
    for role in ROLES:
        client = sign_in(app.test_client(), _user(world, role))
        for template, expected in GET_ROUTES:
            url = template.format(**ids)
            status = client.get(url).status_code
            want = expected[ROLES.index(role)]
            if status != want:
                failures.append(f"{role} GET {url}: {status}, expected {want}")
    assert failures == []
    # No GET changed anything (only the audit log of coordinators' views grew).
    assert _counts(session) == before


@pytest.mark.one_engine
@pytest.mark.parametrize(("template", "expected"), POST_ROUTES, ids=[r[0] for r in POST_ROUTES])
def test_post_routes_by_role(
    app: Flask, world: World, template: str, expected: tuple[int, ...]
) -> None:
    url = template.format(**_ids(world))
    failures = []
    for role in ROLES:
        client = sign_in(app.test_client(), _user(world, role))
        data = {"interested": "1", "reason": "Trop loin", "mode": "approval", "min_score": "70"}
        status = post(client, url, data).status_code
        want = expected[ROLES.index(role)]
        if status != want:
            failures.append(f"{role}: {status}, expected {want}")
    assert failures == []


# Endpoints whose access is tested with their own flows (test_signin, test_pages).
TESTED_ELSEWHERE = {
    # The observatory's files exist once a month is stored: tests/web/test_observatory_web.py.
    ("observatory.file", "GET"),
    ("observatory.coordination_file", "GET"),
    # Who may decide a request to join a structure: tests/web/test_signup_hardening.py.
    ("employer.decide_join", "POST"),
    ("coordinator.decide_join", "POST"),
    ("signin.sign_out", "POST"),
    ("signin.use_link", "POST"),
    ("public.unsubscribe", "POST"),
    ("public.still_looking", "POST"),
    ("candidate.widen", "POST"),
    ("candidate.request_status", "POST"),
    ("candidate.delete_account", "POST"),
    ("coordinator.set_stage", "POST"),
    ("admin.mail_detail", "GET"),
    ("coordinator.requeue", "POST"),
    ("admin.account_action", "POST"),
    ("admin.revoke_token", "POST"),
}


def test_every_page_route_is_in_the_matrix(app: Flask, world: World) -> None:
    adapter = app.url_map.bind("localhost")
    ids = _ids(world)
    covered = set()
    for routes, method in ((GET_ROUTES, "GET"), (POST_ROUTES, "POST")):
        for template, _ in routes:
            endpoint, _args = adapter.match(template.format(**ids).split("?")[0], method=method)
            covered.add((endpoint, method))
    every = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith("/api")
        for method in rule.methods or ()
        if method in ("GET", "POST")
    }
    assert sorted(every - covered - TESTED_ELSEWHERE) == []


def _client(app: Flask, user: User | None) -> FlaskClient:
    return sign_in(app.test_client(), user)


def test_employer_sees_contact_only_after_approval(app: Flask, world: World) -> None:
    cand = world.request.candidate
    page = _client(app, world.employer_user).get(f"/employeur/offres/{world.offer.id}").text
    assert cand.email in page and cand.phone in page and cand.last_name in page

    other = _client(app, world.other_employer_user).get(f"/employeur/offres/{world.other_offer.id}")
    # The proposed (unreviewed) pair is not shown at all under the default approval rule.
    assert cand.first_name not in other.text


def test_employer_sees_no_contact_before_approval_in_auto_mode(
    app: Flask, world: World, session: Session
) -> None:
    from data.platform_settings import ReviewRule, set_review_rule

    set_review_rule(session, ReviewRule("auto", 0.5))
    session.commit()
    cand = world.request.candidate
    page = _client(app, world.other_employer_user).get(f"/employeur/offres/{world.other_offer.id}")
    assert page.status_code == 200
    assert cand.first_name in page.text and "Bourg-en-Bresse" in page.text
    assert cand.email not in page.text and cand.phone not in page.text
    assert cand.last_name not in page.text


def test_public_offer_page_has_no_personal_data(app: Flask, world: World) -> None:
    page = _client(app, None).get(f"/offres/{world.offer.id}").text
    employer = world.employer
    assert employer.name in page
    assert employer.contact_email not in page and employer.contact_name not in page
    assert employer.contact_phone not in page
    assert world.offer.tutor_name and world.offer.tutor_name not in page


def test_candidate_sees_employer_contact_only_for_approved_pairs(app: Flask, world: World) -> None:
    page = _client(app, world.candidate_user).get("/candidat/").text
    assert world.employer.contact_email in page
    other = world.other_offer.site.employer
    assert other.contact_email not in page and other.name not in page


def test_coordinator_views_of_personal_data_are_audited(
    app: Flask, world: World, session: Session
) -> None:
    from data.operations import audit

    client = _client(app, world.coordinator)
    assert client.get(f"/coordination/candidats/{world.request.candidate_id}").status_code == 200
    entries = audit.entries_for(session, audit.CANDIDATE, world.request.candidate_id)
    assert [(e.action, e.actor_id) for e in entries] == [
        (audit.ACCESS_ACTION, world.coordinator.id)
    ]
    assert "email" in entries[0].details["fields"]


def test_signed_in_pages_are_not_cached(app: Flask, world: World) -> None:
    response = _client(app, world.candidate_user).get("/candidat/")
    assert response.headers["Cache-Control"] == "no-store"


def test_another_candidate_cannot_answer_or_export_others(
    app: Flask, world: World, session: Session
) -> None:
    stranger = f.make_user(session, Role.CANDIDATE)
    session.commit()
    client = _client(app, stranger)
    assert (
        post(
            client, f"/candidat/suggestions/{world.suggestion.id}/reponse", {"interested": "1"}
        ).status_code
        == 404
    )
    export = client.get("/candidat/donnees/export.json").get_json()
    assert export["candidat"]["email"] == stranger.candidate.email
    assert world.request.candidate.email not in str(export)
