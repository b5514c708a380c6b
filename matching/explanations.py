"""What a score means, in French: a :class:`Match` with its criteria, or an :class:`Exclusion`.

The numbers come from the kernel (:func:`matching.scoring.kernel`); this module only turns them
into the objects and sentences that people read. The engine builds them lazily, when a caller
first reads a list, so explaining costs nothing until it is needed.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from .arrays import Bools, IntArray
from .model import (
    DEFAULT_PARAMS,
    EXCLUSION_REASONS,
    Criterion,
    Exclusion,
    Match,
    OfferIn,
    Params,
    RequestIn,
)
from .referential import MetierReferential
from .scoring import kernel
from .tables import OfferTable, RequestTable, score_weights

__all__ = ["LEVEL_NAMES", "exclusion_message", "pair_results", "score_pair"]

#: How a diploma level reads in an exclusion reason.
LEVEL_NAMES = {3: "CAP", 4: "bac", 5: "bac + 2", 6: "bac + 3", 7: "bac + 5", 8: "doctorat"}


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _km(d: float) -> str:
    return "Moins de 1 km" if d < 1.0 else f"{int(d + 0.5)} km"


def _max_km(r: float) -> str:
    return f"{r:g}" if r == int(r) else f"{r:.1f}".replace(".", ",")


def _reasons(
    req: RequestIn, off: OfferIn, label: str, d: float, s_metier: float, eligible: bool
) -> tuple[str, str, str]:
    m_reason = f"Même métier : {label}" if s_metier >= 1.0 else f"Métier proche : {label}"
    if eligible and d > req.max_km:
        d_reason = f"{_km(d)} de votre commune, logement sur place"
    else:
        d_reason = f"{_km(d)} de votre commune"
    beds = off.housing_beds
    if not req.needs_housing:
        h_reason = "Logement non demandé"
    elif beds > 0:
        h_reason = f"Logement proposé sur place ({beds} place{'s' if beds > 1 else ''})"
    else:
        h_reason = "Pas de logement proposé"
    return m_reason, d_reason, h_reason


def exclusion_message(
    reason: str, req: RequestIn, off: OfferIn, ref: MetierReferential, d: float
) -> str:
    """Return the French text of one exclusion reason for a pair."""
    if reason == "metier":
        return "Métier différent"
    if reason == "places":
        return "Plus de place"
    if reason == "distance":
        return f"Trop loin ({_km(d)} pour {_max_km(req.max_km)} km maximum)"
    if reason == "diploma":
        level = ref.entry_level_min(off.metier)
        return f"Niveau {LEVEL_NAMES.get(level, str(level))} requis pour cette formation"
    if reason == "licence":
        return "Permis B exigé"
    if reason == "date":
        start = off.start or date.min
        return f"Disponible trop tard (après le {start:%d/%m/%Y})"
    if reason == "housing":
        return "Pas de logement proposé"
    raise ValueError(reason)


def pair_results(
    requests: RequestTable,
    rows: IntArray,
    offers: OfferTable,
    cols: IntArray,
    ref: MetierReferential,
    params: Params,
) -> list[Match | Exclusion]:
    """Evaluate a list of pairs and explain each one: a Match or an Exclusion."""
    if len(rows) == 0:
        return []
    k = kernel(requests, rows, offers, cols, params, block=False)
    fails: dict[str, Bools] = {
        "metier": ~k.compat,
        "places": ~offers.has_place[cols],
        "distance": ~k.within if k.eligible is None else (~k.within & ~k.eligible),
    }
    zeros = np.zeros(len(rows), dtype=bool)
    fails["diploma"] = zeros if k.f_diploma is None else k.f_diploma
    fails["licence"] = zeros if k.f_licence is None else k.f_licence
    fails["date"] = zeros if k.f_date is None else k.f_date
    fails["housing"] = zeros if k.f_housing is None else k.f_housing
    eligible = (zeros if k.eligible is None else k.eligible).tolist()
    bad = np.zeros(len(rows), dtype=bool)
    for mask in fails.values():
        bad |= mask
    a_m, a_d, a_h = score_weights(params)
    labels = {
        c: _lower_first(ref.label(c)) for c in {offers.items[j].metier for j in cols.tolist()}
    }
    d_l, sm_l, t_l = k.d.tolist(), k.s_metier.tolist(), k.t.tolist()
    sh_l, sc_l = k.s_housing.tolist(), k.score.tolist()
    out: list[Match | Exclusion] = []
    # Criteria are immutable, and those of the métier and housing take a few values: each is
    # made once and shared.
    shared: dict[tuple[object, ...], Criterion] = {}
    for n, (i, j, is_bad) in enumerate(
        zip(rows.tolist(), cols.tolist(), bad.tolist(), strict=True)
    ):
        req, off = requests.items[i], offers.items[j]
        d = d_l[n]
        if is_bad:
            failed = tuple(reason for reason in EXCLUSION_REASONS if fails[reason][n])
            messages = tuple(exclusion_message(f, req, off, ref, d) for f in failed)
            out.append(Exclusion(req.id, off.id, failed, messages, d))
            continue
        m_reason, d_reason, h_reason = _reasons(
            req, off, labels[off.metier], d, sm_l[n], eligible[n]
        )
        m_key, h_key = ("metier", sm_l[n], m_reason), ("housing", sh_l[n], h_reason)
        metier = shared.get(m_key) or shared.setdefault(m_key, Criterion(sm_l[n], a_m, m_reason))
        housing = shared.get(h_key) or shared.setdefault(h_key, Criterion(sh_l[n], a_h, h_reason))
        criteria = {
            "metier": metier,
            "distance": Criterion(1.0 - t_l[n], a_d, d_reason),
            "housing": housing,
        }
        reasons = (m_reason, d_reason, h_reason) if req.needs_housing else (m_reason, d_reason)
        out.append(Match(req.id, off.id, sc_l[n], d, criteria, reasons))
    return out


def score_pair(
    request: RequestIn,
    offer: OfferIn,
    referential: MetierReferential,
    params: Params = DEFAULT_PARAMS,
) -> Match | Exclusion:
    """Score one pair: a :class:`Match` with its criteria, or the :class:`Exclusion` ruling it out.

    The numbers are bit-identical to those :func:`matching.suggest` gives the same pair.
    """
    requests = RequestTable.build([request], referential, params)
    offers = OfferTable.build([offer], referential, params)
    zero = np.zeros(1, dtype=np.intp)
    return pair_results(requests, zero, offers, zero, referential, params)[0]
