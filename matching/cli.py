"""``python -m matching suggest|allocate``: run the engine on JSON files, print JSON.

The only module of the engine that reads files. By default it loads the referential and the
gazetteer shipped with Passerelle (``data/reference/metiers.json`` and ``communes.csv``, found
without importing the data layer); ``--metiers`` and ``--communes`` take other files, and
``--mappings`` a JSON object of the texts coordinators decided on (``{"text": "code"}``, ``null``
for a text outside the sector), which the resolver then reads as the platform's forms do.

Input files are JSON arrays of records (the interchange format; more fields are ignored):

* offer: ``id`` (string), ``metier`` (code or free text), ``commune`` (INSEE code) or
  ``lat``/``lon``, ``places`` (int >= 0), ``housing_beds`` (int >= 0, default 0),
  ``licence_required`` (bool, default false), ``start`` (ISO date, optional),
  ``night_work`` (bool, default false: never offered to a minor);
* request: ``id`` (string), ``metiers`` (list of codes or free texts), ``commune`` or
  ``lat``/``lon``, ``max_km`` (number), ``needs_housing`` (bool), ``accepts_relocation``,
  ``has_licence`` (bools, default false), ``available_from`` (ISO date, optional),
  ``diploma_level`` (int, optional), ``minor`` (bool, default false: under 18, so never
  offered an offer with night work; the reason ``night`` then appears in the exclusions).

With ``--training T.json``, a JSON array of training centres: ``id`` (string), ``name``,
``commune`` (INSEE code) or ``lat``/``lon``, ``programmes`` (a list of ``{"metier": code or
free text, "intakes": [ISO dates]}``, the programmes by apprenticeship); an offer may then carry
``training_centre`` (its partner centre's id) and ``employer_centres`` (ids of the centres its
employer works with), a request ``training_centre`` (the centre where the candidate is
enrolled). Each suggestion and assignment then has its ``training`` (the centre's ``centre`` id,
``name``, ``commune``, ``distance_km`` from the candidate's home, ``intake``, ``source``; null
when no centre is known) and the ``training`` criterion. Without ``--training`` these fields are
ignored and the output is that of three criteria.

With ``--housing H.json``, a JSON array of housing resources: ``id`` (string), ``name``,
``kind`` (one of ``esms_room``, ``fjt``, ``boarding``, ``student_residence``, ``host_family``,
``intergenerational``, ``social_landlord``, ``other``), ``commune`` (INSEE code) or
``lat``/``lon``, ``beds`` (free beds, int >= 0), ``monthly_cost_eur`` (int >= 0, optional).
Each suggestion and assignment of a request that needs housing then has its ``housing``
(``source``: ``"offer"`` or ``"resource"``, ``resource`` id or null, ``name``, ``kind``,
``distance_km`` from the offer's site, ``monthly_cost_eur``; null when no bed is known); an
assignment's is the bed it takes (beds are shared between the offers near a resource), and an
unassigned request that lost an offer with a place left for want of a bed has
``"obstacle": "housing"``. Without ``--housing`` the output is as before.

With ``--tutors T.json``, a JSON array of maîtres d'apprentissage: ``id`` (string) and
``capacity`` (int >= 0: the apprentices they may still take; by law at most two at a time plus
one repeating, Code du travail R6223-6, less those they already supervise); an offer may then
carry ``tutor`` (the id of its maître d'apprentissage), and every offer naming the same tutor
shares that capacity: ``suggest`` excludes an offer whose tutor has capacity 0 (reason
``tutor`` in the exclusions), ``allocate`` never gives a tutor more apprentices than their
capacity, and an unassigned request that lost an offer with a place left for want of a place
of its tutor has ``"obstacle": "tutor"``. An offer naming a tutor that the file does not
list is bad input. Without ``--tutors`` an offer's ``tutor`` is ignored (its capacity is not
known) and the output is as before, as ``training_centre`` is without ``--training``.

Bad input (malformed JSON, a missing or mistyped field, an unknown commune, duplicate ids...)
prints one message naming the file, the record and the field on stderr, exits with status 2,
and prints nothing on stdout. Free texts that do not resolve to a métier are reported in the
output (``unresolved``, with the nearest métiers as ``suggestions``), never matched; ambiguous
ones are reported too (``ambiguous``).

The output is compact JSON (no spaces, one line); ``--indent N`` indents it by N spaces, for
people. A what-if run of the Ain's size writes tens of megabytes: orjson writes them when it is
installed (compact, or indented by 2), else the standard library (its C encoder when compact),
the same data either way. Each pair listed both ways (in its request's list and its offer's)
is explained and written once, in bulk from the lists' arrays, without a
:class:`~matching.Match` per pair.
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib.util
import itertools
import json
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .allocation import allocate
from .arrays import Bools, IntArray
from .engine import MatchLists, suggest
from .errors import InvalidInput, MatchingError
from .explanations import ListedPairs
from .model import (
    DEFAULT_PARAMS,
    ENGINE_VERSION,
    HOUSING_KINDS,
    Criterion,
    HousingResource,
    Match,
    OfferIn,
    Programme,
    RequestIn,
    Suggestions,
    TrainingCentre,
    Tutor,
)
from .referential import MetierReferential, Resolution

_orjson: ModuleType | None
try:  # the fast encoder, if installed: the engine needs only the standard library
    import orjson as _orjson
except ImportError:  # pragma: no cover - installed with Passerelle
    _orjson = None

__all__ = ["main", "shipped_reference", "load_communes", "load_mappings", "load_referential"]

EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """A message for the user; the command exits with status 2."""


def shipped_reference(name: str) -> Path | None:
    """Return the path of a reference file shipped in the ``data`` package, without importing it."""
    spec = importlib.util.find_spec("data")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "reference" / name
        if path.exists():
            return path
    return None


def load_mappings(ref: MetierReferential, path: Path) -> MetierReferential:
    """Return ``ref`` with the decisions of a mappings file (``{"text": "code" or null}``)."""
    try:
        with path.open(encoding="utf-8") as f:
            mappings = json.load(f)
        if not isinstance(mappings, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in mappings.items()
        ):
            raise BadInput(f"{path}: a JSON object of text -> métier code or null is required")
        return ref.with_mappings(mappings)
    except (OSError, ValueError) as e:
        raise BadInput(f"{path}: cannot read the mappings: {e}") from e


def load_referential(path: Path) -> MetierReferential:
    """Read ``metiers.json`` and build the referential."""
    try:
        with path.open(encoding="utf-8") as f:
            records = json.load(f)["metiers"]
        return MetierReferential.from_records(records)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BadInput(f"{path}: cannot read the métier referential: {e}") from e


@lru_cache(maxsize=4)
def load_communes(path: Path) -> dict[str, tuple[float, float]]:
    """Read the gazetteer: INSEE code -> (latitude, longitude); read once per path."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return {
                row["insee"]: (float(row["latitude"]), float(row["longitude"]))
                for row in csv.DictReader(f)
            }
    except (OSError, ValueError, KeyError) as e:
        raise BadInput(f"{path}: cannot read the communes: {e}") from e


@lru_cache(maxsize=4)
def load_commune_names(path: Path) -> dict[str, str]:
    """Read the gazetteer's names: INSEE code -> name (empty if the file has no names)."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            return {row["insee"]: row.get("name") or "" for row in csv.DictReader(f)}
    except (OSError, ValueError, KeyError) as e:
        raise BadInput(f"{path}: cannot read the communes: {e}") from e


# --- parsing -------------------------------------------------------------------------------------


class _Record:
    """One JSON record being parsed, to name it in messages."""

    def __init__(self, source: str, kind: str, n: int, raw: object) -> None:
        self.source, self.kind, self.n = source, kind, n
        if not isinstance(raw, dict):
            raise BadInput(f"{source}: {kind} #{n}: a JSON object is required")
        self.raw: dict[str, Any] = raw
        ident = raw.get("id")
        self.label = f"{kind} #{n}" + (f' (id "{ident}")' if isinstance(ident, str) else "")

    def fail(self, name: str, message: str) -> BadInput:
        return BadInput(f'{self.source}: {self.label}: field "{name}": {message}')

    def has(self, name: str) -> bool:
        return self.raw.get(name) is not None

    def string(self, name: str) -> str:
        value = self.raw.get(name)
        if value is None:
            raise self.fail(name, "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "must be a non-empty string")
        return value

    def integer(self, name: str, default: int | None = None, minimum: int = 0) -> int:
        value = self.raw.get(name, default)
        if value is None:
            raise self.fail(name, "is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, "must be an integer")
        if value < minimum:
            raise self.fail(name, f"must be >= {minimum}")
        return value

    def number(self, name: str, lo: float, hi: float) -> float:
        value = self.raw.get(name)
        if value is None:
            raise self.fail(name, "is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "must be a number")
        if not math.isfinite(value) or not lo <= value <= hi:
            raise self.fail(name, f"must be between {lo:g} and {hi:g}")
        return float(value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.raw.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def day(self, name: str) -> date | None:
        value = self.raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(name, "must be an ISO date (YYYY-MM-DD)")
        try:
            if len(value) != 10:
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(name, f'"{value}" is not an ISO date (YYYY-MM-DD)') from None

    def place(self, communes: _Communes) -> tuple[float, float]:
        if self.has("lat") or self.has("lon"):
            return self.number("lat", -90, 90), self.number("lon", -180, 180)
        if not self.has("commune"):
            raise self.fail("commune", "is required (or lat and lon)")
        code = self.string("commune")
        where = communes.get(code)
        if where is None:
            raise self.fail("commune", f'unknown INSEE code "{code}"')
        return where


class _Communes:
    """The gazetteer, read on first use only (records with lat/lon do not need it)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._table: dict[str, tuple[float, float]] | None = None

    def get(self, code: str) -> tuple[float, float] | None:
        if self._table is None:
            if self.path is None:
                raise BadInput("the communes gazetteer is not found: pass --communes")
            self._table = load_communes(self.path)
        return self._table.get(code)

    def name(self, code: str) -> str:
        """The commune's name, or its code if the gazetteer has none."""
        if self.path is None:
            return code
        return load_commune_names(self.path).get(code) or code


def _read_array(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: not UTF-8 text: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(
            f"{path}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}"
        ) from e
    if not isinstance(data, list):
        raise BadInput(f"{path}: a JSON array of records is required")
    return data


def _check_ids(records: list[_Record]) -> None:
    seen: dict[str, _Record] = {}
    for rec in records:
        ident = rec.string("id")
        if ident in seen:
            raise rec.fail("id", f"duplicate id (also {seen[ident].kind} #{seen[ident].n})")
        seen[ident] = rec


def _parse(
    offers_path: Path,
    requests_path: Path,
    ref: MetierReferential,
    communes: _Communes,
) -> tuple[list[RequestIn], list[OfferIn], list[dict[str, Any]], list[dict[str, Any]]]:
    raw_offers = [
        _Record(str(offers_path), "offer", n, r) for n, r in enumerate(_read_array(offers_path), 1)
    ]
    raw_requests = [
        _Record(str(requests_path), "request", n, r)
        for n, r in enumerate(_read_array(requests_path), 1)
    ]
    _check_ids(raw_offers)
    _check_ids(raw_requests)
    texts: list[str] = [rec.string("metier") for rec in raw_offers]
    request_texts: list[list[str]] = []
    for rec in raw_requests:
        value = rec.raw.get("metiers")
        if not isinstance(value, list) or not value:
            raise rec.fail("metiers", "must be a non-empty list of strings")
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise rec.fail("metiers", "must be a non-empty list of strings")
        request_texts.append(value)
        texts.extend(value)
    resolved = ref.resolve_many(texts)
    notes = _Notes(ref)
    offers: list[OfferIn] = []
    for rec in raw_offers:
        res = resolved[rec.string("metier")]
        notes.add(rec, "metier", res)
        offer = _offer(rec, res, communes)
        if offer is not None:  # else reported, never matched
            offers.append(offer)
    requests: list[RequestIn] = []
    for rec, values in zip(raw_requests, request_texts, strict=True):
        codes: list[str] = []
        for text in values:
            res = resolved[text]
            notes.add(rec, "metiers", res)
            if res.code is not None and res.code not in codes:
                codes.append(res.code)
        requests.append(_request(rec, tuple(codes), communes))
    return requests, offers, notes.unresolved, notes.ambiguous


class _Notes:
    """The free texts that did not resolve to one métier, for the output."""

    def __init__(self, ref: MetierReferential) -> None:
        self.ref = ref
        self.unresolved: list[dict[str, Any]] = []
        self.ambiguous: list[dict[str, Any]] = []

    def add(self, rec: _Record, field: str, res: Resolution) -> None:
        """Note ``res`` if it is unresolved or ambiguous."""
        if res.code is None:
            self.unresolved.append(
                {
                    "record": rec.label,
                    "field": field,
                    "text": res.text,
                    "suggestions": list(self.ref.suggest(res.text)),
                }
            )
        elif res.ambiguous:
            self.ambiguous.append(
                {
                    "record": rec.label,
                    "field": field,
                    "text": res.text,
                    "code": res.code,
                    "alternatives": list(res.alternatives),
                    "note": res.note,
                }
            )


def _offer(rec: _Record, res: Resolution, communes: _Communes) -> OfferIn | None:
    """The offer of a record whose métier text resolved to ``res`` (None: no métier)."""
    lat, lon = rec.place(communes)
    places = rec.integer("places")
    beds = rec.integer("housing_beds", default=0)
    licence = rec.boolean("licence_required")
    start = rec.day("start")
    night = rec.boolean("night_work")
    if res.code is None:
        return None
    return OfferIn(
        rec.raw["id"], res.code, lat, lon, places, beds, licence, start, night_work=night
    )


def _request(rec: _Record, codes: tuple[str, ...], communes: _Communes) -> RequestIn:
    """The request of a record whose métier texts resolved to ``codes``."""
    lat, lon = rec.place(communes)
    max_km = rec.number("max_km", 0.1, 20_000)
    level = rec.integer("diploma_level", minimum=0) if rec.has("diploma_level") else None
    return RequestIn(
        rec.raw["id"],
        codes,
        lat,
        lon,
        max_km,
        needs_housing=rec.boolean("needs_housing"),
        accepts_relocation=rec.boolean("accepts_relocation"),
        has_licence=rec.boolean("has_licence"),
        available_from=rec.day("available_from"),
        diploma_level=level,
        minor=rec.boolean("minor"),
    )


def _centres(path: Path, ref: MetierReferential, communes: _Communes) -> list[TrainingCentre]:
    """The training centres of ``--training`` (métier texts through the resolver)."""
    records = [_Record(str(path), "centre", n, r) for n, r in enumerate(_read_array(path), 1)]
    _check_ids(records)
    texts: list[str] = []
    for rec in records:
        for prog in _programmes(rec):
            texts.append(_programme_metier(rec, prog))
    resolved = ref.resolve_many(texts)
    centres = []
    for rec in records:
        lat, lon = rec.place(communes)
        name = rec.string("name")
        commune = communes.name(rec.string("commune")) if rec.has("commune") else ""
        programmes = []
        for prog in _programmes(rec):
            text = _programme_metier(rec, prog)
            res = resolved[text]
            if res.code is None:
                raise rec.fail("programmes", f'unknown métier "{text}"')
            intakes = prog.get("intakes", [])
            if not isinstance(intakes, list):
                raise rec.fail("intakes", "must be a list of ISO dates (YYYY-MM-DD)")
            days = tuple(_iso_day(rec, "intakes", v) for v in intakes)
            programmes.append(Programme(res.code, days))
        centres.append(TrainingCentre(rec.raw["id"], name, lat, lon, commune, tuple(programmes)))
    return centres


def _housing(path: Path, communes: _Communes) -> list[HousingResource]:
    """The housing resources of ``--housing``."""
    records = [_Record(str(path), "housing", n, r) for n, r in enumerate(_read_array(path), 1)]
    _check_ids(records)
    out = []
    for rec in records:
        name = rec.string("name")
        kind = rec.string("kind")
        if kind not in HOUSING_KINDS:
            raise rec.fail("kind", f'unknown kind "{kind}" (one of {", ".join(HOUSING_KINDS)})')
        lat, lon = rec.place(communes)
        beds = rec.integer("beds")
        cost = rec.integer("monthly_cost_eur") if rec.has("monthly_cost_eur") else None
        out.append(HousingResource(rec.raw["id"], name, kind, lat, lon, beds, cost))
    return out


def _tutors(path: Path) -> list[Tutor]:
    """The maîtres d'apprentissage of ``--tutors``."""
    records = [_Record(str(path), "tutor", n, r) for n, r in enumerate(_read_array(path), 1)]
    _check_ids(records)
    return [Tutor(rec.raw["id"], rec.integer("capacity")) for rec in records]


def _programmes(rec: _Record) -> list[dict[str, Any]]:
    value = rec.raw.get("programmes", [])
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise rec.fail("programmes", "must be a list of objects")
    return value


def _programme_metier(rec: _Record, prog: dict[str, Any]) -> str:
    text = prog.get("metier")
    if not isinstance(text, str) or not text.strip():
        raise rec.fail("programmes", 'each programme needs a "metier" (non-empty string)')
    return text


def _iso_day(rec: _Record, name: str, value: object) -> date:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise rec.fail(name, f"{json.dumps(value, ensure_ascii=False)} is not an ISO date (YYYY-MM-DD)")


def _centre_ref(rec: _Record, name: str, known: set[str]) -> str | None:
    value = rec.raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise rec.fail(name, "must be a centre id (non-empty string)")
    if value not in known:
        raise rec.fail(name, f'unknown training centre "{value}"')
    return value


def _by_id(path: Path, kind: str) -> dict[object, _Record]:
    """The records of a file (read again, its ids checked already), by id."""
    return {
        rec.raw.get("id"): rec
        for rec in (_Record(str(path), kind, n, r) for n, r in enumerate(_read_array(path), 1))
    }


def _with_tutors(offers_path: Path, offers: list[OfferIn], known: set[str]) -> list[OfferIn]:
    """Offers with the ``tutor`` field of their records (checked against ``known``)."""
    by_offer = _by_id(offers_path, "offer")
    out = []
    for o in offers:
        rec = by_offer[o.id]
        value = rec.raw.get("tutor")
        if value is not None and (not isinstance(value, str) or not value):
            raise rec.fail("tutor", "must be a tutor id (non-empty string)")
        if value is not None and value not in known:
            raise rec.fail("tutor", f'unknown tutor "{value}"')
        out.append(replace(o, tutor=value))
    return out


def _with_centres(
    offers_path: Path,
    requests_path: Path,
    requests: list[RequestIn],
    offers: list[OfferIn],
    known: set[str],
) -> tuple[list[RequestIn], list[OfferIn]]:
    """Offers and requests with the centre fields of their records (checked against ``known``)."""
    by_offer = _by_id(offers_path, "offer")
    by_request = _by_id(requests_path, "request")
    out_offers = []
    for o in offers:
        rec = by_offer[o.id]
        employer = rec.raw.get("employer_centres")
        if employer is None:
            employer = []
        if not isinstance(employer, list) or not all(isinstance(c, str) for c in employer):
            raise rec.fail("employer_centres", "must be a list of centre ids")
        for c in employer:
            if c not in known:
                raise rec.fail("employer_centres", f'unknown training centre "{c}"')
        out_offers.append(
            replace(
                o,
                training_centre=_centre_ref(rec, "training_centre", known),
                employer_centres=tuple(employer),
            )
        )
    out_requests = [
        replace(r, training_centre=_centre_ref(by_request[r.id], "training_centre", known))
        for r in requests
    ]
    return out_requests, out_offers


# --- commands -------------------------------------------------------------------------------------


class _Details:
    """Each pair's JSON-ready details (:meth:`Match.details`), made once however many lists
    show it; criteria that matches share (métier, housing) are written once too."""

    #: Criteria made for each pair (see :func:`matching.explanations.pair_results`): no
    #: other match shares them, so they are not kept.
    OWN = frozenset({"distance", "training"})

    def __init__(self) -> None:
        self._pairs: dict[tuple[str, str], dict[str, Any]] = {}
        self._criteria: dict[int, tuple[Criterion, dict[str, Any]]] = {}

    def of(self, m: Match) -> dict[str, Any]:
        """The details of ``m``'s pair."""
        key = (m.request_id, m.offer_id)
        out = self._pairs.get(key)
        if out is not None:
            return out
        written = {}
        for name, c in m.criteria.items():
            if name in self.OWN:
                written[name] = c.to_dict()
                continue
            hit = self._criteria.get(id(c))
            if hit is None or hit[0] is not c:
                hit = self._criteria[id(c)] = (c, c.to_dict())
            written[name] = hit[1]
        out = self._pairs[key] = m.details(written)
        return out


def _suggestions(s: Suggestions, listed: ListedPairs | None = None) -> dict[str, Any]:
    """The lists of ``s``: by request (each match without its request id), by offer; from
    ``listed``, the same lists as arrays, if given (explained in bulk, no :class:`Match`)."""
    if listed is not None:
        return _listed(listed)
    details = _Details()
    return {
        "requests": {
            rid: [{"offer": m.offer_id, **details.of(m)} for m in s.by_request[rid]]
            for rid in s.by_request
        },
        "offers": {
            oid: [{"request": m.request_id, **details.of(m)} for m in s.by_offer[oid]]
            for oid in s.by_offer
        },
    }


def _listed_pairs(
    s: Suggestions,
    requests: list[RequestIn],
    offers: list[OfferIn],
    ref: MetierReferential,
    centres: list[TrainingCentre] | None,
    housing: list[HousingResource] | None,
    tutors: list[Tutor] | None,
) -> ListedPairs | None:
    """The lists of ``s`` (suggested on these inputs) as arrays, when the engine's lists give
    their pairs without building matches (:meth:`MatchLists.ranked`)."""
    by_request, by_offer = s.by_request, s.by_offer
    if not (isinstance(by_request, MatchLists) and isinstance(by_offer, MatchLists)):
        return None
    return ListedPairs.of(
        requests,
        offers,
        ref,
        DEFAULT_PARAMS,
        by_request.ranked,
        by_offer.ranked,
        centres=centres,
        housing=housing,
        tutors=tutors,
    )


def _listed(listed: ListedPairs) -> dict[str, Any]:
    """:func:`_suggestions` from the lists' arrays: each pair explained once, in bulk."""
    request_ids, offer_ids = listed.requests.ids, listed.offers.ids
    indptr, rows, cols = listed.by_request
    first = listed.details(rows, cols)
    # The pairs of the offers' lists that the requests' lists hold already reuse their details.
    offer_indptr, offer_rows, offer_cols = listed.by_offer
    width = max(1, len(offer_ids))
    held, where = _lookup(rows * width + cols, offer_rows * width + offer_cols)
    fresh = iter(listed.details(offer_rows[~held], offer_cols[~held]))
    second = [
        first[w] if h else next(fresh) for h, w in zip(held.tolist(), where.tolist(), strict=True)
    ]
    return {
        "requests": _side(request_ids, indptr, "offer", offer_ids, cols, first),
        "offers": _side(offer_ids, offer_indptr, "request", request_ids, offer_rows, second),
    }


def _lookup(keys: IntArray, wanted: IntArray) -> tuple[Bools, IntArray]:
    """For each of ``wanted``: whether ``keys`` holds it, and its position there (else 0)."""
    if not len(keys):
        return np.zeros(len(wanted), dtype=bool), np.zeros(len(wanted), dtype=np.intp)
    order = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
    where = order[at]
    held = keys[where] == wanted
    return held, np.where(held, where, 0)


def _side(
    ids: list[str],
    indptr: IntArray,
    other: str,
    other_ids: list[str],
    others: IntArray,
    details: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """One side's lists: each id's pairs ``indptr[n]:indptr[n + 1]``, each with the other
    side's id (key ``other``) first, then its details."""
    of = others.tolist()
    return {
        ids[n]: [{other: other_ids[of[i]], **details[i]} for i in range(a, z)]
        for n, (a, z) in enumerate(itertools.pairwise(indptr.tolist()))
    }


def _run(args: argparse.Namespace) -> dict[str, Any]:
    metiers = args.metiers or shipped_reference("metiers.json")
    if metiers is None:
        raise BadInput("the métier referential is not found: pass --metiers")
    ref = load_referential(Path(metiers))
    if args.mappings:
        ref = load_mappings(ref, Path(args.mappings))
    communes_path = args.communes or shipped_reference("communes.csv")
    communes = _Communes(Path(communes_path) if communes_path else None)
    requests, offers, unresolved, ambiguous = _parse(
        Path(args.offers), Path(args.requests), ref, communes
    )
    centres = None
    if args.training:
        centres = _centres(Path(args.training), ref, communes)
        known = {c.id for c in centres}
        requests, offers = _with_centres(
            Path(args.offers), Path(args.requests), requests, offers, known
        )
    housing = _housing(Path(args.housing), communes) if args.housing else None
    tutors = None
    if args.tutors:
        tutors = _tutors(Path(args.tutors))
        offers = _with_tutors(Path(args.offers), offers, {t.id for t in tutors})
    out: dict[str, Any] = {"engine_version": ENGINE_VERSION}
    if args.command == "suggest":
        s = suggest(
            requests,
            offers,
            ref,
            top_k=args.top,
            centres=centres,
            housing=housing,
            tutors=tutors,
        )
        listed = _listed_pairs(s, requests, offers, ref, centres, housing, tutors)
        out.update(_suggestions(s, listed))
        out["excluded"] = s.excluded.to_dict()
        out["widening"] = dict(s.widening)
    else:
        a = allocate(requests, offers, ref, centres=centres, housing=housing, tutors=tutors)
        out.update(a.to_dict())
    out["unresolved"] = unresolved
    out["ambiguous"] = ambiguous
    return out


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m matching",
        description="Run Passerelle's matching engine on JSON files; print JSON.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("suggest", "best offers of each request and best requests of each offer"),
        ("allocate", "a stable allocation of requests to offers"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--offers", required=True, help="JSON array of offers")
        p.add_argument("--requests", required=True, help="JSON array of requests")
        p.add_argument("--metiers", help="métier referential (default: the shipped one)")
        p.add_argument("--communes", help="communes CSV (default: the shipped one)")
        p.add_argument("--mappings", help="JSON object: text -> métier code (null: outside)")
        p.add_argument(
            "--training",
            metavar="T.json",
            help="JSON array of training centres (id, name, commune or lat/lon, programmes: "
            "[{metier, intakes}]); each pair then gets its centre and the training criterion",
        )
        p.add_argument(
            "--housing",
            metavar="H.json",
            help="JSON array of housing resources (id, name, kind, commune or lat/lon, beds, "
            "monthly_cost_eur); candidates who need housing then get a bed on site or near",
        )
        p.add_argument(
            "--tutors",
            metavar="T.json",
            help="JSON array of maîtres d'apprentissage (id, capacity: the apprentices each "
            'may still take); an offer\'s "tutor" then names one, and the offers naming the '
            "same tutor share the capacity (without --tutors, an offer's tutor is ignored)",
        )
        if name == "suggest":
            p.add_argument("--top", type=_positive, default=10, help="list length (default 10)")
        p.add_argument(
            "--indent",
            type=_positive,
            metavar="N",
            help="indent the JSON by N spaces, for people (default: compact, one line)",
        )
    return parser


def encode(out: Any, indent: int | None = None) -> bytes:
    """Write ``out`` as UTF-8 JSON: compact, or indented by ``indent`` spaces.

    orjson writes it when it is installed (compact, or indented by 2); else the standard
    library's encoder (its C encoder when compact). Both write the same data, and the same text
    but for floats below 1e-4, which orjson writes without an exponent.
    """
    if _orjson is not None and indent in (None, 2):
        data: bytes = _orjson.dumps(out, option=_orjson.OPT_INDENT_2 if indent else 0)
        return data
    if indent:
        text = json.dumps(out, ensure_ascii=False, indent=indent)
    else:
        text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def _write(data: bytes) -> None:
    """Write ``data`` and a newline on stdout, as bytes when stdout has a binary buffer."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8") + "\n")
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.write(b"\n")
    buffer.flush()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the garbage collector: a run makes millions of small objects and no cycles, and
    the collector would rescan them all every few thousand (a third of the run's time). Free
    them before it resumes: its first pass goes through every object made while it slept."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0, or 2 on bad input)."""
    args = build_parser().parse_args(argv)
    with _collector_paused():
        try:
            out = _run(args)
        except (BadInput, InvalidInput) as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except MatchingError as e:  # pragma: no cover - every engine error is an InvalidInput
            print(f"error: {e}", file=sys.stderr)
            return EXIT_BAD_INPUT
        # Whole output first: nothing partial.
        data = encode(out, args.indent)
        # Freed before the collector resumes: its first pass would go through it all.
        del out
        _write(data)
    return 0
