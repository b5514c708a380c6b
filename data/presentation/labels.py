"""French labels: every value of the models, every field and every event that people read, once.

Pages (through the Jinja filter ``label`` and the global ``field_labels``), mails, exports, jobs
and the API's error messages read these tables; nothing else names a status, a role, a kind, a
form field or a history event in French.

Words, one rule for all of them:

- the address is an « adresse électronique » (labels, fields: « Adresse électronique ») and the
  message sent to it is a « courriel » (« vous recevrez un courriel »); never « e-mail »,
  « mail » or « Courriel » for an address;
- the person who trains an apprentice at the employer's is the « maître d'apprentissage »
  (the Code du travail's word, art. L6223-5), never « tuteur »;
- a room with a local family is « hébergement chez l'habitant »: « famille d'accueil » means
  foster care in this sector;
- plurals are real plurals (``data.presentation.formatters.plural``), never « (s) ».
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from data.jobruns import did_work
from data.models import (
    RULE_UNITS,
    SITE_HOUSING_KINDS,
    AgeBand,
    BreakCause,
    BreakParty,
    CentreKind,
    CoFunder,
    ContractKind,
    DiscoveryDayStatus,
    DiscoveryMatchStatus,
    DiscoveryWishStatus,
    HousingAid,
    HousingAnswer,
    HousingKind,
    HousingSource,
    Interest,
    KitPart,
    KitPhase,
    LegalRule,
    LibraryAudience,
    LibraryCategory,
    NotifyFrequency,
    OfferStatus,
    PlanActionStatus,
    RequestStatus,
    Role,
    RuleKey,
    RuleUnit,
    StructureCheck,
    StructureKind,
    SuggestionOrigin,
    SuggestionStatus,
    TransitAccess,
)
from data.models.mail import JobRunStatus, OutboxStatus
from matching import HOUSING_KIND_LABELS

from .formatters import agree, date_fr, number

__all__ = [
    "COUNT_LABELS",
    "CRITERION_LABELS",
    "criterion_label",
    "EVENT_LABELS",
    "FIELD_LABELS",
    "HOUSING_MANAGER_LABELS",
    "JOB_LABELS",
    "MODERATION_LABELS",
    "SURVEY_STATE_LABELS",
    "LABELS",
    "choices",
    "describe_counts",
    "describe_errors",
    "event_line",
    "event_state",
    "field_label",
    "label",
    "transition_message",
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
    # The engine names a resource's kind in its reasons: one wording, the engine's.
    HousingKind: dict(HOUSING_KIND_LABELS),
    HousingSource: {
        "offer": "Logement proposé avec l'offre",
        "resource": "Logement à proximité",
    },
    HousingAnswer: {
        "yes": "Oui",
        "no": "Non",
        "maybe": "Peut-être",
    },
    HousingAid: {
        "apl": "Aide personnalisée au logement (APL)",
        "mobili_jeune": "Aide Mobili-Jeune (Action Logement)",
        "visale": "Garantie Visale",
        "loca_pass": "Avance Loca-Pass",
        "other": "Autre aide",
    },
    AgeBand: {
        "16-17": "16 ou 17 ans",
        "18-20": "De 18 à 20 ans",
        "21-25": "De 21 à 25 ans",
        "26+": "26 ans et plus",
    },
    LibraryCategory: {
        "legal": "Juridique",
        "funding": "Financement",
        "training": "Formations et alternance",
        "internship": "Modalités de stage",
        "tools": "Outils",
    },
    LibraryAudience: {
        "employers": "Employeurs",
        "candidates": "Candidats",
        "tutors": "Tuteurs et maîtres d'apprentissage",
        "centres": "Centres de formation",
        "coordinators": "Équipe de coordination seulement",
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
        "pending_check": "En attente de vérification",
        "suspended": "Suspendue avec sa structure",
        "withdrawn": "Retirée par la coordination",
    },
    StructureCheck: {
        "to_check": "À vérifier",
        "checked": "Vérifiée",
        "suspended": "Suspendue",
    },
    RequestStatus: {
        "active": "Active",
        "paused": "En pause",
        "matched": "Apprentissage trouvé",
        "closed": "Close",
    },
    SuggestionStatus: {
        "proposed": "À examiner",
        "approved": "Mise en relation faite",
        "rejected": "Refusée",
        "contacted": "Contact pris",
        "interview": "Entretien",
        "contract_signed": "Contrat signé",
        "abandoned": "Abandonnée",
        "broken": "Contrat rompu",
    },
    Interest: {"interested": "Intéressé·e", "declined": "Pas intéressé·e"},
    RuleKey: {
        "trial_days": "Jours de formation pratique pendant lesquels chacun peut rompre le contrat",
        "opco_deposit_days": "Délai pour envoyer le contrat à l'opérateur de compétences",
        "master_max_apprentices": "Apprentis encadrés à la fois par un maître d'apprentissage",
        "master_extra_repeating": "Apprenti supplémentaire après un échec à l'examen",
        "exam_leave_days": "Congé pour préparer les examens, dans le mois qui les précède",
        "paid_leave_days_per_month": "Congés payés acquis par mois de travail effectif",
    },
    KitPhase: {
        "before_arrival": "Avant l'arrivée",
        "first_day": "Le premier jour",
        "first_week": "La première semaine",
        "first_month": "Le premier mois",
        "before_centre": "Avant la première période au centre",
        "day_45": "Le 45e jour de formation pratique",
        "mid_year": "À mi-parcours",
    },
    KitPart: {"booklet": "Livret de l'apprenti", "checklist": "Liste des préparatifs"},
    BreakParty: {
        "employer": "L'employeur",
        "apprentice": "L'apprenti",
        "mutual": "D'un commun accord",
    },
    BreakCause: {
        "metier": "Le métier ne lui convenait pas",
        "working_conditions": "Conditions de travail ou horaires",
        "relationship": "Relations avec l'équipe ou le maître d'apprentissage",
        "training": "Difficultés en formation",
        "mobility": "Transport ou logement",
        "conduct": "Manquement ou faute",
        "other_job": "Autre emploi ou autre formation",
        "employer_closed": "Cessation d'activité de l'employeur",
        "personal": "Raisons personnelles",
        "other": "Autre raison",
    },
    SuggestionOrigin: {
        "engine": "Proposée par le calcul",
        "manual": "Faite à la main par la coordination",
        "candidate": "Demandée par la personne candidate",
    },
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
    CentreKind: {
        "ifas_ifsi": "IFAS / IFSI",
        "travail_social": "Institut régional du travail social / école de travail social",
        "greta": "GRETA",
        "afpa": "AFPA",
        "cfa": "CFA",
        "prive": "Organisme privé",
        "autre": "Autre",
    },
    TransitAccess: {
        "yes": "Oui",
        "no": "Non",
        "unknown": "Non renseigné",
    },
    # Discovery days (issue 18): the structure's days, the person's ask, and their match.
    DiscoveryDayStatus: {
        "open": "Ouverte aux demandes",
        "closed": "Fermée aux demandes",
        "cancelled": "Annulée",
    },
    DiscoveryWishStatus: {"active": "En cours", "closed": "Close"},
    DiscoveryMatchStatus: {
        "proposed": "À examiner par la coordination",
        "rejected": "Écartée",
        "planned": "Prévue",
        "done": "Faite",
        "cancelled": "Annulée",
    },
    # The plan's tracker (issue 20): where an action stands, who pays a budget line.
    PlanActionStatus: {
        "planned": "Prévue",
        "in_progress": "En cours",
        "done": "Réalisée",
        "abandoned": "Abandonnée",
    },
    CoFunder: {
        "departement": "Département de l'Ain",
        "cnsa": "CNSA",
        "ddets": "DDETS",
        "region": "Région Auvergne-Rhône-Alpes",
        "other": "Autre cofinanceur",
    },
    JobRunStatus: {
        "running": "En cours",
        "success": "Réussie",
        "failed": "En échec",
        "interrupted": "Interrompue",
    },
}


#: The words of each rule's unit, singular and plural (« 1 apprenti », « 45 jours »).
RULE_UNIT_WORDS: dict[RuleUnit, tuple[str, str]] = {
    RuleUnit.DAYS: ("jour", "jours"),
    RuleUnit.WORKING_DAYS: ("jour ouvrable", "jours ouvrables"),
    RuleUnit.APPRENTICES: ("apprenti", "apprentis"),
}


def rule_amount(rule: LegalRule) -> str:
    """A rule's value with its unit, as people read it.

    >>> from decimal import Decimal
    >>> rule_amount(LegalRule(key=RuleKey.MASTER_EXTRA_REPEATING, value=Decimal(1)))
    '1 apprenti'
    >>> rule_amount(LegalRule(key=RuleKey.OPCO_DEPOSIT_DAYS, value=Decimal("2.5")))
    '2,5 jours ouvrables'
    """
    one, many = RULE_UNIT_WORDS[RULE_UNITS[rule.key]]
    value = float(rule.value)
    return f"{number(value, 2)} {agree(value, one, many)}"


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


def choices(members: type[enum.Enum] | Sequence[enum.Enum]) -> list[tuple[str, str]]:
    """Return (value, French label) pairs of an enum (or some of its members), for a select."""
    return [(m.value, label(m)) for m in members]


#: Where a housing survey's campaign stands (``data.operations.housing_survey.survey_state``).
SURVEY_STATE_LABELS: dict[str, str] = {
    "draft": "À envoyer",
    "open": "Ouvert",
    "closed": "Clos",
}


#: Who manages a housing resource (``HousingResource``: a structure, a centre or a partner), as
#: the coordinators' filters and lists name them.
HOUSING_MANAGER_LABELS: dict[str, str] = {
    "employer": "Structure",
    "centre": "Centre de formation",
    "partner": "Organisme partenaire",
}


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
    "housing_survey_reminders": "Recensement des logements : relance automatique",
    "discovery": "Journées de découverte : propositions, journées faites et questionnaires",
    "checkins": "Suivi des contrats : questionnaires des 15e et 40e jours",
    "kit_nudges": "Kits d'accueil : points en retard signalés aux structures",
    "observatory": "Observatoire : chiffres des mois écoulés",
}

#: French names of the counts that job runs and the demo loader report.
COUNT_LABELS: dict[str, str] = {
    "accounts_deleted": "comptes supprimés",
    "already_running": "exécution passée (la même tâche était déjà en cours)",
    "anonymised": "comptes anonymisés",
    "answer_links_deleted": "liens de réponse supprimés",
    "api_tokens_revoked": "jetons d'API révoqués",
    "audit_texts_erased": "textes d'historique effacés",
    "candidate_deadlines": "dates limites d'inscription annoncées aux candidats",
    "candidate_library_news": "nouveautés de la mallette annoncées aux candidats",
    "employer_library_news": "nouveautés de la mallette annoncées aux employeurs",
    "candidate_mails": "courriels aux candidats",
    "candidate_suggestions": "suggestions envoyées aux candidats",
    "candidates": "candidats",
    "candidates_already_this_period": "candidats déjà servis cette période",
    "candidates_without_address": "candidats sans adresse",
    "claimed": "courriels pris en charge",
    "created": "suggestions créées",
    "dead": "courriels en échec définitif",
    "deadline_marks_deleted": "marques de dates limites annoncées supprimées",
    "library_marks_deleted": "marques de nouveautés de la mallette supprimées",
    "discovery_created": "découvertes proposées",
    "discovery_updated": "découvertes recalculées",
    "discovery_staled": "découvertes retirées",
    "discovery_done": "découvertes faites",
    "discovery_questionnaires": "questionnaires de découverte envoyés",
    "checkins": "questionnaires de suivi des contrats envoyés",
    "discovery_wishes": "demandes de découverte",
    "discovery_days": "journées de découverte",
    "deadlines": "dates limites d'inscription du mois à venir",
    "digest_marks_deleted": "marques de suggestions annoncées supprimées",
    "employer_mails": "courriels aux employeurs",
    "employer_suggestions": "suggestions envoyées aux employeurs",
    "employers": "employeurs",
    "errors": "erreurs",
    "housing_survey_reminders": "relances du recensement des logements",
    "housing_surveys": "recensements des logements relancés",
    "interrupted": "interruptions",
    "job_runs_deleted": "exécutions anciennes supprimées",
    "join_requests_deleted": "demandes de rattachement refusées supprimées",
    "lists_recomputed": "listes de meilleures suggestions recalculées en entier",
    "mail_bodies_erased": "contenus de courriels effacés",
    "mail_files_deleted": "fichiers de courriels supprimés",
    "cv_files_deleted": "CV supprimés",
    "orphan_cv_files_deleted": "fichiers de CV sans dossier supprimés",
    "mails": "courriels",
    "observatory_months": "mois enregistrés dans l'observatoire",
    "observatory_figures": "chiffres enregistrés dans l'observatoire",
    "observatory_revised": "mois de l'observatoire révisés (enregistrements après coup)",
    "mails_about_person_emptied": "courriels au sujet de personnes effacées vidés",
    "mails_deleted": "courriels supprimés",
    "mails_to_person_deleted": "courriels à des personnes effacées supprimés",
    "mails_withdrawn": "courriels en attente retirés",
    "metier_texts_erased": "textes de métiers effacés",
    "nudges": "relances de binômes",
    "offer_tutors_erased": "noms de maîtres d'apprentissage effacés",
    "offers": "offres",
    "offers_changed": "offres modifiées recalculées une à une",
    "offers_expired": "offres expirées",
    "offers_published": "offres publiées",
    "offers_reminded": "offres rappelées",
    "training_centres": "centres de formation",
    "training_sessions": "sessions de formation",
    "housing_resources": "logements",
    "library_resources": "fiches de la mallette",
    "optouts_deleted": "désabonnements supprimés",
    "pair_reasons_erased": "motifs de binômes effacés",
    "pairs": "binômes",
    "pairs_stopped": "binômes arrêtés",
    "welcome_kits_deleted": "kits d'accueil supprimés",
    "kit_nudges": "points en retard signalés aux structures",
    "kit_nudge_mails": "courriels de points en retard",
    "rate_limit_counters_deleted": "compteurs de tentatives supprimés",
    "recovered": "courriels repris",
    "released": "courriels rendus à la file sans essai",
    "requests": "demandes",
    "requests_changed": "demandes modifiées recalculées une à une",
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
    """Return counts in French, in their order, without the zeros; numbers the French way.

    >>> describe_counts({"created": 6, "offers": 1200, "retried": 0, "seconds": 0.0132})
    'suggestions créées : 6, offres : 1\u202f200, secondes : 0,01'
    >>> describe_counts({"sent": 0, "seconds": 0.004})
    'rien à faire'
    """
    shown = [
        f"{COUNT_LABELS.get(k, k)} : {number(v, 2) if isinstance(v, float) else number(v)}"
        for k, v in (counts or {}).items()
        if v and (k != "seconds" or did_work(counts))
    ]
    return ", ".join(shown) or "rien à faire"


#: What each line of a pair's history records (``audit_log.action`` of a suggestion).
EVENT_LABELS: dict[str, str] = {
    "created": "Mise en relation faite à la main par la coordination",
    "asked_by_candidate": "Demandée par la personne candidate (« Cette offre m'intéresse »)",
    "status_change": "Changement d'étape",
    "note": "Note de la coordination",
    "employer_interest": "Réponse de l'employeur",
    "candidate_interest": "Réponse du candidat ou de la candidate",
    # The pair's story (issue 15)
    "interview_details": "Entretien",
    "contract_details": "Contrat",
    "stage_undone": "Changement d'étape annulé",
    # The check-ins of a contract's first days (issue 19).
    "checkin_called": "Appel de la coordination après les questionnaires de suivi",
}
#: The enum of the ``from`` and ``to`` values of each kind of history line.
_EVENT_VALUES: dict[str, type[enum.Enum]] = {
    "created": SuggestionStatus,
    "asked_by_candidate": SuggestionStatus,
    "status_change": SuggestionStatus,
    "stage_undone": SuggestionStatus,
    "employer_interest": Interest,
    "candidate_interest": Interest,
}


#: What each moderation line of the audit log records (a structure's or an offer's).
MODERATION_LABELS: dict[str, str] = {
    "structure_checked": "Structure vérifiée",
    "structure_suspended": "Structure suspendue",
    "structure_reinstated": "Structure rétablie",
    "offer_withdrawn": "Offre retirée par la coordination",
    "offer_reopened": "Offre rouverte par la coordination",
    "offer_published_without_check": "Offre publiée sans vérification (règle changée)",
}


def event_state(action: str, value: object) -> object:
    """Return the status or answer a history line's ``from``/``to`` value stands for.

    >>> event_state("candidate_interest", "declined")
    <Interest.DECLINED: 'declined'>
    """
    enum_class = _EVENT_VALUES.get(action)
    try:
        return enum_class(value) if enum_class is not None else value
    except ValueError:
        return value


def _day(value: object) -> str:
    """A day kept in ISO form by the history, written the French way (as is if it is not one)."""
    try:
        return date_fr(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _story(details: Mapping[str, Any]) -> list[str]:
    """The pair's story fields a history line holds (interview, contract, rupture), in words."""
    parts: list[str] = []
    if details.get("interview_on"):
        when = _day(details["interview_on"])
        if details.get("interview_time"):
            when += f" à {details['interview_time']}"
        parts.append(f"entretien le {when}")
    if details.get("interview_place"):
        parts.append(f"lieu : {details['interview_place']}")
    if details.get("contract_signed_on"):
        parts.append(f"signé le {_day(details['contract_signed_on'])}")
    if details.get("contract_start_on"):
        parts.append(f"début le {_day(details['contract_start_on'])}")
    if details.get("contract_kind"):
        kind = details["contract_kind"]
        known = any(k.value == kind for k in ContractKind)
        parts.append(label(ContractKind(kind)) if known else str(kind))
    if details.get("training_centre"):
        parts.append(f"centre de formation : {details['training_centre']}")
    if details.get("broken_on"):
        parts.append(f"rompu le {_day(details['broken_on'])}")
    party = details.get("broken_by")
    if party:
        known = any(k.value == party for k in BreakParty)
        text = label(BreakParty(party)).lower() if known else str(party)
        parts.append(text if party == BreakParty.MUTUAL else f"à l'initiative de {text}")
    cause = details.get("broken_cause")
    if cause:
        known = any(k.value == cause for k in BreakCause)
        parts.append(f"raison : {label(BreakCause(cause)).lower() if known else cause}")
    if details.get("broken_after_trial") is not None:
        parts.append(
            "après les 45 premiers jours"
            if details["broken_after_trial"]
            else "pendant les 45 premiers jours"
        )
    place = details.get("place")
    if place == "taken":
        parts.append("une place de l'offre pourvue")
    elif place == "freed":
        parts.append("une place de l'offre rouverte")
    bed = details.get("bed_move")  # a bed of the resource that houses the pair (issue 17)
    if bed == "taken":
        parts.append("un lit du logement proposé occupé")
    elif bed == "freed":
        parts.append("un lit du logement proposé libéré")
    if details.get("request_to") == "active":
        parts.append("la demande de nouveau active")
    return parts


def event_line(action: str, details: Mapping[str, Any] | None) -> str:
    """Return one line of a pair's history in words: what happened, from what to what.

    >>> event_line("status_change", {"from": "proposed", "to": "approved"})
    "Changement d'étape : À examiner → Mise en relation faite"
    >>> event_line("employer_interest", {"from": None, "to": "interested"})
    "Réponse de l'employeur : Intéressé·e"
    >>> event_line("note", {"text": "Entretien prévu mardi à 10 h."})
    'Note de la coordination : Entretien prévu mardi à 10 h.'
    >>> event_line("status_change", {"from": "contract_signed", "to": "broken",
    ...     "broken_on": "2026-03-02", "place": "freed"})
    "Changement d'étape : Contrat signé → Contrat rompu (rompu le 2 mars 2026, une place de \
l'offre rouverte)"
    >>> event_line("status_change", {"from": "interview", "to": "contract_signed",
    ...     "place": "taken", "bed": 7, "bed_move": "taken"})
    "Changement d'étape : Entretien → Contrat signé (une place de l'offre pourvue, un lit du \
logement proposé occupé)"
    >>> event_line("interview_details", {"interview_on": "2026-03-02", "interview_time": "14:30"})
    'Entretien : entretien le 2 mars 2026 à 14:30'
    """
    details = details or {}
    words = EVENT_LABELS.get(action, "Événement")
    if action in ("note", "checkin_called"):
        return f"{words} : {details.get('text', '')}"
    story = _story(details)
    if action in ("interview_details", "contract_details"):
        return f"{words} : {', '.join(story) if story else 'renseignements effacés'}"
    enum_class = _EVENT_VALUES.get(action)
    if enum_class is None or not details.get("to"):
        return words
    before = label(event_state(action, details.get("from") or None))
    after = label(event_state(action, details.get("to")))
    line = f"{words} : {before} → {after}" if before else f"{words} : {after}"
    return f"{line} ({', '.join(story)})" if story else line


def transition_message(what: str, current: enum.Enum, target: enum.Enum) -> str:
    """Return why ``what`` cannot go from ``current`` to ``target``, with the statuses' labels.

    >>> transition_message("Offre", OfferStatus.PUBLISHED, OfferStatus.PUBLISHED)
    'Offre : déjà au statut « Publiée ».'
    >>> transition_message("Offre", OfferStatus.CLOSED, OfferStatus.PUBLISHED)
    'Offre : passage de « Fermée » à « Publiée » impossible.'
    """
    if current == target:
        return f"{what} : déjà au statut « {label(current)} »."
    return f"{what} : passage de « {label(current)} » à « {label(target)} » impossible."


#: The French name of each form field and API field that an error message may name: the error
#: summaries of pages and the API's error messages both read this table (the offer's fields
#: take theirs from it too, in ``data.operations.offer_fields``).
FIELD_LABELS: dict[str, str] = {
    # Discovery days (issue 18): the structure's days, the person's ask, the feedback
    "starts_on": "Premier jour",
    "ends_on": "Dernier jour",
    "host_name": "Personne qui accueille",
    "host_role": "Sa fonction",
    "meeting_time": "Heure du rendez-vous",
    "meeting_place": "Lieu du rendez-vous",
    "what_to_bring": "À apporter",
    "free_from": "Disponible à partir du",
    "free_until": "Disponible jusqu'au",
    "wish_id": "Demande de découverte",
    "day_id": "Journées de découverte",
    "comment": "Commentaire",
    "liked": "La découverte vous a plu ?",
    "go_on": "Envisagez-vous un apprentissage dans ce métier ?",
    "welcome": "L'accueil était-il bon ?",
    "punctual": "Présence et ponctualité",
    "recommend": "Recommanderiez-vous ce métier à cette personne ?",
    "ready": "Prêts à l'accueillir en apprentissage ?",
    # The check-ins of a contract's first days (issue 19), and the coordination's call.
    "going": "Comment se passent les débuts ?",
    "supported": "Accompagnement par le maître d'apprentissage",
    "carry_on": "Poursuivre le contrat ?",
    "call_note": "Ce qui s'est dit lors de l'appel",
    "phase": "Quand",
    "offset_days": "Échéance en jours après le début du contrat",
    "rule_key": "Règle légale qui donne l'échéance",
    # Employers and sites
    "name": "Nom",
    "siret": "SIRET",
    "kind": "Type de structure",
    "contact_name": "Personne à contacter",
    "contact_email": "Adresse électronique de contact",
    "contact_phone": "Téléphone",
    "presentation": "Présentation",
    # The candidate's CV (data.operations.cv; the API's base64 field is ``content``)
    "cv": "CV",
    "content": "Contenu du fichier",
    "message": "Message",
    "commune_insee": "Commune",
    "commune": "Commune",
    "address": "Adresse",
    "beds": "Nombre de lits",
    "monthly_cost_eur": "Coût mensuel en euros",
    "notes": "Précisions",
    # Offers (``data.operations.offer_fields`` declares them with these labels)
    "site_id": "Lieu d'accueil",
    "metier_code": "Métier",
    "diploma": "Diplôme",
    "contract": "Contrat",
    "places": "Nombre de places",
    "start_date": "Date de début",
    "duration_months": "Durée en mois",
    "housing_beds": "Lits réservés",
    "licence_required": "Permis exigé",
    "night_work": "Travail de nuit",
    "weekend_work": "Travail le week-end",
    "tutor_name": "Maître d'apprentissage",
    "tutor_role": "Fonction du maître d'apprentissage",
    # A structure's maîtres d'apprentissage (issue 19).
    "role": "Fonction",
    "experience_years": "Années d'expérience dans le métier",
    "supervised_elsewhere": "Apprentis déjà encadrés hors de Passerelle",
    "master_id": "Maître d'apprentissage de l'offre",
    "description": "Description",
    # Team (issue 15): an offer's contact person, a colleague invited
    "contact_user_id": "Personne à contacter pour l'offre",
    # Candidates and requests
    "metiers": "Métiers recherchés",
    "metier_1": "Premier métier",
    "metier_2": "Deuxième métier",
    "metier_3": "Troisième métier",
    "metier": "Métier",
    "max_distance_km": "Distance maximale",
    "distance": "Distance maximale",
    "needs_housing": "Besoin d'un logement",
    "logement": "Logement",
    "accepts_relocation": "Prêt·e à déménager",
    "has_licence": "Permis de conduire",
    "has_car": "Véhicule",
    "available_from": "Disponible à partir du",
    "diploma_level": "Niveau de diplôme",
    "age_band": "Tranche d'âge",
    # The SMIC and the apprentices' pay grid (admins)
    "monthly_eur": "SMIC mensuel brut en euros",
    "hourly_eur": "SMIC horaire brut en euros",
    "valid_from": "En vigueur à partir du",
    "source": "Source",
    "contract_year": "Année de contrat",
    "percent": "Pourcentage du SMIC",
    "grid_valid_from": "En vigueur à partir du",
    "grid_source": "Source",
    "key": "Règle",
    "value": "Valeur",
    "rule_valid_from": "En vigueur à partir du",
    "rule_source": "Source",
    "library_news": "Nouveautés de la mallette dans mes récapitulatifs",
    "first_name": "Prénom",
    "last_name": "Nom",
    "email": "Adresse électronique",
    "phone": "Téléphone",
    "consent": "Accord",
    # Pairs, answers and settings
    "reason": "Motif",
    "note": "Note",
    "status": "Statut",
    "file": "Fichier",
    "request_id": "Demande",
    "offer_id": "Offre",
    "notify_frequency": "Courriels de suggestions",
    "confirm": "Confirmation",
    "interested": "Réponse",
    "territoire": "Territoire",
    "score": "Score minimal",
    # The pair's story (issue 15)
    "interview_on": "Jour de l'entretien",
    "interview_time": "Heure de l'entretien",
    "interview_place": "Lieu de l'entretien",
    "contract_signed_on": "Date de signature du contrat",
    "contract_start_on": "Date de début du contrat",
    "training_centre": "Centre de formation",
    "contract_kind": "Type de contrat",
    "broken_on": "Date de la rupture",
    "broken_by": "Rupture à l'initiative de",
    "broken_cause": "Raison principale",
    "broken_after_trial": "Après les 45 premiers jours de formation pratique",
    "reopen_place": "Rouvrir la place",
    "reopen_request": "Demande de nouveau active",
    # The coordinators' lists
    "recherche": "Recherche",
    "statut": "Statut",
    "tri": "Tri",
    "mode": "Mode de validation",
    "structures_check": "Vérification des nouvelles structures",
    "verification": "Vérification",
    "min_score": "Score minimal",
    # Accounts
    "password": "Mot de passe",
    "current": "Mot de passe actuel",
    "new": "Nouveau mot de passe",
    "code": "Code à usage unique",
    # Training centres, their programmes and sessions (issue 16)
    "centre_kind": "Type de centre",
    "website": "Site internet",
    "public_transport": "Accessible en transports en commun",
    "by_apprenticeship": "Par l'apprentissage",
    "rhythm": "Rythme de l'alternance",
    "end_date": "Date de fin",
    "apprenticeship_places": "Places en apprentissage",
    "applications_open_on": "Ouverture des inscriptions",
    "application_deadline": "Date limite d'inscription",
    "selection_dates": "Dates de sélection",
    "centre_id": "Centre de formation",
    "programme_id": "Formation",
    "partner_centre_id": "Centre de formation partenaire",
    "training_centre_id": "Centre de formation où je suis inscrit·e ou admis·e",
    "formation": "Formation",
    "rentree": "Rentrée",
    "ouvertes": "Inscriptions ouvertes",
    # Métier sheets (issue 18)
    "body": "Texte",
    "sources": "Sources",
    # Housing resources (issue 17)
    "beds_taken": "Lits occupés",
    "cost_includes": "Ce que comprend le coût",
    "aids": "Aides au logement",
    "min_age": "Âge minimal",
    "max_age": "Âge maximal",
    "apprentices_only": "Réservé aux apprentis",
    "min_stay_months": "Durée minimale de séjour en mois",
    "max_stay_months": "Durée maximale de séjour en mois",
    "periods": "Périodes de disponibilité",
    "employer_id": "Structure gestionnaire",
    "partner_name": "Organisme partenaire gestionnaire",
    "published": "Publié",
    "manager": "Gestionnaire",
    "gestionnaire": "Gestionnaire",
    "type": "Type de logement",
    "housing_kind": "Type de logement",
    "publie": "Publication",
    # The public housing list's filters (« Se loger »)
    "type_logement": "Type de logement",
    "cout_max": "Coût mensuel maximal",
    "disponible_le": "Disponible le",
    "lits_libres": "Avec une place libre",
    # The housing survey (issue 17): a campaign, and a structure's answer
    "title": "Titre",
    "closes_on": "Date de clôture",
    "structure_kinds": "Types de structure",
    "departements": "Départements",
    "communes": "Communes",
    "without_housing": "Seulement les structures sans logement déclaré",
    "answer": "Pouvez-vous loger un apprenti ?",
    # The mallette (issue 18): a resource, and the readers' search
    "summary": "Résumé",
    "link": "Lien externe",
    "category": "Thème",
    "audiences": "Publics",
    "up_to_date_on": "À jour au",
    "pdf": "Document PDF",
    "q": "Rechercher",
    "categorie": "Thème",
    "public": "Public",
    # The plan's tracker (issue 20): an action, its budget lines, its indicators and their values
    "axis": "Axe du plan",
    "lead": "Pilote",
    "partners": "Partenaires",
    "action_start": "Début",
    "action_end": "Fin",
    "year": "Année",
    "amount_eur": "Montant en euros",
    "funder": "Cofinanceur",
    "funder_name": "Nom du cofinanceur",
    "indicator_name": "Nom de l'indicateur",
    "unit": "Unité",
    "observatory_key": "Indicateur de l'observatoire",
    "indicator_id": "Indicateur",
    "measured_on": "Date de la valeur",
    # Paging of lists
    "page": "Page",
    "page_size": "Taille de la page",
}
# A site's housing fields, one pair per kind (``data.operations.sites.housing_field`` names them).
for _kind in SITE_HOUSING_KINDS:
    FIELD_LABELS[f"beds_{_kind.value}"] = f"Nombre de lits – {label(_kind)}"
    FIELD_LABELS[f"cost_{_kind.value}"] = f"Coût mensuel en euros – {label(_kind)}"


#: The engine's criteria of a score (``matching.CRITERIA``), as the coordinators' pages name them.
CRITERION_LABELS: dict[str, str] = {
    "metier": "Métier",
    "distance": "Distance",
    "housing": "Logement",
    "training": "Formation",
}


def criterion_label(name: str) -> str:
    """Return the French name of one of the engine's criteria.

    >>> criterion_label("training")
    'Formation'
    """
    return CRITERION_LABELS.get(name, f"Critère « {name} »")


def field_label(name: str) -> str:
    """Return the French name of a field (a nested API field by its first part).

    A name of no field (an unknown field sent to the API) is quoted as it was sent.

    >>> field_label("beds_fjt"), field_label("metiers.0"), field_label("colour")
    ('Nombre de lits – Foyer de jeunes travailleurs', 'Métiers recherchés', 'Champ « colour »')
    """
    return FIELD_LABELS.get(name) or FIELD_LABELS.get(name.split(".")[0], f"Champ « {name} »")


def describe_errors(errors: Mapping[str, Sequence[str]]) -> str:
    """Return field errors as one French sentence: each field by its label, then its messages.

    >>> describe_errors({"places": ["Au moins 1."], "_schema": ["Offre incomplète."]})
    'Nombre de places : Au moins 1. Offre incomplète.'
    """
    parts = []
    for field, messages in errors.items():
        text = " ".join(str(m) for m in messages)
        parts.append(text if field == "_schema" else f"{field_label(field)} : {text}")
    return " ".join(parts)
