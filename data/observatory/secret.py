"""Hold back the counts of people that a published table would disclose (the statistical secret).

The observatory publishes counts of people (candidates, pairs) crossed by up to three dimensions
(month x métier x territory, say). No published figure may show between 1 and :data:`THRESHOLD`
people, and no such figure may be recomputed from the figures that are shown.

**The rule.** :data:`THRESHOLD` is 10: a count of people between 1 and 10 is not published, 0 is.
This is the rule issue 20 sets for Passerelle, and it is the usual practice of French public
statistics for tables of counts of people (cells of fewer than 11 people held back as « secret
statistique »). We give no legal reference for the number 10 itself: we could not check one.
The duty behind it is the one the *loi pour une République numérique* (7 October 2016, article 6)
puts on open data, as quoted by Université Paris Nanterre's open-access pages
(https://openaccess.parisnanterre.fr/open-data/les-exceptions/): documents holding personal data
« ne peuvent être rendus publics qu'après avoir fait l'objet d'un traitement permettant de rendre
impossible l'identification de ces personnes ».

**The cube and what is published.** The input is a cube of counts over ``k`` dimensions (1 to 3):
``{("2026-01", "AES", "CC Dombes"): 4, ...}``, the atomic cells (a missing cell counts 0). What is
published is a set of *masks*, one boolean per dimension saying which dimensions a published
table keeps: ``(True, False, False)`` is the monthly totals, ``(False, True, True)`` the métier x
territory table over the whole period, ``(False, False, False)`` the grand total. Every published
figure is the sum of the atomic cells over the dimensions its mask drops; its key has
:data:`TOTAL` there: ``("Ensemble", "AES", "CC Dombes")``.

**The algorithm** (:func:`protect`).

1. *Primary suppression*: every published figure with ``1 <= n <= threshold`` is held back.
2. *Complementary suppression*: a held-back figure is *exposed* when its vector of atomic cells lies
   in the span of the shown figures' vectors, i.e. when a linear relation among published figures
   involves it and no other held-back figure (then it equals a combination of shown figures).
   While some held-back figure is exposed, find the relations that expose it and hold back, among
   the shown figures in them, the one with the smallest nonzero value (ties: the first in
   publication order); then look again. The relations looked at first are the sums (a total and
   its parts, one published table summed into a coarser one): the first held-back figure (in
   publication order) that is the only one held back in such a sum gets its partner there, as in
   the usual row-and-column method, so a small cell of a two-way table is covered by a rectangle
   of cells rather than by its margins. When no sum exposes anything, the linear algebra below
   finds the first figure that a combination of relations still exposes, and every shown figure
   in a relation exposing it is a candidate. Each step holds back one more figure, so the loop
   ends; every held-back figure is nonzero (a relation whose shown figures are all 0 can only
   expose a 0), so an attacker who also knows that counts are non-negative keeps a range of at
   least two integer values in the usual tables (the tests check this with an integer programme).

   The linear algebra works on the *relations* between published figures rather than on the
   atomic cells: the relations are the null space of the Gram matrix ``G = P Pᵀ`` of the figures'
   0/1 vectors ``P`` (``Pᵀc = 0`` iff ``Gc = 0``), and ``G`` has a closed form (two figures share
   the product, over the dimensions, of 1 or 0 where both keep the dimension, 1 where one does,
   the dimension's size where neither does), so the atomic cells are never enumerated. With ``Z``
   an orthonormal basis of the relations (``n x m``), figure ``i`` is exposed iff ``e_i`` lies in
   the column space of ``Z[S]`` (the rows of the held-back figures ``S``), read off an SVD.

   The relations' basis comes cheaper when the sums span every relation, which is the case for
   nested tables (a table, its margins, the grand total): their number is known exactly (the
   figures' count less the rank that the analysis-of-variance decomposition gives, see
   :func:`_rank`), so one SVD of the sums' small matrix (``r x n``) gives the basis; otherwise the
   Gram matrix's eigendecomposition does.

**Cost.** The relations' basis: an SVD of the ``r x n`` sums' matrix (``O(r² n)``), or else one
eigendecomposition of the ``n x n`` Gram matrix (``O(n³)``); then, per complementary suppression,
a scan of the sums the held-back figures belong to and, only when no sum exposes a figure, two
SVDs of matrices of at most ``s x m`` (``s`` held-back figures, ``m`` relations). For 12 months x
16 métiers x 20 territories published as the monthly totals, the métier x territory table, its
margins and the grand total (369 figures, 38 relations) it takes about 15 ms with one BLAS thread,
whatever the share of small counts; publishing every table of that cube, its cells included
(4,641 figures, 801 relations), about 2 s (``python -m benchmarks secret``). BLAS threads on a
loaded machine can multiply these times by several. Rank decisions use floating point with
tolerances far from the values that occur with 0/1 vectors (nonzero eigenvalues of ``G`` are at
least about 1); the tests recompute every decision with an independent method.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

import numpy as np
from numpy.typing import NDArray

from data.observatory.tables import SECRET, Cell, Column, ColumnType, Secret, Table

__all__ = [
    "THRESHOLD",
    "TOTAL",
    "Key",
    "Mask",
    "protect",
    "protected_table",
    "published_keys",
]

#: The largest count of people that is held back (1 to 10 are secret, 0 is shown).
THRESHOLD = 10

#: The key component of a dimension a published figure sums over.
TOTAL = "Ensemble"

#: A cell's or a figure's key: one category per dimension (or :data:`TOTAL`).
Key = tuple[str, ...]

#: Which dimensions a published table keeps (``True``) or sums over (``False``).
Mask = tuple[bool, ...]

#: Below this, a singular value or eigenvalue counts as zero (values that matter are about 1).
_ZERO = 1e-9
#: A unit vector lies in a subspace when its projection's squared norm is above ``1 - _IN_SPAN``.
_IN_SPAN = 1e-7


def _check(
    cube: Mapping[Key, int], masks: Iterable[Mask], categories: Sequence[Sequence[str]] | None
) -> tuple[list[Mask], list[list[str]]]:
    """Validate the input; return the masks in publication order and the categories."""
    mask_list = [tuple(bool(b) for b in m) for m in masks]
    k = len(categories) if categories is not None else None
    if k is None:
        lengths = {len(key) for key in cube} | {len(m) for m in mask_list}
        if len(lengths) != 1:
            raise ValueError("the cube's keys and the masks must all have one length")
        k = lengths.pop()
    if not 1 <= k <= 3:
        raise ValueError(f"a cube has 1 to 3 dimensions, not {k}")
    if not mask_list:
        raise ValueError("nothing is published: give at least one mask")
    for m in mask_list:
        if len(m) != k:
            raise ValueError(f"mask {m} has not {k} entries")
    for key, value in cube.items():
        if len(key) != k or TOTAL in key:
            raise ValueError(f"bad cell key {key!r}")
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"cell {key!r}: a count of people is a non-negative integer")
    if categories is None:
        cats = [sorted({key[d] for key in cube}) for d in range(k)]
    else:
        cats = [list(c) for c in categories]
        for d, c in enumerate(cats):
            if len(set(c)) != len(c) or TOTAL in c:
                raise ValueError(f"dimension {d}: categories repeat or use {TOTAL!r}")
        for key in cube:
            for d in range(k):
                if key[d] not in cats[d]:
                    raise ValueError(f"cell {key!r}: {key[d]!r} is not a category of dimension {d}")
    # Finer tables first, then by the dimensions kept (the first dimension first).
    ordered = sorted(set(mask_list), key=lambda m: (-sum(m), tuple(not b for b in m)))
    return ordered, cats


def published_keys(categories: Sequence[Sequence[str]], masks: Iterable[Mask]) -> list[Key]:
    """Return the keys of every published figure, in publication order.

    Finer tables come first; within a table, keys follow the categories' order.

    >>> published_keys([["a", "b"]], {(True,), (False,)})
    [('a',), ('b',), ('Ensemble',)]
    """
    ordered = sorted(
        {tuple(bool(b) for b in m) for m in masks},
        key=lambda m: (-sum(m), tuple(not b for b in m)),
    )
    keys: list[Key] = []
    for m in ordered:
        axes = [list(categories[d]) if kept else [TOTAL] for d, kept in enumerate(m)]
        keys.extend(itertools.product(*axes))
    return keys


def _figure_values(
    cube: Mapping[Key, int], ordered: Sequence[Mask], cats: Sequence[Sequence[str]]
) -> list[int]:
    """Sum the atomic cells of each published figure (order of :func:`published_keys`)."""
    dense = np.zeros([len(c) for c in cats], dtype=np.int64)
    index = [{c: i for i, c in enumerate(categories)} for categories in cats]
    for cell, value in cube.items():
        if value:
            dense[tuple(index[d][c] for d, c in enumerate(cell))] += int(value)
    values: list[int] = []
    for m in ordered:
        dropped = tuple(d for d, kept in enumerate(m) if not kept)
        values.extend(dense.sum(axis=dropped).ravel().tolist())
    return values


def _gram(keys: Sequence[Key], cats: Sequence[Sequence[str]]) -> NDArray[np.float64]:
    """Return the Gram matrix of the figures' 0/1 vectors over the atomic cells, in closed form."""
    n = len(keys)
    gram = np.ones((n, n))
    for d, categories in enumerate(cats):
        index = {c: i for i, c in enumerate(categories)}
        codes = np.array([index.get(key[d], -1) for key in keys])
        kept = codes >= 0
        both = kept[:, None] & kept[None, :]
        neither = ~kept[:, None] & ~kept[None, :]
        factor = np.where(both, (codes[:, None] == codes[None, :]).astype(float), 1.0)
        factor = np.where(neither, float(len(categories)), factor)
        gram *= factor
    return gram


def _rank(ordered: Sequence[Mask], cats: Sequence[Sequence[str]]) -> int:
    """Return the rank of the published figures' vectors, exactly.

    The figures of a mask ``K`` span the functions of the cells that depend only on the dimensions
    in ``K``; those split orthogonally into the pure interactions of each subset ``A`` of ``K``
    (the analysis-of-variance decomposition), of dimension the product of ``n_d - 1`` over ``A``.
    The published figures span the sum of those spaces over every ``A`` under some mask.

    >>> _rank([(True, True), (True, False), (False, True), (False, False)], [["a", "b"], "xyz"])
    6
    """
    subsets = {
        frozenset(a)
        for m in ordered
        for r in range(len(m) + 1)
        for a in itertools.combinations([d for d, kept in enumerate(m) if kept], r)
    }
    return sum(int(np.prod([len(cats[d]) - 1 for d in a])) for a in subsets)


def _relations(
    keys: Sequence[Key],
    ordered: Sequence[Mask],
    cats: Sequence[Sequence[str]],
    natural: Sequence[Sequence[int]],
) -> NDArray[np.float64]:
    """Return an orthonormal basis (columns) of the linear relations among the figures.

    The sums (``natural``) are relations; when they are as many, independently, as there are
    relations (the figures' count less their exact rank), they span them all and one SVD of their
    small matrix gives the basis. Otherwise the relations are the null space of the Gram matrix.
    """
    wanted = len(keys) - _rank(ordered, cats)
    if wanted == 0:
        return np.zeros((len(keys), 0))
    if natural:
        matrix = np.zeros((len(natural), len(keys)))
        for row, (total, *parts) in enumerate(natural):
            matrix[row, total] = -1.0
            matrix[row, parts] = 1.0
        _, sigma, vt = np.linalg.svd(matrix, full_matrices=False)
        if int((sigma > _ZERO).sum()) == wanted:
            return vt[:wanted].T
    gram = _gram(keys, cats)
    eigenvalues, vectors = np.linalg.eigh(gram)
    scale = max(1.0, float(eigenvalues[-1]))
    tol = max(_ZERO, scale * gram.shape[0] * np.finfo(float).eps * 10)
    return vectors[:, eigenvalues <= tol]


def _range_basis(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return an orthonormal basis (columns) of the column space of ``matrix``."""
    if matrix.size == 0:
        return np.zeros((matrix.shape[0], 0))
    u, sigma, _ = np.linalg.svd(matrix, full_matrices=False)
    return u[:, sigma > _ZERO]


def _null_basis(matrix: NDArray[np.float64], width: int) -> NDArray[np.float64]:
    """Return an orthonormal basis (columns) of the null space of ``matrix`` (``width`` columns)."""
    if matrix.shape[0] == 0:
        return np.eye(width)
    _, sigma, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((sigma > _ZERO).sum())
    return vt[rank:].T


def _exposed(relations: NDArray[np.float64], held: Sequence[int]) -> int | None:
    """Return the position in ``held`` of the first held-back figure the shown ones determine."""
    if not held or relations.shape[1] == 0:
        return None
    basis = _range_basis(relations[list(held)])
    weights = (basis**2).sum(axis=1)
    hits = np.flatnonzero(weights > 1 - _IN_SPAN)
    return int(hits[0]) if hits.size else None


def _partners(relations: NDArray[np.float64], held: Sequence[int], position: int) -> list[int]:
    """Return the shown figures that appear in a relation exposing ``held[position]``."""
    others = [f for j, f in enumerate(held) if j != position]
    y = _null_basis(relations[others], relations.shape[1])
    combos = relations @ y
    weight = np.abs(combos).max(axis=1) if combos.shape[1] else np.zeros(relations.shape[0])
    held_set = set(held)
    return [f for f in np.flatnonzero(weight > _ZERO).tolist() if f not in held_set]


def _natural_relations(keys: Sequence[Key], ordered: Sequence[Mask]) -> list[list[int]]:
    """Return the additive relations "a total is the sum of its parts" between published tables.

    For two published masks where the coarser keeps a subset of the finer's dimensions and no
    published mask lies between them, each coarse figure is the sum of the fine figures under it.
    Each relation lists the coarse figure's index, then the fine figures'.
    """
    position = {key: i for i, key in enumerate(keys)}
    kept = [frozenset(d for d, b in enumerate(m) if b) for m in ordered]
    relations: list[list[int]] = []
    for fine, coarse in itertools.permutations(range(len(ordered)), 2):
        if not kept[coarse] < kept[fine]:
            continue
        if any(kept[coarse] < kept[o] < kept[fine] for o in range(len(ordered))):
            continue
        groups: dict[Key, list[int]] = {}
        for key, i in position.items():
            if all((c != TOTAL) == (d in kept[fine]) for d, c in enumerate(key)):
                parent = tuple(c if d in kept[coarse] else TOTAL for d, c in enumerate(key))
                groups.setdefault(parent, []).append(i)
        relations.extend([position[parent], *children] for parent, children in groups.items())
    return relations


def _partners_in_sums(
    sums_of: Mapping[int, Sequence[Sequence[int]]], held: set[int], figure: int
) -> list[int]:
    """Return the shown members of the sums where ``figure`` is the only one held back.

    ``sums_of`` gives each figure the additive relations it belongs to.
    """
    partners: set[int] = set()
    for relation in sums_of.get(figure, ()):
        if len(held.intersection(relation)) == 1:
            partners.update(relation)
    partners.discard(figure)
    return sorted(partners)


def protect(
    cube: Mapping[Key, int],
    masks: Iterable[Mask],
    categories: Sequence[Sequence[str]] | None = None,
    *,
    threshold: int = THRESHOLD,
) -> dict[Key, int | Secret]:
    """Return every published figure's value, or :data:`SECRET` where the secret holds it back.

    ``cube`` maps atomic cells' keys to counts of people (missing cells count 0); ``masks`` says
    which tables are published (see the module's docstring); ``categories`` lists each dimension's
    categories in publication order (by default the sorted categories found in ``cube``, so a
    category with no one in it is then left out). The result follows :func:`published_keys`.

    >>> cube = {("a", "x"): 3, ("a", "y"): 20, ("b", "x"): 30, ("b", "y"): 40}
    >>> shown = protect(cube, {(True, True), (True, False), (False, True), (False, False)})
    >>> [k for k, v in shown.items() if v is SECRET]
    [('a', 'x'), ('a', 'y'), ('b', 'x'), ('b', 'y')]
    """
    ordered, cats = _check(cube, masks, categories)
    keys = published_keys(cats, ordered)
    values = _figure_values(cube, ordered, cats)
    held = [i for i, v in enumerate(values) if 1 <= v <= threshold]
    if held:
        natural = _natural_relations(keys, ordered)
        relations = _relations(keys, ordered, cats, natural)
        sums_of: dict[int, list[list[int]]] = {}
        for relation in natural:
            for figure in relation:
                sums_of.setdefault(figure, []).append(relation)
        while True:
            # First a figure that a total and its other parts give away, the cheap and usual case;
            # then one that only a combination of relations gives away.
            held_set = set(held)
            partners = next((p for f in held if (p := _partners_in_sums(sums_of, held_set, f))), [])
            if not partners:
                position = _exposed(relations, held)
                if position is None:
                    break
                partners = _partners(relations, held, position)
            nonzero = [f for f in partners if values[f] > 0] or partners
            if not nonzero:  # pragma: no cover - an exposing relation always has a shown member
                raise AssertionError("an exposed figure without a shown partner")
            held = sorted([*held, min(nonzero, key=lambda f: (values[f], f))])
    secret = set(held)
    return {key: SECRET if i in secret else values[i] for i, key in enumerate(keys)}


def protected_table(
    cube: Mapping[Key, int],
    masks: Iterable[Mask],
    dimensions: Sequence[Column],
    measure: Column,
    *,
    key: str,
    title: str,
    description: str,
    categories: Sequence[Sequence[str]] | None = None,
    updated_on: date | None = None,
    sources: Sequence[str] = (),
    threshold: int = THRESHOLD,
) -> Table:
    """Return the published figures of ``cube`` as a :class:`Table`, secret cells held back.

    One row per published figure (order of :func:`published_keys`): one cell per dimension (its
    category, or :data:`TOTAL`), then the figure. ``dimensions`` are the dimensions' columns, in
    the cube's order, of type ``string`` or ``date``; in a ``date`` column, categories are ISO dates
    (``"2026-01-01"``) and the total is left empty (``None``), so say so in the column's
    description. The columns are marked ``dimension=True``; ``measure`` is the count's column.
    """
    ordered, cats = _check(cube, masks, categories)
    if len(dimensions) != len(cats):
        raise ValueError(f"{len(cats)} dimensions, {len(dimensions)} dimension columns")
    for column in dimensions:
        if column.type not in (ColumnType.STRING, ColumnType.DATE):
            raise ValueError(f"dimension column {column.key}: type string or date")
    if measure.type is not ColumnType.INTEGER:
        raise ValueError(f"measure column {measure.key}: a count is an integer")
    figures = protect(cube, ordered, cats, threshold=threshold)

    def dimension_cell(column: Column, value: str) -> Cell:
        if column.type is ColumnType.DATE:
            return None if value == TOTAL else date.fromisoformat(value)
        return value

    rows = tuple(
        (
            *(dimension_cell(c, v) for c, v in zip(dimensions, figure_key, strict=True)),
            value,
        )
        for figure_key, value in figures.items()
    )
    columns = (*(replace(c, dimension=True) for c in dimensions), replace(measure, dimension=False))
    return Table(
        key=key,
        title=title,
        description=description,
        columns=columns,
        rows=rows,
        updated_on=updated_on,
        sources=tuple(sources),
    )
