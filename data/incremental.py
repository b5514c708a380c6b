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

import functools
import logging
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, event, func, or_, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from data.models import (
    Commune,
    Offer,
    Request,
    RequestMetier,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
    utcnow,
)
from data.recompute import (
    DECIDED_COLUMNS,
    RECOMPUTE_LOCK_KEY,
    SUGGESTION_PAIRS,
    centre_inputs,
    engine_id,
    housing_inputs,
    id_chunks,
    insert_pairs,
    make_stale,
    match_values,
    named_masters,
    read_offers,
    read_requests,
    shipped_referential,
    tutor_inputs,
    update_rows,
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

__all__ = ["IncrementalReport", "rematch_changed", "rematch_on_commit", "try_turn", "AT_ONCE"]

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
            "offers_changed": self.offers,
            "requests_changed": self.requests,
            "created": self.created,
            "updated": self.updated,
            "staled": self.staled,
            "lists_recomputed": self.recomputed_lists,
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

    key: InstrumentedAttribute[int]  # the suggestion's column naming this side
    flag: InstrumentedAttribute[bool]  # the pair is in this side's list
    model: type[Any]


_REQUESTS = _Side(Suggestion.request_id, Suggestion.in_request_list, Request)
_OFFERS = _Side(Suggestion.offer_id, Suggestion.in_offer_list, Offer)


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
        found: list[Any] = reader(self.session, self.referential, *where)
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


def _box(points: Sequence[tuple[float, float]], km: Any) -> Any:
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
    # On the commune read_offers joins: a subquery of the communes in the box made SQLite
    # walk every commune of France for it.
    near: ColumnElement[bool] = _box([(r.lat, r.lon) for r in requests], radius)
    if any(r.accepts_relocation for r in requests):
        if ctx.housing is not None:
            return ctx.read(_OFFERS, Offer.metier_code.in_(codes))
        near = or_(Offer.housing_beds > 0, near)
    return ctx.read(_OFFERS, Offer.metier_code.in_(codes), near)


def _near(ctx: _Context, side: _Side, records: Sequence[Any]) -> list[Any]:
    """The live records of ``side`` that could pair with ``records`` (of the other side)."""
    return _requests_near(ctx, records) if side is _REQUESTS else _offers_near(ctx, records)


# --- one change --------------------------------------------------------------------------------


@dataclass(slots=True)
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

    def in_list(self, flag: str) -> bool:
        return bool(getattr(self, flag))


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
    rows = session.connection().execute(select(*_ROW_COLUMNS).where(*where)).all()
    return [_Row(*row) for row in rows]


def _rows_of(
    session: Session, column: InstrumentedAttribute[int], ids: Collection[int], *where: Any
) -> list[_Row]:
    found: list[_Row] = []
    for chunk in id_chunks(ids):
        found += _rows(session, column.in_(chunk), *where)
    return found


def _list_ends(session: Session, side: _Side, ids: Collection[int]) -> dict[int, tuple[int, float]]:
    """For each list of ``side`` among ``ids`` that holds pairs: how many, and its lowest score.
    Counted by the database on the list's index: the lists themselves are not read."""
    out: dict[int, tuple[int, float]] = {}
    model = side.model

    def per_list(aggregate: Any) -> Any:
        # A subquery per record rather than one GROUP BY: PostgreSQL then walks the list's
        # partial index (index only), not the pairs of the record one by one in the table.
        return select(aggregate).where(side.flag, side.key == model.id).scalar_subquery()

    stmt = select(model.id, per_list(func.count()), per_list(func.min(Suggestion.score)))
    for chunk in id_chunks(ids):
        for key, held, lowest in (
            session.connection().execute(stmt.where(model.id.in_(chunk))).all()
        ):
            if held:
                out[key] = (held, lowest)
    return out


def _lasts(session: Session, side: _Side, ids: Collection[int]) -> dict[int, tuple[int, float]]:
    """The last pair (other side's id, score) of each list of ``side`` among ``ids``: one step
    down each list's index (a subquery per record, as :func:`_list_ends`)."""
    model = side.model
    other = _other(side)
    last = (
        select(other.key)
        .where(side.flag, side.key == model.id)
        .order_by(Suggestion.score, other.key.desc())  # the engine's order, backwards
        .limit(1)
    )
    stmt = select(
        model.id,
        last.scalar_subquery(),
        last.with_only_columns(Suggestion.score).scalar_subquery(),
    )
    out: dict[int, tuple[int, float]] = {}
    for chunk in id_chunks(ids):
        for key, partner, score in (
            session.connection().execute(stmt.where(model.id.in_(chunk))).all()
        ):
            if partner is not None:
                out[key] = (partner, score)
    return out


def _step(ctx: _Context, side: _Side, record_id: int) -> None:
    """Handle one changed record of ``side`` (see the module docstring)."""
    session, k = ctx.session, ctx.top_k
    other = _other(side)
    own_flag, other_flag = side.flag.key, other.flag.key
    ctx.inputs(side).pop(record_id, None)  # read again: it changed
    found = ctx.read(side, side.model.id == record_id)
    own: Ranked = []
    valid: dict[int, float] = {}
    if found:
        partners = _near(ctx, other, found)
        requests, offers = (found, partners) if side is _REQUESTS else (partners, found)
        result = ctx.run(requests, offers)
        own = _ranked(result, side, record_id)
        # Each partner's list holds the record at most: its first entry, if any.
        valid = {int(key): score for key, (_x, score) in _lists(result, other).firsts().items()}
    pair = functools.partial(_pair, side, record_id)
    mine = {r.pair(): r for r in _rows(session, side.key == record_id)}
    held_by = {_partner(r, other) for r in mine.values() if r.in_list(other_flag)}
    # The flags that change: the record's own list...
    changes: dict[tuple[int, int], dict[str, bool]] = {}
    own_now = {pair(p) for p, _score in own}
    for key, row in mine.items():
        if row.in_list(own_flag) != (key in own_now):
            changes.setdefault(key, {})[own_flag] = key in own_now
    for key in own_now - mine.keys():
        changes.setdefault(key, {})[own_flag] = True
    # ... and the lists of the partners it enters, leaves, or moves in.
    # A list holding the record where its score did not go down keeps it, and keeps every other
    # pair (theirs did not move): only the other lists are looked at.
    steady = {
        _partner(r, other)
        for r in mine.values()
        if r.in_list(other_flag) and valid.get(_partner(r, other), -math.inf) >= r.score
    }
    touched = (set(valid) | held_by) - steady
    # The full lists among them, by their lowest score; the last pair of a full list is read
    # only where it decides: the record enters it (the last pair leaves), or ties with it.
    full = {
        p: lowest for p, (held, lowest) in _list_ends(session, other, touched).items() if held >= k
    }

    def decided_by_last(partner: int) -> bool:
        score, lowest = valid.get(partner), full.get(partner)
        if score is None or lowest is None:
            return False
        return score == lowest if partner in held_by else score >= lowest

    lasts = _lasts(session, other, [p for p in touched if decided_by_last(p)])

    def beats_last(partner: int, entry: tuple[int, float]) -> bool:
        """Whether ``entry`` ranks above the last pair of the partner's list (or it is short)."""
        lowest = full.get(partner)
        if lowest is None or entry[1] > lowest:
            return True
        last = lasts.get(partner)
        return last is not None and _key(entry) <= _key(last)

    again: list[int] = []
    for partner in sorted(touched):
        score = valid.get(partner)
        entry = None if score is None else (record_id, score)
        if partner in held_by:
            if entry is not None and beats_last(partner, entry):
                continue  # it moves within the list: nothing else enters or leaves
            if partner in full:
                again.append(partner)  # it left a full list: who comes next is not stored
            else:
                changes.setdefault(pair(partner), {})[other_flag] = False
        elif entry is not None and beats_last(partner, entry):
            changes.setdefault(pair(partner), {})[other_flag] = True
            if partner in full:  # the last one leaves
                last = lasts[partner][0]
                changes.setdefault(_pair(other, partner, last), {})[other_flag] = False
    if again:
        _list_again(ctx, side, record_id, again, changes)
    _write(ctx, side, record_id, changes, mine)


def _list_again(
    ctx: _Context,
    side: _Side,
    record_id: int,
    again: list[int],
    changes: dict[tuple[int, int], dict[str, bool]],
) -> None:
    """Compute the lists of ``again`` (partners of the other side) with the engine; note how
    they differ from what is stored."""
    ctx.report.recomputed_lists += len(again)
    other = _other(side)
    other_flag = other.flag.key
    known = ctx.inputs(other)
    unread = [p for p in again if p not in known]
    if unread:  # out of the changed record's reach now: read them
        ctx.read(other, other.model.id.in_(unread))
    chosen = [known[p] for p in again if p in known]
    new: set[tuple[int, int]] = set()
    if chosen:
        others = _near(ctx, side, chosen)
        requests, offers = (others, chosen) if side is _REQUESTS else (chosen, others)
        result = ctx.run(requests, offers)
        for partner in again:
            if partner in known:
                new |= {_pair(other, partner, x) for x, _score in _ranked(result, other, partner)}
    stored = {r.pair() for r in _rows_of(ctx.session, other.key, again, other.flag)}
    for key in stored - new:
        changes.setdefault(key, {})[other_flag] = False
    for key in new - stored:
        changes.setdefault(key, {})[other_flag] = True


def _partner(row: _Row, side: _Side) -> int:
    """The id of ``side`` in this row."""
    return row.request_id if side is _REQUESTS else row.offer_id


def _pair(side: _Side, record_id: int, partner: int) -> tuple[int, int]:
    """The (request id, offer id) of a record of ``side`` and its partner."""
    return (record_id, partner) if side is _REQUESTS else (partner, record_id)


def _write(
    ctx: _Context,
    side: _Side,
    record_id: int,
    changes: dict[tuple[int, int], dict[str, bool]],
    mine: dict[tuple[int, int], _Row],
) -> None:
    """Write what one change settled: the flags that change, the engine's numbers of every
    listed pair of the record (its scores moved) and of every pair entering a list from outside,
    the record's decided engine pairs rescored, new rows inserted, pairs no list holds stale."""
    session = ctx.session
    other = _other(side)
    at = _index(side)
    known = dict(mine)
    missing = [key for key in changes if key not in known]
    if missing:
        for r in _pairs_rows(session, missing):
            known[r.pair()] = r
    scored: set[tuple[int, int]] = set()
    for key, row in mine.items():
        if _listed(row, changes.get(key, {})):
            scored.add(key)
    for key, wanted in changes.items():
        found = known.get(key)
        if _listed(found, wanted) and (key[at] == record_id or not _listed(found, {})):
            scored.add(key)
    record_open = record_id in ctx.inputs(side)
    open_partners = ctx.inputs(other)
    for key, row in mine.items():
        if (
            record_open
            and row.status != SuggestionStatus.PROPOSED
            and row.origin == SuggestionOrigin.ENGINE
            and not _listed(row, changes.get(key, {}))
        ):
            partner = key[1 - at]
            if partner in open_partners or ctx.read(other, other.model.id == partner):
                scored.add(key)
    matches = ctx.score(scored)
    stored = _stored_values(session, [known[key].id for key in matches if key in known])
    inserts: dict[tuple[int, int], dict[str, Any]] = {}
    updates: list[dict[str, Any]] = []
    stale_ids: list[int] = []
    for key in sorted(changes.keys() | scored):
        current = known.get(key)
        wanted = changes.get(key, {})
        m = matches.get(key)
        values = match_values(m) if m is not None else {}
        if current is not None and stored.get(current.id) == values:
            values = {}  # the same numbers: most pairs of a changed record keep theirs
        if current is None:
            if m is not None and _listed(None, wanted):
                inserts[key] = values | wanted
            continue
        if (
            not _listed(current, wanted)
            and current.status == SuggestionStatus.PROPOSED
            and current.origin == SuggestionOrigin.ENGINE
            and not current.stale
        ):
            stale_ids.append(current.id)
        changed = {f: v for f, v in wanted.items() if getattr(current, f) != v}
        if values or changed:
            updates.append({"id": current.id, **values, **changed, "updated_at": ctx.now})
    ctx.report.created += insert_pairs(session, SUGGESTION_PAIRS, inserts, now=ctx.now)
    ctx.report.updated += update_rows(session, Suggestion, updates)
    ctx.report.staled += make_stale(session, SUGGESTION_PAIRS, stale_ids, now=ctx.now)


def _stored_values(session: Session, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The values of :func:`data.recompute.match_values` that these rows hold, by row id."""
    names = [c for c in DECIDED_COLUMNS if c not in ("status", "in_request_list", "in_offer_list")]
    columns = [getattr(Suggestion, c) for c in names]
    out: dict[int, dict[str, Any]] = {}
    for chunk in id_chunks(ids):
        for row_id, *values in (
            session.connection()
            .execute(select(Suggestion.id, *columns).where(Suggestion.id.in_(chunk)))
            .all()
        ):
            out[row_id] = dict(zip(names, values, strict=True))
    return out


def _index(side: _Side) -> int:
    """Where ``side``'s id sits in a (request id, offer id) pair."""
    return 0 if side is _REQUESTS else 1


def _listed(row: _Row | None, wanted: dict[str, bool]) -> bool:
    """Whether the pair is in a list once the flags of ``wanted`` are set."""
    for f in ("in_request_list", "in_offer_list"):
        if wanted.get(f, row is not None and getattr(row, f)):
            return True
    return False


def _pairs_rows(session: Session, pairs: Sequence[tuple[int, int]]) -> list[_Row]:
    """The rows of these pairs (by their two ids: the index on the request's picks them)."""
    wanted = set(pairs)
    offers = list(id_chunks(o for _, o in wanted))
    found: list[_Row] = []
    for requests in id_chunks(r for r, _ in wanted):
        for chunk in offers:
            found += _rows(
                session, Suggestion.request_id.in_(requests), Suggestion.offer_id.in_(chunk)
            )
    return [r for r in found if r.pair() in wanted]


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
    for model, ids in ((Offer, offers), (Request, requests)):
        for chunk in id_chunks(ids):
            session.execute(  # what a page tells of the change: matched already
                update(model)
                .where(model.id.in_(chunk))
                .values(rematched_at=ctx.now, updated_at=model.updated_at)
                .execution_options(synchronize_session=False)
            )
    # Bulk statements bypass the identity map: reload what they wrote of the objects held.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Suggestion):
            session.expire(obj)
        elif isinstance(obj, Offer | Request):
            session.expire(obj, ["rematched_at"])
    return ctx.report


# --- on commit ---------------------------------------------------------------------------------

#: The most changed offers and requests a commit re-matches itself (a page changes one or two);
#: past it (an import), the re-matching job does it, incrementally or in full.
AT_ONCE = 50
_ON_COMMIT = "passerelle.rematch_on_commit"
_CHANGED = "passerelle.rematch_changed"

log = logging.getLogger("data.incremental")


def rematch_on_commit(session: Session) -> Session:
    """Have ``session`` update the suggestions of the offers and requests it changed, just
    before each commit, in the same transaction: the person who saved an offer sees its
    suggestions at once. Best effort: if the re-matching fails, or (PostgreSQL) a full
    recomputation is being written, it is left to the re-matching job, which finds the change
    by its ``updated_at``; the commit goes on."""
    session.info[_ON_COMMIT] = True
    return session


def _changed(session: Session) -> tuple[set[int], set[int]]:
    return session.info.setdefault(_CHANGED, (set(), set()))  # type: ignore[no-any-return]


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if not session.info.get(_ON_COMMIT):
        return
    offers, requests = _changed(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Offer):
            offers.add(obj.id)
        elif isinstance(obj, Request):
            requests.add(obj.id)
        elif isinstance(obj, RequestMetier):
            requests.add(obj.request_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)


@event.listens_for(Session, "before_commit")
def _rematch_before_commit(session: Session) -> None:
    if not session.info.get(_ON_COMMIT):
        return
    session.flush()
    offers, requests = session.info.pop(_CHANGED, (set(), set()))
    offers.discard(None)
    requests.discard(None)
    if not offers and not requests or len(offers) + len(requests) > AT_ONCE:
        return
    try:
        with session.begin_nested():
            if try_turn(session):
                rematch_changed(session, offers=offers, requests=requests)
    except Exception:  # the job will do it: never lose the person's change for it
        log.exception("re-matching on commit failed: left to the re-matching job")
    session.info.pop(_CHANGED, None)  # what the re-matching itself wrote is not a change
