"""Give the pages' templates the French presentation layer (:mod:`data.presentation`).

Labels and formatters live in ``data.presentation``, shared with the mails and the jobs; this
module only installs them on the app's Jinja environment, with what only pages need (the form
field names, the enum classes for comparisons in templates).
"""

from __future__ import annotations

from flask import Flask

from data.models import ANSWERABLE, PAIR_STAGES, SITE_HOUSING_KINDS, Role
from data.presentation import LABELS, install, label, plural
from data.queries import shows_contact

# ``label`` and ``plural`` are re-exported for the views that build a French sentence in Python.
__all__ = ["label", "plural", "register"]


def register(app: Flask) -> None:
    """Install the filters and globals."""
    install(app.jinja_env)
    # The status sets of the models, so that templates never spell them out.
    app.jinja_env.globals.update(
        PAIR_STAGES=PAIR_STAGES, ANSWERABLE=ANSWERABLE, SITE_HOUSING_KINDS=SITE_HOUSING_KINDS
    )
    # The rule that shows a pair's candidate to the employer (contact details, presentation, CV).
    app.jinja_env.globals.update(shows_contact=shows_contact)
    app.jinja_env.globals.update(
        {cls.__name__: cls for cls in LABELS if cls is not Role}  # Role comes from web.sessions
    )
