"""A global, stable allocation of requests to offers: candidate-proposing deferred acceptance.

Each request gets at most one offer; an offer takes at most ``places`` requests, of which at
most ``housing_beds`` need housing. Both sides rank by the pair's score (requests: ties by offer
id; offers: ties by request id). An offer chooses greedily down its ranking: it takes a
proposer if it has a place left and, for a proposer who needs housing, a bed left. A request
that needs housing is never placed on an offer without a bed.

Deferred acceptance (Gale-Shapley, candidates proposing) runs in rounds, all free requests at
once, with numpy: each free request proposes to the next offer of its list; each offer keeps
its best proposers within its places and beds and rejects the others, who move on. Preference
lists are computed lazily (:data:`LIST_LENGTH` offers at first, longer for the few requests that
exhaust theirs). The result is stable: no request and offer both prefer each other to what they
got. Because both sides rank by the same score, it is the only stable allocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from .engine import _prepare, _Run, _top, _widen
from .model import (
    DEFAULT_PARAMS,
    Allocation,
    Assignment,
    Match,
    OfferIn,
    Params,
    RequestIn,
    Unassigned,
)
from .referential import MetierReferential
from .scoring import OfferTable, RequestTable, pair_results

__all__ = ["allocate", "LIST_LENGTH", "EXTENSION_SLICES", "MAX_LOST_TO"]

#: Offers in each request's first preference list; longer lists are made on demand.
LIST_LENGTH = 32
#: Extensions run in this many slices of requests with similar score bounds.
EXTENSION_SLICES = 4
#: At most this many request ids in an unassigned request's ``lost_to``.
MAX_LOST_TO = 10

IntArray = NDArray[np.intp]


def _group_rank(flag: NDArray[np.bool_], group_start: IntArray) -> IntArray:
    """Number of True flags before each position within its group (arrays sorted by group)."""
    c = np.cumsum(flag, dtype=np.int64)
    before = c - flag
    return before - (c[group_start] - flag[group_start])


class _Lists:
    """Preference lists in CSR form (offer index and score per position), extendable."""

    def __init__(self, run: _Run | None, k: int, n: int = 0) -> None:
        if run is None:
            indptr = np.zeros(n + 1, dtype=np.intp)
            cols, scores = np.zeros(0, dtype=np.intp), np.zeros(0)
        else:
            indptr, _rows, cols, scores = _top(run.row_pool, 0, len(run.RT.ids), k, presorted=True)
        self.indptr, self.cols, self.scores = indptr, cols, scores
        self.length = np.diff(indptr)

    @classmethod
    def empty(cls, n: int) -> _Lists:
        """Lists of n requests, all empty."""
        return cls(None, 0, n)

    def replace(self, rows: IntArray, other: _Lists) -> None:
        """Take the lists of ``rows`` from ``other`` (computed for those rows only)."""
        taken = np.zeros(len(self.length), dtype=bool)
        taken[rows] = True
        lengths = np.where(taken, other.length, self.length)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
        source = np.where(taken, other.indptr[:-1] + len(self.cols), self.indptr[:-1])
        index = np.repeat(source - indptr[:-1], lengths) + np.arange(indptr[-1])
        self.cols = np.concatenate([self.cols, other.cols])[index]
        self.scores = np.concatenate([self.scores, other.scores])[index]
        self.indptr, self.length = indptr, lengths


def _worse(
    s: NDArray[np.float64], r: IntArray, cs: NDArray[np.float64], cr: IntArray
) -> NDArray[np.bool_]:
    """Whether (score s, request r) ranks below (cs, cr): lower score, or same and larger id."""
    return (s < cs) | ((s == cs) & (r > cr))


def _advance(
    free: IntArray,
    nxt: NDArray[np.int64],
    lists: _Lists,
    valid: NDArray[np.int64],
    needs: NDArray[np.bool_],
    cut: NDArray[np.float64],
    cut_id: IntArray,
    cut_hn: NDArray[np.float64],
    cut_hn_id: IntArray,
    window: int = 32,
) -> tuple[IntArray, IntArray]:
    """Move free requests past offers that would reject them; return (proposers, to extend).

    Requests whose list runs out while they have more compatible offers need a longer list.
    """
    proposers: list[IntArray] = []
    grow: list[IntArray] = []
    todo = free
    while len(todo):
        ended = nxt[todo] >= lists.length[todo]
        grow.append(todo[ended & (valid[todo] > lists.length[todo])])
        todo = todo[~ended]
        if not len(todo):
            break
        steps = np.arange(window)
        pos = nxt[todo][:, None] + steps[None, :]
        inside = pos < lists.length[todo][:, None]
        flat = lists.indptr[todo][:, None] + np.minimum(pos, lists.length[todo][:, None] - 1)
        o, s = lists.cols[flat], lists.scores[flat]
        r = todo[:, None]
        closed = _worse(s, r, cut[o], cut_id[o]) | (
            needs[todo][:, None] & _worse(s, r, cut_hn[o], cut_hn_id[o])
        )
        open_ = inside & ~closed
        found = open_.any(axis=1)
        first = np.argmax(open_, axis=1)
        nxt[todo[found]] += first[found]
        proposers.append(todo[found])
        rest = todo[~found]
        nxt[rest] = np.minimum(nxt[rest] + window, lists.length[rest])
        todo = rest
    empty = np.zeros(0, dtype=np.intp)
    return (
        np.concatenate(proposers) if proposers else empty,
        np.concatenate(grow) if grow else empty,
    )


def _update_cuts(
    offer: IntArray,
    score: NDArray[np.float64],
    req: IntArray,
    hn: NDArray[np.bool_],
    places: NDArray[np.int64],
    beds: NDArray[np.int64],
    cuts: tuple[NDArray[np.float64], IntArray, NDArray[np.float64], IntArray],
    touched: NDArray[np.bool_],
) -> None:
    """Recompute the cut-offs of the touched offers from their accepted requests (sorted)."""
    cut, cut_id, cut_hn, cut_hn_id = cuts
    t = np.flatnonzero(touched)
    cut[t] = -np.inf
    cut_hn[t] = -np.inf
    for mask, c, cid, cap in (
        (np.ones(len(req), dtype=bool), cut, cut_id, places),
        (hn, cut_hn, cut_hn_id, beds),
    ):
        o, s, r = offer[mask], score[mask], req[mask]
        if not len(o):
            continue
        last = np.flatnonzero(np.r_[o[1:] != o[:-1], True])  # worst accepted of each offer
        counts = np.diff(np.r_[-1, last])
        full = counts >= cap[o[last]]
        c[o[last][full]] = s[last][full]
        cid[o[last][full]] = r[last][full]


def allocate(
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
) -> Allocation:
    """Allocate requests to offers: stable with respect to the scores, capacities and beds kept.

    Returns assignments (with their match and the candidate's choice rank) and unassigned
    requests with a French reason: no compatible offer, or every compatible offer taken by
    better-ranked requests (``lost_to``). Sorted by request id; inputs are not mutated.
    """
    # Candidates who need housing only ever go where there is a bed.
    strict = replace(params, exclude_without_housing=True)
    RT, OT = _prepare(requests, offers, referential, strict)
    n_req = len(RT.ids)
    run = _Run(RT, OT, strict, k_rows=LIST_LENGTH, k_cols=0)
    run.execute()
    valid0 = run.valid
    valid = run.valid.copy()  # compatible offers not yet in the list or in it
    lists = _Lists(run, LIST_LENGTH)
    offset = np.zeros(n_req, dtype=np.int64)  # list entries dropped by extensions
    # The first lists, to explain refusals (replace() makes new arrays, these stay).
    initial = _Lists.empty(0)
    initial.indptr, initial.cols, initial.scores = lists.indptr, lists.cols, lists.scores
    initial.length = lists.length

    nxt = np.zeros(n_req, dtype=np.int64)
    held = np.full(n_req, -1, dtype=np.intp)
    held_score = np.zeros(n_req)
    n_off = len(OT.ids)
    # An offer's cut-offs: the worst request it holds when its places (beds) are all taken.
    # They only ever rise, so a request below them is rejected now and forever: it skips
    # the offer instead of proposing (the same outcome as proposing, in fewer rounds).
    cut = np.full(n_off, -np.inf)
    cut_id = np.zeros(n_off, dtype=np.intp)
    cut_hn = np.full(n_off, -np.inf)
    cut_hn_id = np.zeros(n_off, dtype=np.intp)
    free = np.flatnonzero(valid > 0).astype(np.intp)
    places, beds, needs = OT.places, OT.beds, RT.needs
    parked = np.zeros(0, dtype=np.intp)  # out of list, more compatible offers to look at
    while len(free) or len(parked):
        proposers, grow = _advance(free, nxt, lists, valid, needs, cut, cut_id, cut_hn, cut_hn_id)
        parked = np.concatenate([parked, grow])
        if not len(proposers) and len(parked):
            # Extend every parked list at once (one scoring pass), when nothing else moves.
            grow, parked = np.unique(parked), np.zeros(0, dtype=np.intp)
            # Their next offers, among those still open to them (all earlier ones are closed).
            # An offer outside a list scores at most the list's last score: offers whose
            # cut-off is above that cannot take the request. Requests are taken in slices of
            # similar bounds, each meeting only the offers it can reach.
            ub = lists.scores[lists.indptr[grow] + lists.length[grow] - 1]
            by_ub = np.argsort(ub, kind="stable")
            new = _Lists.empty(n_req)
            more_valid = np.zeros(n_req, dtype=np.int64)
            for part in np.array_split(by_ub, min(EXTENSION_SLICES, len(grow))):
                rows_part = np.sort(grow[part])
                top = float(ub[part].max())
                reachable = (cut < top) | ((cut == top) & (cut_id > rows_part.min()))
                more = _Run(
                    RT,
                    OT,
                    strict,
                    k_rows=LIST_LENGTH,
                    k_cols=0,
                    cuts=(cut, cut_id, cut_hn, cut_hn_id),
                )
                more.execute(rows_part, reachable)
                new.replace(rows_part, _Lists(more, LIST_LENGTH))
                more_valid[rows_part] = more.valid[rows_part]
            offset[grow] += lists.length[grow]
            lists.replace(grow, new)
            valid[grow] = more_valid[grow]
            nxt[grow] = 0
            free = np.sort(np.concatenate([proposers, grow]))
            continue
        if not len(proposers):
            break
        pos = lists.indptr[proposers] + nxt[proposers]
        p_offer, p_score = lists.cols[pos], lists.scores[pos]
        touched = np.zeros(n_off, dtype=bool)
        touched[p_offer] = True
        holders = np.flatnonzero((held >= 0) & touched[np.maximum(held, 0)]).astype(np.intp)
        cand = np.concatenate([holders, proposers])
        c_offer = np.concatenate([held[holders], p_offer])
        c_score = np.concatenate([held_score[holders], p_score])
        order = np.lexsort((cand, -c_score, c_offer))
        cand, c_offer, c_score = cand[order], c_offer[order], c_score[order]
        first = np.flatnonzero(np.r_[True, c_offer[1:] != c_offer[:-1]])
        group_start = np.repeat(first, np.diff(np.r_[first, len(cand)]))
        hn = needs[cand]
        eligible = ~hn | (_group_rank(hn, group_start) < beds[c_offer])
        accepted = eligible & (_group_rank(eligible, group_start) < places[c_offer])
        won, lost = cand[accepted], cand[~accepted]
        held[won] = c_offer[accepted]
        held_score[won] = c_score[accepted]
        held[lost] = -1
        nxt[lost] += 1
        _update_cuts(
            c_offer[accepted],
            c_score[accepted],
            won,
            needs[won],
            places,
            beds,
            (cut, cut_id, cut_hn, cut_hn_id),
            touched,
        )
        free = np.sort(lost)

    return _result(RT, OT, referential, params, run, (lists, initial), valid0, held, nxt, offset)


def _result(
    RT: RequestTable,
    OT: OfferTable,
    referential: MetierReferential,
    params: Params,
    run: _Run,
    both_lists: tuple[_Lists, _Lists],
    valid: NDArray[np.int64],
    held: IntArray,
    nxt: NDArray[np.int64],
    offset: NDArray[np.int64],
) -> Allocation:
    """Explain the allocation: matches of the assigned, reasons of the others."""
    lists, first = both_lists
    assigned = np.flatnonzero(held >= 0).astype(np.intp)
    matches = pair_results(RT, assigned, OT, held[assigned], referential, params)
    assignments = [
        Assignment(m.request_id, m.offer_id, m.score, m, int(offset[i] + nxt[i]) + 1)
        for i, m in zip(assigned.tolist(), matches, strict=True)
        if isinstance(m, Match)
    ]
    # Holders of each offer, best first, to say to whom a request lost.
    held_scores = lists.scores[lists.indptr[assigned] + nxt[assigned]].tolist()
    holders: dict[int, list[tuple[float, str]]] = {}
    for i, score in zip(assigned.tolist(), held_scores, strict=True):
        holders.setdefault(int(held[i]), []).append((-score, RT.ids[i]))
    for h in holders.values():
        h.sort()
    unassigned_rows = np.flatnonzero(held < 0).astype(np.intp)
    empty = unassigned_rows[valid[unassigned_rows] == 0]
    widening = _widen(run, empty, run.params) if len(empty) else {}
    unassigned = []
    for i in unassigned_rows.tolist():
        rid = RT.ids[i]
        if valid[i] == 0:
            km = widening.get(i)
            radius = f"{RT.max_km[i]:g}"
            reason = (
                f"Aucune offre compatible à moins de {radius} km "
                f"(au moins une à moins de {km:g} km)"
                if km is not None
                else "Aucune offre compatible"
            )
            unassigned.append(Unassigned(rid, reason, (), 0))
            continue
        lost: list[str] = []
        a = int(first.indptr[i])  # its first choices: all of them turned it down
        for j, s in zip(
            first.cols[a : a + first.length[i]].tolist(),
            first.scores[a : a + first.length[i]].tolist(),
            strict=True,
        ):
            for neg, other in holders.get(j, []):
                if (neg, other) < (-s, rid) and other not in lost:
                    lost.append(other)
            if len(lost) >= MAX_LOST_TO:
                break
        n = int(valid[i])
        offers = (
            "Son offre compatible est attribuée"
            if n == 1
            else (f"Ses {n} offres compatibles sont attribuées")
        )
        reason = f"{offers} à des candidatures mieux classées"
        unassigned.append(Unassigned(rid, reason, tuple(lost[:MAX_LOST_TO]), n))
    return Allocation(assignments, unassigned)
