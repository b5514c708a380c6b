"""Personal data (RGPD): where it lives, one way to forget a person, one way to tell them.

* :mod:`.registry`: every column that can hold text or a date, classified (checked by a test
  against the models), and the places a candidate's data lives;
* :func:`erase_candidate`: the one erasure, for « supprimer mon compte », a coordinator's erasure
  and the retention job;
* :func:`export_candidate_data`: everything held on a candidate, in French.
"""

from __future__ import annotations

from .erasure import (
    ANONYMOUS_NAME,
    CAUSE_LABELS,
    ERASED_REASON,
    ERASURE_ACTION,
    ErasureCause,
    ErasureReport,
    erase_candidate,
)
from .export import export_candidate_data
from .person import Person, find_person
from .registry import HOLDINGS, Holding, Kind

__all__ = [
    "ANONYMOUS_NAME",
    "CAUSE_LABELS",
    "ERASED_REASON",
    "ERASURE_ACTION",
    "ErasureCause",
    "ErasureReport",
    "HOLDINGS",
    "Holding",
    "Kind",
    "Person",
    "erase_candidate",
    "export_candidate_data",
    "find_person",
]
