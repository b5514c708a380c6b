"""Every table of Passerelle, importable from one place."""

from .base import Base, UTCDateTime, str_enum, utcnow
from .candidates import Candidate, NotifyFrequency, Request, RequestMetier, RequestStatus
from .employers import (
    HELD_OFFER_STATUSES,
    OPEN_OFFER,
    ContractKind,
    Employer,
    Housing,
    HousingKind,
    JoinRequestStatus,
    Offer,
    OfferStatus,
    Site,
    StructureCheck,
    StructureJoinRequest,
    StructureKind,
)
from .reference import MAX_DIPLOMA_CODE, Commune, Metier, MetierMapping
from .suggestions import (
    ANSWERABLE,
    AWAITING_REVIEW,
    LIVE,
    PAIR_STAGES,
    PAIR_STATUSES,
    SIGNED_STATUSES,
    AuditEntry,
    Interest,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
)
from .training import (
    CentreKind,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
    TransitAccess,
    employer_training_centres,
)
from .users import Role, User

# Modules whose tables must be registered on Base.metadata; import their classes from them.
from . import auth, mail  # noqa: E402, F401  isort: skip

__all__ = [
    "HELD_OFFER_STATUSES",
    "StructureCheck",
    "AWAITING_REVIEW",
    "OPEN_OFFER",
    "PAIR_STAGES",
    "PAIR_STATUSES",
    "SIGNED_STATUSES",
    "ANSWERABLE",
    "LIVE",
    "AuditEntry",
    "Base",
    "Candidate",
    "CentreKind",
    "Commune",
    "ContractKind",
    "Employer",
    "Housing",
    "HousingKind",
    "Interest",
    "JoinRequestStatus",
    "Metier",
    "MetierMapping",
    "MAX_DIPLOMA_CODE",
    "NotifyFrequency",
    "Offer",
    "OfferStatus",
    "Request",
    "RequestMetier",
    "RequestStatus",
    "Role",
    "Site",
    "StructureJoinRequest",
    "StructureKind",
    "Suggestion",
    "SuggestionOrigin",
    "SuggestionStatus",
    "TrainingCentre",
    "TrainingProgramme",
    "TrainingSession",
    "TransitAccess",
    "User",
    "employer_training_centres",
    "UTCDateTime",
    "str_enum",
    "utcnow",
]
