"""Incremental re-matching: when an offer or a request changes, update only what it touches.

The suggestions table holds the union of the engine's top-k lists both ways
(:mod:`data.recompute`), and each pair says which lists hold it (``in_request_list``,
``in_offer_list``). When one offer X changes (edited, published, closed, a place filled), the
scores that move are X's own, with every request: so X's own list is computed again (X against
the requests that could reach it), and each request's list changes only where X enters, moves or
leaves it. A request's list is then merged from what is stored, without the engine:

* X was not in it: X enters if it now beats the last one (which then leaves), or fills a list
  shorter than k (a short list holds every valid offer of the request);
* X was in it: X moves to its new place if it still beats what was last (every offer outside the
  list ranks below the last one), or the list was short; otherwise the next offer in line is not
  known, and that request's list is computed again by the engine (against the offers in its reach).

The lists of the other offers do not change: their scores with every request are the same. A
changed request is the mirror image. Changes are handled one after the other, each on the state
the previous one left, so a batch (the re-matching job's changes since its last run) ends where
a full recomputation would: the property test in ``tests/data/test_incremental.py`` checks it
after random sequences of changes, against :func:`data.recompute.recompute_suggestions`.

What the engine reads besides offers and requests (training centres, housing resources, the
maîtres d'apprentissage's capacities, an employer's centres, the referential) changes every
pair: such changes go to the full recomputation (the job's, or the nightly one), as does a
deleted row (its pairs go with it, and with them what says which lists held it).

Reads are plain rows, in the transaction of the change; nothing is read that the change cannot
touch: the other side's records that could reach X (a compatible métier, within the largest
radius that could apply, or accepting to move) and the stored pairs of the lists it touches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from data.models import (
    Commune,
    Offer,
    Request,
    RequestMetier,
    Site,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
    utcnow,
)
from data.recompute import (
    RECOMPUTE_LOCK_KEY,
    centre_inputs,
    engine_id,
    housing_inputs,
    match_values,
    named_masters,
    read_offers,
    read_requests,
    shipped_referential,
    tutor_inputs,
)
from matching import (
    HousingResource,
    Match,
    MetierReferential,
    OfferIn,
    Params,
    RequestIn,
    Suggestions,
    TrainingCentre,
    score_pairs,
    suggest,
)

__all__ = ["IncrementalReport", "rematch_changed", "try_turn"]

_CHUNK = 500  # ids per IN (...) clause
#: Kilometres per degree of latitude, rounded down (the shortest is 110.57 km, at the equator).
_KM_PER_DEGREE_LAT = 110.0
#: Kilometres per degree of longitude at latitude 0, rounded down (111.32 km).
_KM_PER_DEGREE_LON = 111.0
#: Extra room around every box (km): rounding, and the chord against the ellipsoid's arc.
_MARGIN_KM = 2.0


@dataclass
class IncrementalReport:
    """What an incremental run did: changes handled, rows created, updated, made stale, and
    lists the engine computed again because a pair left them (the next in line unknown)."""

    offers: int = 0
    requests: int = 0
    created: int = 0
    updated: int = 0
    staled: int = 0
    recomputed_lists: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "offers": self.offers,
            "requests": self.requests,
            "created": self.created,
            "updated": self.updated,
            "staled": self.staled,
            "recomputed_lists": self.recomputed_lists,
        }


def try_turn(session: Session, key: int = RECOMPUTE_LOCK_KEY) -> bool:
    """PostgreSQL: take the recomputations' turn if it is free, without waiting (SQLite's
    writers already take turns); False when a recomputation holds it."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


# --- the two sides ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One side of the pairs (requests or offers): how to read it and where its lists live."""

    name: str
    key: InstrumentedAttribute[int]  # the suggestion's column naming this side
    flag: InstrumentedAttribute[bool]  # the pair is in this side's list
    model: type[Any]


_REQUESTS = _Side("request", Suggestion.request_id, Suggestion.in_request_list, Request)
_OFFERS = _Side("offer", Suggestion.offer_id, Suggestion.in_offer_list, Offer)


def _other(side: _Side) -> _Side:
    return _OFFERS if side is _REQUESTS else _REQUESTS


Key = tuple[float, int]  # (-score, id): the engine's order of a list
Ranked = list[tuple[int, float]]  # (other side's id, score), best first


def _key(entry: tuple[int, float]) -> Key:
    return (-entry[1], entry[0])


@dataclass
class _Context:
    """What every step of a run shares: engine settings, the inputs read so far, the writes."""

    session: Session
    referential: MetierReferential
    params: Params
    top_k: int
    now: datetime
    centres: list[TrainingCentre] | None
    housing: list[HousingResource] | None
    requests: dict[int, RequestIn] = field(default_factory=dict)
    offers: dict[int, OfferIn] = field(default_factory=dict)
    report: IncrementalReport = field(default_factory=IncrementalReport)

    def inputs(self, side: _Side) -> dict[int, Any]:
        return self.requests if side is _REQUESTS else self.offers

    def read(self, side: _Side, *where: ColumnElement[bool]) -> list[Any]:
        """Read this side's live records matching ``where``; remember them by id."""
        reader = read_requests if side is _REQUESTS else read_offers
        found = reader(self.session, self.referential, *where)
        known = self.inputs(side)
        for record in found:
            known[int(record.id)] = record
        return found

    def run(self, requests: Sequence[RequestIn], offers: Sequence[OfferIn]) -> Suggestions:
        tutors = tutor_inputs(self.session, named_masters(offers))
        return suggest(
            requests,
            offers,
            self.referential,
            self.params,
            top_k=self.top_k,
            centres=self.centres,
            housing=self.housing,
            tutors=tutors or None,
        )

    def score(self, pairs: Collection[tuple[int, int]]) -> dict[tuple[int, int], Match]:
        """The engine's match of each pair (request id, offer id) that is not excluded."""
        if not pairs:
            return {}
        ordered = sorted(pairs)
        requests = [self.requests[r] for r in sorted({r for r, _ in ordered})]
        offers = [self.offers[o] for o in sorted({o for _, o in ordered})]
        tutors = tutor_inputs(self.session, named_masters(offers))
        results = score_pairs(
            requests,
            offers,
            [(engine_id(r), engine_id(o)) for r, o in ordered],
            self.referential,
            self.params,
            centres=self.centres,
            housing=self.housing,
            tutors=tutors or None,
        )
        return {pair: m for pair, m in zip(ordered, results, strict=True) if isinstance(m, Match)}


def _lists(result: Suggestions, side: _Side) -> Any:
    return result.by_request if side is _REQUESTS else result.by_offer


def _ranked(result: Suggestions, side: _Side, record_id: int) -> Ranked:
    return [(int(i), s) for i, s in _lists(result, side).ranked(engine_id(record_id))]


# --- who could reach whom ----------------------------------------------------------------------


def _compatible_codes(referential: MetierReferential, codes: Iterable[str]) -> list[str]:
    out: set[str] = set()
    for code in codes:
        out.add(code)
        out |= referential.related(code)
    return sorted(out)


def _box(points: Sequence[tuple[float, float]], km: ColumnElement[Any] | float) -> Any:
    """A condition true at every commune within ``km`` of one of ``points`` (a box around them,
    made larger than the distance: never a pair in reach left out)."""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    # A degree of longitude is shortest at the box's latitude farthest from the equator.
    widest = min(89.0, max(abs(x) for x in lats) + 10.0)
    per_lon = _KM_PER_DEGREE_LON * math.cos(math.radians(widest))
    reach = km + _MARGIN_KM
    return and_(
        Commune.latitude >= min(lats) - reach / _KM_PER_DEGREE_LAT,
        Commune.latitude <= max(lats) + reach / _KM_PER_DEGREE_LAT,
        Commune.longitude >= min(lons) - reach / per_lon,
        Commune.longitude <= max(lons) + reach / per_lon,
    )


def _requests_near(ctx: _Context, offers: Sequence[OfferIn]) -> list[RequestIn]:
    """The live requests that could pair with one of ``offers``: a métier the same or related,
    and within the request's own radius, or the candidate accepts to move and an offer may
    house them (beds on site, or housing resources anywhere)."""
    codes = _compatible_codes(ctx.referential, {o.metier for o in offers})
    wants = select(RequestMetier.request_id).where(RequestMetier.metier_code.in_(codes))
    near = _box([(o.lat, o.lon) for o in offers], Request.max_distance_km)
    if ctx.housing is not None or any(o.housing_beds > 0 for o in offers):
        near = or_(Request.accepts_relocation.is_(True), near)
    return ctx.read(_REQUESTS, Request.id.in_(wants), near)


def _offers_near(ctx: _Context, requests: Sequence[RequestIn]) -> list[OfferIn]:
    """The live offers that could pair with one of ``requests`` (the mirror of
    :func:`_requests_near`): for a candidate who accepts to move, an offer that may house them
    wherever it is."""
    codes = _compatible_codes(ctx.referential, {c for r in requests for c in r.metiers})
    radius = max(r.max_km for r in requests)
    near: ColumnElement[bool] = Site.commune_insee.in_(
        select(Commune.insee).where(_box([(r.lat, r.lon) for r in requests], radius))
    )
    if any(r.accepts_relocation for r in requests):
        if ctx.housing is not None:
            return ctx.read(_OFFERS, Offer.metier_code.in_(codes))
        near = or_(Offer.housing_beds > 0, near)
    return ctx.read(_OFFERS, Offer.metier_code.in_(codes), near)


def _near(ctx: _Context, side: _Side, records: Sequence[Any]) -> list[Any]:
    """The live records of ``side`` that could pair with ``records`` (of the other side)."""
    return _requests_near(ctx, records) if side is _REQUESTS else _offers_near(ctx, records)


# --- one change --------------------------------------------------------------------------------


@dataclass
class _Row:
    id: int
    request_id: int
    offer_id: int
    status: SuggestionStatus
    origin: SuggestionOrigin
    stale: bool
    in_request_list: bool
    in_offer_list: bool
    score: float

    def pair(self) -> tuple[int, int]:
        return (self.request_id, self.offer_id)


_ROW_COLUMNS = (
    Suggestion.id,
    Suggestion.request_id,
    Suggestion.offer_id,
    Suggestion.status,
    Suggestion.origin,
    Suggestion.stale,
    Suggestion.in_request_list,
    Suggestion.in_offer_list,
    Suggestion.score,
)


def _rows(session: Session, *where: ColumnElement[bool]) -> list[_Row]:
    return [_Row(*row) for row in session.execute(select(*_ROW_COLUMNS).where(*where))]


def _rows_of(
    session: Session, column: InstrumentedAttribute[int], ids: Collection[int], *where: Any
) -> list[_Row]:
    found: list[_Row] = []
    ordered = sorted(ids)
    for i in range(0, len(ordered), _CHUNK):
        found += _rows(session, column.in_(ordered[i : i + _CHUNK]), *where)
    return found


def _merge(stored: Ranked, changed: int, new: float | None, k: int) -> Ranked | None:
    """A list after one of its candidates (``changed``) got the score ``new`` (None: no longer
    valid), from the stored list alone; None when that is not enough (the next one is unknown).
    """
    kept = [e for e in stored if e[0] != changed]
    was_in = len(kept) < len(stored)
    if new is not None:
        entry = (changed, new)
        if not was_in or len(stored) < k or _key(entry) <= max(map(_key, stored)):
            merged = sorted([*kept, entry], key=_key)
            return merged[:k]
    if was_in and len(stored) >= k:
        return None  # it left a full list: who comes next is not stored
    return kept


def _step(ctx: _Context, side: _Side, record_id: int) -> None:
    """Handle one changed record of ``side`` (see the module docstring)."""
    session, k = ctx.session, ctx.top_k
    other = _other(side)
    ctx.inputs(side).pop(record_id, None)  # read again: it changed
    found = ctx.read(side, side.model.id == record_id)
    own: Ranked = []
    valid: dict[int, float] = {}
    if found:
        partners = _near(ctx, other, found)
        requests, offers = (found, partners) if side is _REQUESTS else (partners, found)
        result = ctx.run(requests, offers)
        own = _ranked(result, side, record_id)
        for partner in partners:
            entries = _ranked(result, other, int(partner.id))
            if entries:
                valid[int(partner.id)] = entries[0][1]
    # Every stored pair of the record, and the stored lists of the partners it touches.
    mine = {r.pair(): r for r in _rows(session, side.key == record_id)}
    touched = set(valid) | {_partner(r, other) for r in mine.values() if getattr(r, _flag(other))}
    listed = _rows_of(session, other.key, touched, other.flag.is_(True))
    stored: dict[int, Ranked] = {p: [] for p in touched}
    for r in listed:
        stored[_partner(r, other)].append((_partner(r, side), r.score))
    lists: dict[int, Ranked] = {}
    again: list[int] = []
    for partner in sorted(touched):
        entries = sorted(stored[partner], key=_key)
        merged = _merge(entries, record_id, valid.get(partner), k)
        if merged is None:
            again.append(partner)
        else:
            lists[partner] = merged
    if again:
        ctx.report.recomputed_lists += len(again)
        known = ctx.inputs(other)
        unread = [p for p in again if p not in known]
        if unread:  # out of the changed record's reach now: read them
            ctx.read(other, other.model.id.in_(unread))
        chosen = [known[p] for p in again if p in known]
        result = None
        if chosen:
            others = _near(ctx, side, chosen)
            requests, offers = (others, chosen) if side is _REQUESTS else (chosen, others)
            result = ctx.run(requests, offers)
        for partner in again:
            lists[partner] = [] if partner not in known else _ranked(result, other, partner)
    _write(ctx, side, record_id, own, lists, mine, listed)


def _partner(row: _Row, side: _Side) -> int:
    """The id of ``side`` in this row."""
    return row.request_id if side is _REQUESTS else row.offer_id


def _flag(side: _Side) -> str:
    return "in_request_list" if side is _REQUESTS else "in_offer_list"


def _pair(side: _Side, record_id: int, partner: int) -> tuple[int, int]:
    """The (request id, offer id) of a record of ``side`` and its partner."""
    return (record_id, partner) if side is _REQUESTS else (partner, record_id)


def _write(
    ctx: _Context,
    side: _Side,
    record_id: int,
    own: Ranked,
    lists: dict[int, Ranked],
    mine: dict[tuple[int, int], _Row],
    listed: list[_Row],
) -> None:
    """Write what one change settled: flags, values of the pairs that need them, new rows."""
    session = ctx.session
    other = _other(side)
    own_flag, other_flag = _flag(side), _flag(other)
    # The flags each touched pair must have: the record's own list, the partners' lists.
    flags: dict[tuple[int, int], dict[str, bool]] = {}
    for pair in mine:
        flags.setdefault(pair, {})[own_flag] = False
    for partner, _score in own:
        flags.setdefault(_pair(side, record_id, partner), {})[own_flag] = True
    for r in listed:
        flags.setdefault(r.pair(), {})[other_flag] = False
    for partner, entries in lists.items():
        for x, _score in entries:
            flags.setdefault(_pair(other, partner, x), {})[other_flag] = True
    known = {r.pair(): r for r in listed} | mine
    missing = [p for p in flags if p not in known]
    if missing:
        for r in _pairs_rows(session, missing):
            known[r.pair()] = r
    # Values: every listed pair of the record (its scores moved), every pair entering a list
    # from outside, and the record's decided engine pairs (their numbers follow it).
    scored: set[tuple[int, int]] = set()
    for pair, wanted in flags.items():
        row = known.get(pair)
        before = row is not None and (row.in_request_list or row.in_offer_list)
        if _listed(row, wanted) and (pair[_index(side)] == record_id or not before):
            scored.add(pair)
    open_partners = ctx.inputs(other)
    record_open = record_id in ctx.inputs(side)
    for pair, row in mine.items():
        if (
            record_open
            and row.status != SuggestionStatus.PROPOSED
            and row.origin == SuggestionOrigin.ENGINE
            and not _listed(row, flags.get(pair, {}))
        ):
            partner = pair[1 - _index(side)]
            if partner not in open_partners:
                partner_found = ctx.read(other, other.model.id == partner)
                if not partner_found:
                    continue
            scored.add(pair)
    matches = ctx.score(scored)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    stale_ids: list[int] = []
    for pair in sorted(set(flags) | scored):
        row = known.get(pair)
        wanted = flags.get(pair, {})
        now_listed = _listed(row, wanted)
        values: dict[str, Any] = {}
        m = matches.get(pair)
        if m is not None:
            values = match_values(m)
        if row is None:
            if not now_listed or m is None:
                continue
            inserts.append(
                {
                    "request_id": pair[0],
                    "offer_id": pair[1],
                    **values,
                    **wanted,
                    "origin": SuggestionOrigin.ENGINE,
                    "status": SuggestionStatus.PROPOSED,
                    "created_at": ctx.now,
                    "updated_at": ctx.now,
                    "status_changed_at": ctx.now,
                }
            )
            continue
        changed = {f: v for f, v in wanted.items() if getattr(row, f) != v}
        if (
            not now_listed
            and row.status == SuggestionStatus.PROPOSED
            and row.origin == SuggestionOrigin.ENGINE
            and not row.stale
        ):
            stale_ids.append(row.id)
        if values or changed:
            updates.append({"id": row.id, **values, **changed, "updated_at": ctx.now})
        for f, v in wanted.items():
            setattr(row, f, v)
    if inserts:
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        stmt = insert(Suggestion).on_conflict_do_nothing(index_elements=["request_id", "offer_id"])
        ctx.report.created += len(session.execute(stmt.returning(Suggestion.id), inserts).all())
    if updates:
        session.execute(update(Suggestion), updates)
        ctx.report.updated += len(updates)
    if stale_ids:
        session.execute(
            update(Suggestion)
            .where(Suggestion.id.in_(stale_ids), Suggestion.status == SuggestionStatus.PROPOSED)
            .values(stale=True, updated_at=ctx.now)
            .execution_options(synchronize_session=False)
        )
        ctx.report.staled += len(stale_ids)


def _index(side: _Side) -> int:
    """Where ``side``'s id sits in a (request id, offer id) pair."""
    return 0 if side is _REQUESTS else 1


def _listed(row: _Row | None, wanted: dict[str, bool]) -> bool:
    """Whether the pair is in a list once ``wanted`` flags are set."""
    get: Callable[[str], bool] = lambda f: wanted.get(f, getattr(row, f) if row else False)  # noqa: E731
    return get("in_request_list") or get("in_offer_list")


def _pairs_rows(session: Session, pairs: Sequence[tuple[int, int]]) -> list[_Row]:
    by_request: dict[int, set[int]] = {}
    for r, o in pairs:
        by_request.setdefault(r, set()).add(o)
    found = _rows_of(session, Suggestion.request_id, by_request)
    return [r for r in found if r.offer_id in by_request[r.request_id]]


def rematch_changed(
    session: Session,
    *,
    offers: Collection[int] = (),
    requests: Collection[int] = (),
    top_k: int = 20,
    params: Params | None = None,
    referential: MetierReferential | None = None,
    now: datetime | None = None,
) -> IncrementalReport:
    """Update the suggestions after these offers and requests changed (by database id); flush,
    never commit. The stored lists must be those of the current state of everything else (as
    a full recomputation leaves them, and every incremental run after it)."""
    ref = referential or shipped_referential()
    session.flush()
    ctx = _Context(
        session=session,
        referential=ref,
        params=params or Params(),
        top_k=top_k,
        now=now or utcnow(),
        centres=centre_inputs(session, ref) or None,
        housing=housing_inputs(session) or None,
    )
    for offer_id in sorted(set(offers)):
        _step(ctx, _OFFERS, offer_id)
        ctx.report.offers += 1
    for request_id in sorted(set(requests)):
        _step(ctx, _REQUESTS, request_id)
        ctx.report.requests += 1
    # Bulk statements bypass the identity map: reload any suggestion the session holds.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Suggestion):
            session.expire(obj)
    return ctx.report
