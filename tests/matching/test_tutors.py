"""Maîtres d'apprentissage (issue 19): a capacity the offers naming the same tutor share.

Worked examples first (the issue's: two offers sharing one tutor with one place left), then
the engine against brute force on random instances: :func:`matching.suggest` against
:func:`matching.score_pair`, :func:`matching.allocate` against its specification
:func:`matching.allocation.allocate_reference` (the greedy with shared capacities), with no
blocking pair as :mod:`matching.allocation.shared` defines it, and, where tutors do not bind,
against the allocation without tutors.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import (
    EXCLUSION_REASONS,
    Exclusion,
    HousingResource,
    InvalidInput,
    Match,
    OfferIn,
    Params,
    Programme,
    RequestIn,
    TrainingCentre,
    Tutor,
    allocate,
    score_pair,
    score_pairs,
    suggest,
)
from matching.allocation import allocate_reference
from matching.allocation.explain import NO_TUTOR_LEFT
from matching.allocation.levels import deferred_acceptance, preference_lists
from matching.allocation.shared import greedy
from matching.tables import prepare_tables
from matching.tutors import Tutors

from .conftest import CODES, REF, SETTINGS, assert_brute_force_lists, at, place

BOURG = at("01053")
# About 5 km from Bourg-en-Bresse's centroid.
VIRIAT = (BOURG[0] + 0.045, BOURG[1])
DAYS = [date(2026, 9, 1), date(2027, 1, 4)]
TUTOR_TEXT = (
    "Maître d'apprentissage sans place : il encadre déjà le nombre d'apprentis que la loi permet"
)


def aide(ident: str, where: tuple[float, float], **kw: object) -> RequestIn:
    return RequestIn(ident, ("aide-soignant",), *where, 30, **kw)  # type: ignore[arg-type]


def post(
    ident: str, where: tuple[float, float], tutor: str | None = "t1", places: int = 1
) -> OfferIn:
    return OfferIn(ident, "aide-soignant", *where, places=places, tutor=tutor)


# --- the model -----------------------------------------------------------------------------------


@pytest.mark.parametrize("capacity", [-1, 1.5, True, None, "2"])
def test_a_tutor_s_capacity_is_an_integer_of_zero_or_more(capacity: object) -> None:
    with pytest.raises(InvalidInput) as e:
        Tutor("t1", capacity)  # type: ignore[arg-type]
    assert e.value.record == "tutor t1" and e.value.field == "capacity"


@pytest.mark.parametrize("tutor", ["", 3, ("t1",)])
def test_an_offer_names_its_tutor_by_a_non_empty_id(tutor: object) -> None:
    with pytest.raises(InvalidInput) as e:
        OfferIn("o1", "aide-soignant", *BOURG, places=1, tutor=tutor)  # type: ignore[arg-type]
    assert e.value.record == "offer o1" and e.value.field == "tutor"


@pytest.mark.parametrize("run", [suggest, allocate])
def test_unknown_duplicate_and_foreign_tutors_are_refused(run) -> None:  # type: ignore[no-untyped-def]
    reqs, offs = [aide("r1", BOURG)], [post("o1", BOURG, tutor="t9")]
    with pytest.raises(InvalidInput) as e:
        run(reqs, offs, REF, tutors=[Tutor("t1", 1)])
    assert (e.value.record, e.value.field) == ("offer o1", "tutor") and "t9" in str(e.value)
    with pytest.raises(InvalidInput) as e:
        run(reqs, [post("o1", BOURG)], REF, tutors=[Tutor("t1", 1), Tutor("t1", 2)])
    assert (e.value.record, e.value.field) == ("tutor t1", "id")
    with pytest.raises(InvalidInput) as e:
        run(reqs, [post("o1", BOURG)], REF, tutors=[{"id": "t1", "capacity": 1}])
    assert e.value.record == "tutor #0"


# --- worked examples -----------------------------------------------------------------------------


def test_the_issue_s_worked_example_two_offers_one_tutor_one_place() -> None:
    """Two offers name the same tutor, who may take one more apprentice: one assignment, the
    better pair; the other candidate is told why."""
    offs = [post("o1", BOURG), post("o2", VIRIAT)]
    near = aide("r1", BOURG)  # at o1's door
    far = aide("r2", (VIRIAT[0] + 0.05, VIRIAT[1]))  # about 5.5 km from o2
    one = [Tutor("t1", 1)]
    a = allocate([far, near], offs, REF, tutors=one)
    assert [(x.request_id, x.offer_id) for x in a.assignments] == [("r1", "o1")]
    (left,) = a.unassigned
    assert left.request_id == "r2" and left.obstacle == "tutor" and left.compatible == 2
    assert left.reason == NO_TUTOR_LEFT
    assert {
        r: m.offer_id for r, m in allocate_reference([far, near], offs, REF, tutors=one).items()
    } == {"r1": "o1"}
    # Two places left: both are placed; without tutors, both too.
    two = allocate([far, near], offs, REF, tutors=[Tutor("t1", 2)])
    assert {(x.request_id, x.offer_id) for x in two.assignments} == {("r1", "o1"), ("r2", "o2")}
    assert two == allocate([far, near], offs, REF)
    assert list(two.unassigned) == []


def test_a_tutor_without_a_place_excludes_the_offer_with_its_reason() -> None:
    reqs = [aide("r1", BOURG), aide("r2", VIRIAT)]
    offs = [post("o1", BOURG), post("o2", VIRIAT, tutor=None), post("o3", BOURG, places=0)]
    s = suggest(reqs, offs, REF, tutors=[Tutor("t1", 0)])
    assert [m.offer_id for m in s.by_request["r1"]] == ["o2"]
    assert s.by_offer["o1"] == []
    # o3 has no place: counted under "places", the reason before "tutor".
    assert s.excluded.counts["tutor"] == 2 and s.excluded.counts["places"] == 2
    assert s.excluded.samples["tutor"] == (("r1", "o1"),)
    e = score_pair(reqs[0], offs[0], REF, tutors=[Tutor("t1", 0)])
    assert isinstance(e, Exclusion) and e.reasons == ("tutor",) and e.messages == (TUTOR_TEXT,)
    e = score_pair(reqs[0], offs[2], REF, tutors=[Tutor("t1", 0)])
    assert isinstance(e, Exclusion) and e.reasons == ("places",)
    a = allocate(reqs, offs, REF, tutors=[Tutor("t1", 0)])
    assert [(x.request_id, x.offer_id) for x in a.assignments] == [("r2", "o2")]
    # Without tutors the offer's tutor is ignored, and no "tutor" reason is reported.
    s = suggest(reqs, offs, REF)
    assert [m.offer_id for m in s.by_request["r1"]] == ["o1", "o2"]
    assert "tutor" not in s.excluded.counts


def test_a_tutor_s_capacity_clips_an_offer_s_places() -> None:
    """One offer, three places, a tutor with two left: two apprentices, by the fast path (a
    tutor whose offers cannot exceed the capacity does not bind)."""
    reqs = [aide(f"r{i}", BOURG) for i in range(4)]
    offs = [post("o1", BOURG, places=3)]
    caps = Tutors([Tutor("t1", 2)], prepare_tables(reqs, offs, REF, Params())[1])
    assert not caps.binds and caps.table.places.tolist() == [2]
    a = allocate(reqs, offs, REF, tutors=[Tutor("t1", 2)])
    assert [x.request_id for x in a.assignments] == ["r0", "r1"]
    assert a == allocate(reqs, [post("o1", BOURG, places=2)], REF)


# --- against brute force -------------------------------------------------------------------------


@st.composite
def instances(
    draw: st.DrawFn, binding: bool = True
) -> tuple[list[RequestIn], list[OfferIn], list[Tutor]]:
    """Requests, offers and tutors; each offer names one of the tutors or none. Without
    ``binding``, each tutor's capacity is at least the places of its offers."""
    reqs = []
    for i in range(draw(st.integers(0, 12))):
        lat, lon = draw(place)
        reqs.append(
            RequestIn(
                f"r{i:02d}",
                tuple(draw(st.lists(st.sampled_from(CODES[:3]), min_size=1, max_size=2))),
                lat,
                lon,
                draw(st.sampled_from([10, 20, 45, 80])),
                needs_housing=draw(st.booleans()),
                accepts_relocation=draw(st.booleans()),
                diploma_level=draw(st.sampled_from([None, 3, 5])),
            )
        )
    n_tutors = draw(st.integers(0, 4))
    offs = []
    for j in range(draw(st.integers(0, 10))):
        lat, lon = draw(place)
        k = draw(st.integers(-1, n_tutors - 1))
        offs.append(
            OfferIn(
                f"o{j:02d}",
                draw(st.sampled_from(CODES[:3])),
                lat,
                lon,
                places=draw(st.integers(0, 3)),
                housing_beds=draw(st.integers(0, 1)),
                tutor=None if k < 0 else f"t{k}",
            )
        )
    tutors = []
    for k in range(n_tutors):
        load = sum(o.places for o in offs if o.tutor == f"t{k}")
        capacity = draw(st.integers(0, 3)) if binding else load + draw(st.integers(0, 1))
        tutors.append(Tutor(f"t{k}", capacity))
    return reqs, offs, tutors


@SETTINGS
@given(instances(), st.integers(1, 4))
def test_suggest_equals_brute_force(blocking: str, inst, k: int) -> None:  # type: ignore[no-untyped-def]
    reqs, offs, tutors = inst
    s = suggest(reqs, offs, REF, top_k=k, tutors=tutors)
    results = {(r.id, o.id): score_pair(r, o, REF, tutors=tutors) for r in reqs for o in offs}
    assert_brute_force_lists(s, results.values(), reqs, offs, k)
    first = [e.reasons[0] for e in results.values() if isinstance(e, Exclusion)]
    night = any(r.minor for r in reqs) or any(o.night_work for o in offs)
    named = any(o.tutor for o in offs)
    reported = [
        r
        for r in EXCLUSION_REASONS
        if r != "training" and (r != "night" or night) and (r != "tutor" or named)
    ]
    assert dict(s.excluded.counts) == {r: first.count(r) for r in reported}
    for reason, samples in s.excluded.samples.items():
        for pair in samples:
            e = results[pair]
            assert isinstance(e, Exclusion) and e.reasons[0] == reason


def _strip(offs: list[OfferIn]) -> list[OfferIn]:
    return [dataclasses.replace(o, tutor=None) for o in offs]


@SETTINGS
@given(instances())
def test_without_tutors_the_results_are_today_s(inst) -> None:  # type: ignore[no-untyped-def]
    """No ``tutors``: an offer's tutor is ignored; an empty list and no offer naming a tutor:
    the same output as without the argument."""
    reqs, offs, _tutors = inst
    bare = _strip(offs)
    today = suggest(reqs, bare, REF, top_k=3)
    for s in (suggest(reqs, offs, REF, top_k=3), suggest(reqs, bare, REF, top_k=3, tutors=[])):
        assert dict(s.by_request) == dict(today.by_request)
        assert dict(s.by_offer) == dict(today.by_offer)
        assert s.excluded == today.excluded and s.widening == today.widening
    today_a = allocate(reqs, bare, REF)
    for a in (allocate(reqs, offs, REF), allocate(reqs, bare, REF, tutors=[])):
        assert a == today_a and list(a.unassigned) == list(today_a.unassigned)


def check(reqs, offs, tutors, resources=None, centres=None) -> None:  # type: ignore[no-untyped-def]
    """The allocation is the reference greedy's, within every capacity, deterministic, and
    (without resources nor centres) no pair blocks it."""
    before = copy.deepcopy((reqs, offs, tutors, resources))
    a = allocate(reqs, offs, REF, tutors=tutors, housing=resources, centres=centres)
    assert (reqs, offs, tutors, resources) == before  # inputs untouched
    got = {x.request_id: (x.offer_id, x.match.housing) for x in a.assignments}
    ref = allocate_reference(reqs, offs, REF, tutors=tutors, housing=resources, centres=centres)
    assert got == {r: (m.offer_id, m.housing) for r, m in ref.items()}
    # Capacities: places, tutors.
    off = {o.id: o for o in offs}
    per_offer: dict[str, int] = {}
    per_tutor: dict[str, int] = {}
    for oid, _housed in got.values():
        per_offer[oid] = per_offer.get(oid, 0) + 1
        if off[oid].tutor is not None:
            per_tutor[off[oid].tutor] = per_tutor.get(off[oid].tutor, 0) + 1  # type: ignore[index]
    assert all(n <= off[o].places for o, n in per_offer.items())
    capacity = {t.id: t.capacity for t in tutors}
    assert all(n <= capacity[t] for t, n in per_tutor.items())  # no tutor over capacity
    # Deterministic, whatever the order of the inputs.
    rnd = random.Random(len(reqs) * 31 + len(offs))
    r2, o2, t2 = (rnd.sample(x, len(x)) for x in (reqs, offs, tutors))
    again = allocate(r2, o2, REF, tutors=t2, housing=resources, centres=centres)
    assert a == again and list(a.unassigned) == list(again.unassigned)
    for u in a.unassigned:
        assert u.reason and (u.obstacle is None or u.compatible > 0)
    if resources is None and centres is None:
        assert blocking_pairs(reqs, offs, tutors, got) == []


def blocking_pairs(reqs, offs, tutors, got):  # type: ignore[no-untyped-def]
    """The pairs that block the allocation as :mod:`matching.allocation.shared` defines it
    (beds on the offers' sites only): the request prefers the offer, the offer has a place
    free or held by a worse pair, its tutor has a place free or held by a worse pair on any
    of the tutor's offers, and (housing needed) the site has a bed free or held by a worse
    pair."""
    strict = Params(exclude_without_housing=True)
    ids = [(r.id, o.id) for r in reqs for o in offs]
    valid = [m for m in score_pairs(reqs, offs, ids, REF, strict) if isinstance(m, Match)]
    key = {(m.request_id, m.offer_id): (-m.score, m.request_id, m.offer_id) for m in valid}
    held = {rid: key[(rid, oid)] for rid, (oid, _h) in got.items()}
    off = {o.id: o for o in offs}
    req = {r.id: r for r in reqs}
    capacity = {t.id: t.capacity for t in tutors}
    holders: dict[str, list[tuple[float, str, str]]] = {}
    for rid, (oid, _h) in got.items():
        holders.setdefault(f"offer {oid}", []).append(held[rid])
        if off[oid].tutor is not None:
            holders.setdefault(f"tutor {off[oid].tutor}", []).append(held[rid])
        if req[rid].needs_housing:
            holders.setdefault(f"site {oid}", []).append(held[rid])

    def room(spot: str, k, n: int) -> bool:  # type: ignore[no-untyped-def]
        taken = holders.get(spot, [])
        return len(taken) < n or any(h > k for h in taken)

    out = []
    for m in valid:
        k = key[(m.request_id, m.offer_id)]
        lot = held.get(m.request_id)
        if lot is not None and lot[::2] <= k[::2]:  # its own offer is at least as good
            continue
        o, r = off[m.offer_id], req[m.request_id]
        if not room(f"offer {o.id}", k, o.places):
            continue
        if o.tutor is not None and not room(f"tutor {o.tutor}", k, capacity[o.tutor]):
            continue
        if r.needs_housing and not room(f"site {o.id}", k, o.housing_beds):
            continue
        out.append((m.request_id, m.offer_id))
    return out


@SETTINGS
@given(instances())
def test_allocation_equals_the_reference_greedy_with_tutors(lists: str, inst) -> None:  # type: ignore[no-untyped-def]
    check(*inst)


@settings(SETTINGS, max_examples=20)
@given(instances(), st.lists(st.tuples(place, st.integers(0, 2)), max_size=4))
def test_allocation_with_tutors_and_housing_resources_equals_the_reference(
    lists: str, inst, beds
) -> None:  # type: ignore[no-untyped-def]
    resources = [
        HousingResource(f"h{k}", f"Foyer {k}", "fjt", lat, lon, n)
        for k, ((lat, lon), n) in enumerate(beds)
    ]
    check(*inst, resources)


@settings(SETTINGS, max_examples=20)
@given(
    instances(),
    st.lists(st.tuples(place, st.sampled_from(CODES[:3]), st.sampled_from(DAYS)), max_size=3),
)
def test_allocation_with_tutors_and_training_centres_equals_the_reference(
    lists: str, inst, where
) -> None:  # type: ignore[no-untyped-def]
    centres = [
        TrainingCentre(f"c{k}", f"Centre {k}", lat, lon, programmes=(Programme(code, (day,)),))
        for k, ((lat, lon), code, day) in enumerate(where)
    ]
    check(*inst, centres=centres)


@SETTINGS
@given(instances(binding=False))
def test_where_tutors_do_not_bind_the_result_is_today_s(inst) -> None:  # type: ignore[no-untyped-def]
    """Each tutor may take at least the places of their offers: the allocation is the one
    without tutors, to every rank, reason and ``lost_to``."""
    reqs, offs, tutors = inst
    a = allocate(reqs, offs, REF, tutors=tutors)
    today = allocate(reqs, _strip(offs), REF)
    assert a == today and list(a.unassigned) == list(today.unassigned)
    check(reqs, offs, tutors)


@SETTINGS
@given(instances(binding=False))
def test_where_tutors_do_not_bind_the_greedy_is_deferred_acceptance(inst) -> None:  # type: ignore[no-untyped-def]
    """The greedy with tutors' places shared, run on the engine's scores, equals
    candidate-proposing deferred acceptance (places and on-site beds as the only capacities)
    when no tutor binds: the stable allocation of the library's rule."""
    reqs, offs, tutors = inst
    strict = Params(exclude_without_housing=True)
    request_table, offer_table = prepare_tables(reqs, offs, REF, strict)
    caps = Tutors(tutors, offer_table)
    ids = [(r.id, o.id) for r in reqs for o in offs]
    scored = [m for m in score_pairs(reqs, offs, ids, REF, strict) if isinstance(m, Match)]
    row = {rid: i for i, rid in enumerate(request_table.ids)}
    col = {oid: j for j, oid in enumerate(offer_table.ids)}
    rows = np.array([row[m.request_id] for m in scored], dtype=np.intp)
    cols = np.array([col[m.offer_id] for m in scored], dtype=np.intp)
    lists = preference_lists(len(reqs), (rows, cols, np.array([m.score for m in scored])))
    taken = greedy(lists, request_table, caps.table, None, None, tutors=caps)
    held, _ = deferred_acceptance(
        lists, offer_table.places.copy(), offer_table.beds.copy(), request_table.needs_housing
    )
    assert taken.offer.tolist() == held.tolist()
    assert not taken.tutor_blocked.any()


# --- the command line ----------------------------------------------------------------------------

OFFERS = [
    {"id": "o1", "metier": "aide-soignant", "commune": "01053", "places": 1, "tutor": "t1"},
    {
        "id": "o2",
        "metier": "aide-soignant",
        "lat": VIRIAT[0],
        "lon": VIRIAT[1],
        "places": 1,
        "tutor": "t1",
    },
]
REQUESTS = [
    {"id": "r1", "metiers": ["aide-soignant"], "commune": "01053", "max_km": 30},
    {
        "id": "r2",
        "metiers": ["aide-soignant"],
        "lat": VIRIAT[0] + 0.05,
        "lon": VIRIAT[1],
        "max_km": 30,
    },
]


def _cli(tmp_path: Path, capsys, command: str, tutors: object, offers: object = OFFERS):  # type: ignore[no-untyped-def]
    from matching.cli import main

    files = {}
    for name, data in (("offers", offers), ("requests", REQUESTS), ("tutors", tutors)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        files[name] = str(path)
    argv = [command, "--offers", files["offers"], "--requests", files["requests"]]
    if tutors is not None:
        argv += ["--tutors", files["tutors"]]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


GOOD = {"id": "t1", "capacity": 1}


@pytest.mark.parametrize(
    ("tutors", "offers", "message"),
    [
        ([{**GOOD, "capacity": -1}], OFFERS, 'tutor #1 (id "t1"): field "capacity": must be >= 0'),
        (
            [{**GOOD, "capacity": 1.5}],
            OFFERS,
            'tutor #1 (id "t1"): field "capacity": must be an integer',
        ),
        (
            [{**GOOD, "capacity": "2"}],
            OFFERS,
            'tutor #1 (id "t1"): field "capacity": must be an integer',
        ),
        ([{"id": "t1"}], OFFERS, 'tutor #1 (id "t1"): field "capacity": is required'),
        ([GOOD, GOOD], OFFERS, 'tutor #2 (id "t1"): field "id": duplicate id (also tutor #1)'),
        ([{"capacity": 1}], OFFERS, 'tutor #1: field "id": is required'),
        (
            [{**GOOD, "id": "t2"}],
            OFFERS,
            'offer #1 (id "o1"): field "tutor": unknown tutor "t1"',
        ),
        (
            [GOOD],
            [{**OFFERS[0], "tutor": 7}],
            'offer #1 (id "o1"): field "tutor": must be a tutor id (non-empty string)',
        ),
        ({"t1": 1}, OFFERS, "a JSON array of records is required"),
    ],
)
def test_bad_tutors_input_exits_2_naming_record_and_field(
    tmp_path: Path, capsys, tutors: object, offers: object, message: str
) -> None:  # type: ignore[no-untyped-def]
    for command in ("suggest", "allocate"):
        code, out, err = _cli(tmp_path, capsys, command, tutors, offers)
        assert code == 2 and out == "" and message in err, err


def test_the_cli_s_tutors(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _cli(tmp_path, capsys, "allocate", [GOOD])
    result = json.loads(out)
    assert code == 0 and [(x["request"], x["offer"]) for x in result["assignments"]] == [
        ("r1", "o1")
    ]
    assert result["unassigned"][0]["obstacle"] == "tutor"
    code, out, _ = _cli(tmp_path, capsys, "suggest", [{**GOOD, "capacity": 0}])
    result = json.loads(out)
    assert code == 0 and result["requests"] == {"r1": [], "r2": []}
    assert result["excluded"]["counts"]["tutor"] == 4


def test_without_tutors_the_cli_ignores_an_offer_s_tutor(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An offer carrying ``tutor`` without ``--tutors``: the output of today, as for
    ``training_centre`` without ``--training`` (the capacity is not known, so not applied)."""
    bare = [{k: v for k, v in o.items() if k != "tutor"} for o in OFFERS]
    for command in ("suggest", "allocate"):
        with_field = _cli(tmp_path, capsys, command, None)
        without = _cli(tmp_path, capsys, command, None, bare)
        assert with_field == without and with_field[0] == 0
    assert len(json.loads(with_field[1])["assignments"]) == 2
