"""The monthly snapshots: each closed month's figures stored once, read back for the series.

:func:`take_snapshots` stores every month from the platform's first record to the last closed
month that has no snapshot yet (the ``observatory`` job runs it every night; a month is stored
on the first run after it ends, and its figures then outlive the records).
Flows and medians are computed from the records of the month; stocks (open places, active
requests, housing needs) are what stands when the snapshot is taken, so they are stored only for
the month just closed, never for older months caught up later (the records no longer tell what
stood then).

Most flows are dated by the moment they are recorded (a request filed, a stage reached), and
stay as stored. The :data:`~.indicators.DATED` flows and medians are dated by a day people enter
(a contract signed on 28 October is often recorded in November, a discovery day's outcome after
the day): when a month is stored, the stored months of the :data:`REVISED_MONTHS` before it get
these figures again from the records (which the app keeps: pairs, contracts and discovery
matches are anonymised, never deleted), so that a contract recorded late counts in the month it
was signed. The figures still change once a month, and a month older than the window is final.

:func:`stored_months` reads the series back as :class:`MonthFigures`, and
:func:`stored_stocks` the stocks of a month.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.models import ObservatorySnapshot, Offer, Request, Suggestion
from data.operations._common import local_today, now_or_utc
from data.queries.contracts import months_after

from .indicators import (
    DATED,
    FLOWS,
    MEDIANS,
    STOCKS,
    Cell,
    MonthFigures,
    dated_figures,
    first_day,
    monthly_figures,
    months_between,
    stock_figures,
)

__all__ = [
    "MARKER",
    "REVISED_MONTHS",
    "first_record_month",
    "flow_total",
    "stored_months",
    "stored_stocks",
    "take_snapshots",
]

#: The row that says a month was stored (its value: the number of figures stored).
MARKER = "_snapshot"

#: How many stored months before a newly stored one get their dated figures again: the
#: observatory's published period.
REVISED_MONTHS = 12


def first_record_month(session: Session) -> date | None:
    """The month of the platform's first offer, request or suggestion, if any."""
    firsts = [
        session.scalar(select(func.min(Offer.created_at))),
        session.scalar(select(func.min(Request.created_at))),
        session.scalar(select(func.min(Suggestion.created_at))),
    ]
    known = [local_today(f) for f in firsts if f is not None]
    return first_day(min(known)) if known else None


def _stored(session: Session) -> set[date]:
    return set(
        session.scalars(
            select(ObservatorySnapshot.month).where(ObservatorySnapshot.indicator == MARKER)
        )
    )


def take_snapshots(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Store each closed month not stored yet, and revise the dated figures of the months stored
    before it; return how many months and figures were stored, and how many months revised."""
    stamp = now_or_utc(now)
    this_month = first_day(local_today(stamp))
    last_closed = months_after(this_month, -1)
    start = first_record_month(session)
    counts = {"months": 0, "figures": 0, "revised": 0}
    if start is None or start > last_closed:
        return counts
    stored = _stored(session)
    missing = [m for m in months_between(start, last_closed) if m not in stored]
    if not missing:
        return counts
    window = months_after(last_closed, -REVISED_MONTHS)
    counts["revised"] = _revise(session, sorted(m for m in stored if m >= window), stamp)
    figures = monthly_figures(session, missing)
    stocks = stock_figures(session) if last_closed in missing else {}
    for month in missing:
        rows = _rows(figures[month], stocks if month == last_closed else {}, stamp)
        session.add_all(rows)
        session.add(
            ObservatorySnapshot(
                month=month, indicator=MARKER, value=len(rows), count=len(rows), computed_at=stamp
            )
        )
        counts["months"] += 1
        counts["figures"] += len(rows)
    session.flush()
    return counts


def _revise(session: Session, months: list[date], stamp: datetime) -> int:
    """Store the :data:`DATED` figures of the stored ``months`` again where the records now say
    otherwise; return how many months changed."""
    if not months:
        return 0
    fresh = dated_figures(session, months)
    was = stored_months(session, months[0], months[-1])
    revised = 0
    for month in months:
        new, old = fresh[month], was[month]
        if all(+old.flows[k] == +new.flows[k] for k in new.flows) and all(
            old.medians[k] == new.medians[k] for k in new.medians
        ):
            continue
        dropped = rows_changed(
            session.execute(
                delete(ObservatorySnapshot).where(
                    ObservatorySnapshot.month == month, ObservatorySnapshot.indicator.in_(DATED)
                )
            )
        )
        rows = _rows(new, {}, stamp)
        session.add_all(rows)
        session.execute(
            update(ObservatorySnapshot)
            .where(ObservatorySnapshot.month == month, ObservatorySnapshot.indicator == MARKER)
            .values(
                value=ObservatorySnapshot.value + len(rows) - dropped,
                count=ObservatorySnapshot.count + len(rows) - dropped,
            )
        )
        revised += 1
    return revised


def _rows(
    figures: MonthFigures, stocks: dict[str, Counter[Cell]], stamp: datetime
) -> list[ObservatorySnapshot]:
    rows = []
    for key, cells in [*figures.flows.items(), *stocks.items()]:
        for (metier, commune), n in sorted(cells.items()):
            if n:
                rows.append(
                    ObservatorySnapshot(
                        month=figures.month,
                        indicator=key,
                        metier_code=metier,
                        commune_insee=commune,
                        value=float(n),
                        count=int(n),
                        computed_at=stamp,
                    )
                )
    for key, (median, n) in figures.medians.items():
        if median is not None:
            rows.append(
                ObservatorySnapshot(
                    month=figures.month, indicator=key, value=median, count=n, computed_at=stamp
                )
            )
    return rows


def stored_months(session: Session, start: date, end: date) -> dict[date, MonthFigures]:
    """Read the stored months from ``start`` 's to ``end`` 's (those not stored are left out)."""
    stored = _stored(session)
    months = {
        m: MonthFigures(m, {k: Counter() for k in FLOWS})
        for m in months_between(start, end)
        if m in stored
    }
    rows = session.execute(
        select(
            ObservatorySnapshot.month,
            ObservatorySnapshot.indicator,
            ObservatorySnapshot.metier_code,
            ObservatorySnapshot.commune_insee,
            ObservatorySnapshot.value,
            ObservatorySnapshot.count,
        ).where(
            ObservatorySnapshot.month >= first_day(start),
            ObservatorySnapshot.month <= end,
            ObservatorySnapshot.indicator.in_([*FLOWS, *MEDIANS]),
        )
    )
    for month, key, metier, commune, value, n in rows:
        figures = months.get(month)
        if figures is None:
            continue
        if key in MEDIANS:
            figures.medians[key] = (value, n)
        else:
            figures.flows[key][(metier, commune)] += n
    for figures in months.values():
        for key in MEDIANS:
            figures.medians.setdefault(key, (None, 0))
    return months


def stored_stocks(session: Session, month: date) -> dict[str, Counter[Cell]] | None:
    """The stocks stored with ``month`` 's snapshot, or None if none were."""
    rows = session.execute(
        select(
            ObservatorySnapshot.indicator,
            ObservatorySnapshot.metier_code,
            ObservatorySnapshot.commune_insee,
            ObservatorySnapshot.count,
        ).where(ObservatorySnapshot.month == month, ObservatorySnapshot.indicator.in_(STOCKS))
    ).all()
    if not rows:
        return None
    stocks: dict[str, Counter[Cell]] = {k: Counter() for k in STOCKS}
    for key, metier, commune, n in rows:
        stocks[key][(metier, commune)] += n
    return stocks


def flow_total(session: Session, key: str, start: date, end: date) -> int:
    """The flow ``key`` summed over the months from ``start`` 's to ``end`` 's: the stored
    months as stored, the others (the current month, a month not stored yet) from the records."""
    end = min(end, local_today())  # nothing has happened after this month yet
    if start > end:
        return 0
    stored = stored_months(session, start, end)
    missing = [m for m in months_between(start, end) if m not in stored]
    live = monthly_figures(session, missing) if missing else {}
    return sum(f.total(key) for f in (*stored.values(), *live.values()))
