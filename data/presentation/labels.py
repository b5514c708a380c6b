"""French labels: every value of the models that people read, named once.

Pages (through the Jinja filter ``label``), mails and jobs read these tables; nothing else names
a status, a role or a kind in French.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from data.models import (
    ContractKind,
    HousingKind,
    Interest,
    NotifyFrequency,
    OfferStatus,
    RequestStatus,
    Role,
    StructureKind,
    SuggestionStatus,
)
from data.models.mail import JobRunStatus, OutboxStatus

__all__ = [
    "COUNT_LABELS",
    "JOB_LABELS",
    "LABELS",
    "choices",
    "describe_counts",
    "label",
]

#: The French label of each member of each enum shown to people, by enum class.
LABELS: dict[type[enum.Enum], dict[str, str]] = {
    StructureKind: {
        "ehpad": "EHPAD",
        "residence_autonomie": "Résidence autonomie",
        "ime": "IME",
        "itep": "ITEP",
        "mas": "MAS",
        "fam": "FAM",
        "foyer_hebergement": "Foyer d'hébergement",
        "foyer_vie": "Foyer de vie",
        "esat": "ESAT",
        "sessad": "SESSAD",
        "mecs": "MECS",
        "creche": "Crèche",
        "saad": "Service d'aide à domicile (SAAD)",
        "ssiad": "Service de soins infirmiers à domicile (SSIAD)",
        "chrs": "CHRS",
        "service_social": "Service social",
        "hopital": "Hôpital",
        "groupe": "Groupe ou association gestionnaire",
        "autre": "Autre",
    },
    HousingKind: {
        "studio_on_site": "Studio sur place",
        "fjt": "Foyer de jeunes travailleurs",
        "host_family": "Famille d'accueil",
        "other": "Autre logement",
    },
    ContractKind: {
        "apprentissage": "Contrat d'apprentissage",
        "professionnalisation": "Contrat de professionnalisation",
    },
    OfferStatus: {
        "draft": "Brouillon",
        "published": "Publiée",
        "filled": "Pourvue",
        "closed": "Fermée",
        "expired": "Expirée",
    },
    RequestStatus: {
        "active": "Active",
        "paused": "En pause",
        "matched": "Trouvée",
        "closed": "Close",
    },
    SuggestionStatus: {
        "proposed": "À examiner",
        "approved": "Approuvée – mise en relation",
        "rejected": "Refusée",
        "contacted": "Contact pris",
        "interview": "Entretien",
        "contract_signed": "Contrat signé",
        "abandoned": "Abandonnée",
    },
    Interest: {"interested": "Intéressé·e", "declined": "Pas intéressé·e"},
    NotifyFrequency: {
        "immediate": "À chaque nouvelle suggestion",
        "daily": "Une fois par jour au plus",
        "weekly": "Une fois par semaine au plus",
        "never": "Jamais",
    },
    Role: {
        "employer": "Employeur",
        "candidate": "Candidat",
        "coordinator": "Coordination",
        "admin": "Administration",
    },
    OutboxStatus: {
        "pending": "En attente",
        "sending": "En cours d'envoi",
        "sent": "Envoyés",
        "dead": "En échec définitif",
        "suppressed": "Non envoyés (désabonnement ou compte supprimé)",
    },
    JobRunStatus: {
        "running": "En cours",
        "success": "Réussie",
        "failed": "En échec",
        "interrupted": "Interrompue",
    },
}


def label(value: object) -> str:
    """Return the French label of an enum member (its value when it has none; "" for None).

    >>> label(SuggestionStatus.CONTACTED)
    'Contact pris'
    """
    if value is None:
        return ""
    for enum_class, labels in LABELS.items():
        if isinstance(value, enum_class):
            return labels.get(value.value, str(value.value))
    return str(value)


def choices(enum_class: type[enum.Enum]) -> list[tuple[str, str]]:
    """Return (value, French label) pairs of an enum, for a select or radios."""
    labels = LABELS[enum_class]
    return [(m.value, labels.get(m.value, m.value)) for m in enum_class]


#: French names of the scheduled jobs, for coordinators (``jobs.registry`` declares the jobs).
JOB_LABELS: dict[str, str] = {
    "sender": "Envoi des messages en attente",
    "rematch": "Suggestions : recalcul après modification des offres ou des demandes",
    "rematch_full": "Suggestions : recalcul complet de la nuit",
    "contacts": "Mises en relation",
    "digests_immediate": "Suggestions : envoi au fil de l'eau",
    "digests_daily": "Suggestions : récapitulatif quotidien",
    "digests_weekly": "Suggestions : récapitulatif hebdomadaire",
    "coordinator_summary": "Point hebdomadaire des coordinateurs",
    "reminders": "Relances et expiration des offres",
    "retention": "Durée de conservation des données (RGPD)",
}

#: French names of the counts that job runs and the demo loader report.
COUNT_LABELS: dict[str, str] = {
    "accounts_deleted": "comptes supprimés",
    "already_running": "exécution passée (la même tâche était déjà en cours)",
    "anonymised": "comptes anonymisés",
    "answer_links_deleted": "liens de réponse supprimés",
    "api_tokens_revoked": "jetons d'API révoqués",
    "audit_texts_erased": "textes d'historique effacés",
    "candidate_mails": "courriels aux candidats",
    "candidate_suggestions": "suggestions envoyées aux candidats",
    "candidates": "candidats",
    "candidates_already_this_period": "candidats déjà servis cette période",
    "candidates_without_address": "candidats sans adresse",
    "claimed": "courriels pris en charge",
    "created": "suggestions créées",
    "dead": "courriels en échec définitif",
    "digest_marks_deleted": "marques de suggestions annoncées supprimées",
    "employer_mails": "courriels aux employeurs",
    "employer_suggestions": "suggestions envoyées aux employeurs",
    "employers": "employeurs",
    "errors": "erreurs",
    "interrupted": "interruptions",
    "job_runs_deleted": "exécutions anciennes supprimées",
    "join_requests_deleted": "demandes de rattachement refusées supprimées",
    "mail_bodies_erased": "contenus de courriels effacés",
    "mail_files_deleted": "fichiers de courriels supprimés",
    "mails": "courriels",
    "mails_about_person_emptied": "courriels au sujet de personnes effacées vidés",
    "mails_deleted": "courriels supprimés",
    "mails_to_person_deleted": "courriels à des personnes effacées supprimés",
    "mails_withdrawn": "courriels en attente retirés",
    "metier_texts_erased": "textes de métiers effacés",
    "nudges": "relances de binômes",
    "offer_tutors_erased": "tuteurs d'offres effacés",
    "offers": "offres",
    "offers_expired": "offres expirées",
    "offers_published": "offres publiées",
    "offers_reminded": "offres rappelées",
    "optouts_deleted": "désabonnements supprimés",
    "pair_reasons_erased": "motifs de binômes effacés",
    "pairs": "binômes",
    "pairs_stopped": "binômes arrêtés",
    "rate_limit_counters_deleted": "compteurs de tentatives supprimés",
    "recovered": "courriels repris",
    "released": "courriels rendus à la file sans essai",
    "requests": "demandes",
    "requests_closed": "demandes closes",
    "requests_paused": "demandes mises en pause",
    "retried": "courriels à réessayer",
    "review_queue": "suggestions à examiner",
    "seconds": "secondes",
    "sent": "courriels envoyés",
    "sign_in_links_deleted": "liens de connexion supprimés",
    "sites": "lieux",
    "skipped": "recalculs inutiles (rien n'avait changé)",
    "staled": "suggestions retirées",
    "still_looking": "demandes relancées",
    "suggestions": "suggestions",
    "suppressed": "courriels non envoyés (désabonnement)",
    "unresolved_metiers": "métiers non reconnus",
    "unsubscribe_links_deleted": "liens de désabonnement supprimés",
    "updated": "suggestions mises à jour",
    "users": "comptes",
    "warned": "comptes prévenus",
}


def describe_counts(counts: Mapping[str, Any] | None) -> str:
    """Return counts in French, in their order.

    >>> describe_counts({"created": 6, "offers": 66})
    'suggestions créées : 6, offres : 66'
    """
    return ", ".join(f"{COUNT_LABELS.get(k, k)} : {v}" for k, v in (counts or {}).items())
