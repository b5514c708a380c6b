"""The training centre of each pair (issue 16): worked examples, properties, the command line.

Worked examples are in real communes of the Ain; the properties check the engine against a
brute force in plain Python (the documented rule of :mod:`matching.training`, pair by pair) on
small random instances, blocked and dense.
"""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matching.training as training_module
from matching import (
    Exclusion,
    InvalidInput,
    Match,
    MetierReferential,
    OfferIn,
    Params,
    Programme,
    RequestIn,
    TrainingCentre,
    TrainingChoice,
    UnknownMetier,
    allocate,
    distance_km,
    reason_text,
    score_pair,
    score_pairs,
    suggest,
)
from matching.allocation import allocate_reference
from matching.cli import main
from matching.scoring import BlockKernel, kernel, pair_terms
from matching.tables import prepare_tables
from matching.training import Training

from .conftest import assert_brute_force_lists, at, metier_records, offer, request
from .test_properties import SETTINGS, instances

REF = MetierReferential.from_records(metier_records())
AS = "aide-soignant"
ES = "educateur-specialise"
BOURG, OYONNAX, AMBERIEU = at("01053"), at("01283"), at("01004")
BELLEY, GEX = at("01034"), at("01173")
START = date(2027, 1, 4)


def centre(
    ident: str, where: tuple[float, float], *programmes: Programme, **kw: Any
) -> TrainingCentre:
    return TrainingCentre(ident, kw.pop("name", ident.upper()), *where, programmes=programmes, **kw)


def match(
    r: RequestIn, o: OfferIn, centres: list[TrainingCentre], p: Params | None = None
) -> Match:
    m = score_pair(r, o, REF, p or Params(), centres=centres)
    assert isinstance(m, Match), m
    return m


# --- worked examples ------------------------------------------------------------------------------


def test_an_enrolled_candidate_trains_at_their_own_centre() -> None:
    """The candidate's centre wins over a nearer one and over the offer's partner; its intake
    fits (1), so the criterion is the travel score alone."""
    mine = centre("ifsi-belley", BELLEY, Programme(AS, (date(2027, 3, 1),)), commune="Belley")
    near = centre("ifas", AMBERIEU, Programme(AS, (START,)), commune="Ambérieu-en-Bugey")
    r = request("lea", AS, *AMBERIEU, training_centre="ifsi-belley")
    o = offer("ehpad", AS, *AMBERIEU, start=START, training_centre="ifas")
    m = match(r, o, [mine, near])
    assert m.training is not None
    assert (m.training.centre_id, m.training.source) == ("ifsi-belley", "enrolled")
    d = float(distance_km(*AMBERIEU, *BELLEY))
    assert m.training.distance_km == pytest.approx(d)
    assert m.criteria["training"].score == pytest.approx(1 - 0.75 * d / 60)
    assert m.training.intake == date(2027, 3, 1)
    assert m.criteria["training"].reason == (
        f"Formation dans votre centre, IFSI-BELLEY (Belley), à {round(d)} km de chez vous, "
        "rentrée le 1er mars 2027"
    )
    assert m.to_dict()["training"] == {
        "centre": "ifsi-belley",
        "name": "IFSI-BELLEY",
        "commune": "Belley",
        "distance_km": round(d, 1),
        "intake": "2027-03-01",
        "source": "enrolled",
    }


def test_an_enrolled_centre_without_the_programme_says_so() -> None:
    mine = centre("irts", BELLEY, Programme(ES, (date(2027, 9, 1),)), name="IRTS")
    m = match(request("lea", AS, *BOURG, training_centre="irts"), offer("o", AS, *BOURG), [mine])
    assert m.training is not None and m.training.intake is None
    assert m.reasons[-1].startswith("Formation dans votre centre, IRTS, à ")
    assert m.reasons[-1].endswith("(le centre ne déclare pas préparer ce diplôme)")


def test_a_partner_centre_far_away_is_the_pair_s_centre_scoring_0() -> None:
    partner = centre("cfa-gex", GEX, Programme(AS, (START,)), commune="Gex")
    near = centre("ifas-bourg", BOURG, Programme(AS, (START,)))
    r = request("lea", AS, *AMBERIEU, max_km=50)
    o = offer("ehpad", AS, *AMBERIEU, start=START, training_centre="cfa-gex")
    m = match(r, o, [partner, near])
    assert m.training is not None
    assert (m.training.centre_id, m.training.source) == ("cfa-gex", "partner")
    assert m.training.distance_km > 60 and m.criteria["training"].score == 0.0
    assert "centre partenaire de l'offre" in m.criteria["training"].reason
    # With the hard constraint, the partner out of reach excludes the pair.
    e = score_pair(r, o, REF, Params(require_training=True), centres=[partner, near])
    assert isinstance(e, Exclusion) and e.reasons == ("training",)
    assert e.messages == ("Aucun centre de formation à moins de 60 km",)


def test_an_intake_a_week_after_the_start_beats_one_eight_months_after() -> None:
    """The nearer centre's only intake is 8 months after the start (fit 0); the farther one's
    a week after (fit 1): the farther one wins."""
    late = centre("near", AMBERIEU, Programme(AS, (START + timedelta(days=243),)))
    soon = centre("far", BOURG, Programme(AS, (START + timedelta(days=7),)))
    r = request("lea", AS, *AMBERIEU, max_km=40)
    m = match(r, offer("ehpad", AS, *AMBERIEU, start=START), [late, soon])
    assert m.training is not None
    assert (m.training.centre_id, m.training.source) == ("far", "nearest")
    assert m.training.intake == date(2027, 1, 11)
    d = float(distance_km(*AMBERIEU, *BOURG))
    assert m.criteria["training"].score == pytest.approx(1 - 0.75 * d / 60)
    assert m.criteria["training"].reason == (
        f"Formation à FAR, {round(d)} km de chez vous, rentrée le 11 janvier 2027"
    )
    fact = m.criteria["training"].fact
    assert reason_text(fact, "employer") == (
        f"Formation à FAR, à {round(d)} km du domicile de la personne candidate, "
        "rentrée le 11 janvier 2027"
    )


def test_no_centre_at_all() -> None:
    """No centre prepares the métier within reach: no training, 0, a reason that says so; the
    hard constraint (off by default) excludes the pair."""
    other = centre("irts", BOURG, Programme(ES, (START,)))
    far = centre("cfa-gex", GEX, Programme(AS, (START,)))
    r = request("lea", AS, *BELLEY, max_km=50)
    o = offer("ehpad", AS, *BELLEY, start=START)
    m = match(r, o, [other, far])
    assert m.training is None and m.criteria["training"].score == 0.0
    assert m.reasons[-1] == "Aucun centre connu ne prépare ce diplôme à moins de 60 km"
    assert m.to_dict()["training"] is None
    s = suggest([r], [o], REF, centres=[other, far])
    assert s.by_request["lea"][0].training is None
    strict = Params(require_training=True)
    s = suggest([r], [o], REF, strict, centres=[other, far])
    assert s.by_request["lea"] == [] and s.excluded.counts["training"] == 1
    assert s.excluded.samples["training"] == (("lea", "ehpad"),)
    assert list(s.excluded.counts)[-1] == "training"
    a = allocate([r], [o], REF, strict, centres=[other, far])
    assert not a.assignments and a.unassigned[0].compatible == 0


def test_without_centres_no_training_anywhere() -> None:
    r, o = request("lea", AS, *BOURG), offer("ehpad", AS, *BOURG)
    m = match(r, o, [])
    assert "training" in m.criteria and m.training is None
    plain = score_pair(r, o, REF)
    assert isinstance(plain, Match) and plain.training is None
    assert "training" not in plain.criteria and "training" not in plain.to_dict()
    assert "training" not in suggest([r], [o], REF).excluded.counts
    assert sum(c.weight for c in m.criteria.values()) == pytest.approx(1.0)


def test_an_enrolled_candidate_prefers_employers_working_with_their_centre() -> None:
    mine = centre("ifas-bourg", BOURG, Programme(AS, (START,)))
    other = centre("ifas-oyonnax", OYONNAX, Programme(AS, (START,)))
    r = request("lea", AS, *BOURG, training_centre="ifas-bourg")
    offers = [
        offer("a-other", AS, *AMBERIEU, employer_centres=("ifas-oyonnax",)),
        offer("b-mine", AS, *AMBERIEU, employer_centres=("ifas-oyonnax", "ifas-bourg")),
    ]
    s = suggest([r], offers, REF, centres=[mine, other])
    ranked = s.by_request["lea"]
    assert [m.offer_id for m in ranked] == ["b-mine", "a-other"]
    assert ranked[0].score > ranked[1].score
    assert ranked[1].criteria["training"].score == pytest.approx(0.5)
    assert ranked[1].reasons[-1].endswith("; l'employeur travaille avec un autre centre")
    # Without the employers' centres, the two offers tie (and rank by id).
    plain = [dataclasses.replace(o, employer_centres=()) for o in offers]
    tied = suggest([r], plain, REF, centres=[mine, other]).by_request["lea"]
    assert tied[0].score == tied[1].score and tied[0].offer_id == "a-other"


def test_the_score_is_the_weighted_mean_of_four_criteria() -> None:
    p = Params(weight_training=0.3)
    c = centre("ifas", AMBERIEU, Programme(AS, (START,)))
    m = match(request("lea", AS, *BOURG, max_km=40), offer("o", AS, *OYONNAX, start=START), [c], p)
    total = p.weight_metier + p.weight_distance + p.weight_housing + p.weight_training
    assert m.criteria["training"].weight == pytest.approx(0.3 / total)
    assert m.score == pytest.approx(sum(x.weight * x.score for x in m.criteria.values()))


def test_unknown_centres_and_bad_centres_are_invalid_input() -> None:
    c = centre("ifas", BOURG, Programme(AS))
    r, o = request("lea", AS, *BOURG), offer("o", AS, *BOURG)
    cases = [
        ([dataclasses.replace(r, training_centre="x")], [o], "request lea", "training_centre"),
        ([r], [dataclasses.replace(o, training_centre="x")], "offer o", "training_centre"),
        ([r], [dataclasses.replace(o, employer_centres=("x",))], "offer o", "employer_centres"),
    ]
    for reqs, offs, record, field in cases:
        with pytest.raises(InvalidInput) as e:
            suggest(reqs, offs, REF, centres=[c])
        assert (e.value.record, e.value.field) == (record, field)
        with pytest.raises(InvalidInput):
            allocate(reqs, offs, REF, centres=[c])
    with pytest.raises(UnknownMetier) as u:
        suggest([r], [o], REF, centres=[centre("c", BOURG, Programme("astronaute"))])
    assert (u.value.record, u.value.field) == ("centre c", "programmes")
    with pytest.raises(InvalidInput) as e:
        suggest([r], [o], REF, centres=[c, c])
    assert (e.value.record, e.value.field) == ("centre ifas", "id")
    with pytest.raises(InvalidInput) as e:
        TrainingCentre("c", "C", 91.0, 5.0)
    assert (e.value.record, e.value.field) == ("centre c", "lat")
    with pytest.raises(InvalidInput) as e:
        TrainingCentre("c", "C", 46.0, 5.0, programmes=(Programme(AS, ("2027-01-01",)),))  # type: ignore[arg-type]
    assert (e.value.record, e.value.field) == ("centre c", "intakes")
    # Unknown references are not checked without centres: the fields are not read.
    assert suggest(cases[0][0], [o], REF).by_request["lea"]


def test_training_choice_to_dict() -> None:
    choice = TrainingChoice("c", "C", "Gex", 12.345, None, "nearest")
    assert choice.to_dict() == {
        "centre": "c",
        "name": "C",
        "commune": "Gex",
        "distance_km": 12.3,
        "intake": None,
        "source": "nearest",
    }


# --- properties: against a brute force in plain Python -------------------------------------------

PLACES = [BOURG, OYONNAX, AMBERIEU, BELLEY, GEX]
METIERS = [AS, ES, "moniteur-educateur"]
DAYS = [None, date(2026, 9, 1), date(2026, 10, 15), date(2027, 1, 4), date(2027, 6, 1)]
INTAKES = [date(2026, 9, 7), date(2026, 11, 2), date(2027, 1, 11), date(2027, 9, 6)]
place = st.one_of(st.sampled_from(PLACES), st.tuples(st.floats(45.6, 46.5), st.floats(4.8, 6.1)))


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[RequestIn], list[OfferIn], list[TrainingCentre]]:
    n_centres = draw(st.integers(0, 6))
    centres = []
    for k in range(n_centres):
        metiers = draw(st.lists(st.sampled_from(METIERS), max_size=3, unique=True))
        programmes = tuple(
            Programme(m, tuple(draw(st.lists(st.sampled_from(INTAKES), max_size=3))))
            for m in metiers
        )
        centres.append(TrainingCentre(f"c{k}", f"Centre {k}", *draw(place), "", programmes))
    ids = [c.id for c in centres]
    maybe = st.one_of(st.none(), st.sampled_from(ids)) if ids else st.none()
    some = st.lists(st.sampled_from(ids), max_size=2, unique=True) if ids else st.just([])
    requests = [
        RequestIn(
            f"r{i}",
            tuple(draw(st.lists(st.sampled_from(METIERS), min_size=1, max_size=2, unique=True))),
            *draw(place),
            max_km=draw(st.sampled_from([10, 30, 60])),
            needs_housing=draw(st.booleans()),
            training_centre=draw(maybe),
        )
        for i in range(draw(st.integers(0, 8)))
    ]
    offers = [
        OfferIn(
            f"o{j}",
            draw(st.sampled_from(METIERS)),
            *draw(place),
            places=draw(st.integers(0, 2)),
            housing_beds=draw(st.integers(0, 1)),
            start=draw(st.sampled_from(DAYS)),
            training_centre=draw(maybe),
            employer_centres=tuple(draw(some)),
        )
        for j in range(draw(st.integers(0, 8)))
    ]
    return requests, offers, centres


def brute_choice(
    r: RequestIn, o: OfferIn, centres: list[TrainingCentre], p: Params
) -> tuple[str | None, float, date | None]:
    """The documented rule, pair by pair: (centre id, s_training, intake)."""
    k = (1.0 - p.training_score_at_limit) / p.training_max_km

    def km(c: TrainingCentre) -> float:
        return float(distance_km(r.lat, r.lon, c.lat, c.lon))

    def travel(d: float) -> float:
        return 1.0 - d * k if d <= p.training_max_km else 0.0

    def intakes(c: TrainingCentre) -> list[date] | None:
        days = [d for prog in c.programmes if prog.metier == o.metier for d in prog.intakes]
        has = any(prog.metier == o.metier for prog in c.programmes)
        return sorted(set(days)) if has else None

    def fit(c: TrainingCentre) -> tuple[float, date | None]:
        days = intakes(c) or []
        if not days:
            return p.training_unknown_intake_score, None
        if o.start is None:
            return 1.0, days[0]
        best = min(days, key=lambda d: (abs((d - o.start).days), d))  # type: ignore[operator]
        g = abs((best - o.start).days)
        tol, zero = p.training_intake_tolerance_days, p.training_intake_zero_days
        return (1.0 if g <= tol else max(0.0, 1.0 - (g - tol) / (zero - tol))), best

    by_id = {c.id: c for c in centres}
    if r.training_centre is not None:
        c = by_id[r.training_centre]
        factor = 1.0
        if o.employer_centres and c.id not in o.employer_centres:
            factor = p.training_other_centre_factor
        return c.id, travel(km(c)) * factor, fit(c)[1]
    if o.training_centre is not None:
        c = by_id[o.training_centre]
        f, day = fit(c)
        return c.id, travel(km(c)) * f, day
    options = [
        (travel(km(c)) * fit(c)[0], km(c), c.id, fit(c)[1])
        for c in centres
        if intakes(c) is not None and km(c) <= p.training_max_km
    ]
    if not options:
        return None, 0.0, None
    best = max(options, key=lambda x: (x[0], -x[1], [-ord(ch) for ch in x[2]]))
    return best[2], best[0], best[3]


@SETTINGS
@given(worlds())
def test_the_chosen_centre_is_the_best_by_the_documented_rule(world) -> None:  # type: ignore[no-untyped-def]
    requests, offers, centres = world
    p = Params()
    pairs = [(r.id, o.id) for r in requests for o in offers]
    results = score_pairs(requests, offers, pairs, REF, p, centres=centres)
    for (rid, oid), m in zip(pairs, results, strict=True):
        if not isinstance(m, Match):
            continue
        r = next(x for x in requests if x.id == rid)
        o = next(x for x in offers if x.id == oid)
        cid, s, intake = brute_choice(r, o, centres, p)
        assert (None if m.training is None else m.training.centre_id) == cid
        assert m.criteria["training"].score == pytest.approx(s, abs=1e-12)
        assert (None if m.training is None else m.training.intake) == intake


@SETTINGS
@given(worlds(), st.integers(1, 3), st.booleans())
def test_suggest_with_centres_equals_pair_by_pair(
    blocking: str, near_tables: str, world, k: int, require: bool
) -> None:  # type: ignore[no-untyped-def]
    """Blocked or dense, the lists are those of score_pair on every pair (bit for bit)."""
    requests, offers, centres = world
    p = Params(require_training=require)
    s = suggest(requests, offers, REF, p, top_k=k, centres=centres)
    results = {
        (r.id, o.id): score_pair(r, o, REF, p, centres=centres) for r in requests for o in offers
    }
    assert_brute_force_lists(s, results.values(), requests, offers, k)
    first = [e.reasons[0] for e in results.values() if isinstance(e, Exclusion)]
    assert s.excluded.counts["training"] == first.count("training")


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_independent_of_input_order(world, rnd: random.Random) -> None:  # type: ignore[no-untyped-def]
    requests, offers, centres = world
    before = suggest(requests, offers, REF, top_k=3, centres=centres)
    shuffled = [list(x) for x in world]
    for x in shuffled:
        rnd.shuffle(x)
    after = suggest(shuffled[0], shuffled[1], REF, top_k=3, centres=shuffled[2])
    for r in requests:
        assert [m.to_dict() for m in before.by_request[r.id]] == [
            m.to_dict() for m in after.by_request[r.id]
        ]
    a = allocate(requests, offers, REF, centres=centres).to_dict()
    b = allocate(shuffled[0], shuffled[1], REF, centres=shuffled[2]).to_dict()
    assert a == b


@SETTINGS
@given(worlds())
def test_allocation_with_centres_is_the_greedy_pass_over_the_same_scores(world) -> None:  # type: ignore[no-untyped-def]
    requests, offers, centres = world
    a = allocate(requests, offers, REF, centres=centres)
    expected = allocate_reference(requests, offers, REF, centres=centres)
    assert {x.request_id: x.offer_id for x in a.assignments} == {
        rid: m.offer_id for rid, m in expected.items()
    }
    strict = Params(exclude_without_housing=True)
    for x in a.assignments:
        r = next(q for q in requests if q.id == x.request_id)
        o = next(q for q in offers if q.id == x.offer_id)
        assert x.score == x.match.score == match(r, o, centres, strict).score
        assert x.match.training == match(r, o, centres, strict).training


def test_allocation_lengthens_the_lists_of_those_who_need_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With lists of one offer, requests turned down ask for more: same result."""
    import matching.allocation.scored as scored

    rnd = random.Random(16)
    c = [centre(f"c{k}", rnd.choice(PLACES), Programme(AS, (START,))) for k in range(3)]
    requests = [request(f"r{i}", AS, *rnd.choice(PLACES), max_km=80) for i in range(12)]
    offers = [offer(f"o{j}", AS, *rnd.choice(PLACES), places=1) for j in range(8)]
    whole = allocate(requests, offers, REF, centres=c).to_dict()
    monkeypatch.setattr(scored, "LIST_LENGTH", 1)
    assert allocate(requests, offers, REF, centres=c).to_dict() == whole
    assert len(whole["assignments"]) == 8


# --- the command line ----------------------------------------------------------------------------

OFFERS = [
    {
        "id": "ehpad",
        "metier": "Aide-soignante",
        "commune": "01053",
        "places": 1,
        "start": "2027-01-04",
        "employer_centres": ["ifas"],
    },
    {
        "id": "ime",
        "metier": "aide-soignant",
        "commune": "01004",
        "places": 1,
        "training_centre": "cfa",
    },
]
REQUESTS = [
    {"id": "lea", "metiers": ["aide-soignant"], "commune": "01053", "max_km": 40},
    {
        "id": "sam",
        "metiers": ["aide-soignant"],
        "commune": "01004",
        "max_km": 40,
        "training_centre": "ifas",
    },
]
CENTRES = [
    {
        "id": "ifas",
        "name": "IFAS de Bourg",
        "commune": "01053",
        "programmes": [{"metier": "Aide-soignant", "intakes": ["2027-01-11", "2027-09-06"]}],
    },
    {"id": "cfa", "name": "CFA Sanitaire", "lat": 45.96, "lon": 5.37, "programmes": []},
]


def _run(
    tmp_path: Path,
    command: str,
    offers: Any,
    requests: Any,
    centres: Any,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    paths = []
    for name, data in (("o.json", offers), ("r.json", requests), ("t.json", centres)):
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        paths.append(str(path))
    code = main([command, "--offers", paths[0], "--requests", paths[1], "--training", paths[2]])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_suggest_and_allocate_with_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(tmp_path, "suggest", OFFERS, REQUESTS, CENTRES, capsys)
    assert code == 0, err
    data = json.loads(out)
    lea = {m["offer"]: m for m in data["requests"]["lea"]}
    assert lea["ehpad"]["training"] == {
        "centre": "ifas",
        "name": "IFAS de Bourg",
        "commune": "Bourg-en-Bresse",
        "distance_km": 0.0,
        "intake": "2027-01-11",
        "source": "nearest",
    }
    assert lea["ehpad"]["criteria"]["training"]["score"] == 1.0
    assert lea["ime"]["training"]["centre"] == "cfa"
    assert lea["ime"]["training"]["intake"] is None
    sam = {m["offer"]: m for m in data["requests"]["sam"]}
    assert {m["training"]["source"] for m in sam.values()} == {"enrolled"}
    assert data["excluded"]["counts"]["training"] == 0
    code, out, err = _run(tmp_path, "allocate", OFFERS, REQUESTS, CENTRES, capsys)
    assert code == 0, err
    assert all("training" in a for a in json.loads(out)["assignments"])


def _changed(records: list[dict[str, Any]], n: int, **changes: Any) -> list[dict[str, Any]]:
    out = [dict(r) for r in records]
    out[n].update(changes)
    return out


@pytest.mark.parametrize(
    ("which", "changes", "expected"),
    [
        (
            "offers",
            {"training_centre": "nope"},
            ('o.json: offer #2 (id "ime")', '"training_centre"'),
        ),
        ("offers", {"employer_centres": ["nope"]}, ('offer #2 (id "ime")', '"employer_centres"')),
        ("requests", {"training_centre": "nope"}, ('request #2 (id "sam")', '"training_centre"')),
        (
            "centres",
            {"programmes": [{"metier": "astronaute"}]},
            ('t.json: centre #1 (id "ifas")', '"programmes"'),
        ),
        (
            "centres",
            {"programmes": [{"metier": "aide-soignant", "intakes": ["2027-13-01"]}]},
            ('centre #1 (id "ifas")', '"intakes"'),
        ),
        ("centres", {"commune": "99999"}, ('centre #1 (id "ifas")', '"commune"')),
        ("centres", {"name": ""}, ('centre #1 (id "ifas")', '"name"')),
    ],
)
def test_cli_bad_training_input_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    which: str,
    changes: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    inputs = {"offers": OFFERS, "requests": REQUESTS, "centres": CENTRES}
    n = 0 if which == "centres" else 1
    inputs[which] = _changed(inputs[which], n, **changes)
    code, out, err = _run(
        tmp_path, "suggest", inputs["offers"], inputs["requests"], inputs["centres"], capsys
    )
    assert code == 2 and out == ""
    for part in expected:
        assert part in err, err


def test_cli_without_training_ignores_the_centre_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for name, data in (("o.json", OFFERS), ("r.json", REQUESTS)):
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        paths.append(str(path))
    assert main(["suggest", "--offers", paths[0], "--requests", paths[1]]) == 0
    data = json.loads(capsys.readouterr().out)
    assert all("training" not in m for m in data["requests"]["lea"])
    assert "training" not in data["excluded"]["counts"]


@pytest.fixture(params=["tables", "tables on the grid", "tables, blocks gathering", "per block"])
def near_tables(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run with the training tables computed up front (every centre measured, or those of the
    grid cells around each home; the hot path reading its weighted table, or gathering the
    others per block), and without them (per block; employers' centres looked up)."""
    if request.param == "tables on the grid":
        monkeypatch.setattr(training_module, "GRID_CENTRES", 0)
        monkeypatch.setattr(training_module, "GRID_PAIRS", 0)
    if request.param == "tables, blocks gathering":
        monkeypatch.setattr(training_module, "BLOCK_TABLE_MAX", 0)
    if request.param == "per block":
        monkeypatch.setattr(training_module, "NEAR_TABLE_MAX", 0)
    return request.param


@SETTINGS
@given(worlds(), st.booleans())
def test_the_hot_path_scores_pairs_as_the_explanations_do_bit_for_bit(
    near_tables: str, world, require: bool
) -> None:  # type: ignore[no-untyped-def]
    """The block kernel (suggest's hot path), the kernel on a block and on a list of pairs and
    pair_terms (the allocation's) give every pair the same bits, training included."""
    requests, offers, centres = world
    p = Params(require_training=require, exclude_without_housing=True)
    rt, ot = prepare_tables(requests, offers, REF, p)
    training = Training(centres, rt, ot, REF, p)
    rows = np.arange(len(requests), dtype=np.intp)
    cols = np.arange(len(offers), dtype=np.intp)
    ri, ci = np.divmod(np.arange(len(requests) * len(offers)), max(len(offers), 1))
    ri, ci = ri.astype(np.intp), ci.astype(np.intp)
    pairs = kernel(rt, ri, ot, ci, p, block=False, training=training)
    block = kernel(rt, rows, ot, cols, p, block=True, training=training)
    # Pairs of unrelated métiers are excluded: their training score is never computed.
    same = pairs.compat
    assert block.score.ravel()[same].tobytes() == pairs.score[same].tobytes()
    assert pairs.s_training is not None and block.s_training is not None
    assert block.s_training.ravel()[same].tobytes() == pairs.s_training[same].tobytes()
    score, valid = pair_terms(rt, ri, ot, ci, pairs.d, p, training)
    assert score.tobytes() == pairs.score.tobytes()
    hot = BlockKernel(rt, ot, p, max(1, len(rows) * len(cols)), training)
    failed: dict[str, int] = {}
    got, ok, _reach, _beyond = hot.run(
        rows, cols, -1, False, lambda reason, mask, n: failed.update({reason: n})
    )
    ok_pairs = ok.ravel().copy()
    assert got.ravel()[ok_pairs].tobytes() == pairs.score[ok_pairs].tobytes()
    assert (ok_pairs == (valid & pairs.compat)).all()
    if require and pairs.f_training is not None:
        assert failed.get("training", 0) <= int(pairs.f_training.sum())


def test_ties_go_to_the_nearer_centre_then_the_smaller_id() -> None:
    """Two centres whose intakes do not fit at all (0): the nearer one; at one place, the
    smaller id."""
    late = (START + timedelta(days=300),)
    near = centre("b-near", AMBERIEU, Programme(AS, late))
    far = centre("a-far", BOURG, Programme(AS, late))
    twin = centre("a-twin", AMBERIEU, Programme(AS, late))
    r = request("lea", AS, *AMBERIEU, max_km=40)
    o = offer("ehpad", AS, *AMBERIEU, start=START)
    m = match(r, o, [near, far])
    assert m.training is not None and m.training.centre_id == "b-near"
    assert m.criteria["training"].score == 0.0
    m = match(r, o, [near, far, twin])
    assert m.training is not None and m.training.centre_id == "a-twin"
    s = suggest([r], [o], REF, centres=[near, twin, far])
    assert s.by_request["lea"][0].training == m.training


@st.composite
def crowded(draw: st.DrawFn) -> tuple[list[RequestIn], list[OfferIn]]:
    """Many candidates for few places of one métier in five communes: lists run out, offers
    fill up, requests are placed beyond the head of their lists."""
    reqs = [
        RequestIn(f"r{i:02d}", (AS,), *draw(st.sampled_from(PLACES)), max_km=80)
        for i in range(draw(st.integers(4, 30)))
    ]
    offs = [
        OfferIn(f"o{j:02d}", AS, *draw(st.sampled_from(PLACES)), places=draw(st.integers(1, 2)))
        for j in range(draw(st.integers(2, 12)))
    ]
    return reqs, offs


@settings(SETTINGS, max_examples=40)
@given(st.one_of(instances(), crowded()), st.sampled_from([1, 2, 32]))
def test_the_scored_allocation_without_centres_is_the_fast_one(inst, length: int) -> None:  # type: ignore[no-untyped-def]
    """The path taken with centres, run without them, settles every decision, rank, count and
    lost_to as the fast path does; with lists of one or two offers it lengthens them often."""
    import matching.allocation.scored as scored
    import matching.allocation.tuning as tuning
    from matching.allocation.explain import assignments, unassigned
    from matching.model import Allocation

    reqs, offs = inst
    strict = Params(exclude_without_housing=True)
    saved = scored.LIST_LENGTH, tuning.MAX_LOST_TO
    scored.LIST_LENGTH, tuning.MAX_LOST_TO = length, min(length, 2)
    try:
        fast = allocate(reqs, offs, REF).to_dict()
        rt, ot = prepare_tables(reqs, offs, REF, strict)
        settled = scored.allocate_scored(rt, ot, strict, None)
        got = Allocation(assignments(settled, REF, strict), unassigned(settled)).to_dict()
    finally:
        scored.LIST_LENGTH, tuning.MAX_LOST_TO = saved
    assert got == fast
