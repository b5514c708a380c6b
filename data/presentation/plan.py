"""The plan's roadmap as the Département's reports read it (issue 20): the columns of its CSV
exports, the actions and the budget lines, in the house's one CSV writer
(:func:`data.presentation.export.csv_text`: French headers, ``;``, UTF-8 with a BOM)."""

from __future__ import annotations

from decimal import Decimal

from data.models import CoFunder, PlanAction, PlanBudgetLine

from .export import Column
from .labels import label

__all__ = ["ACTION_COLUMNS", "BUDGET_COLUMNS", "amount_cell", "funder_name"]


def amount_cell(cents: int) -> str:
    """Write an amount in cents as euros a French spreadsheet reads as a number.

    >>> amount_cell(4_000_050), amount_cell(0)
    ('40000,50', '0,00')
    """
    return f"{Decimal(cents) / 100:.2f}".replace(".", ",")


def funder_name(line: PlanBudgetLine) -> str:
    """Name a budget line's co-funder: another one by its name, the plan's by their label."""
    if line.funder == CoFunder.OTHER and line.funder_name:
        return line.funder_name
    return label(line.funder)


def _total(action: PlanAction) -> str:
    return amount_cell(sum(line.amount_cents for line in action.budget_lines))


#: One line per action, by axis (no editor's name: the report is about the plan).
ACTION_COLUMNS = (
    Column("Axe", lambda a: a.axis.number),
    Column("Intitulé de l'axe", lambda a: a.axis.title),
    Column("Action", lambda a: a.title),
    Column("Description", lambda a: a.description),
    Column("Pilote", lambda a: a.lead),
    Column("Partenaires", lambda a: a.partners),
    Column("Statut", lambda a: a.status),
    Column("Début", lambda a: a.starts_on),
    Column("Fin", lambda a: a.ends_on),
    Column("Budget en euros, toutes années", _total),
    Column("Source", lambda a: a.source),
    Column("Mise à jour le", lambda a: a.updated_at),
)

#: One line per budget line.
BUDGET_COLUMNS = (
    Column("Axe", lambda b: b.action.axis.number),
    Column("Action", lambda b: b.action.title),
    Column("Année", lambda b: b.year),
    Column("Cofinanceur", funder_name),
    Column("Montant en euros", lambda b: amount_cell(b.amount_cents)),
)
