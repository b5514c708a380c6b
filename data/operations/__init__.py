"""Domain operations used by the web service and the jobs.

Every operation takes the caller's ``session`` first, validates its whole input (raising
``data.errors.ValidationError`` with every field's French messages, before changing anything),
then changes the objects and ``flush()``es; the caller commits. Status changes that the life cycle
forbids raise ``data.errors.InvalidTransition``; clashes with existing data ``Conflict``; unknown
ids ``NotFound``. Objects may be given as instances or as primary keys.

An operation that records who acted (the audit log, a decision's author) takes a
:class:`data.actor.Actor`: a user on the pages, an API token, a job, or the system. A use case
that pages and API share is one function here, called by both: saving a site with its housing
(:func:`save_site`), importing offers from CSV (:func:`import_offers`), proposing an allocation
(:func:`propose_allocation`), turning typed text into a commune (:func:`resolve_commune`) or
a métier (:func:`metier_resolver`). An offer's fields and limits are declared once, in
:mod:`.offer_fields`.
"""

from __future__ import annotations

from .allocation import propose_allocation
from .audit import log_access
from .candidates import (
    create_candidate,
    set_notification_preference,
    touch_candidate,
    update_candidate,
)
from .communes import resolve_commune
from .employers import (
    add_site,
    create_employer,
    remove_site,
    set_site_housing,
    set_training_centres,
    update_employer,
    update_site,
)
from .metiers import (
    DecisionResult,
    FreeTextToConfirm,
    decide_metier_text,
    did_you_mean,
    metier_referential,
    metier_resolver,
)
from .offer_import import ImportReport, import_offers
from .offers import (
    close_offer,
    create_offer,
    create_offer_as,
    duplicate_offer,
    expire_offer,
    fill_one_place,
    mark_offer_filled,
    publish_offer,
    set_places_filled,
    update_offer,
)
from .requests import (
    RequestResult,
    close_request,
    create_request,
    pause_request,
    reactivate_request,
    update_request,
)
from .sites import save_site
from .suggestions import (
    StagePlan,
    abandon_suggestion,
    add_pair_note,
    approve_suggestion,
    approve_suggestions,
    break_contract,
    change_suggestion_status,
    create_manual_pair,
    express_interest,
    mark_contacted,
    mark_contract_signed,
    mark_interview,
    pair_histories,
    pair_history,
    plan_stage,
    reject_suggestion,
    reject_suggestions,
    reopen_request_refusal,
    set_candidate_interest,
    set_employer_interest,
)
from .users import create_user, deactivate_user, find_user_by_email

# After .requests and .suggestions (data.mail, which .suggestions imports, needs them first).
from .pairs import set_contract_details, set_interview, undo_check, undo_last_stage  # isort: skip

__all__ = [
    "ImportReport",
    "RequestResult",
    "abandon_suggestion",
    "add_site",
    "approve_suggestion",
    "change_suggestion_status",
    "close_offer",
    "close_request",
    "create_candidate",
    "create_employer",
    "create_manual_pair",
    "create_offer",
    "create_offer_as",
    "create_request",
    "create_user",
    "deactivate_user",
    "duplicate_offer",
    "expire_offer",
    "express_interest",
    "find_user_by_email",
    "import_offers",
    "log_access",
    "mark_contacted",
    "mark_contract_signed",
    "mark_interview",
    "mark_offer_filled",
    "metier_referential",
    "metier_resolver",
    "decide_metier_text",
    "did_you_mean",
    "DecisionResult",
    "FreeTextToConfirm",
    "pair_histories",
    "add_pair_note",
    "approve_suggestions",
    "pair_history",
    "pause_request",
    "propose_allocation",
    "publish_offer",
    "reactivate_request",
    "reject_suggestion",
    "reject_suggestions",
    "remove_site",
    "resolve_commune",
    "save_site",
    "set_candidate_interest",
    "set_employer_interest",
    "set_notification_preference",
    "set_places_filled",
    "fill_one_place",
    "set_site_housing",
    "touch_candidate",
    "update_candidate",
    "set_training_centres",
    "update_employer",
    "update_offer",
    "update_request",
    "update_site",
    # The pair's story (issue 15)
    "StagePlan",
    "break_contract",
    "reopen_request_refusal",
    "plan_stage",
    "set_contract_details",
    "set_interview",
    "undo_check",
    "undo_last_stage",
]
