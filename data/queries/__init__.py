"""The one read layer: what pages, the API and jobs show, scoped by who reads it.

Nothing here writes (changes go through ``data.operations``). Each query takes an
:class:`Audience` (anyone, one candidate, one employer, the coordinators) and returns the rows
that audience may see; lists come as one :class:`Page` type, for pages and API alike. Distances
are the engine's (``matching.distance_km``), through :mod:`data.queries.nearby`; the status sets
and the review rule are the models' (``data.models``).
"""

from .audience import COORDINATOR, PUBLIC, Audience
from .coordination import (
    STUCK_AFTER_DAYS,
    AllocationView,
    Dashboard,
    Today,
    allocation_view,
    contract_counts,
    dashboard,
    review_count,
    today,
)
from .metiers import UnresolvedText, metier_decisions, unresolved_metier_texts
from .offers import (
    BY_CREATION,
    BY_ID,
    BY_PUBLICATION,
    OfferHit,
    OfferSearch,
    employer_offers,
    find_ended_offer,
    find_offer,
    nearest_offer_beyond,
    offer_hits,
    offer_page,
    offer_query,
)
from .pages import Page, page_rows, paginate, paginate_list
from .reference import (
    commune_page,
    metier_options,
    metier_page,
)
from .requests import (
    REQUESTS_BY_CREATION,
    REQUESTS_BY_ID,
    RequestSearch,
    active_requests,
    find_request,
    request_page,
    request_query,
)
from .suggestions import (
    REVIEW_COUNT_CAP,
    TERRITORY_RADIUS_KM,
    OfferFit,
    QueueGroup,
    SuggestionSearch,
    find_suggestion,
    may_read_cv,
    offer_fit,
    pair_page,
    queue_groups,
    review_queue,
    shows_contact,
    suggestion_page,
    suggestion_query,
    visible_suggestions,
)

__all__ = [
    "BY_CREATION",
    "BY_ID",
    "BY_PUBLICATION",
    "COORDINATOR",
    "PUBLIC",
    "REQUESTS_BY_CREATION",
    "REQUESTS_BY_ID",
    "REVIEW_COUNT_CAP",
    "TERRITORY_RADIUS_KM",
    "AllocationView",
    "Audience",
    "Dashboard",
    "OfferHit",
    "OfferSearch",
    "Page",
    "RequestSearch",
    "SuggestionSearch",
    "UnresolvedText",
    "metier_decisions",
    "unresolved_metier_texts",
    "active_requests",
    "allocation_view",
    "commune_page",
    "contract_counts",
    "dashboard",
    "employer_offers",
    "find_ended_offer",
    "find_offer",
    "offer_fit",
    "OfferFit",
    "find_request",
    "find_suggestion",
    "may_read_cv",
    "shows_contact",
    "QueueGroup",
    "queue_groups",
    "metier_options",
    "metier_page",
    "nearest_offer_beyond",
    "offer_hits",
    "offer_page",
    "offer_query",
    "page_rows",
    "pair_page",
    "paginate",
    "paginate_list",
    "request_page",
    "request_query",
    "review_count",
    "today",
    "STUCK_AFTER_DAYS",
    "Today",
    "review_queue",
    "suggestion_page",
    "suggestion_query",
    "visible_suggestions",
]
