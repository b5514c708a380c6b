"""The engine's plain data: inputs, parameters and results (frozen dataclasses, no behaviour)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import InvalidInput

__all__ = [
    "ENGINE_VERSION",
    "EXCLUSION_REASONS",
    "CRITERIA",
    "OfferIn",
    "RequestIn",
    "Programme",
    "TrainingCentre",
    "TrainingChoice",
    "TRAINING_SOURCES",
    "HOUSING_KINDS",
    "HOUSING_KIND_LABELS",
    "HOUSING_SOURCES",
    "HousingResource",
    "HousingChoice",
    "Tutor",
    "Params",
    "DEFAULT_PARAMS",
    "Criterion",
    "Match",
    "Exclusion",
    "Exclusions",
    "Suggestions",
    "Assignment",
    "Unassigned",
    "Allocation",
]

#: Stored on each suggestion: the minor changes with the scores, the major with their meaning.
ENGINE_VERSION = "1.1.0"

#: Hard constraints, in the order in which a pair's first failing one is counted.
EXCLUSION_REASONS: tuple[str, ...] = (
    "metier",
    "places",
    "tutor",
    "distance",
    "diploma",
    "licence",
    "night",
    "date",
    "housing",
    "training",
)
#: Criteria of a score, in display order.
CRITERIA: tuple[str, ...] = ("metier", "distance", "housing")


def _record(kind: str, ident: object) -> str:
    return f"{kind} {ident}" if isinstance(ident, str) and ident else kind


def _check_id(kind: str, ident: object) -> None:
    if not isinstance(ident, str) or not ident:
        raise InvalidInput("a non-empty string is required", record=kind, field="id")


def _check_number(
    kind: str, ident: str, name: str, value: object, lo: float, hi: float = math.inf
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput("a finite number is required", record=_record(kind, ident), field=name)
    if not lo <= value <= hi:
        raise InvalidInput(
            f"must be between {lo:g} and {hi:g}", record=_record(kind, ident), field=name
        )


def _check_int(kind: str, ident: str, name: str, value: object, lo: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("an integer is required", record=_record(kind, ident), field=name)
    if value < lo:
        raise InvalidInput(f"must be >= {lo}", record=_record(kind, ident), field=name)


def _check_bool(kind: str, ident: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidInput("true or false is required", record=_record(kind, ident), field=name)


def _check_date(kind: str, ident: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, date):
        raise InvalidInput("a date is required", record=_record(kind, ident), field=name)


def _check_ref(kind: str, ident: str, name: str, value: object, of: str = "centre") -> None:
    """An optional reference to a record ``of`` that kind: None or a non-empty id."""
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidInput(
            f"a {of} id (non-empty string) or None is required",
            record=_record(kind, ident),
            field=name,
        )


def _centre_ids(kind: str, ident: str, name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple | list):
        raise InvalidInput(
            "a list of centre ids is required", record=_record(kind, ident), field=name
        )
    if not all(isinstance(c, str) and c for c in value):
        raise InvalidInput(
            "centre ids must be non-empty strings", record=_record(kind, ident), field=name
        )
    return tuple(value)


@dataclass(frozen=True)
class OfferIn:
    """An apprenticeship offer as the engine sees it; validated on construction.

    ``places`` is the number of places left; ``housing_beds`` the beds the site offers to
    apprentices who need housing. ``training_centre``: the offer's partner training centre (an
    id of the ``centres`` given to the engine), if any; ``employer_centres``: the centres its
    employer works with (used for candidates already enrolled in a centre). ``tutor``: the
    offer's maître d'apprentissage (an id of the ``tutors`` given to the engine), if any;
    without ``tutors`` it is ignored.
    """

    id: str
    metier: str
    lat: float
    lon: float
    places: int
    housing_beds: int = 0
    licence_required: bool = False
    start: date | None = None
    training_centre: str | None = None
    employer_centres: tuple[str, ...] = ()
    night_work: bool = False
    tutor: str | None = None

    def __post_init__(self) -> None:
        _check_id("offer", self.id)
        if not isinstance(self.metier, str) or not self.metier:
            raise InvalidInput(
                "a métier code is required", record=f"offer {self.id}", field="metier"
            )
        _check_number("offer", self.id, "lat", self.lat, -90, 90)
        _check_number("offer", self.id, "lon", self.lon, -180, 180)
        _check_int("offer", self.id, "places", self.places, 0)
        _check_int("offer", self.id, "housing_beds", self.housing_beds, 0)
        _check_bool("offer", self.id, "licence_required", self.licence_required)
        _check_bool("offer", self.id, "night_work", self.night_work)
        _check_date("offer", self.id, "start", self.start)
        _check_ref("offer", self.id, "training_centre", self.training_centre)
        _check_ref("offer", self.id, "tutor", self.tutor, of="tutor")
        centres = _centre_ids("offer", self.id, "employer_centres", self.employer_centres)
        object.__setattr__(self, "employer_centres", centres)


@dataclass(frozen=True)
class RequestIn:
    """A candidate's request as the engine sees it: resolved métier codes, place and constraints.

    ``diploma_level`` is the highest level reached (0 none, 3 CAP, 4 bac...), ``None`` if unknown.
    ``training_centre``: the centre where the candidate is enrolled or admitted (an id of the
    ``centres`` given to the engine), if any.
    """

    id: str
    metiers: tuple[str, ...]
    lat: float
    lon: float
    max_km: float
    needs_housing: bool = False
    accepts_relocation: bool = False
    has_licence: bool = False
    available_from: date | None = None
    diploma_level: int | None = None
    training_centre: str | None = None
    minor: bool = False

    def __post_init__(self) -> None:
        _check_id("request", self.id)
        record = f"request {self.id}"
        if isinstance(self.metiers, str) or not isinstance(self.metiers, tuple | list):
            raise InvalidInput("a list of métier codes is required", record=record, field="metiers")
        if not all(isinstance(m, str) and m for m in self.metiers):
            raise InvalidInput(
                "métier codes must be non-empty strings", record=record, field="metiers"
            )
        if isinstance(self.metiers, list):
            object.__setattr__(self, "metiers", tuple(self.metiers))
        _check_number("request", self.id, "lat", self.lat, -90, 90)
        _check_number("request", self.id, "lon", self.lon, -180, 180)
        _check_number("request", self.id, "max_km", self.max_km, 0.1, 20_000)
        _check_bool("request", self.id, "needs_housing", self.needs_housing)
        _check_bool("request", self.id, "accepts_relocation", self.accepts_relocation)
        _check_bool("request", self.id, "has_licence", self.has_licence)
        _check_bool("request", self.id, "minor", self.minor)
        _check_date("request", self.id, "available_from", self.available_from)
        if self.diploma_level is not None:
            _check_int("request", self.id, "diploma_level", self.diploma_level, 0)
        _check_ref("request", self.id, "training_centre", self.training_centre)


#: How the centre of a pair was chosen: the candidate's own, the offer's partner, the best near.
TRAINING_SOURCES: tuple[str, ...] = ("enrolled", "partner", "nearest")


@dataclass(frozen=True)
class Programme:
    """A programme a centre prepares by apprenticeship: the métier code and its session starts."""

    metier: str
    intakes: tuple[date, ...] = ()


@dataclass(frozen=True)
class TrainingCentre:
    """A training centre (CFA, institute) and the programmes it prepares by apprenticeship.

    Validated on construction: errors name the record ``centre <id>`` and the field.
    """

    id: str
    name: str
    lat: float
    lon: float
    commune: str = ""
    programmes: tuple[Programme, ...] = ()

    def __post_init__(self) -> None:
        _check_id("centre", self.id)
        record = f"centre {self.id}"
        if not isinstance(self.name, str) or not self.name:
            raise InvalidInput("a non-empty name is required", record=record, field="name")
        _check_number("centre", self.id, "lat", self.lat, -90, 90)
        _check_number("centre", self.id, "lon", self.lon, -180, 180)
        if not isinstance(self.commune, str):
            raise InvalidInput("a string is required", record=record, field="commune")
        programmes = self.programmes
        if isinstance(programmes, str) or not isinstance(programmes, tuple | list):
            raise InvalidInput(
                "a list of programmes is required", record=record, field="programmes"
            )
        for p in programmes:
            if not isinstance(p, Programme):
                raise InvalidInput(
                    "Programme items are required", record=record, field="programmes"
                )
            if not isinstance(p.metier, str) or not p.metier:
                raise InvalidInput("a métier code is required", record=record, field="programmes")
            intakes = p.intakes
            if isinstance(intakes, str) or not isinstance(intakes, tuple | list):
                raise InvalidInput("a list of dates is required", record=record, field="intakes")
            for d in intakes:
                if not isinstance(d, date):
                    raise InvalidInput("a date is required", record=record, field="intakes")
        object.__setattr__(self, "programmes", tuple(programmes))


@dataclass(frozen=True)
class TrainingChoice:
    """The training centre the engine chose for a pair.

    ``distance_km``: from the candidate's home to the centre; ``intake``: the session start
    that fits the offer best (``None`` if none is known); ``source``: one of
    :data:`TRAINING_SOURCES` (the candidate's own centre, the offer's partner, the best near).
    """

    centre_id: str
    name: str
    commune: str
    distance_km: float
    intake: date | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (distance to 0.1 km, the intake as an ISO date)."""
        return {
            "centre": self.centre_id,
            "name": self.name,
            "commune": self.commune,
            "distance_km": round(self.distance_km, 1),
            "intake": None if self.intake is None else self.intake.isoformat(),
            "source": self.source,
        }


#: Kinds of housing resource (a bed somewhere near the offers: the issue on housing).
HOUSING_KINDS: tuple[str, ...] = (
    "esms_room",
    "fjt",
    "boarding",
    "student_residence",
    "host_family",
    "intergenerational",
    "social_landlord",
    "other",
)
#: What each kind is called, in French (reasons name a resource by its kind and name).
HOUSING_KIND_LABELS: Mapping[str, str] = {
    "esms_room": "Chambre ou studio d'établissement",
    "fjt": "Foyer de jeunes travailleurs",
    "boarding": "Internat de centre de formation",
    "student_residence": "Résidence étudiante",
    "host_family": "Hébergement chez l'habitant",
    "intergenerational": "Cohabitation intergénérationnelle",
    "social_landlord": "Logement de bailleur social",
    "other": "Autre logement",
}
#: Where a housed pair's bed is: on the offer's site, or a housing resource.
HOUSING_SOURCES: tuple[str, ...] = ("offer", "resource")


@dataclass(frozen=True)
class HousingResource:
    """A housing resource with free beds (a hostel, a residence, a host family...).

    ``beds``: the free beds it offers apprentices (>= 0); ``kind``: one of
    :data:`HOUSING_KINDS`; ``monthly_cost_eur``: the rent, if known. Validated on
    construction: errors name the record ``housing <id>`` and the field.
    """

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    beds: int
    monthly_cost_eur: int | None = None

    def __post_init__(self) -> None:
        _check_id("housing", self.id)
        record = f"housing {self.id}"
        if not isinstance(self.name, str) or not self.name:
            raise InvalidInput("a non-empty name is required", record=record, field="name")
        if self.kind not in HOUSING_KINDS:
            raise InvalidInput(
                f"unknown kind {self.kind!r} (one of {', '.join(HOUSING_KINDS)})",
                record=record,
                field="kind",
            )
        _check_number("housing", self.id, "lat", self.lat, -90, 90)
        _check_number("housing", self.id, "lon", self.lon, -180, 180)
        _check_int("housing", self.id, "beds", self.beds, 0)
        if self.monthly_cost_eur is not None:
            _check_int("housing", self.id, "monthly_cost_eur", self.monthly_cost_eur, 0)


@dataclass(frozen=True)
class HousingChoice:
    """Where a pair's candidate would sleep: on the offer's site or at a housing resource.

    ``source``: one of :data:`HOUSING_SOURCES`; ``resource_id``, ``name``, ``kind``: the
    resource's (``None`` on site); ``distance_km``: from the offer's site to the resource (0 on
    site); ``near``: within ``Params.housing_radius_km`` of the offer (on site: True);
    ``monthly_cost_eur``: the resource's rent if known.
    """

    source: str
    resource_id: str | None
    name: str | None
    kind: str | None
    distance_km: float
    monthly_cost_eur: int | None
    near: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (distance to 0.1 km)."""
        return {
            "source": self.source,
            "resource": self.resource_id,
            "name": self.name,
            "kind": self.kind,
            "distance_km": round(self.distance_km, 1),
            "monthly_cost_eur": self.monthly_cost_eur,
        }


@dataclass(frozen=True)
class Tutor:
    """A maître d'apprentissage and the apprentices they may still take (``capacity`` >= 0).

    By law (Code du travail, article R6223-6) a maître d'apprentissage supervises at most two
    apprentices at a time, plus one repeating apprentice; the capacity given here is what is
    left of that once their current apprentices are counted (the caller's business). Every
    offer that names the tutor (``OfferIn.tutor``) shares it. Validated on construction:
    errors name the record ``tutor <id>`` and the field.
    """

    id: str
    capacity: int

    def __post_init__(self) -> None:
        _check_id("tutor", self.id)
        _check_int("tutor", self.id, "capacity", self.capacity, 0)


@dataclass(frozen=True)
class Params:
    """Weights and thresholds of the engine; every field has a documented default.

    A pair's score is the weighted mean of its criteria (see :mod:`matching.scoring`):
    ``(w_m·s_metier + w_d·s_distance + w_h·s_housing) / (w_m + w_d + w_h)``; given training
    centres, ``w_t·s_training`` joins the sum and ``w_t`` the weights (see
    :mod:`matching.training`; the ``training_*`` fields and ``require_training`` count only then).
    Given housing resources, ``s_housing`` is graded by the source of the bed (on site, near
    the offer, near the centre) and its rent (see :mod:`matching.housing`; the ``housing_*``
    fields count only then).
    """

    #: Weight of the métier criterion (> 0: a valid pair always scores above 0).
    weight_metier: float = 0.5
    #: Weight of the distance criterion.
    weight_distance: float = 0.35
    #: Weight of the housing criterion.
    weight_housing: float = 0.15
    #: Métier score of a related métier (same métier: 1; unrelated: excluded).
    related_metier_score: float = 0.5
    #: Distance score at exactly the candidate's maximum distance (1 at distance 0, linear).
    distance_score_at_limit: float = 0.25
    #: Distance score, at least, of an offer with housing for a candidate who accepts to move.
    relocation_distance_score: float = 0.5
    #: Housing score of an offer without a bed for a candidate who needs one.
    no_housing_score: float = 0.1
    #: Exclude, rather than score low, offers without a bed for candidates who need one.
    exclude_without_housing: bool = False
    #: A candidate available at most this many days after the offer's start still fits.
    start_tolerance_days: int = 30
    #: Radii (km) offered to a candidate who has no match within their maximum distance.
    widening_steps_km: tuple[float, ...] = (10, 20, 30, 50, 75, 100, 150, 200)
    #: How many matches the widened radius must bring at least.
    widening_min_results: int = 1
    #: Weight of the training criterion; counts only when the engine is given ``centres``.
    weight_training: float = 0.1
    #: Farthest a training centre counts as reachable from the candidate's home (km).
    training_max_km: float = 60.0
    #: Travel score of a centre at exactly ``training_max_km`` (1 at 0 km, linear; 0 beyond).
    training_score_at_limit: float = 0.25
    #: An intake at most this many days from the offer's start fits fully.
    training_intake_tolerance_days: int = 30
    #: An intake this many days (or more) from the offer's start does not fit at all (~8 months).
    training_intake_zero_days: int = 240
    #: Intake fit when no intake date is known (the centre lists none for the métier).
    training_unknown_intake_score: float = 0.5
    #: For offers without a start: intakes before this day are past (``None``: none are).
    training_reference_date: date | None = None
    #: Factor of the training score of an enrolled candidate's pair when the offer's employer
    #: works with other centres but not with the candidate's.
    training_other_centre_factor: float = 0.5
    #: Exclude, rather than score 0, pairs without a reachable centre (``training`` exclusion).
    require_training: bool = False
    #: Farthest a housing resource counts as near an offer's site (km); counts only when the
    #: engine is given ``housing`` (see :mod:`matching.housing`, as the fields below).
    housing_radius_km: float = 10.0
    #: Housing score of a bed at a resource near the offer (on site: 1), before its cost.
    housing_near_score: float = 0.8
    #: Housing score of a bed at a resource near the pair's training centre only, before its cost.
    housing_far_score: float = 0.5
    #: Rent (€ a month) at which the cost factor reaches its floor (linear from 0 €).
    housing_cost_reference_eur: int = 800
    #: Cost factor of a rent at (or above) the reference: the score is multiplied by it.
    housing_cost_floor: float = 0.75

    def __post_init__(self) -> None:
        for name in ("weight_distance", "weight_housing"):
            _check_number("params", "", name, getattr(self, name), 0)
        _check_number("params", "", "weight_metier", self.weight_metier, 1e-9)
        _check_number("params", "", "related_metier_score", self.related_metier_score, 1e-9, 1)
        for name in ("distance_score_at_limit", "relocation_distance_score", "no_housing_score"):
            _check_number("params", "", name, getattr(self, name), 0, 1)
        _check_bool("params", "", "exclude_without_housing", self.exclude_without_housing)
        _check_int("params", "", "start_tolerance_days", self.start_tolerance_days, 0)
        _check_int("params", "", "widening_min_results", self.widening_min_results, 1)
        steps = tuple(self.widening_steps_km)
        for s in steps:
            _check_number("params", "", "widening_steps_km", s, 0.1, 20_000)
        if list(steps) != sorted(set(steps)):
            raise InvalidInput(
                "must be strictly increasing", record="params", field="widening_steps_km"
            )
        object.__setattr__(self, "widening_steps_km", steps)
        _check_number("params", "", "weight_training", self.weight_training, 0)
        _check_number("params", "", "training_max_km", self.training_max_km, 0.1, 20_000)
        for name in (
            "training_score_at_limit",
            "training_unknown_intake_score",
            "training_other_centre_factor",
        ):
            _check_number("params", "", name, getattr(self, name), 0, 1)
        _check_int(
            "params", "", "training_intake_tolerance_days", self.training_intake_tolerance_days, 0
        )
        _check_int(
            "params",
            "",
            "training_intake_zero_days",
            self.training_intake_zero_days,
            self.training_intake_tolerance_days + 1,
        )
        _check_date("params", "", "training_reference_date", self.training_reference_date)
        _check_bool("params", "", "require_training", self.require_training)
        _check_number("params", "", "housing_radius_km", self.housing_radius_km, 0, 20_000)
        for name in ("housing_near_score", "housing_far_score", "housing_cost_floor"):
            _check_number("params", "", name, getattr(self, name), 0, 1)
        _check_int("params", "", "housing_cost_reference_eur", self.housing_cost_reference_eur, 1)

    @property
    def total_weight(self) -> float:
        """Sum of the three weights (without the training criterion's)."""
        return self.weight_metier + self.weight_distance + self.weight_housing


#: The default parameters.
DEFAULT_PARAMS = Params()


@dataclass(frozen=True)
class Criterion:
    """One criterion of a score: its score in [0, 1], its share of the total, a French reason.

    ``reason`` is written for the candidate; ``fact`` holds what it says as plain values
    (``kind`` and its numbers), from which :func:`matching.reason_text` writes it for any
    reader: the candidate, the employer, a coordinator.
    """

    score: float
    weight: float
    reason: str
    fact: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        out = {
            "score": round(self.score, 4),
            "weight": round(self.weight, 4),
            "reason": self.reason,
        }
        if self.fact:
            out["fact"] = dict(self.fact)
        return out


@dataclass(frozen=True)
class Match:
    """A scored (request, offer) pair with its explanation.

    ``score = Σ criteria[c].weight · criteria[c].score``, in [0, 1] (the weights sum to 1).
    """

    request_id: str
    offer_id: str
    score: float
    distance_km: float
    criteria: Mapping[str, Criterion]
    reasons: tuple[str, ...]
    #: The pair's training centre (given ``centres``); ``None`` when none is known.
    training: TrainingChoice | None = None
    #: Where the candidate would sleep (given ``housing``, for a request that needs housing);
    #: ``None`` when no bed is known. An assignment's is the bed it takes.
    housing: HousingChoice | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (score to 4 decimals, distance to 0.1 km).

        ``training`` is there only when the engine was given centres (``null`` if none fits);
        ``housing`` only when it was given housing resources and the request needs housing
        (``null`` if no bed is known).
        """
        return {"request": self.request_id, "offer": self.offer_id, **self.details()}

    def details(self, criteria: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Any]:
        """Return :meth:`to_dict` without the pair's ids (``request``, ``offer``).

        ``criteria``: the criteria written already (a caller writing many matches may write
        once those that matches share); by default each criterion's :meth:`Criterion.to_dict`.
        """
        if criteria is None:
            criteria = {k: c.to_dict() for k, c in self.criteria.items()}
        out = {
            "score": round(self.score, 4),
            "distance_km": round(self.distance_km, 1),
            "criteria": criteria,
            "reasons": list(self.reasons),
        }
        if "training" in self.criteria:
            out["training"] = None if self.training is None else self.training.to_dict()
        housing = self.criteria.get("housing")
        if housing is not None and housing.fact.get("resources") and housing.fact.get("needed"):
            out["housing"] = None if self.housing is None else self.housing.to_dict()
        return out


@dataclass(frozen=True)
class Exclusion:
    """A pair that a hard constraint rules out: reason keys (see EXCLUSION_REASONS) and texts."""

    request_id: str
    offer_id: str
    reasons: tuple[str, ...]
    messages: tuple[str, ...]
    distance_km: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "request": self.request_id,
            "offer": self.offer_id,
            "reasons": list(self.reasons),
            "messages": list(self.messages),
            "distance_km": round(self.distance_km, 1),
        }


@dataclass(frozen=True)
class Exclusions:
    """How many pairs each hard constraint ruled out, and a few of them.

    Every (request, offer) pair that is not a match counts once, under the first constraint
    it fails in :data:`EXCLUSION_REASONS` order; ``samples`` holds up to three pairs per reason.
    """

    counts: Mapping[str, int]
    samples: Mapping[str, tuple[tuple[str, str], ...]]

    @property
    def total(self) -> int:
        """Number of excluded pairs."""
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "counts": dict(self.counts),
            "samples": {k: [list(p) for p in v] for k, v in self.samples.items()},
        }


@dataclass(frozen=True)
class Suggestions:
    """The best matches both ways, the exclusions, and how far to widen empty searches.

    ``by_request[rid]``: the best offers of request ``rid``, score descending, ties by offer id;
    ``by_offer[oid]``: likewise for requests. Every input id is a key (possibly of an empty
    list). The lists are built on first access: the scoring itself is done in :func:`suggest`.
    ``widening[rid]``: for a request without any match, the radius (one of
    ``Params.widening_steps_km``) that would bring ``Params.widening_min_results`` matches, or
    ``None`` if even the largest step would not.
    """

    by_request: Mapping[str, list[Match]]
    by_offer: Mapping[str, list[Match]]
    excluded: Exclusions
    widening: Mapping[str, float | None]
    top_k: int = 10
    engine_version: str = field(default=ENGINE_VERSION)


@dataclass(frozen=True)
class Assignment:
    """A request placed on an offer; ``rank`` 1 is the candidate's first choice."""

    request_id: str
    offer_id: str
    score: float
    match: Match
    rank: int

    @property
    def choice(self) -> str:
        """The choice rank, in French: « 1er choix parmi les offres compatibles »."""
        choice = "1er choix" if self.rank == 1 else f"{self.rank}e choix"
        return f"{choice} parmi les offres compatibles"

    @property
    def reasons(self) -> tuple[str, ...]:
        """The explanation: the match's reasons, then the choice rank."""
        return (*self.match.reasons, self.choice)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        d = self.match.to_dict()
        d["rank"] = self.rank
        d["reasons"] = list(self.reasons)
        return d


@dataclass(frozen=True)
class Unassigned:
    """A request left without an offer: why (French), and to which requests it lost its choices.

    ``obstacle``: ``"housing"`` when an offer with a place left would have taken it but for
    a free bed (given housing resources: the beds are shared); ``"tutor"`` when it would have
    but for a place of the offer's maître d'apprentissage (given tutors: their places are
    shared by the offers naming them); else ``None``.
    """

    request_id: str
    reason: str
    lost_to: tuple[str, ...] = ()
    compatible: int = 0
    obstacle: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``obstacle`` only when there is one)."""
        out: dict[str, Any] = {
            "request": self.request_id,
            "reason": self.reason,
            "lost_to": list(self.lost_to),
            "compatible": self.compatible,
        }
        if self.obstacle is not None:
            out["obstacle"] = self.obstacle
        return out


@dataclass(frozen=True)
class Allocation:
    """A stable allocation: assignments by request id, unassigned requests by request id.

    Both are read-only sequences; :func:`~matching.allocate` settles every decision, rank, count
    and ``lost_to``, and builds the items (an assignment's :class:`Match` with its criteria and
    French reasons, an unassigned request's reason) when they are first read.
    """

    assignments: Sequence[Assignment]
    unassigned: Sequence[Unassigned]
    engine_version: str = ENGINE_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "assignments": [a.to_dict() for a in self.assignments],
            "unassigned": [u.to_dict() for u in self.unassigned],
        }
