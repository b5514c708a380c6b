"""The observatory's published tables against an attacker (issue 20): every figure of an
indicator that counts people, wherever it is published (the monthly series, the métier x
territory table and its totals, the funnel), is gathered, and no held-back figure can be
recomputed from all the others shown, nor narrowed to one value."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from data.observatory.indicators import INDICATORS, monthly_figures
from data.observatory.publish import ALL, publication
from data.observatory.secret import TOTAL
from data.observatory.snapshots import take_snapshots
from data.observatory.tables import SECRET, Table
from data.reference import epci_of
from tests.data import factories as f
from tests.data.test_secret import _attack

MONTHS = (date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1))
AS, AES = "aide-soignante", "accompagnant éducatif et social"
#: Requests by (commune, métier): one count per month; small ones (1 to 10) among them.
COUNTS = {
    (f.BOURG, AS): (12, 13, 11),
    (f.OYONNAX, AS): (2, 0, 1),
    (f.BOURG, AES): (0, 3, 0),
    (f.OYONNAX, AES): (12, 12, 14),
}


def _key(cell: object) -> str:
    if cell is None or cell == ALL[0]:
        return TOTAL
    return cell.isoformat() if isinstance(cell, date) else str(cell)


def _published(tables: dict[str, Table], column: str) -> dict[tuple[str, str, str], object]:
    """Every published figure of ``column``, keyed (month, métier, territory)."""
    figures: dict[tuple[str, str, str], object] = {}
    series = tables["series-mensuelles"]
    for row in series.rows:
        figures[(_key(row[series.index("mois")]), TOTAL, TOTAL)] = row[series.index(column)]
    place = tables["indicateurs-par-metier-et-territoire"]
    m, t, v = place.index("code_metier"), place.index("code_territoire"), place.index(column)
    for row in place.rows:
        figures[(TOTAL, _key(row[m]), _key(row[t]))] = row[v]
    funnel = tables["entonnoir"]
    for row in funnel.rows:
        if row[funnel.index("etape")] == INDICATORS["requests_created"].title:
            total = figures[(TOTAL, TOTAL, TOTAL)]
            assert row[funnel.index("nombre")] == total  # the same figure, the same value
    return figures


@pytest.mark.one_engine  # what is published is computed in Python from rows both engines hold
def test_no_held_back_count_of_requests_can_be_recomputed_from_every_table(
    session: Session,
) -> None:
    for (commune, metier), per_month in COUNTS.items():
        for month, n in zip(MONTHS, per_month, strict=True):
            for _ in range(n):
                request = f.make_request(session, commune_insee=commune, metiers=[metier])
                request.created_at = datetime(month.year, month.month, 10, 9, 0, tzinfo=UTC)
    session.flush()
    take_snapshots(session, now=datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    shown = _published(publication(session).tables, "demandes_deposees")

    cube: dict[tuple[str, str, str], int] = {}
    for month, figures in monthly_figures(session, MONTHS).items():
        for (metier, commune), n in figures.flows["requests_created"].items():
            key = (month.isoformat(), metier, epci_of(commune) or "hors-ain")
            cube[key] = cube.get(key, 0) + n
    cats = [sorted({k[i] for k in cube}) for i in range(3)]
    held = [k for k, v in shown.items() if v is SECRET]
    assert (TOTAL, "aide-soignant", epci_of(f.OYONNAX)) in held
    assert all(v == 0 or v > 10 for v in shown.values() if v is not SECRET)
    for key, (in_span, low, high) in _attack(cube, cats, shown).items():
        assert not in_span, f"{key} is a combination of shown figures"
        assert high is None or high > low, f"{key} can only be {low}"
