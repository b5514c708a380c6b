"""What a score means, in French: a :class:`Match` with its criteria, or an :class:`Exclusion`.

The numbers come from the kernel (:func:`matching.scoring.kernel`); this module only turns them
into the objects and sentences that people read. The engine builds them lazily, when a caller
first reads a list, so explaining costs nothing until it is needed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .arrays import F64, Bools, IntArray
from .housing import Housing
from .model import (
    DEFAULT_PARAMS,
    EXCLUSION_REASONS,
    HOUSING_KIND_LABELS,
    Criterion,
    Exclusion,
    HousingChoice,
    HousingResource,
    Match,
    OfferIn,
    Params,
    RequestIn,
    TrainingCentre,
    TrainingChoice,
    Tutor,
)
from .referential import MetierReferential
from .scoring import Terms, kernel
from .tables import OfferTable, RequestTable, prepare_tables, score_weights
from .training import Training
from .tutors import Tutors

__all__ = [
    "AUDIENCES",
    "ListedPairs",
    "LEVEL_NAMES",
    "exclusion_message",
    "pair_results",
    "rounded",
    "reason_text",
    "score_pair",
    "score_pairs",
]

#: How a diploma level reads in an exclusion reason.
LEVEL_NAMES = {3: "CAP", 4: "bac", 5: "bac + 2", 6: "bac + 3", 7: "bac + 5", 8: "doctorat"}


#: The months as French dates name them (``data.presentation.formatters`` writes its dates
#: with them too).
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def day_text(d: date) -> str:
    """Write a day the French way.

    >>> day_text(date(2027, 9, 1)), day_text(date(2027, 10, 15))
    ('1er septembre 2027', '15 octobre 2027')
    """
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month - 1]} {d.year}"


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _km(d: float) -> str:
    return "moins de 1 km" if d < 1.0 else f"{max_km_text(float(int(d + 0.5)))} km"


def max_km_text(r: float) -> str:
    """Write a radius in km the French way, without the unit.

    >>> max_km_text(30.0), max_km_text(12.5), max_km_text(1500.0)
    ('30', '12,5', '1\u202f500')
    """
    whole = f"{int(r):,}".replace(",", "\u202f")
    return whole if r == int(r) else f"{r:,.1f}".replace(",", "\u202f").replace(".", ",")


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


#: Who reads a reason: the candidate, the employer of the offer, a coordinator.
AUDIENCES: tuple[str, ...] = ("candidate", "employer", "coordinator")

# The wording of each fact, per audience (the candidate's side is the engine's default).
# ``{label}``: the offer's métier; ``{km}``: a written distance; ``{beds}``: a written number.
_WORDING: dict[str, dict[str, str]] = {
    "metier.same": {
        "candidate": "Même métier : {label}",
        "employer": "Cherche ce métier : {label}",
        "coordinator": "Même métier que la demande : {label}",
    },
    "metier.related": {
        "candidate": "Métier proche : {label}",
        "employer": "Cherche un métier proche de celui-ci : {label}",
        "coordinator": "Métier proche de la demande : {label}",
    },
    "distance": {
        "candidate": "À {km} de votre commune",
        "employer": "Habite à {km} de l'établissement",
        "coordinator": "Établissement à {km} de chez la personne candidate",
    },
    "distance.relocation": {
        "candidate": "À {km} de votre commune, logement sur place",
        "employer": "Habite à {km} de l'établissement, prête à déménager dans le logement proposé",
        "coordinator": "Établissement à {km} de chez la personne candidate, "
        "qui accepte de déménager dans le logement proposé",
    },
    "housing.not_needed": {
        "candidate": "Logement non demandé",
        "employer": "N'a pas besoin de logement",
        "coordinator": "Pas de logement demandé",
    },
    "housing.offered": {
        "candidate": "Logement proposé sur place ({beds})",
        "employer": "A besoin d'un logement : l'établissement en propose ({beds})",
        "coordinator": "Logement demandé, proposé sur place ({beds})",
    },
    "housing.none": {
        "candidate": "Pas de logement proposé",
        "employer": "A besoin d'un logement, que l'établissement ne propose pas",
        "coordinator": "Logement demandé, non proposé",
    },
    # Given housing resources. ``{resource}``: « Foyer de jeunes travailleurs Les Tilleuls »;
    # ``{cost}``: « , 380 € par mois » or nothing.
    "housing.resource": {
        "candidate": "{resource} à {km} de l'établissement{cost}",
        "employer": "A besoin d'un logement : {resource} à {km} de l'établissement{cost}",
        "coordinator": "Logement demandé : {resource} à {km} de l'établissement{cost}",
    },
    "housing.far": {
        "candidate": "{resource} près du centre de formation, à {km} de l'établissement{cost}",
        "employer": "A besoin d'un logement : {resource} près du centre de formation, "
        "à {km} de l'établissement{cost}",
        "coordinator": "Logement demandé : {resource} près du centre de formation, "
        "à {km} de l'établissement{cost}",
    },
    "housing.none_near": {
        "candidate": "Pas de logement sur place ni à moins de {radius} km de l'établissement",
        "employer": "A besoin d'un logement : aucun sur place ni à moins de {radius} km",
        "coordinator": "Logement demandé : aucun sur place ni à moins de {radius} km "
        "de l'établissement",
    },
    # ``{centre}``: « Nom (Commune) »; ``{intake}``: the end of the sentence about the intake.
    "training.enrolled": {
        "candidate": "Formation dans votre centre, {centre}, à {km} de chez vous{intake}",
        "employer": "Inscrit à {centre}, à {km} de son domicile{intake}",
        "coordinator": "Centre de la personne candidate : {centre}, à {km} de son domicile{intake}",
    },
    "training.partner": {
        "candidate": "Formation à {centre}, centre partenaire de l'offre, "
        "{km} de chez vous{intake}",
        "employer": "Formation à {centre}, votre centre partenaire, à {km} du domicile "
        "de la personne candidate{intake}",
        "coordinator": "Formation à {centre}, centre partenaire de l'offre, à {km} du domicile "
        "de la personne candidate{intake}",
    },
    "training.nearest": {
        "candidate": "Formation à {centre}, {km} de chez vous{intake}",
        "employer": "Formation à {centre}, à {km} du domicile de la personne candidate{intake}",
        "coordinator": "Formation à {centre}, à {km} du domicile de la personne candidate{intake}",
    },
    "training.none": {
        "candidate": "Aucun centre connu ne prépare ce diplôme à moins de {max_km} km",
        "employer": "Aucun centre connu ne prépare ce diplôme à moins de {max_km} km "
        "du domicile de la personne candidate",
        "coordinator": "Aucun centre connu ne prépare ce diplôme à moins de {max_km} km "
        "du domicile de la personne candidate",
    },
}

#: What a training reason says of the intake: a date, none known, or no such programme.
_INTAKE: dict[str, str] = {
    "date": ", rentrée le {day}",
    "unknown": ", date de rentrée non connue",
    "no_programme": " (le centre ne déclare pas préparer ce diplôme)",
}
#: Appended when the offer's employer works with other centres than the candidate's.
_OTHER_CENTRE = {
    "candidate": " ; l'employeur travaille avec un autre centre",
    "employer": " ; vous travaillez avec un autre centre",
    "coordinator": " ; l'employeur travaille avec un autre centre",
}


def _places(n: int) -> str:
    return f"{n} place" if n == 1 else f"{n} places"


def reason_text(
    fact: Mapping[str, Any],
    audience: str = "candidate",
    *,
    km: Callable[[float], str] = _km,
    places: Callable[[int], str] = _places,
) -> str:
    """Write one fact of a match (a criterion's ``fact``) for its reader, in French.

    ``km`` and ``places`` write a distance and a number of beds: the caller may pass its
    own (the pages' French formatters); the defaults write whole kilometres.

    >>> fact = {"kind": "distance", "km": 31.6, "relocation": False}
    >>> reason_text(fact), reason_text(fact, "employer"), reason_text(fact, "coordinator")
    ('À 32 km de votre commune', "Habite à 32 km de l'établissement", \
'Établissement à 32 km de chez la personne candidate')
    >>> reason_text({"kind": "housing", "needed": True, "beds": 2})
    'Logement proposé sur place (2 places)'
    >>> reason_text({"kind": "housing", "needed": True, "beds": 0, "resources": True,
    ...     "source": "resource", "name": "Les Tilleuls", "resource_kind": "fjt", "km": 2.2,
    ...     "cost": 380, "near": True})
    "Foyer de jeunes travailleurs Les Tilleuls à 2 km de l'établissement, 380 € par mois"
    >>> fact = {"kind": "training", "source": "nearest", "name": "IFAS de Bourg",
    ...         "commune": "Bourg-en-Bresse", "km": 12.2, "intake": "2027-01-05"}
    >>> reason_text(fact)
    'Formation à IFAS de Bourg (Bourg-en-Bresse), 12 km de chez vous, rentrée le 5 janvier 2027'
    >>> reason_text({"kind": "training", "source": None, "max_km": 60.0}, "employer")
    'Aucun centre connu ne prépare ce diplôme à moins de 60 km du domicile de la personne \
candidate'
    """
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience: {audience!r}")
    kind = fact.get("kind")
    if kind == "metier":
        key = "metier.same" if fact.get("same") else "metier.related"
    elif kind == "distance":
        key = "distance.relocation" if fact.get("relocation") else "distance"
    elif kind == "housing":
        beds = int(fact.get("beds", 0))
        if not fact.get("needed"):
            key = "housing.not_needed"
        elif fact.get("resources") and fact.get("source") != "offer":
            return _housing_text(fact, audience, km)
        else:
            key = "housing.offered" if beds > 0 else "housing.none"
    elif kind == "training":
        return _training_text(fact, audience, km)
    else:
        raise ValueError(f"unknown fact: {kind!r}")
    text = _WORDING[key][audience].format(
        label=fact.get("label", ""),
        km=km(float(fact.get("km", 0.0))),
        beds=places(int(fact.get("beds", 0))),
    )
    return _capitalise(text)


#: First words of a name that already says what kind of housing it is (then said alone).
_HOUSING_WORDS = frozenset(
    "appartement chambre cohabitation foyer hébergement internat logement logements maison "
    "résidence studio studios".split()
)


def housing_name(kind: str, name: str) -> str:
    """Name a housing resource in a reason: its kind, then its name, unless the name says it.

    >>> housing_name("fjt", "Les Tilleuls")
    'Foyer de jeunes travailleurs Les Tilleuls'
    >>> housing_name("boarding", "Internat du lycée de Gex")
    'Internat du lycée de Gex'
    >>> housing_name("fjt", "Résidence habitat jeunes du Bugey")
    'Résidence habitat jeunes du Bugey'
    """
    label = HOUSING_KIND_LABELS.get(kind, "Logement")
    first = name.split()[0].casefold() if name.split() else ""
    return name if first in _HOUSING_WORDS else f"{label} {name}".strip()


def _housing_text(fact: Mapping[str, Any], audience: str, km: Callable[[float], str]) -> str:
    """A housing reason given resources: the resource the pair uses, or none near."""
    if fact.get("source") is None:
        radius = max_km_text(float(fact.get("radius_km", 0.0)))
        return _capitalise(_WORDING["housing.none_near"][audience].format(radius=radius))
    resource = housing_name(str(fact.get("resource_kind")), str(fact.get("name", "")))
    cost = fact.get("cost")
    said = "" if cost is None else f", {max_km_text(float(cost))} € par mois"
    key = "housing.resource" if fact.get("near", True) else "housing.far"
    text = _WORDING[key][audience].format(
        resource=resource, km=km(float(fact.get("km", 0.0))), cost=said
    )
    return _capitalise(text)


def _training_text(fact: Mapping[str, Any], audience: str, km: Callable[[float], str]) -> str:
    source = fact.get("source")
    if source is None:
        text = _WORDING["training.none"][audience].format(
            max_km=max_km_text(float(fact.get("max_km", 0.0)))
        )
        return _capitalise(text)
    name, commune = str(fact.get("name", "")), str(fact.get("commune", ""))
    centre = f"{name} ({commune})" if commune else name
    intake = fact.get("intake")
    if intake:
        said = _INTAKE["date"].format(day=day_text(date.fromisoformat(str(intake))))
    elif fact.get("programme", True):
        said = _INTAKE["unknown"]
    else:
        said = _INTAKE["no_programme"]
    text = _WORDING[f"training.{source}"][audience].format(
        centre=centre, km=km(float(fact.get("km", 0.0))), intake=said
    )
    if fact.get("other_centre"):
        text += _OTHER_CENTRE[audience]
    return _capitalise(text)


def _metier_fact(label: str, s_metier: float) -> dict[str, Any]:
    """The fact behind a match's métier criterion: what :func:`reason_text` writes."""
    return {"kind": "metier", "same": s_metier >= 1.0, "label": label}


def _housing_base(needed: bool, beds: int) -> dict[str, Any]:
    """The fact behind a match's housing criterion, before any housing resource."""
    return {"kind": "housing", "needed": needed, "beds": beds}


def exclusion_message(
    reason: str,
    req: RequestIn,
    off: OfferIn,
    ref: MetierReferential,
    d: float,
    params: Params = DEFAULT_PARAMS,
    *,
    resources: bool = False,
) -> str:
    """Return the French text of one exclusion reason for a pair (``resources``: the engine
    was given housing resources, so a bed near the offer would have done)."""
    if reason == "metier":
        return "Métier différent"
    if reason == "places":
        return "Plus de place"
    if reason == "tutor":
        return (
            "Maître d'apprentissage sans place : il encadre déjà le nombre d'apprentis "
            "que la loi permet"
        )
    if reason == "distance":
        return f"Trop loin ({_km(d)} pour {max_km_text(req.max_km)} km maximum)"
    if reason == "diploma":
        level = ref.entry_level_min(off.metier)
        return f"Niveau {LEVEL_NAMES.get(level, str(level))} requis pour cette formation"
    if reason == "licence":
        return "Permis B exigé"
    if reason == "night":
        return "Travail de nuit : interdit aux mineurs"
    if reason == "date":
        start = off.start or date.min
        return f"Disponible trop tard (après le {day_text(start)})"
    if reason == "housing":
        if resources:
            radius = max_km_text(params.housing_radius_km)
            return f"Pas de logement sur place ni à moins de {radius} km"
        return "Pas de logement proposé"
    if reason == "training":
        return f"Aucun centre de formation à moins de {max_km_text(params.training_max_km)} km"
    raise ValueError(reason)


def _fails(k: Terms, offers: OfferTable, cols: IntArray) -> tuple[dict[str, Bools], Bools]:
    """The pairs failing each hard constraint (in :data:`EXCLUSION_REASONS` order), and those
    failing any."""
    fails: dict[str, Bools] = {
        "metier": ~k.compat,
        # An offer whose tutor is full has no place left in the table: its reason is "tutor".
        "places": ~offers.has_place[cols]
        if offers.tutor_full is None
        else ~offers.has_place[cols] & ~offers.tutor_full[cols],
        "tutor": (
            np.zeros(len(cols), dtype=bool)
            if offers.tutor_full is None
            else offers.tutor_full[cols]
        ),
        "distance": ~k.within if k.eligible is None else (~k.within & ~k.eligible),
    }
    zeros = np.zeros(len(cols), dtype=bool)
    fails["diploma"] = zeros if k.f_diploma is None else k.f_diploma
    fails["licence"] = zeros if k.f_licence is None else k.f_licence
    fails["night"] = zeros if k.f_night is None else k.f_night
    fails["date"] = zeros if k.f_date is None else k.f_date
    fails["housing"] = zeros if k.f_housing is None else k.f_housing
    fails["training"] = zeros if k.f_training is None else k.f_training
    bad = np.zeros(len(cols), dtype=bool)
    for mask in fails.values():
        bad |= mask
    return fails, bad


def pair_results(
    requests: RequestTable,
    rows: IntArray,
    offers: OfferTable,
    cols: IntArray,
    ref: MetierReferential,
    params: Params,
    training: Training | None = None,
    *,
    housing: Housing | None = None,
    taken: tuple[IntArray, Bools] | None = None,
) -> list[Match | Exclusion]:
    """Evaluate a list of pairs and explain each one: a Match or an Exclusion.

    ``housing``: the housing resources (``offers`` is then ``housing.table``); ``taken``: the
    bed each pair takes (resource position, -1 on site, -2 its own best; far or not), for
    assignments: their housing criterion and score are then those of that bed.
    """
    if len(rows) == 0:
        return []
    picked = None if training is None else training.pairs(rows, cols)
    sources = None if housing is None else _Sources(housing, requests, rows, cols, training, taken)
    k = kernel(
        requests,
        rows,
        offers,
        cols,
        params,
        block=False,
        training=training,
        picked=picked,
        housing=housing,
        s_housing_given=None if sources is None else sources.given,
    )
    fails, bad = _fails(k, offers, cols)
    scores = k.score
    eligible = (np.zeros(len(rows), dtype=bool) if k.eligible is None else k.eligible).tolist()
    a_m, a_d, a_h = score_weights(params) if training is None else training.shares
    a_t = 0.0 if training is None else training.a_t
    labels = {
        c: _lower_first(ref.label(c)) for c in {offers.items[j].metier for j in cols.tolist()}
    }
    d_l, sm_l, t_l = k.d.tolist(), k.s_metier.tolist(), k.t.tolist()
    sh_l, sc_l = k.s_housing.tolist(), scores.tolist()
    out: list[Match | Exclusion] = []
    # Criteria are immutable, and those of the métier and housing take a few values: each is
    # made once and shared. A distance's reason depends on its whole kilometres only: each is
    # written once. The objects made here hold no reference cycles: the collector is paused
    # while they are made (it would rescan a large heap every few hundred objects).
    shared: dict[tuple[object, ...], Criterion] = {}
    distance_reasons: dict[tuple[bool, int], str] = {}
    resources = sources is not None
    paused = gc.isenabled()
    gc.disable()
    try:
        for n, (i, j, is_bad) in enumerate(
            zip(rows.tolist(), cols.tolist(), bad.tolist(), strict=True)
        ):
            req, off = requests.items[i], offers.items[j]
            d = d_l[n]
            if is_bad:
                failed = tuple(reason for reason in EXCLUSION_REASONS if fails[reason][n])
                messages = tuple(
                    exclusion_message(f, req, off, ref, d, params, resources=resources)
                    for f in failed
                )
                out.append(Exclusion(req.id, off.id, failed, messages, d))
                continue
            s_metier, needed = sm_l[n], req.needs_housing
            m_key = ("metier", s_metier, off.metier)
            metier = shared.get(m_key)
            if metier is None:
                m_fact = _metier_fact(labels[off.metier], s_metier)
                metier = shared[m_key] = Criterion(s_metier, a_m, reason_text(m_fact), m_fact)
            relocation = bool(eligible[n] and d > req.max_km)
            d_fact = {"kind": "distance", "km": d, "relocation": relocation}
            d_key = (relocation, -1 if d < 1.0 else int(d + 0.5))
            d_reason = distance_reasons.get(d_key)
            if d_reason is None:
                d_reason = distance_reasons[d_key] = reason_text(d_fact)
            distance = Criterion(1.0 - t_l[n], a_d, d_reason, d_fact)
            housed = None
            if sources is None:
                h_key: tuple[object, ...] = ("housing", sh_l[n], needed, off.housing_beds)
                lodging = shared.get(h_key)
                if lodging is None:
                    h_fact = _housing_base(needed, off.housing_beds)
                    lodging = shared[h_key] = Criterion(sh_l[n], a_h, reason_text(h_fact), h_fact)
            else:
                housed = sources.choice(n, j) if needed else None
                h_fact = _housing_fact(_housing_base(needed, off.housing_beds), housed, params)
                h_key = ("housing", sh_l[n], *sorted(h_fact.items()))
                lodging = shared.get(h_key) or shared.setdefault(
                    h_key, Criterion(sh_l[n], a_h, reason_text(h_fact), h_fact)
                )
            criteria = {"metier": metier, "distance": distance, "housing": lodging}
            reasons = (
                (metier.reason, d_reason, lodging.reason) if needed else (metier.reason, d_reason)
            )
            choice = None
            if training is not None and picked is not None:
                choice = training.choice(picked, n)
                t_fact = _training_fact(training, picked, n, choice, off, params)
                criteria["training"] = Criterion(
                    float(picked.score[n]), a_t, reason_text(t_fact), t_fact
                )
                reasons = (*reasons, criteria["training"].reason)
            out.append(Match(req.id, off.id, sc_l[n], d, criteria, reasons, choice, housed))
    finally:
        if paused:
            gc.enable()
    return out


@dataclass(frozen=True, eq=False)
class ListedPairs:
    """The pairs of :func:`matching.suggest`'s lists as arrays, to explain them in bulk
    (:meth:`details`); made by :meth:`of`.

    ``by_request``, ``by_offer``: ``(indptr, rows, cols)``; the list of the i-th request
    (offer) of the tables (sorted by id) is its pairs ``indptr[i]:indptr[i + 1]``, ``rows``
    and ``cols`` their positions in ``requests`` and ``offers``, in the list's order.
    """

    requests: RequestTable
    offers: OfferTable
    by_request: tuple[IntArray, IntArray, IntArray]
    by_offer: tuple[IntArray, IntArray, IntArray]
    referential: MetierReferential
    params: Params
    training: Training | None = None
    housing: Housing | None = None

    @classmethod
    def of(
        cls,
        requests: Sequence[RequestIn],
        offers: Sequence[OfferIn],
        referential: MetierReferential,
        params: Params,
        by_request: Callable[[str], Sequence[tuple[str, float]]],
        by_offer: Callable[[str], Sequence[tuple[str, float]]],
        *,
        centres: Sequence[TrainingCentre] | None = None,
        housing: Sequence[HousingResource] | None = None,
        tutors: Sequence[Tutor] | None = None,
    ) -> ListedPairs:
        """The lists of a :func:`matching.suggest` run on these inputs: ``by_request(id)``
        (``by_offer(id)``) gives a request's (an offer's) list as (other id, score) pairs, in
        order (:meth:`matching.MatchLists.ranked`). The tables are made again, as ``suggest``
        makes them (a few milliseconds), so that no :class:`Match` is needed."""
        request_table, offer_table, training, beds = scoring_tables(
            requests, offers, referential, params, centres, housing, tutors
        )
        request_at = {i: n for n, i in enumerate(request_table.ids)}
        offer_at = {i: n for n, i in enumerate(offer_table.ids)}
        indptr, rows, cols = _positions(by_request, request_table.ids, offer_at)
        offer_indptr, offer_cols, offer_rows = _positions(by_offer, offer_table.ids, request_at)
        return cls(
            request_table,
            offer_table,
            (indptr, rows, cols),
            (offer_indptr, offer_rows, offer_cols),
            referential,
            params,
            training,
            beds,
        )

    def details(self, rows: IntArray, cols: IntArray) -> list[dict[str, Any]]:
        """Explain pairs (positions in the tables) as JSON-ready dicts: each that of
        :meth:`Match.details` of the pair's :func:`pair_results` (same keys, values, order).

        Without centres and housing resources (the criteria métier, distance, housing) no
        :class:`Match` is made: the numbers are rounded on arrays, the criteria of the métier
        and housing written once per value and shared between the dicts (read them, do not
        change them), each distance's reason once per whole kilometre. Otherwise, and if some
        pair is excluded (its dict is then the :class:`Exclusion`'s), each is
        ``pair_results``'s.
        """
        requests, offers, ref, params = self.requests, self.offers, self.referential, self.params
        if len(rows) == 0:
            return []
        if self.training is None and self.housing is None:
            k = kernel(requests, rows, offers, cols, params, block=False)
            _, bad = _fails(k, offers, cols)
            if not bad.any():
                return _plain_details(self, rows, cols, k)
        explained = pair_results(
            requests, rows, offers, cols, ref, params, self.training, housing=self.housing
        )
        return [
            m.details() if isinstance(m, Match) else _without_ids(m.to_dict()) for m in explained
        ]


def _positions(
    ranked: Callable[[str], Sequence[tuple[str, float]]], keys: list[str], at: dict[str, int]
) -> tuple[IntArray, IntArray, IntArray]:
    """(indptr, key positions, other positions) of the lists of ``keys``."""
    lists = [ranked(key) for key in keys]
    counts = np.fromiter(map(len, lists), dtype=np.intp, count=len(lists))
    indptr = np.zeros(len(keys) + 1, dtype=np.intp)
    np.cumsum(counts, out=indptr[1:])
    own = np.repeat(np.arange(len(keys), dtype=np.intp), counts)
    other = np.fromiter(
        (at[i] for pairs in lists for i, _ in pairs), dtype=np.intp, count=int(indptr[-1])
    )
    return indptr, own, other


def _without_ids(out: dict[str, Any]) -> dict[str, Any]:
    del out["request"], out["offer"]
    return out


def rounded(x: F64, digits: int) -> list[float]:
    """``[round(v, digits) for v in x]``, on the array: the same floats, bit for bit.

    ``rint(x * 10**digits) / 10**digits`` is the float nearest to the correctly rounded
    decimal, which is what :func:`round` gives, unless the product's own rounding error moved
    it across a half: there (products within 1e-6 of a half, or too large for that error to be
    smaller) :func:`round` decides.

    >>> rounded(np.array([0.12345, 2.675, 1.0 / 3.0, 0.0]), 2)
    [0.12, 2.67, 0.33, 0.0]
    """
    scale = 10.0**digits
    p = x * scale
    out: list[float] = (np.rint(p) / scale).tolist()
    doubtful = (np.abs(p - np.floor(p) - 0.5) < 1e-6) | ~(np.abs(p) < 1e9)
    for n in np.flatnonzero(doubtful).tolist():
        out[n] = round(float(x[n]), digits)
    return out


def _plain_details(
    listed: ListedPairs, rows: IntArray, cols: IntArray, k: Terms
) -> list[dict[str, Any]]:
    """The details of pairs that all match, three criteria (see :meth:`ListedPairs.details`)."""
    requests, offers, ref, params = (
        listed.requests,
        listed.offers,
        listed.referential,
        listed.params,
    )
    a_m, a_d, a_h = score_weights(params)
    w_m, w_d, w_h = round(a_m, 4), round(a_d, 4), round(a_h, 4)
    eligible = (np.zeros(len(rows), dtype=bool) if k.eligible is None else k.eligible) & (
        k.d > requests.max_km[rows]
    )
    whole_km = np.where(k.d < 1.0, -1, (k.d + 0.5).astype(np.int64))
    needs = requests.needs_housing[rows]
    items = [offers.items[j] for j in cols.tolist()]
    metier_criteria: dict[tuple[str, float], dict[str, Any]] = {}
    housing_criteria: dict[tuple[bool, int, float], dict[str, Any]] = {}
    distance_reasons: dict[tuple[bool, int], str] = {}
    out: list[dict[str, Any]] = []
    paused = gc.isenabled()
    gc.disable()
    try:
        for off, s_metier, needed, s_housing, km_key, moves, d, s_distance, score, dk in zip(
            items,
            k.s_metier.tolist(),
            needs.tolist(),
            k.s_housing.tolist(),
            whole_km.tolist(),
            eligible.tolist(),
            k.d.tolist(),
            rounded(1.0 - k.t, 4),
            rounded(k.score, 4),
            rounded(k.d, 1),
            strict=True,
        ):
            code, n_beds = off.metier, off.housing_beds
            metier = metier_criteria.get((code, s_metier))
            if metier is None:
                fact = _metier_fact(_lower_first(ref.label(code)), s_metier)
                metier = metier_criteria[code, s_metier] = {
                    "score": round(s_metier, 4),
                    "weight": w_m,
                    "reason": reason_text(fact),
                    "fact": fact,
                }
            lodging = housing_criteria.get((needed, n_beds, s_housing))
            if lodging is None:
                fact = _housing_base(needed, n_beds)
                lodging = housing_criteria[needed, n_beds, s_housing] = {
                    "score": round(s_housing, 4),
                    "weight": w_h,
                    "reason": reason_text(fact),
                    "fact": fact,
                }
            fact = {"kind": "distance", "km": d, "relocation": moves}
            reason = distance_reasons.get((moves, km_key))
            if reason is None:
                reason = distance_reasons[moves, km_key] = reason_text(fact)
            out.append(
                {
                    "score": score,
                    "distance_km": dk,
                    "criteria": {
                        "metier": metier,
                        "distance": {
                            "score": s_distance,
                            "weight": w_d,
                            "reason": reason,
                            "fact": fact,
                        },
                        "housing": lodging,
                    },
                    "reasons": [metier["reason"], reason, lodging["reason"]]
                    if needed
                    else [metier["reason"], reason],
                }
            )
    finally:
        if paused:
            gc.enable()
    return out


class _Sources:
    """The housing source of each pair of a list (given resources): its own best, or the
    bed it takes (``taken``), and the housing criterion of the latter (NaN: its own)."""

    def __init__(
        self,
        housing: Housing,
        requests: RequestTable,
        rows: IntArray,
        cols: IntArray,
        training: Training | None,
        taken: tuple[IntArray, Bools] | None,
    ) -> None:
        self.housing = housing
        n = len(rows)
        self.far_res = np.full(n, -1, dtype=np.intp)
        far = housing.far_pairs(requests, rows, cols, training)
        if far is not None:
            self.far_res[far[1]] = far[0].resource
        self.taken = taken
        self.given: F64 | None = None
        if taken is not None:
            res, is_far = taken
            given = np.full(n, np.nan)
            given[res == -1] = 1.0
            some = np.flatnonzero(res >= 0)
            given[some] = np.where(
                is_far[some], housing.far_grade[res[some]], housing.near_grade[res[some]]
            )
            self.given = given

    def choice(self, n: int, col: int) -> HousingChoice | None:
        """The source of pair ``n`` (offer ``col``), or None."""
        if self.taken is not None and int(self.taken[0][n]) != -2:
            res = int(self.taken[0][n])
            return self.housing.choice(col, res, far=bool(self.taken[1][n]))
        own = self.housing.choice(col)
        if own is not None:
            return own
        res = int(self.far_res[n])
        return None if res < 0 else self.housing.choice(col, res, far=True)


def _housing_fact(
    base: dict[str, Any], housed: HousingChoice | None, params: Params
) -> dict[str, Any]:
    """The fact behind a housing criterion given resources (see :func:`reason_text`)."""
    fact = {**base, "resources": True}
    if not base["needed"]:
        return fact
    if housed is None:
        return {**fact, "source": None, "radius_km": params.housing_radius_km}
    return {
        **fact,
        "source": housed.source,
        "resource": housed.resource_id,
        "name": housed.name,
        "resource_kind": housed.kind,
        "km": housed.distance_km,
        "cost": housed.monthly_cost_eur,
        "near": housed.near,
    }


def _training_fact(
    training: Training,
    picked: Any,
    n: int,
    choice: TrainingChoice | None,
    off: OfferIn,
    params: Params,
) -> dict[str, Any]:
    """The fact behind a match's training criterion (see :func:`reason_text`)."""
    if choice is None:
        return {"kind": "training", "source": None, "max_km": params.training_max_km}
    return {
        "kind": "training",
        "source": choice.source,
        "centre": choice.centre_id,
        "name": choice.name,
        "commune": choice.commune,
        "km": choice.distance_km,
        "intake": None if choice.intake is None else choice.intake.isoformat(),
        "programme": training.prepares(int(picked.centre[n]), off.metier),
        "other_centre": bool(picked.other[n]),
    }


def score_pairs(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    pairs: Sequence[tuple[str, str]],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
    *,
    centres: Sequence[TrainingCentre] | None = None,
    housing: Sequence[HousingResource] | None = None,
    tutors: Sequence[Tutor] | None = None,
) -> list[Match | Exclusion]:
    """Score chosen pairs (request id, offer id) at once: :func:`score_pair` for each, in order.

    For pairs known already, whose numbers must follow the request and the engine (a pair a
    coordinator decided on keeps being explained with the request's current distance).
    Raises :class:`KeyError` for an id that is not in the inputs.
    """
    request_table, table, training, beds = scoring_tables(
        requests, offers, referential, params, centres, housing, tutors
    )
    row_of = {rid: i for i, rid in enumerate(request_table.ids)}
    col_of = {oid: j for j, oid in enumerate(table.ids)}
    rows = np.fromiter((row_of[r] for r, _ in pairs), dtype=np.intp, count=len(pairs))
    cols = np.fromiter((col_of[o] for _, o in pairs), dtype=np.intp, count=len(pairs))
    return pair_results(
        request_table, rows, table, cols, referential, params, training, housing=beds
    )


def scoring_tables(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params,
    centres: Sequence[TrainingCentre] | None,
    housing: Sequence[HousingResource] | None,
    tutors: Sequence[Tutor] | None,
) -> tuple[RequestTable, OfferTable, Training | None, Housing | None]:
    """The tables the engine scores: requests, offers (the housing's table given resources),
    the centres and the housing resources. The one way they are made, for :func:`matching.suggest`,
    :func:`score_pairs` and the command line's explanations."""
    request_table, offer_table = prepare_tables(requests, offers, referential, params)
    if tutors is not None:
        offer_table = Tutors(tutors, offer_table).table
    training = _training(centres, request_table, offer_table, referential, params)
    beds = None if housing is None else Housing(housing, offer_table, params)
    return request_table, offer_table if beds is None else beds.table, training, beds


def _training(
    centres: Sequence[TrainingCentre] | None,
    requests: RequestTable,
    offers: OfferTable,
    referential: MetierReferential,
    params: Params,
) -> Training | None:
    if centres is None:
        return None
    return Training(centres, requests, offers, referential, params)


def score_pair(
    request: RequestIn,
    offer: OfferIn,
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
    *,
    centres: Sequence[TrainingCentre] | None = None,
    housing: Sequence[HousingResource] | None = None,
    tutors: Sequence[Tutor] | None = None,
) -> Match | Exclusion:
    """Score one pair: a :class:`Match` with its criteria, or the :class:`Exclusion` ruling it out.

    The numbers are bit-identical to those :func:`matching.suggest` gives the same pair (with
    the same ``centres``, ``housing`` and ``tutors``).
    """
    requests = RequestTable.build([request], referential, params)
    offers = OfferTable.build([offer], referential, params)
    if tutors is not None:
        offers = Tutors(tutors, offers).table
    training = _training(centres, requests, offers, referential, params)
    beds = None if housing is None else Housing(housing, offers, params)
    table = offers if beds is None else beds.table
    zero = np.zeros(1, dtype=np.intp)
    return pair_results(requests, zero, table, zero, referential, params, training, housing=beds)[0]
