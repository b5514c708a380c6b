"""Passerelle's matching engine: a pure library (no web, no database, no I/O).

Plain data in (:class:`RequestIn`, :class:`OfferIn`, a :class:`MetierReferential`), results out:
:func:`suggest` (best matches both ways), :func:`allocate` (a stable allocation),
:func:`score_pair` (one pair, explained). Deterministic; inputs are never mutated.

Where to read, in order (each module's docstring says what it does and why):

* ``model`` (the data in and out), ``errors``, ``referential`` (métier codes, free texts);
* ``scoring`` (the criteria and the score, on arrays), ``tables`` (the inputs as arrays),
  ``training`` (the third place of a pair: its training centre, chosen and scored on arrays),
  ``housing`` (where a candidate who needs housing sleeps: on site or at a housing resource
  near the offer or the centre, chosen and graded on arrays), ``tutors`` (the maîtres
  d'apprentissage, whose places the offers naming them share),
  ``geo`` (the one distance: a chord on the WGS84 ellipsoid), ``explanations`` (French texts);
* ``engine``: :func:`suggest`, blocked by métier and by ``grid`` (the one spatial grid);
* ``allocation/``: :func:`allocate`; its specification is
  :func:`matching.allocation.allocate_reference`, a greedy pass over every pair, and its
  package docstring walks through the fast path (``pairs`` holds its joins); with housing
  resources or tutors the beds and tutors' places are shared and ``allocation/shared`` holds the
  greedy that allocates them;
* ``arrays`` (the array types), ``cli`` (``python -m matching``).
"""

from .allocation import allocate
from .engine import MatchLists, suggest
from .errors import InvalidInput, MatchingError, UnknownMetier
from .explanations import AUDIENCES, reason_text, score_pair, score_pairs
from .geo import distance_km
from .model import (
    CRITERIA,
    DEFAULT_PARAMS,
    ENGINE_VERSION,
    EXCLUSION_REASONS,
    HOUSING_KIND_LABELS,
    HOUSING_KINDS,
    Allocation,
    Assignment,
    Criterion,
    Exclusion,
    Exclusions,
    HousingChoice,
    HousingResource,
    Match,
    OfferIn,
    Params,
    Programme,
    RequestIn,
    Suggestions,
    TrainingCentre,
    TrainingChoice,
    Tutor,
    Unassigned,
)
from .referential import MetierReferential, Resolution, normalize
from .scoring import combine, distance_score, housing_score, metier_score

__all__ = [
    "CRITERIA",
    "DEFAULT_PARAMS",
    "ENGINE_VERSION",
    "EXCLUSION_REASONS",
    "HOUSING_KINDS",
    "HOUSING_KIND_LABELS",
    "Allocation",
    "allocate",
    "Assignment",
    "Criterion",
    "Exclusion",
    "Exclusions",
    "HousingChoice",
    "HousingResource",
    "InvalidInput",
    "Match",
    "MatchLists",
    "MatchingError",
    "MetierReferential",
    "OfferIn",
    "Params",
    "Programme",
    "RequestIn",
    "Resolution",
    "Suggestions",
    "TrainingCentre",
    "TrainingChoice",
    "Tutor",
    "Unassigned",
    "UnknownMetier",
    "combine",
    "distance_km",
    "distance_score",
    "housing_score",
    "metier_score",
    "normalize",
    "score_pair",
    "score_pairs",
    "reason_text",
    "AUDIENCES",
    "suggest",
]
