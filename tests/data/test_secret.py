"""The statistical secret (data.observatory.secret) against an attacker who reads the shown figures.

The attacker is independent of the module: it builds the published figures' 0/1 vectors over the
atomic cells by enumerating the cells, then for each held-back figure (1) checks with
``numpy.linalg.matrix_rank`` that its vector is not in the span of the shown figures' vectors, and
(2) solves two integer programmes (scipy's ``milp``: cells non-negative integers, every shown
figure as published) for the smallest and the largest value the figure can take: they must differ.
"""

from __future__ import annotations

import functools
import itertools
from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import LinearConstraint, milp

from data.observatory.secret import (
    THRESHOLD,
    TOTAL,
    Key,
    Mask,
    protect,
    protected_table,
    published_keys,
)
from data.observatory.tables import SECRET, Column, ColumnType

FULL_2D: set[Mask] = {(True, True), (True, False), (False, True), (False, False)}


# --- The attacker ---------------------------------------------------------------------------------


def _covers(key: Key, cell: Key) -> bool:
    return all(k == TOTAL or k == c for k, c in zip(key, cell, strict=True))


def _attack(cube: dict[Key, int], cats: list[list[str]], shown: dict) -> dict[Key, tuple]:
    """Return, for each held-back figure, (in the span?, integer min, integer max or None)."""
    cells = list(itertools.product(*cats))
    truth = np.array([cube.get(c, 0) for c in cells], dtype=float)
    vectors = {key: np.array([1.0 if _covers(key, c) else 0.0 for c in cells]) for key in shown}
    visible = [key for key, v in shown.items() if v is not SECRET]
    a = np.array([vectors[k] for k in visible]) if visible else np.zeros((0, len(cells)))
    b = np.array([shown[k] for k in visible], dtype=float)
    # What is shown is the truth: the attacker's constraints hold at the real cells.
    assert np.allclose(a @ truth, b)
    rank = np.linalg.matrix_rank(a) if visible else 0
    found = {}
    for key, value in shown.items():
        if value is not SECRET:
            continue
        v = vectors[key]
        in_span = np.linalg.matrix_rank(np.vstack([a, v])) == rank
        bounds = []
        for sign in (1, -1):
            constraints = [LinearConstraint(a, b, b)] if visible else []
            result = milp(
                c=sign * v,
                constraints=constraints,
                integrality=np.ones(len(cells)),
                bounds=(0, np.inf),
            )
            if result.status == 0:
                bounds.append(round(sign * result.fun))
            else:  # unbounded: no upper limit at all
                assert sign == -1 and result.status in (3, 4), result.message
                bounds.append(None)
        found[key] = (in_span, *bounds)
    return found


def _assert_protected(cube: dict[Key, int], cats: list[list[str]], masks: set[Mask]) -> dict:
    shown = protect(cube, masks, cats)
    assert list(shown) == published_keys(cats, masks)
    for key, value in shown.items():
        truth = sum(v for c, v in cube.items() if _covers(key, c))
        if 1 <= truth <= THRESHOLD:
            assert value is SECRET, (key, truth)
        if value is SECRET:
            assert truth > 0, f"{key}: a zero held back"
        else:
            assert value == truth
    for key, (in_span, low, high) in _attack(cube, cats, shown).items():
        assert not in_span, f"{key} is a combination of shown figures"
        assert high is None or high > low, f"{key} can only be {low}"
    return shown


# --- Worked examples ------------------------------------------------------------------------------


def test_a_small_cell_of_a_two_way_table_is_covered_by_a_rectangle():
    rows = {"a": (4, 25, 30), "b": (20, 12, 40), "c": (35, 50, 60)}
    cube = {(r, c): n for r, ns in rows.items() for c, n in zip("xyz", ns, strict=True)}
    cats = [["a", "b", "c"], ["x", "y", "z"]]
    shown = _assert_protected(cube, cats, FULL_2D)
    held = [k for k, v in shown.items() if v is SECRET]
    # 4 is primary; the smallest partner in its column is 20 (b, x); then the smallest in its
    # row, 25 (a, y); then (a, y)'s column gives 12 (b, y), which closes the rectangle.
    assert held == [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]
    assert shown[("a", TOTAL)] == 59 and shown[(TOTAL, TOTAL)] == 276


def test_a_small_count_in_a_list_with_its_total_takes_the_next_smallest():
    cube = {("x",): 5, ("y",): 30, ("z",): 20}
    shown = _assert_protected(cube, [["x", "y", "z"]], {(True,), (False,)})
    assert shown == {("x",): SECRET, ("y",): 30, ("z",): SECRET, (TOTAL,): 55}


def test_two_small_counts_in_one_sum_protect_each_other():
    cube = {("x",): 3, ("y",): 4, ("z",): 30}
    shown = _assert_protected(cube, [["x", "y", "z"]], {(True,), (False,)})
    assert shown == {("x",): SECRET, ("y",): SECRET, ("z",): 30, (TOTAL,): 37}


def test_a_small_total_is_held_back_with_its_parts_and_zero_is_shown():
    cube = {("a", "x"): 3, ("b", "y"): 40}
    shown = _assert_protected(cube, [["a", "b"], ["x", "y"]], FULL_2D)
    assert shown[("a", "y")] == 0 and shown[("b", "x")] == 0
    assert shown[("a", TOTAL)] is SECRET and shown[(TOTAL, "x")] is SECRET


def test_a_table_without_small_counts_is_published_unchanged():
    counts = (0, 11, 25, 40, 0, 12)
    cube = dict(zip(itertools.product("ab", "xyz"), counts, strict=True))
    shown = protect(cube, FULL_2D)
    assert SECRET not in shown.values()
    assert shown[("a", "y")] == 11 and shown[("b", "y")] == 0 and shown[(TOTAL, TOTAL)] == 88


def test_the_issue_cube_month_metier_territory():
    months = ["2026-01", "2026-02", "2026-03"]
    metiers = ["AES", "ES", "ME"]
    territories = ["CA3B", "CCD", "CCPA"]
    rng = np.random.default_rng(20)
    counts = rng.choice([0, 1, 3, 8, 14, 30], size=27)
    cube = {
        key: int(n)
        for key, n in zip(itertools.product(months, metiers, territories), counts, strict=True)
    }
    masks = {
        (True, False, False),
        (False, True, True),
        (False, True, False),
        (False, False, True),
        (False, False, False),
    }
    shown = _assert_protected(cube, [months, metiers, territories], masks)
    assert len(shown) == 3 + 9 + 3 + 3 + 1


def test_an_issue_sized_cube_keeps_every_secret():
    """12 months x 16 métiers x 20 territories, some métier x territory cells of 1 to 10 people
    among larger ones: the rank attack (projection on the shown figures' span, built here by
    Kronecker products) recovers none of the held-back figures."""
    cats = [
        [f"2026-{m:02d}" for m in range(1, 13)],
        [f"M{j:02d}" for j in range(16)],
        [f"T{t:02d}" for t in range(20)],
    ]
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 4, (12, 16, 20))
    rare = rng.random((16, 20)) < 0.08  # these métier x territory cells: a person or two
    counts[:, rare] = 0
    counts[0, rare] = rng.integers(1, 3, rare.sum())
    counts = counts.ravel()
    cube = {key: int(n) for key, n in zip(itertools.product(*cats), counts, strict=True)}
    masks = {
        (True, False, False),
        (False, True, True),
        (False, True, False),
        (False, False, True),
        (False, False, False),
    }
    shown = protect(cube, masks, cats)

    def vector(key: Key) -> np.ndarray:
        parts = [
            np.ones(len(c)) if k == TOTAL else (np.array(c) == k).astype(float)
            for k, c in zip(key, cats, strict=True)
        ]
        return functools.reduce(np.kron, parts)

    held = np.array([v is SECRET for v in shown.values()])
    vectors = np.array([vector(k) for k in shown])
    truth = np.array(counts, dtype=float)
    assert [v for v in shown.values() if v is not SECRET] == list(vectors[~held] @ truth)
    assert rare.sum() < held.sum() < len(shown) / 2  # complementary cells too
    _, sigma, vt = np.linalg.svd(vectors[~held], full_matrices=False)
    basis = vt[sigma > 1e-8]
    residuals = [np.linalg.norm(v - basis.T @ (basis @ v)) for v in vectors[held]]
    assert min(residuals) > 0.5


def test_categories_default_to_those_in_the_cube_and_keys_are_checked():
    assert list(protect({("b",): 20, ("a",): 30}, {(True,)})) == [("a",), ("b",)]
    with pytest.raises(ValueError):
        protect({("a",): -1}, {(True,)})
    with pytest.raises(ValueError):
        protect({(TOTAL,): 12}, {(True,)})
    with pytest.raises(ValueError):
        protect({("a", "x"): 12}, {(True,)})
    with pytest.raises(ValueError):
        protect({("a",): 12}, set())


# --- Property tests -------------------------------------------------------------------------------

COUNTS = st.sampled_from([0, 0, 1, 2, 3, 5, 8, 10, 11, 13, 20, 40])


@st.composite
def cubes(draw: st.DrawFn) -> tuple[dict[Key, int], list[list[str]], set[Mask]]:
    k = draw(st.integers(1, 3))
    largest = {1: 6, 2: 4, 3: 3}[k]
    sizes = [draw(st.integers(1, largest)) for _ in range(k)]
    cats = [[f"{'mtc'[d]}{i}" for i in range(size)] for d, size in enumerate(sizes)]
    cells = list(itertools.product(*cats))
    values = draw(st.lists(COUNTS, min_size=len(cells), max_size=len(cells)))
    all_masks = list(itertools.product((True, False), repeat=k))
    masks = draw(st.sets(st.sampled_from(all_masks), min_size=1))
    return dict(zip(cells, values, strict=True)), cats, masks


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cubes())
def test_no_held_back_figure_can_be_recomputed_from_the_shown_ones(example):
    cube, cats, masks = example
    _assert_protected(cube, cats, masks)


@settings(max_examples=40, deadline=None)
@given(cubes(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_input_order(example, random):
    cube, cats, masks = example
    items = list(cube.items())
    random.shuffle(items)
    mask_list = list(masks)
    random.shuffle(mask_list)
    assert protect(dict(items), mask_list, cats) == protect(cube, masks, cats)


@settings(max_examples=40, deadline=None)
@given(cubes())
def test_counts_of_zero_or_above_the_threshold_are_never_held_back(example):
    cube, cats, masks = example
    big = {key: (0 if n == 0 else n + THRESHOLD) for key, n in cube.items()}
    shown = protect(big, masks, cats)
    assert SECRET not in shown.values()


# --- The published table --------------------------------------------------------------------------


def test_protected_table_has_one_row_per_published_figure():
    cube = {("2026-01-01", "AES"): 4, ("2026-01-01", "ES"): 30, ("2026-02-01", "AES"): 25}
    cube[("2026-02-01", "ES")] = 12
    table = protected_table(
        cube,
        FULL_2D,
        [
            Column("mois", "Mois", ColumnType.DATE, "Vide : toute la période."),
            Column("metier", "Métier", ColumnType.STRING),
        ],
        Column("candidats", "Candidats", unit="personnes"),
        key="candidats-par-mois-et-metier",
        title="Candidats par mois et par métier",
        description="Essai.",
        updated_on=date(2026, 3, 1),
        sources=("Passerelle",),
    )
    assert [c.key for c in table.dimensions] == ["mois", "metier"]
    assert table.rows[0] == (date(2026, 1, 1), "AES", SECRET)
    assert table.rows[-1] == (None, TOTAL, 71)
    assert table.values("candidats").count(SECRET) == 4
    assert table.updated_on == date(2026, 3, 1) and table.sources == ("Passerelle",)
