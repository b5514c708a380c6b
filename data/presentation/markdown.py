"""The one Markdown renderer of the platform: CommonMark, then an allow-list sanitiser.

Texts written by the team (the métier sheets) are Markdown. :func:`render_markdown` turns
them into HTML with markdown-it-py (raw HTML off, links checked), makes a ``#`` heading an
``h2`` (the page's title is its only ``h1``), then cleans the result with nh3 (ammonia): only
the tags, attributes and link schemes listed here survive, so a ``<script>``, an ``onerror=``
or a ``javascript:`` link written in an edit never reaches a page.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["ALLOWED_TAGS", "render_markdown"]

#: The HTML a rendered text may hold, and nothing else.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
_SCHEMES = frozenset({"http", "https", "mailto"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "html": False writes any HTML typed in the text as text; tables are common in sheets.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    """Return ``text`` (Markdown) as safe HTML; a ``#`` heading is an ``h2`` like ``##``.

    >>> str(render_markdown("# Titre\\n\\n<script>alert(1)</script> *oui*"))
    '<h2>Titre</h2>\\n<p>&lt;script&gt;alert(1)&lt;/script&gt; <em>oui</em></p>\\n'
    """
    if not text:
        return Markup("")
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{max(2, int(token.tag[1:]))}"
    html = parser.renderer.render(tokens, parser.options, {})
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704  sanitised by nh3 just above
