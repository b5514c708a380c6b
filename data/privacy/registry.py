"""Where personal data lives: every column that can hold text or a date, classified once.

The erasure (:mod:`data.privacy.erasure`) and the RGPD export (:mod:`data.privacy.export`) read
this registry; ``tests/data/test_privacy.py`` checks it against the models, so that a new table or
a new column that can hold text (``String``, ``Text``, ``JSON``, enums) or a date fails the test
until it is declared here. Keys, numbers, booleans and timestamps are facts of the system
(who, when, how many), not what identifies a person, and need no declaration.

Each column is one of:

* :attr:`Kind.PERSON`: identifies a candidate (their name, address, phone, the address a mail went
  to): erased with the person;
* :attr:`Kind.ABOUT`: free text that may name a candidate (a reason typed about them, a mail's
  body): blanked on the rows about an erased person, the row's fact kept;
* :attr:`Kind.OTHER_PERSON`: personal data of someone who is not a candidate (an employer's
  contact, a tutor, a staff member): not touched by a candidate's erasure, kept under their own
  rules (the retention job, the employer's own pages);
* :attr:`Kind.NONE`: codes, statuses, hashes, reference data: nothing personal.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import JSON, Date, MetaData, String, Table, Text
from sqlalchemy.sql.schema import Column

__all__ = [
    "Kind",
    "Holding",
    "COLUMNS",
    "HOLDINGS",
    "AUDIT_FREE_TEXT_KEYS",
    "declared_columns",
    "undeclared_columns",
    "columns_of_kind",
]


class Kind(enum.StrEnum):
    """What a column holds, for a candidate's erasure and export."""

    PERSON = "person"
    ABOUT = "about"
    OTHER_PERSON = "other_person"
    NONE = "none"


P, A, OTHER, N = Kind.PERSON, Kind.ABOUT, Kind.OTHER_PERSON, Kind.NONE

#: Every column that can hold text or a date, by table. A column missing here fails the test.
COLUMNS: dict[str, dict[str, Kind]] = {
    "candidates": {
        "first_name": P,
        "last_name": P,
        "email": P,
        "phone": P,
        "presentation": A,  # free text written by the person about themself
        "cv_file": P,  # the name of the person's CV file (the file is erased with them)
        "notify_frequency": N,
    },
    # The age band (issue 18) says whether a candidate is a minor: the least that law and pay need.
    "requests": {"commune_insee": N, "status": N, "available_from": N, "age_band": N},
    # Typed by the person; a text that matched no métier may hold anything.
    "request_metiers": {"text": A, "metier_code": N},
    # Vocabulary coordinators decided on (a word and its métier, or "outside the sector"); the
    # page asks them never to decide on a text that names a person (it stays on the request).
    "metier_mappings": {"normalized": N, "text": N, "metier_code": N},
    # The team's public text on each métier and its versions (issue 18): about métiers, never a
    # person; the editor asks for sourced facts only.
    "metier_sheets": {"metier_code": N, "body": N, "sources": N},
    "metier_sheet_versions": {"body": N, "sources": N},
    # Reference data of pay (issue 18): the grid and the SMIC by the date each holds from.
    "pay_grid": {"age_band": N, "valid_from": N, "source": N},
    "smic_values": {"valid_from": N, "source": N},
    # The observatory's monthly figures (issue 20): counts by month, métier and commune, and
    # medians; no person is named, and the public figures are protected by the secret.
    "observatory_snapshots": {"month": N, "indicator": N, "metier_code": N, "commune_insee": N},
    # The rules of the apprenticeship (issue 19): delays and limits by the date each holds from.
    "legal_rules": {"key": N, "valid_from": N, "source": N},
    # A structure's maîtres d'apprentissage (issue 19): a person who is not a candidate, named by
    # the structure, with what a contract states of them (role, diploma, experience), no more.
    # Removed with their structure, or by the structure's people on its pages.
    "apprenticeship_masters": {"name": OTHER, "role": OTHER, "diploma": OTHER},
    # The welcome kit (issue 19): the coordinators' templates (no person), each pair's kit as
    # built (the templates' text and due dates; the apprentice's facts are read live from the
    # pair, so they follow the erasure; the kit is deleted with it), and the structure's staff
    # told of an overdue item (not candidates).
    "kit_templates": {"key": N, "part": N, "title": N, "body": N, "phase": N, "rule_key": N},
    "kit_template_versions": {"title": N, "body": N, "phase": N, "rule_key": N},
    "welcome_kits": {"start_on": N},
    "welcome_kit_items": {
        "template_key": N,
        "label": N,
        "detail": N,
        "phase": N,
        "rule_key": N,
        "due_on": N,
    },
    "kit_item_nudges": {"recipient": OTHER},
    # The plan's tracker (issue 20): the Département's actions, about organisations and the
    # sector, never a candidate; an action's lead (« pilote ») may name a service's officer.
    "plan_axes": {"title": N, "summary": N},
    "plan_actions": {
        "title": N,
        "description": N,
        "lead": OTHER,
        "partners": N,
        "status": N,
        "starts_on": N,
        "ends_on": N,
        "source": N,
        "seed_key": N,
    },
    "plan_budget_lines": {"funder": N, "funder_name": N},
    "plan_indicators": {"observatory_key": N, "name": N, "unit": N},
    "plan_indicator_values": {"measured_on": N},
    "users": {"email": P, "role": N, "display_name": OTHER, "password_hash": N, "totp_secret": N},
    "login_tokens": {"token_hash": N},
    # A sign-in address change waiting for its link (issue 15): both addresses are the person's.
    "email_changes": {"token_hash": N, "old_email": P, "new_email": P},
    "rate_limit_windows": {"key_hash": P},  # SHA-256 of keys that may be an address
    "api_tokens": {"token_hash": N, "role": N, "label": A},
    "suggestions": {
        "criteria": N,
        "reasons": N,  # the engine's sentences: distance, métier, housing
        "engine_version": N,
        "origin": N,
        "status": N,
        "rejection_reason": A,
        "employer_interest": N,
        "employer_reason": A,
        "candidate_interest": N,
        # The pair's story (issue 15): facts, and two texts coordinators type (a place may
        # name the person's home, a rupture's reason is about them).
        "interview_on": N,
        "interview_place": A,
        "contract_signed_on": N,
        "contract_start_on": N,
        "training_centre": N,
        "contract_kind": N,
        "broken_on": N,
        "broken_reason": A,
        "broken_by": N,
        "broken_cause": N,
        # The engine's proposed training centre (issue 16): a public centre, its intake.
        "proposed_intake_on": N,
        "housing_source": N,
    },
    "audit_log": {"action": N, "object_type": N, "details": A},
    "mail_outbox": {
        "recipient": P,
        "kind": N,
        "key": N,
        "subject": A,
        "text": A,
        "html": A,
        "unsubscribe_token": N,
        "status": N,
        "claim_token": N,
        "last_error": A,
        "message_id": N,
    },
    "mail_unsubscribe_tokens": {"token": N, "email": P},
    "mail_optouts": {"email": P},
    "mail_notified_suggestions": {"recipient": P},
    "mail_notified_sessions": {"recipient": P},
    "mail_notified_library": {"recipient": P},
    "mail_action_tokens": {"token": N, "purpose": N, "answer": N},
    "notification_preferences": {"frequency": N},
    "employers": {
        "name": N,
        "siret": N,
        "kind": N,
        "contact_name": OTHER,
        "contact_email": OTHER,
        "contact_phone": OTHER,
        "check_status": N,
        # Typed by a coordinator about the structure (moderation); may name its people.
        "suspended_reason": OTHER,
    },
    "sites": {"name": N, "commune_insee": N, "address": OTHER},
    # A room at someone's home has that person's address and contact: never shown publicly.
    "housing_resources": {
        "name": N,
        "kind": N,
        "partner_name": N,
        "commune_insee": N,
        "address": OTHER,
        "cost_includes": N,
        "aids": N,
        "contact_name": OTHER,
        "contact_email": OTHER,
        "contact_phone": OTHER,
        "notes": OTHER,
    },
    "housing_periods": {"starts_on": N, "ends_on": N},
    # The housing survey (issue 17): a campaign is the coordination's text; an invitation is a
    # structure's, with the address its mail went to and the contact it gave (a staff member's).
    "housing_surveys": {"title": N, "message": N, "filters": N, "closes_on": N},
    "housing_survey_invites": {
        "recipient": OTHER,
        "answer": N,
        "kind": N,
        "notes": OTHER,
        "contact_name": OTHER,
        "contact_email": OTHER,
        "contact_phone": OTHER,
    },
    "housing_survey_links": {"token_hash": N},
    # Discovery days (issue 18): a structure's days name who welcomes (a staff member's name and
    # role) and what it typed; a person's ask holds facts only (métier, dates, age band); a
    # match's reason is typed about the person; a questionnaire's answers too, and its address.
    "discovery_days": {
        "starts_on": N,
        "ends_on": N,
        "host_name": OTHER,
        "host_role": OTHER,
        "meeting_place": OTHER,
        "what_to_bring": OTHER,
        "notes": OTHER,
        "status": N,
    },
    "discovery_wishes": {"free_from": N, "free_until": N, "age_band": N, "status": N},
    "discovery_matches": {
        "criteria": N,
        "reasons": N,
        "engine_version": N,
        "origin": N,
        "status": N,
        "reason": A,
    },
    # A contract's check-ins (issue 19) are questionnaires too, about the pair; a coordinator's
    # call after them keeps a note that may name the apprentice.
    "checkin_calls": {"note": A},
    "questionnaires": {
        "purpose": N,
        "subject_type": N,
        "side": N,
        "recipient": P,
        "token_hash": N,
        "answers": A,
    },
    # The mallette (issue 18): the coordination's published texts, about nobody.
    "library_resources": {
        "title": N,
        "summary": N,
        "body": N,
        "link": N,
        "category": N,
        "source": N,
        "up_to_date_on": N,
        "pdf_file": N,
        "search_vector": N,
    },
    "library_resource_audiences": {"audience": N},
    "library_resource_versions": {"title": N, "summary": N, "body": N},
    "offers": {
        "metier_code": N,
        "diploma": N,
        "contract": N,
        "start_date": N,
        "tutor_name": OTHER,
        "tutor_role": OTHER,
        "description": OTHER,
        "status": N,
    },
    "structure_join_requests": {
        "name": OTHER,
        "email": OTHER,
        "phone": OTHER,
        "message": OTHER,
        "status": N,
    },
    "job_runs": {
        "job": N,
        "status": N,
        "counts": N,
        "error": N,  # a French sentence of ours; details go to the log, never here
        "trigger": N,
        "error_id": N,
        "host": N,
    },
    "platform_settings": {"key": N, "value": N},
    "communes": {"insee": N, "name": N, "departement": N, "postal_codes": N},
    "metiers": {
        "code": N,
        "label": N,
        "label_feminine": N,
        "rome": N,
        "rome_v3": N,
        "diploma_code": N,
        "diploma_label": N,
        "rncp": N,
        "synonyms": N,
        "abbreviations": N,
        "ambiguous": N,
        "related": N,
    },
    # Training centres (issue 16): organisations, not people; a contact address or phone may
    # still be a person's, kept under the centre's own rules.
    "training_centres": {
        "name": N,
        "kind": N,
        "commune_insee": N,
        "address": N,
        "website": N,
        "contact_email": OTHER,
        "contact_phone": OTHER,
        "public_transport": N,
    },
    "training_programmes": {"metier_code": N, "diploma": N, "rhythm": N},
    "training_sessions": {
        "start_date": N,
        "end_date": N,
        "applications_open_on": N,
        "application_deadline": N,
        "selection_dates": N,
    },
}

#: Keys of an audit line's details that hold free text typed by someone (a reason, a note).
#: ``text`` is a coordinator's note on a pair (``data.operations.suggestions.add_pair_note``);
#: ``interview_place`` the interview's place (issue 15).
AUDIT_FREE_TEXT_KEYS = ("reason", "note", "text", "interview_place")


@dataclass(frozen=True)
class Holding:
    """One place where a candidate's data lives, as the export names it and the erasure treats it.

    ``table`` is the table; ``label`` the French heading of the export; ``erasure`` says in French
    what the erasure does there (shown on the confirmation pages).
    """

    table: str
    label: str
    erasure: str


#: Every table that holds rows of, or about, one candidate: the erasure visits each, the export
#: shows each (a test checks that every table with a PERSON or ABOUT column is listed).
HOLDINGS: tuple[Holding, ...] = (
    Holding(
        "candidates",
        "Vos informations",
        "nom, prénom, courriel, téléphone et présentation effacés ; CV supprimé",
    ),
    Holding("users", "Votre compte", "compte supprimé"),
    Holding("login_tokens", "Liens de connexion envoyés", "liens supprimés"),
    Holding("email_changes", "Changements d'adresse de connexion demandés", "demandes supprimées"),
    Holding(
        "api_tokens", "Jetons d'accès à l'API émis pour vous", "jetons révoqués, libellés effacés"
    ),
    Holding("requests", "Votre demande", "demande close ; commune et métiers gardés, sans nom"),
    Holding("request_metiers", "Métiers demandés", "textes saisis sans métier reconnu effacés"),
    Holding(
        "suggestions",
        "Mises en relation",
        "raisons écrites effacées ; les mises en relation en cours sont arrêtées ; un contrat "
        "signé reste compté, sans nom",
    ),
    Holding(
        "welcome_kits",
        "Votre kit d'accueil",
        "kit supprimé, avec la liste des préparatifs de la structure",
    ),
    Holding(
        "discovery_wishes",
        "Vos demandes de découverte d'un métier",
        "demandes closes ; métier, commune et dates gardés, sans nom",
    ),
    Holding(
        "discovery_matches",
        "Vos découvertes de métier",
        "motifs écrits effacés ; les découvertes prévues sont annulées, leur place libérée",
    ),
    Holding(
        "questionnaires",
        "Questionnaires après une découverte et pendant les premiers jours du contrat",
        "questionnaires et réponses supprimés",
    ),
    Holding(
        "checkin_calls",
        "Appels de la coordination après les questionnaires du contrat",
        "notes effacées ; la date de l'appel reste, sans texte",
    ),
    Holding(
        "audit_log",
        "Historique et consultations de votre dossier",
        "notes et raisons écrites effacées ; les lignes restent, sans texte",
    ),
    Holding(
        "mail_outbox",
        "Courriels envoyés",
        "courriels à vous supprimés ; courriels à votre sujet vidés de leur texte",
    ),
    Holding("mail_unsubscribe_tokens", "Liens de désabonnement", "liens supprimés"),
    Holding("mail_optouts", "Désabonnements", "désabonnements supprimés"),
    Holding(
        "mail_notified_suggestions",
        "Propositions déjà annoncées par courriel",
        "marques supprimées",
    ),
    Holding(
        "mail_notified_sessions",
        "Dates limites d'inscription en formation déjà annoncées par courriel",
        "marques supprimées",
    ),
    Holding(
        "mail_notified_library",
        "Nouveautés de la mallette déjà annoncées par courriel",
        "marques supprimées",
    ),
    Holding("mail_action_tokens", "Liens de réponse dans les courriels", "liens supprimés"),
    Holding(
        "rate_limit_windows",
        "Compteurs de tentatives de connexion",
        "compteurs liés à votre adresse supprimés",
    ),
)


def _holds_text_or_date(column: Column[object]) -> bool:
    kind = column.type
    impl = getattr(kind, "impl", None)
    return isinstance(kind, String | Text | JSON | Date) or isinstance(
        impl, String | Text | JSON | Date
    )


def _columns(metadata: MetaData) -> Iterator[tuple[Table, Column[object]]]:
    for table in metadata.sorted_tables:
        for column in table.columns:
            if _holds_text_or_date(column) and not column.foreign_keys:
                yield table, column


def declared_columns() -> set[tuple[str, str]]:
    """Return every (table, column) the registry declares."""
    return {(table, column) for table, kinds in COLUMNS.items() for column in kinds}


def undeclared_columns(metadata: MetaData) -> list[str]:
    """Return ``table.column`` of every text or date column the registry does not declare."""
    declared = declared_columns()
    return [
        f"{table.name}.{column.name}"
        for table, column in _columns(metadata)
        if (table.name, column.name) not in declared
    ]


def columns_of_kind(*kinds: Kind) -> list[tuple[str, str]]:
    """Return the (table, column) pairs of these kinds, in the registry's order."""
    return [
        (table, column)
        for table, by_column in COLUMNS.items()
        for column, kind in by_column.items()
        if kind in kinds
    ]
