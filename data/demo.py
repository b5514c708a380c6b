"""A realistic, deterministic demo dataset of the Ain, built through the domain operations.

Fictional structures (with well-formed SIRETs) spread across the département, their offers over
the eight métiers, candidates typing their métiers the way people do, and the accounts of
everyone. Only fictional people; every e-mail address is @example.org (staff: @passerelle.local).

    counts = load_demo(session)          # the caller commits
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import SYSTEM, Actor
from data.errors import Conflict
from data.models import (
    Commune,
    ContractKind,
    Employer,
    HousingKind,
    HousingResource,
    Offer,
    Request,
    RequestMetier,
    Role,
    StructureCheck,
    StructureKind,
    Suggestion,
    SuggestionStatus,
    TrainingCentre,
    User,
)
from data.operations import discovery as discovery_ops
from data.operations import library as library_ops
from data.operations import masters as master_ops
from data.operations import training as training_ops
from data.operations._common import PARIS
from data.operations.validation import luhn_check_digit
from data.recompute import recompute_suggestions

__all__ = [
    "ADMIN_EMAIL",
    "COORDINATOR_EMAIL",
    "DEMO_COUNTS_KEYS",
    "DemoClock",
    "ROUND_THE_CLOCK",
    "begin_demo",
    "draw_mobile",
    "draw_phone",
    "draw_siret",
    "first_of_month",
    "is_empty",
    "is_home_care",
    "load_demo",
    "slug",
    "weighted_choice",
]

ADMIN_EMAIL = "admin@passerelle.local"
COORDINATOR_EMAIL = "coordination@passerelle.local"
DEMO_COUNTS_KEYS = (
    "employers",
    "sites",
    "offers",
    "offers_published",
    "candidates",
    "requests",
    "unresolved_metiers",
    "users",
    "suggestions",
    "pairs",
    "training_centres",
    "training_sessions",
    "housing_resources",
    "library_resources",
    "discovery_days",
)

# How far along the demo's best suggestions are, so that every stage of a coordinator's work shows:
# (target stages in order, how many pairs, reason of a rejection or abandonment).
PIPELINE: tuple[tuple[tuple[str, ...], int, str | None], ...] = (
    (("approved", "contacted", "interview", "contract_signed"), 2, None),
    (("approved", "contacted", "interview"), 2, None),
    (("approved", "contacted"), 3, None),
    (("approved",), 3, None),
    (("approved", "abandoned"), 1, "La candidate a choisi une formation en voie directe."),
    (("rejected",), 2, "Horaires de nuit incompatibles avec la situation du candidat."),
    (
        ("approved", "contacted", "interview", "contract_signed", "broken"),
        1,
        "Rupture pendant la période d'essai, à l'initiative de l'apprentie.",
    ),
)
# Days before the demo's "today" at which each stage was reached.
STAGE_DAYS_AGO = {
    "approved": 16,
    "rejected": 15,
    "contacted": 12,
    "interview": 6,
    "contract_signed": 2,
    "abandoned": 3,
    "broken": 1,
}

AS = "aide-soignant"
AES = "accompagnant-educatif-social"
ADVF = "assistant-de-vie-aux-familles"
ES = "educateur-specialise"
EJE = "educateur-jeunes-enfants"
ME = "moniteur-educateur"
ASS = "assistant-service-social"
TISF = "technicien-intervention-sociale-familiale"


@dataclass(frozen=True)
class SiteSpec:
    name: str
    insee: str
    housing: tuple[HousingKind, int, int | None] | None = None  # kind, beds, monthly cost


@dataclass(frozen=True)
class EmployerSpec:
    name: str
    kind: StructureKind
    sites: tuple[SiteSpec, ...]
    metiers: tuple[str, ...]  # what it hires apprentices for, most wanted first
    offers: int = 2
    phone_prefix: str = "04 74"
    extra: dict[str, Any] = field(default_factory=dict)


H = HousingKind

EMPLOYERS: tuple[EmployerSpec, ...] = (
    EmployerSpec(
        "EHPAD Les Jardins de Brou",
        StructureKind.EHPAD,
        (SiteSpec("Résidence Les Jardins de Brou", "01053", (H.ESMS_ROOM, 2, 280)),),
        (AS, AES, AS),
        3,
    ),
    EmployerSpec(
        "EHPAD La Roselière",
        StructureKind.EHPAD,
        (SiteSpec("EHPAD La Roselière", "01093"),),
        (AS, AES),
    ),
    EmployerSpec(
        "EHPAD Le Val de Saône",
        StructureKind.EHPAD,
        (SiteSpec("EHPAD Le Val de Saône", "01305", (H.HOST_FAMILY, 1, 350)),),
        (AS, AES),
    ),
    EmployerSpec(
        "Résidence Les Terrasses du Bugey",
        StructureKind.EHPAD,
        (SiteSpec("Les Terrasses du Bugey", "01034", (H.FJT, 2, 390)),),
        (AS, AES, AS),
        3,
    ),
    EmployerSpec(
        "EHPAD Les Érables",
        StructureKind.EHPAD,
        (SiteSpec("EHPAD Les Érables", "01283"), SiteSpec("Unité Alzheimer Le Lilas", "01031")),
        (AS, AES, AS),
        3,
    ),
    EmployerSpec(
        "EHPAD Le Clos des Dombes",
        StructureKind.EHPAD,
        (SiteSpec("EHPAD Le Clos des Dombes", "01443"),),
        (AS, AES),
    ),
    EmployerSpec(
        "Résidence La Côtière",
        StructureKind.EHPAD,
        (SiteSpec("Résidence La Côtière", "01262"), SiteSpec("Annexe de Beynost", "01043")),
        (AS, AES, ADVF),
        3,
    ),
    EmployerSpec(
        "Groupement gérontologique du Pays de Gex",
        StructureKind.GROUPE,
        (
            SiteSpec("EHPAD Le Mont-Rond", "01173", (H.ESMS_ROOM, 3, 420)),
            SiteSpec("EHPAD Les Bois de Divonne", "01143"),
            SiteSpec("Résidence du Vuache", "01419", (H.FJT, 2, 450)),
        ),
        (AS, AES, AS, ADVF),
        4,
        "04 50",
    ),
    EmployerSpec(
        "Résidence autonomie Les Tilleuls",
        StructureKind.RESIDENCE_AUTONOMIE,
        (SiteSpec("Résidence Les Tilleuls", "01244"),),
        (AES,),
        1,
    ),
    EmployerSpec(
        "IME Les Cèdres",
        StructureKind.IME,
        (SiteSpec("IME Les Cèdres", "01289"),),
        (ES, ME, AES),
        3,
    ),
    EmployerSpec(
        "IME du Bugey",
        StructureKind.IME,
        (SiteSpec("IME du Bugey", "01004", (H.ESMS_ROOM, 1, 250)),),
        (ME, ES),
    ),
    EmployerSpec(
        "ITEP Le Grand Colombier",
        StructureKind.ITEP,
        (SiteSpec("ITEP Le Grand Colombier", "01138", (H.ESMS_ROOM, 2, 200)),),
        (ES, ME),
    ),
    EmployerSpec(
        "MAS Les Hirondelles",
        StructureKind.MAS,
        (SiteSpec("MAS Les Hirondelles", "01266"),),
        (AES, AS, AES),
        3,
    ),
    EmployerSpec(
        "FAM Le Revermont",
        StructureKind.FAM,
        (SiteSpec("FAM Le Revermont", "01072"),),
        (AES, ME),
    ),
    EmployerSpec(
        "Foyer de vie Les Sources",
        StructureKind.FOYER_VIE,
        (SiteSpec("Foyer de vie Les Sources", "01269", (H.ESMS_ROOM, 1, 220)),),
        (AES, ME),
    ),
    EmployerSpec(
        "Foyer d'hébergement L'Oiseau-Lyre",
        StructureKind.FOYER_HEBERGEMENT,
        (SiteSpec("Foyer L'Oiseau-Lyre", "01202"),),
        (ME, AES),
    ),
    EmployerSpec(
        "ESAT Les Ateliers de la Reyssouze",
        StructureKind.ESAT,
        (SiteSpec("ESAT de Viriat", "01451"),),
        (ME,),
        1,
    ),
    EmployerSpec(
        "SESSAD Dombes-Saône",
        StructureKind.SESSAD,
        (SiteSpec("SESSAD de Trévoux", "01427"), SiteSpec("Antenne de Jassans", "01194")),
        (ES, ME),
    ),
    EmployerSpec(
        "Association Ain Handicap Accompagnement",
        StructureKind.GROUPE,
        (
            SiteSpec("IME La Vallière", "01344"),
            SiteSpec("Foyer Le Haut-Bugey", "01265", (H.FJT, 2, 380)),
            SiteSpec("SESSAD de Belley", "01034"),
        ),
        (ES, AES, ME, ES),
        4,
    ),
    EmployerSpec(
        "MECS Le Chalet",
        StructureKind.MECS,
        (SiteSpec("MECS Le Chalet", "01185", (H.ESMS_ROOM, 2, 150)),),
        (ES, ME),
    ),
    EmployerSpec(
        "Maison d'enfants de Jassans",
        StructureKind.MECS,
        (SiteSpec("Maison d'enfants de Jassans", "01194"),),
        (ME, ES),
    ),
    EmployerSpec(
        "Crèche Les P'tits Loups",
        StructureKind.CRECHE,
        (SiteSpec("Crèche Les P'tits Loups", "01160"),),
        (EJE, AES),
        2,
        "04 50",
    ),
    EmployerSpec(
        "Multi-accueil Pirouette",
        StructureKind.CRECHE,
        (SiteSpec("Multi-accueil Pirouette", "01354"),),
        (EJE,),
        1,
        "04 50",
    ),
    EmployerSpec(
        "Crèche Les Lucioles",
        StructureKind.CRECHE,
        (SiteSpec("Crèche Les Lucioles", "01249"),),
        (EJE, AES),
    ),
    EmployerSpec(
        "Multi-accueil Les Coccinelles",
        StructureKind.CRECHE,
        (SiteSpec("Multi-accueil Les Coccinelles", "01025"),),
        (EJE,),
        1,
        "03 85",
    ),
    EmployerSpec(
        "Aide à domicile Bresse Revermont",
        StructureKind.SAAD,
        (SiteSpec("Agence de Bourg-en-Bresse", "01053"), SiteSpec("Agence de Coligny", "01108")),
        (ADVF, AES, ADVF),
        3,
    ),
    EmployerSpec(
        "Services à domicile du Pays de Gex",
        StructureKind.SAAD,
        (SiteSpec("Agence d'Ornex", "01281", (H.FJT, 1, 460)),),
        (ADVF, AES),
        2,
        "04 50",
    ),
    EmployerSpec(
        "Bugey Services à la personne",
        StructureKind.SAAD,
        (SiteSpec("Agence de Belley", "01034"), SiteSpec("Agence d'Oyonnax", "01283")),
        (ADVF, ADVF, AES),
        3,
    ),
    EmployerSpec(
        "SSIAD de la Plaine de l'Ain",
        StructureKind.SSIAD,
        (SiteSpec("SSIAD de Meximieux", "01244"), SiteSpec("Antenne de Pont-d'Ain", "01304")),
        (AS, AS),
    ),
    EmployerSpec(
        "CHRS L'Escale",
        StructureKind.CHRS,
        (SiteSpec("CHRS L'Escale", "01053"),),
        (ES, ASS),
    ),
    EmployerSpec(
        "Centre social et familial de la Dombes",
        StructureKind.SERVICE_SOCIAL,
        (SiteSpec("Centre social de Villars", "01443"), SiteSpec("Antenne de Thoissey", "01420")),
        (TISF, ASS),
    ),
    EmployerSpec(
        "Service d'aide aux familles de l'Ain",
        StructureKind.SERVICE_SOCIAL,
        (SiteSpec("Siège de Bourg-en-Bresse", "01053"), SiteSpec("Antenne d'Ambérieu", "01004")),
        (TISF, TISF, ASS),
        3,
    ),
    EmployerSpec(
        "Service social de Valserhône",
        StructureKind.SERVICE_SOCIAL,
        (SiteSpec("Maison des solidarités", "01033"),),
        (ASS, TISF),
    ),
    EmployerSpec(
        "Hôpital local du Valromey",
        StructureKind.HOPITAL,
        (SiteSpec("Hôpital local du Valromey", "01079", (H.ESMS_ROOM, 2, 180)),),
        (AS, AS, AES),
        3,
    ),
)

# How long each apprenticeship lasts (months), and what the métier's offers usually say.
DURATIONS = {AS: (12, 18), AES: (12, 18, 24), ADVF: (12,), ES: (36,), EJE: (36,), ME: (24,)}
DURATIONS |= {ASS: (36,), TISF: (24,)}
TASKS = {
    AS: "Soins d'hygiène et de confort, aide aux repas, transmissions avec l'équipe infirmière.",
    AES: "Accompagnement des personnes dans les gestes du quotidien et les activités, "
    "en lien avec l'équipe éducative et soignante.",
    ADVF: "Interventions au domicile de personnes âgées ou en situation de handicap : "
    "aide aux repas, entretien du logement, courses, compagnie.",
    ES: "Élaboration et suivi de projets personnalisés, animation d'activités éducatives, "
    "travail avec les familles et les partenaires.",
    EJE: "Accueil des enfants et de leurs familles, conception d'activités d'éveil, "
    "participation au projet pédagogique de l'équipe.",
    ME: "Accompagnement au quotidien d'un groupe, animation d'ateliers, participation aux "
    "réunions de synthèse.",
    ASS: "Accueil et accompagnement des personnes, instruction des demandes d'aide, "
    "travail en réseau avec les partenaires du territoire.",
    TISF: "Interventions auprès des familles à domicile : soutien à la parentalité, "
    "organisation de la vie quotidienne, accompagnement des enfants.",
}
TUTOR_ROLES = {
    AS: "Aide-soignante",
    AES: "Accompagnante éducative et sociale",
    ADVF: "Responsable de secteur",
    ES: "Éducatrice spécialisée",
    EJE: "Éducatrice de jeunes enfants",
    ME: "Moniteur éducateur",
    ASS: "Assistante de service social",
    TISF: "Technicienne de l'intervention sociale et familiale",
}
# Métiers as candidates type them: labels, abbreviations, old names and a few typos.
TYPED = {
    AS: ("aide-soignante", "Aide soignant", "AS", "DEAS", "aide soignate", "aide-soigante"),
    AES: ("AES", "AMP", "accompagnante éducative et sociale", "DEAES", "aide médico-psychologique"),
    ADVF: (
        "ADVF",
        "auxiliaire de vie",
        "assistante de vie",
        "aide à domicile",
        "auxilliaire de vie",
    ),
    ES: (
        "éducateur spécialisé",
        "educ spé",
        "ES",
        "éducatrice spécialisée",
        "educatrice specialisee",
    ),
    EJE: (
        "EJE",
        "éducatrice de jeunes enfants",
        "educatrice petite enfance",
        "jardinière d'enfants",
    ),
    ME: ("moniteur éducateur", "monitrice éducatrice", "ME", "CAFME", "monitrice educatrise"),
    ASS: ("assistante sociale", "ASS", "assistante de service social", "DEASS"),
    TISF: ("TISF", "travailleuse familiale", "technicienne de l'intervention sociale et familiale"),
}
# Other jobs people also list: kept as typed and reported, never matched.
UNRESOLVED = ("agent d'entretien", "infirmière puéricultrice", "secrétaire médicale")
# What people who want one métier often add (weights by list order).
SECOND_CHOICE = {
    AS: (AES, ADVF),
    AES: (AS, ADVF, ME),
    ADVF: (AES, AS),
    ES: (ME, ASS),
    EJE: (AES, ES),
    ME: (ES, AES),
    ASS: (TISF, ES),
    TISF: (ASS, AES),
}
# Share of candidates looking for each métier (the shortage métiers come first).
METIER_WEIGHTS = {AS: 24, AES: 22, ADVF: 12, ES: 12, ME: 10, EJE: 9, ASS: 6, TISF: 5}
DIPLOMA_LEVELS = {
    AS: (0, 3, 3, 3, 4),
    AES: (0, 3, 3, 4),
    ADVF: (0, 3, 3),
    ES: (4, 4, 5),
    EJE: (4, 4, 5),
    ME: (3, 4, 4),
    ASS: (4, 4, 5),
    TISF: (3, 4, 4),
}

# Where candidates live: the Ain (weighted towards its towns), and a few from around it.
HOME_COMMUNES = (
    ("01053", 14), ("01283", 8), ("01004", 6), ("01033", 5), ("01034", 4), ("01173", 3),
    ("01160", 3), ("01354", 3), ("01427", 3), ("01249", 3), ("01262", 2), ("01093", 2),
    ("01305", 2), ("01269", 2), ("01185", 1), ("01202", 2), ("01244", 2), ("01025", 1),
    ("01143", 2), ("01289", 2), ("01451", 2), ("01344", 1), ("01266", 1), ("01108", 1),
    ("01320", 1), ("01159", 1), ("01304", 1), ("01072", 1), ("01031", 1), ("01014", 1),
    ("01192", 1), ("01457", 1), ("01306", 1), ("01199", 1), ("01322", 1), ("01389", 1),
    ("01407", 1), ("01384", 1), ("01142", 1), ("01443", 1),
    ("69123", 3), ("69266", 1), ("71270", 2), ("74012", 1), ("73065", 1),
)  # fmt: skip
AIN = "01"

FIRST_NAMES = (
    "Léa", "Emma", "Chloé", "Manon", "Camille", "Inès", "Sarah", "Jade", "Louise", "Zoé",
    "Lina", "Clara", "Julie", "Laura", "Marie", "Océane", "Anaïs", "Mélanie", "Nadia", "Sophie",
    "Fatoumata", "Yasmine", "Amandine", "Justine", "Élodie", "Aurélie", "Pauline", "Morgane",
    "Lucas", "Hugo", "Thomas", "Nathan", "Enzo", "Louis", "Théo", "Maxime", "Karim", "Mehdi",
    "Antoine", "Julien", "Kevin", "Romain", "Bastien", "Yanis", "Samuel", "Mathis",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier",
    "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Benali", "Diallo",
    "Nguyen", "Da Silva", "Ferreira", "Bouvier", "Perret", "Brun", "Vuillermoz", "Janin",
)  # fmt: skip
CONTACT_NAMES = (
    "Catherine Morel", "Philippe Bouvier", "Nathalie Perret", "Isabelle Janin", "Pascal Brun",
    "Sandrine Guérin", "Olivier Faure", "Valérie Chevalier", "Christophe Blanc", "Agnès Rey",
    "Frédéric Collet", "Sylvie Mathieu", "Laurent Girod", "Véronique Dumas", "Patrick Vial",
)  # fmt: skip

# The demo's offers: most published, a few drafts, and some whose life is already over.
STATUS_PLAN = ("published",) * 8 + ("draft",) + ("published",) * 4 + ("closed", "filled")


#: Structures open day and night: their offers may have nights and weekends.
ROUND_THE_CLOCK = frozenset(
    {
        StructureKind.EHPAD,
        StructureKind.MAS,
        StructureKind.FAM,
        StructureKind.FOYER_VIE,
        StructureKind.FOYER_HEBERGEMENT,
        StructureKind.MECS,
        StructureKind.HOPITAL,
        StructureKind.GROUPE,
    }
)


def is_home_care(kind: StructureKind, metier: str) -> bool:
    """Tell whether the job is done at people's homes (the offer then asks for a licence)."""
    return kind in (StructureKind.SAAD, StructureKind.SSIAD) or metier in (ADVF, TISF)


def slug(text: str) -> str:
    """Return ``text`` as lower-case ASCII words joined by hyphens (for e-mail addresses)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def draw_siret(rng: random.Random, used: set[str]) -> str:
    """Draw a SIRET with right SIREN and SIRET keys (associations' SIRENs start with 3 to 8)."""
    while True:
        base = str(rng.randint(3, 8)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        siren = base + luhn_check_digit(base)
        nic = f"{rng.randint(1, 99):04d}"
        siret = siren + nic + luhn_check_digit(siren + nic)
        if siret not in used and siren != "356000000":
            used.add(siret)
            return siret


def draw_phone(rng: random.Random, prefix: str) -> str:
    """Draw a landline number after ``prefix`` (e.g. "04 74")."""
    return prefix + " " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(3))


def draw_mobile(rng: random.Random) -> str:
    """Draw a mobile number (06 or 07)."""
    return f"0{rng.choice('67')} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))


def first_of_month(day: date, months_ahead: int) -> date:
    """Return the first day of the month ``months_ahead`` months after ``day``'s."""
    month = day.month - 1 + months_ahead
    return date(day.year + month // 12, month % 12 + 1, 1)


def weighted_choice(rng: random.Random, pairs: tuple[tuple[str, int], ...] | dict[str, int]) -> str:
    """Draw a key of ``(key, weight)`` pairs or of a ``{key: weight}`` mapping."""
    items = list(pairs.items()) if isinstance(pairs, dict) else list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def is_empty(session: Session) -> bool:
    """Tell whether the database has no employer yet (the demo loads only into such a one)."""
    return not session.scalar(select(func.count()).select_from(Employer))


@dataclass(frozen=True)
class DemoClock:
    """The draws and dates of one demo load: everything relative to ``today``, 9:00 in France."""

    rng: random.Random
    today: date
    base: datetime

    def past(self, days_min: int, days_max: int) -> datetime:
        """Draw a moment ``days_min`` to ``days_max`` days before the demo's today."""
        days, minutes = self.rng.randint(days_min, days_max), self.rng.randint(0, 600)
        return self.base - timedelta(days=days, minutes=minutes)


def begin_demo(session: Session, *, seed: int, today: date | None) -> DemoClock | None:
    """Return the clock of a demo load, or None if the database has employers already.

    Raises Conflict if the reference data (communes) is not loaded.
    """
    if not is_empty(session):
        return None
    if session.get(Commune, "01053") is None:
        raise Conflict("Chargez d'abord les données de référence (communes).")
    today = today or datetime.now(PARIS).date()
    # Never after now: a row stamped in the future would hide every real change made before
    # that time from the re-matching job's watermark (a demo loaded before 9:00 in France).
    base = min(datetime.combine(today, time(9, 0), PARIS).astimezone(UTC), datetime.now(UTC))
    return DemoClock(random.Random(seed), today, base)


def load_demo(session: Session, *, seed: int = 1, today: date | None = None) -> dict[str, int]:
    """Load the demo dataset into a database without employers; return what it created.

    Deterministic for a given ``seed`` and ``today`` (dates are relative to ``today``, the
    current day in France by default). Into a database that already has employers it loads
    nothing and returns zeros. The reference data must be loaded first. The caller commits.
    """
    counts = dict.fromkeys(DEMO_COUNTS_KEYS, 0)
    clock = begin_demo(session, seed=seed, today=today)
    if clock is None:
        return counts
    rng, today, base, past = clock.rng, clock.today, clock.base, clock.past

    ops.create_user(session, email=ADMIN_EMAIL, role=Role.ADMIN, display_name="Administration")
    ops.create_user(
        session, email=COORDINATOR_EMAIL, role=Role.COORDINATOR, display_name="Coordination"
    )
    counts["users"] += 2

    used_sirets: set[str] = set()
    contacts = list(CONTACT_NAMES)
    for n, spec in enumerate(EMPLOYERS):
        contact = contacts[n % len(contacts)]
        email = f"{slug(spec.name)}@example.org"
        employer = ops.create_employer(
            session,
            name=spec.name,
            siret=draw_siret(rng, used_sirets),
            kind=spec.kind,
            contact_name=contact,
            contact_email=email,
            contact_phone=draw_phone(rng, spec.phone_prefix),
            # The demo's structures are checked: their offers are published at once.
            check_status=StructureCheck.CHECKED,
        )
        ops.create_user(
            session, email=email, role=Role.EMPLOYER, employer=employer, display_name=contact
        )
        counts["employers"] += 1
        counts["users"] += 1
        sites = []
        for site_spec in spec.sites:
            site = ops.add_site(
                session, employer, name=site_spec.name, commune_insee=site_spec.insee
            )
            if site_spec.housing is not None:
                kind, beds, cost = site_spec.housing
                ops.set_site_housing(session, site, kind=kind, beds=beds, monthly_cost_eur=cost)
            sites.append(site)
            counts["sites"] += 1
        for k in range(spec.offers):
            metier = spec.metiers[k % len(spec.metiers)]
            site = sites[k % len(sites)]
            status = STATUS_PLAN[(n * 3 + k) % len(STATUS_PLAN)]
            _make_offer(session, rng, spec, site, metier, status, today, past, counts)

    for _ in range(120):
        _make_candidate(session, rng, today, past, counts)
    session.flush()
    counts["unresolved_metiers"] = (
        session.scalar(
            select(func.count())
            .select_from(RequestMetier)
            .where(RequestMetier.metier_code.is_(None))
        )
        or 0
    )
    _training_centres(session, counts)
    _training_links(session)
    _housing(session, counts)
    _library(session, counts, today)
    _pipeline(session, base, counts)  # the engine then proposes a centre for each pair
    _discovery_days(session, today, base, counts)
    return counts


#: The fixed public holidays of France (month, day): no demo discovery falls on one.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)})


def _working_day(day: date, length: int) -> date:
    """The first day from ``day`` that starts ``length`` days from Monday to Friday with no
    fixed public holiday (Easter's are left to chance: the demo's dates are weeks ahead).

    >>> _working_day(date(2026, 12, 25), 2)  # Christmas, a Friday: the next Monday
    datetime.date(2026, 12, 28)
    """
    while any(
        (d := day + timedelta(days=k)).weekday() >= 5 or (d.month, d.day) in FIXED_HOLIDAYS
        for k in range(length)
    ):
        day += timedelta(days=1)
    return day


def _discovery_days(session: Session, today: date, at: datetime, counts: dict[str, int]) -> None:
    """Open a few demo discovery days (issue 18), two to four weeks ahead, at the first
    structures' first sites; who welcomes and the notes say they are demo data."""
    employers = session.scalars(select(Employer).order_by(Employer.id).limit(3)).all()
    for n, employer in enumerate(employers):
        spec = EMPLOYERS[n]
        site = min(employer.sites, key=lambda s: s.id)
        first = _working_day(today + timedelta(days=14 + 7 * n), n % 3 + 1)
        discovery_ops.create_day(
            session,
            SYSTEM,
            employer,
            {
                "site_id": site.id,
                "metier_code": spec.metiers[0],
                "starts_on": first,
                "ends_on": first + timedelta(days=n % 3),  # one to three working days
                "places": 1 + n % 2,
                "host_name": "Personne d'accueil (démo)",
                "host_role": "Professionnelle du métier (démo)",
                "meeting_time": "09:00",
                "what_to_bring": "Une tenue confortable, des chaussures fermées.",
                "notes": "Journées de démonstration : elles n'existent pas.",
            },
            now=at,
        )
        counts["discovery_days"] += 1


@dataclass(frozen=True)
class DemoProgramme:
    """A programme of a demo centre: its métier, diploma, mode, months, rhythm, intakes."""

    metier: str
    diploma: str
    months: int
    rhythm: str
    intakes: tuple[date, ...]
    by_apprenticeship: bool = True


@dataclass(frozen=True)
class DemoCentre:
    """A demo training centre: its name says it is one, its commune is real."""

    name: str
    kind: str
    insee: str
    transport: str
    programmes: tuple[DemoProgramme, ...]


_SPLIT = "1 semaine en centre / 3 semaines en structure"
_SOCIAL = "2 jours en centre / 3 jours en structure"
_JAN, _SEP = date(2027, 1, 4), date(2027, 9, 6)
#: The demo's training centres: none is real (no unverifiable fact ships), each at a real
#: commune of the Ain, together preparing the eight priority métiers, with sessions in 2027.
TRAINING_CENTRES = (
    DemoCentre(
        "Institut de formation (démo)",
        "ifas_ifsi",
        "01053",  # Bourg-en-Bresse
        "yes",
        (DemoProgramme(AS, "DEAS", 12, _SPLIT, (_JAN, _SEP)),),
    ),
    DemoCentre(
        "Institut de formation du Bugey (démo)",
        "ifas_ifsi",
        "01034",  # Belley
        "unknown",
        (DemoProgramme(AS, "DEAS", 18, _SPLIT, (_SEP,)),),
    ),
    DemoCentre(
        "École de travail social (démo)",
        "travail_social",
        "01004",  # Ambérieu-en-Bugey
        "yes",
        (
            DemoProgramme(ES, "DEES", 36, _SOCIAL, (_SEP,)),
            DemoProgramme(ME, "DEME", 24, _SOCIAL, (_SEP,)),
            DemoProgramme(EJE, "DEEJE", 36, _SOCIAL, (_SEP,)),
            DemoProgramme(ASS, "DEASS", 36, _SOCIAL, (_SEP,)),
            DemoProgramme(TISF, "DETISF", 24, _SPLIT, (_JAN,)),
        ),
    ),
    DemoCentre(
        "GRETA (démo)",
        "greta",
        "01283",  # Oyonnax
        "yes",
        (
            DemoProgramme(ADVF, "TP ADVF", 12, _SPLIT, (date(2027, 3, 1), date(2027, 10, 4))),
            DemoProgramme(AES, "DEAES", 18, _SPLIT, (_JAN,)),
        ),
    ),
    DemoCentre(
        "Organisme de formation privé (démo)",
        "prive",
        "01173",  # Gex
        "no",
        (
            DemoProgramme(ADVF, "TP ADVF", 12, _SPLIT, (date(2027, 4, 5),)),
            DemoProgramme(AES, "DEAES", 12, _SPLIT, (_SEP,), by_apprenticeship=False),
        ),
    ),
    DemoCentre(
        "CFA du sanitaire et social (démo)",
        "cfa",
        "01427",  # Trévoux
        "unknown",
        (
            DemoProgramme(AES, "DEAES", 18, _SPLIT, (_SEP,)),
            DemoProgramme(AS, "DEAS", 18, _SPLIT, (_JAN,)),
        ),
    ),
)


def _training_centres(session: Session, counts: dict[str, int]) -> None:
    """Create the demo's training centres, programmes and sessions (applications open three
    months before the start, close one month before it)."""
    actor = Actor.system()
    for spec in TRAINING_CENTRES:
        centre = training_ops.create_centre(
            session,
            actor,
            name=spec.name,
            kind=spec.kind,
            commune_insee=spec.insee,
            website=f"https://{slug(spec.name)}.example.org",
            public_transport=spec.transport,
        )
        counts["training_centres"] += 1
        for p in spec.programmes:
            programme = training_ops.create_programme(
                session,
                actor,
                centre,
                metier=p.metier,
                diploma=p.diploma,
                by_apprenticeship=p.by_apprenticeship,
                duration_months=p.months,
                rhythm=p.rhythm,
            )
            for start in p.intakes:
                training_ops.create_session(
                    session,
                    actor,
                    programme,
                    start_date=start,
                    apprenticeship_places=12,
                    applications_open_on=first_of_month(start, -3),
                    application_deadline=start - timedelta(days=30),
                    selection_dates="Entretien de motivation après l'inscription",
                )
                counts["training_sessions"] += 1


@dataclass(frozen=True)
class DemoHousing:
    """A demo housing resource: its name says it is one, its commune is real, it is published."""

    name: str
    kind: HousingKind
    insee: str
    beds: int
    beds_taken: int
    cost: int | None
    includes: str | None
    aids: tuple[str, ...]
    partner: str | None = None  # a partner organisation; None: the centre named ``centre``
    centre: str | None = None
    min_age: int | None = None
    max_age: int | None = None


_APL = ("apl", "mobili_jeune", "visale")
#: The demo's housing for apprentices: none is real (no unverifiable fact ships); each stands at
#: a real commune of the Ain near the demo's offers, some full, so that beds bind in the engine.
HOUSING = (
    DemoHousing(
        "Foyer de jeunes travailleurs (démo)",
        HousingKind.FJT,
        "01053",  # Bourg-en-Bresse
        4,
        2,
        390,
        "Chambre meublée, charges et accès internet",
        _APL,
        partner="Association d'habitat jeunes (démo)",
        min_age=16,
        max_age=30,
    ),
    DemoHousing(
        "Résidence habitat jeunes du Haut-Bugey (démo)",
        HousingKind.FJT,
        "01283",  # Oyonnax
        3,
        0,
        360,
        "Studio meublé et charges",
        _APL,
        partner="Association d'habitat jeunes (démo)",
        min_age=16,
        max_age=30,
    ),
    DemoHousing(
        "Résidence habitat jeunes du Bugey (démo)",
        HousingKind.FJT,
        "01004",  # Ambérieu-en-Bugey
        1,
        1,
        340,
        "Chambre meublée et charges",
        _APL,
        partner="Association d'habitat jeunes (démo)",
    ),
    DemoHousing(
        "Internat de l'institut de formation (démo)",
        HousingKind.BOARDING,
        "01053",  # Bourg-en-Bresse
        2,
        0,
        250,
        "Chambre, pendant les semaines en centre",
        ("apl",),
        centre="Institut de formation (démo)",
    ),
    DemoHousing(
        "Cohabitation intergénérationnelle (démo)",
        HousingKind.INTERGENERATIONAL,
        "01034",  # Belley
        2,
        0,
        150,
        "Chambre chez une personne âgée, en échange de présence le soir",
        (),
        partner="Réseau de cohabitation solidaire (démo)",
        min_age=18,
    ),
    DemoHousing(
        "Logements réservés d'un bailleur social (démo)",
        HousingKind.SOCIAL_LANDLORD,
        "01173",  # Gex
        2,
        0,
        480,
        "T1 non meublé, hors charges",
        ("apl", "loca_pass", "visale"),
        partner="Bailleur social (démo)",
    ),
)


def _housing(session: Session, counts: dict[str, int]) -> None:
    """Create the demo's published housing resources (partners' and a centre's boarding)."""
    centres = {c.name: c.id for c in session.scalars(select(TrainingCentre))}
    for spec in HOUSING:
        session.add(
            HousingResource(
                name=spec.name,
                kind=spec.kind,
                partner_name=spec.partner,
                centre_id=None if spec.centre is None else centres[spec.centre],
                commune_insee=spec.insee,
                beds=spec.beds,
                beds_taken=spec.beds_taken,
                monthly_cost_eur=spec.cost,
                cost_includes=spec.includes,
                aids=list(spec.aids),
                min_age=spec.min_age,
                max_age=spec.max_age,
                apprentices_only=False,
                # An organisation's desk (a made-up address); a home's contact is never published.
                contact_email=f"{slug(spec.partner or spec.name)}@example.org",
                published=True,
            )
        )
        counts["housing_resources"] += 1
    session.flush()


@dataclass(frozen=True)
class DemoResource:
    """A sheet of the demo's mallette: its title says it is demo; what it states is sourced."""

    title: str
    summary: str
    body: str
    category: str
    audiences: tuple[str, ...]
    source: str
    link: str | None = None
    metiers: tuple[str, ...] = ()


#: The demo's mallette: a few sheets written from the facts the project ships with their sources
#: (data/reference/README.md), so that search, « Nouveautés » and the digests have something
#: to show. Each title says it is demo: coordinators write the real mallette.
LIBRARY = (
    DemoResource(
        "Le salaire minimum d'un apprenti (démo)",
        "Un pourcentage du SMIC selon l'âge et l'année du contrat ; l'employeur peut payer plus.",
        "## Ce que dit la loi\n\n"
        "Le salaire minimum d'un apprenti est un pourcentage du SMIC, selon son âge et l'année"
        " du contrat :\n\n"
        "| Âge | 1re année | 2e année | 3e année |\n| --- | --- | --- | --- |\n"
        "| 16 ou 17 ans | 27 % | 39 % | 55 % |\n| 18 à 20 ans | 43 % | 51 % | 67 % |\n"
        "| 21 à 25 ans | 53 % | 61 % | 78 % |\n| 26 ans et plus | 100 % | 100 % | 100 % |\n\n"
        "Chaque offre de Passerelle montre aux candidats qui ont indiqué leur âge leur salaire"
        " brut estimé, année par année.",
        "legal",
        ("candidates", "employers", "tutors"),
        "Code du travail, article D6222-26 (contrats conclus depuis le 1er janvier 2019)",
    ),
    DemoResource(
        "Aide au permis de conduire des apprentis (démo)",
        "500 €, une fois, pour un apprenti d'au moins 18 ans qui prépare le permis B.",
        "L'aide se demande auprès du centre de formation, avec une pièce d'identité et un devis"
        " ou une facture de l'école de conduite de moins de 12 mois. Elle se cumule avec les"
        " autres aides.",
        "funding",
        ("candidates", "centres"),
        "etudiant.gouv.fr, « Permis de conduire : 500 € d'aide pour les apprentis »",
    ),
    DemoResource(
        "Travail de nuit et apprentis mineurs (démo)",
        "Un apprenti de moins de 18 ans ne travaille pas la nuit : Passerelle ne lui propose"
        " aucune offre avec du travail de nuit.",
        "Le Code du travail interdit le travail de nuit aux jeunes travailleurs de moins de"
        " 18 ans, sauf dérogations limitées. Indiquez-le dans votre offre : Passerelle ne la"
        " propose alors pas aux candidats mineurs et leur explique pourquoi.",
        "legal",
        ("employers", "tutors", "candidates"),
        "Code du travail, article L3163-2",
    ),
    DemoResource(
        "Découvrir un métier avant de s'engager (démo)",
        "Fiches métiers, salaires et rentrées en formation : par où commencer.",
        "Chaque métier prioritaire du plan a sa fiche sur Passerelle (page « Les métiers ») :"
        " le travail, les lieux, le diplôme, les voies d'accès, et les chiffres du jour : offres,"
        " rentrées en formation, salaire d'un apprenti.",
        "training",
        ("candidates",),
        "Passerelle, page « Les métiers »",
        metiers=(AS, AES),
    ),
)


def _library(session: Session, counts: dict[str, int], today: date) -> None:
    """Publish the demo's mallette (as written by the platform, up to date the demo's day)."""
    actor = Actor.system()
    for spec in LIBRARY:
        library_ops.create_resource(
            session,
            actor,
            title=spec.title,
            summary=spec.summary,
            body=spec.body,
            link=spec.link,
            category=spec.category,
            audiences=list(spec.audiences),
            metiers=list(spec.metiers),
            source=spec.source,
            up_to_date_on=today,
            published=True,
        )
        counts["library_resources"] += 1
    session.flush()


def _training_links(session: Session) -> None:
    """Tie the demo to its centres, so that each of the engine's three cases shows: one
    structure in four works with the centres preparing its métiers and names one as the partner
    of its offers; one candidate in eight is already enrolled in a centre of their first métier."""
    preparing: dict[str, list[TrainingCentre]] = {}
    for centre in session.scalars(select(TrainingCentre).order_by(TrainingCentre.id)):
        for programme in centre.programmes:
            if programme.by_apprenticeship:
                preparing.setdefault(programme.metier_code, []).append(centre)
    for n, employer in enumerate(session.scalars(select(Employer).order_by(Employer.id))):
        if n % 4:
            continue
        offers = [o for site in employer.sites for o in site.offers]
        centres = {c.id: c for o in offers for c in preparing.get(o.metier_code, [])[:1]}
        employer.training_centres = sorted(centres.values(), key=lambda c: (c.name, c.id))
        for offer in offers:
            partner = preparing.get(offer.metier_code)
            offer.partner_centre_id = partner[0].id if partner else None
    for n, request in enumerate(session.scalars(select(Request).order_by(Request.id))):
        codes = [m.metier_code for m in request.metiers if m.metier_code in preparing]
        if n % 8 == 3 and codes:
            request.training_centre_id = preparing[codes[0]][-1].id
    session.flush()


def _demo_story(stage: str, at: datetime) -> dict[str, Any] | None:
    """What the coordinator records with a stage of the demo: the interview, the contract, the
    rupture (issue 15)."""
    day = at.date()
    if stage == "interview":
        return {
            "interview_on": day + timedelta(days=2),
            "interview_time": "10:00",
            "interview_place": "Sur place, bureau de la direction",
        }
    if stage == "contract_signed":
        return {
            "contract_signed_on": day,
            "contract_start_on": day + timedelta(days=14),
            "contract_kind": "apprentissage",
            "training_centre": "IFSI-IFAS de Bourg-en-Bresse",
        }
    if stage == "broken":
        return {"broken_on": day}
    return None


def _pipeline(session: Session, base: datetime, counts: dict[str, int]) -> None:
    """Compute the suggestions, then take the best pairs through review as a coordinator would."""
    report = recompute_suggestions(session, now=base - timedelta(days=20))
    counts["suggestions"] = report.created
    coordinator = session.scalar(select(User).where(User.email == COORDINATOR_EMAIL))
    actor = Actor.user(coordinator) if coordinator is not None else SYSTEM
    best = session.scalars(
        select(Suggestion).order_by(Suggestion.score.desc(), Suggestion.id)
    ).all()
    used_requests: set[int] = set()
    used_offers: set[int] = set()
    queue = iter(best)
    for stages, how_many, reason in PIPELINE:
        for _ in range(how_many):
            pair = next(
                (
                    s
                    for s in queue
                    if s.request_id not in used_requests and s.offer_id not in used_offers
                ),
                None,
            )
            if pair is None:
                return
            used_requests.add(pair.request_id)
            used_offers.add(pair.offer_id)
            for stage in stages:
                at = base - timedelta(days=STAGE_DAYS_AGO[stage])
                ops.change_suggestion_status(
                    session,
                    pair,
                    SuggestionStatus(stage),
                    actor,
                    reason=reason if stage in ("rejected", "abandoned", "broken") else None,
                    now=at,
                    story=_demo_story(stage, at),
                )
            counts["pairs"] += 1
    session.flush()


def _make_offer(
    session: Session,
    rng: random.Random,
    spec: EmployerSpec,
    site: Any,
    metier: str,
    status: str,
    today: date,
    past: Any,
    counts: dict[str, int],
) -> Offer:
    created = past(20, 120)
    home_care = is_home_care(spec.kind, metier)
    round_the_clock = spec.kind in ROUND_THE_CLOCK
    beds = site.housing_beds
    tutor_first = rng.choice(FIRST_NAMES[:28])
    description = (
        f"{site.name} ({site.commune.name}) accueille un·e apprenti·e. {TASKS[metier]} "
        + (
            "Permis B indispensable : les trajets entre domiciles se font avec un véhicule de "
            "service. "
            if home_care
            else ""
        )
        + ("Un logement peut être proposé pendant la formation. " if beds else "")
    )
    offer = ops.create_offer(
        session,
        site.employer,
        site_id=site.id,
        metier_code=metier,
        contract=ContractKind.PROFESSIONNALISATION
        if rng.random() < 0.12
        else ContractKind.APPRENTISSAGE,
        places=rng.choice((1, 1, 1, 1, 2, 2, 3)),
        start_date=first_of_month(today, rng.randint(1, 8)),
        duration_months=rng.choice(DURATIONS[metier]),
        housing_beds=min(beds, rng.choice((1, 1, 2))) if beds and rng.random() < 0.8 else 0,
        licence_required=home_care,
        night_work=round_the_clock and metier in (AS, AES) and rng.random() < 0.3,
        weekend_work=round_the_clock and rng.random() < 0.7,
        tutor_name=f"{tutor_first} {rng.choice(LAST_NAMES)}",
        tutor_role=TUTOR_ROLES[metier],
        description=description.strip(),
        now=created,
    )
    counts["offers"] += 1
    _name_master(session, offer)
    if status == "draft":
        return offer
    ops.publish_offer(session, offer, now=created + timedelta(days=rng.randint(0, 5)))
    if status == "closed":
        ops.close_offer(session, offer, now=past(1, 15))
    elif status == "filled":
        ops.mark_offer_filled(session, offer, now=past(1, 15))
    else:
        counts["offers_published"] += 1
    return offer


def _name_master(session: Session, offer: Offer) -> None:
    """Declare the offer's tutor as a maître d'apprentissage of its structure (once per name)
    and name them on the offer (issue 19). No random draw: the rest of the demo is unchanged;
    the diploma is the métier's, the experience derived from the offer's id."""
    assert offer.tutor_name is not None and offer.tutor_role is not None
    employer = offer.site.employer
    master = next((m for m in employer.masters if m.name == offer.tutor_name), None)
    if master is None:
        master = master_ops.create_master(
            session,
            employer,
            {
                "name": offer.tutor_name,
                "role": offer.tutor_role,
                "diploma": offer.metier.diploma_code,
                "experience_years": 3 + offer.id % 15,
                "supervised_elsewhere": offer.id % 2,
            },
        )
        session.refresh(employer, ["masters"])
    offer.master_id = master.id


#: The age bands of the demo's requests (weights; "" for a request that states none): the
#: budget on an offer, and minors kept from night work, show.
AGE_BANDS = {"16-17": 15, "18-20": 35, "21-25": 25, "26+": 15, "": 10}


def _make_candidate(
    session: Session,
    rng: random.Random,
    today: date,
    past: Any,
    counts: dict[str, int],
) -> None:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    email = f"{slug(first)}.{slug(last)}.{counts['candidates'] + 1}@example.org".replace("-", "")
    joined = past(1, 300)
    candidate = ops.create_candidate(
        session,
        first_name=first,
        last_name=last,
        email=email,
        phone=draw_mobile(rng) if rng.random() < 0.6 else None,
        consent=True,
        notify_frequency=rng.choice(("daily", "daily", "weekly", "immediate", "never")),
        now=joined,
    )
    counts["candidates"] += 1

    wanted = weighted_choice(rng, METIER_WEIGHTS)
    metiers = [wanted]
    if rng.random() < 0.45:
        metiers.append(rng.choice(SECOND_CHOICE[wanted]))
    texts = [rng.choice(TYPED[m]) for m in dict.fromkeys(metiers)]
    if rng.random() < 0.08:
        texts.append(rng.choice(UNRESOLVED))
    home = weighted_choice(rng, HOME_COMMUNES)
    far = not home.startswith(AIN)
    # The age band from a generator of its own, so that the rest of the demo stays as it was.
    age_band = weighted_choice(random.Random(f"age-{counts['candidates']}"), AGE_BANDS) or None
    licence = rng.random() < 0.65
    ops.create_request(
        session,
        candidate,
        metiers=texts,
        commune_insee=home,
        max_distance_km=rng.choice((10, 15, 20, 25, 30, 30, 30, 40, 50, 60, 80, 100)),
        has_licence=licence,
        has_car=licence and rng.random() < 0.75,
        needs_housing=rng.random() < (0.6 if far else 0.15),
        accepts_relocation=rng.random() < (0.7 if far else 0.2),
        available_from=first_of_month(today, rng.randint(0, 7)) if rng.random() < 0.8 else None,
        diploma_level=rng.choice(DIPLOMA_LEVELS[wanted]) if rng.random() < 0.9 else None,
        age_band=age_band,
        now=joined + timedelta(minutes=rng.randint(2, 30)),
    )
    counts["requests"] += 1
    fate = rng.random()
    later = min(joined + timedelta(days=rng.randint(1, 60)), past(0, 0))
    request = candidate.request
    assert request is not None  # made just above
    if fate < 0.05:
        ops.pause_request(session, request, now=later)
    elif fate < 0.08:
        ops.close_request(session, request, now=later)
    ops.create_user(
        session,
        email=email,
        role=Role.CANDIDATE,
        candidate=candidate,
        display_name=f"{first} {last}",
    )
    counts["users"] += 1
