"""What every CSV import shares: reading the bytes, and the French messages that refuse a file."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["decode_csv", "missing_columns_message", "too_many_lines_message", "unreadable_message"]


def decode_csv(raw: bytes) -> str:
    """Return the text of a file in UTF-8 (with or without BOM), else Windows-1252.

    >>> decode_csv("\\ufeffcafé".encode()), decode_csv("café".encode("cp1252"))
    ('café', 'café')
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def missing_columns_message(missing: Iterable[str], possible: Iterable[str]) -> str:
    """Return the message that refuses a file without some required columns (by their labels)."""
    return (
        "Colonnes manquantes : "
        + ", ".join(f"« {label} »" for label in missing)
        + ". Colonnes possibles : "
        + ", ".join(f"« {label} »" for label in possible)
        + " (le modèle à télécharger les contient toutes)."
    )


def too_many_lines_message(max_lines: int) -> str:
    """Return the message that refuses a file longer than ``max_lines`` lines."""
    return f"Le fichier dépasse {max_lines} lignes : découpez-le."


def unreadable_message(line: int) -> str:
    """Return the message that refuses a file the CSV reader gave up on at ``line``."""
    return (
        f"Le fichier n'a pas pu être lu à la ligne {line} : une cellule dépasse "
        "la taille autorisée ou le format CSV n'est pas respecté."
    )
