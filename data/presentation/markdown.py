"""Markdown written by the team, rendered to HTML a page may show: CommonMark, then an allow-list.

markdown-it-py renders (raw HTML in the text is escaped, not passed through); nh3 (ammonia) then
keeps only the tags and attributes of :data:`ALLOWED_TAGS` and :data:`ALLOWED_ATTRIBUTES`, links
only to http, https and mailto, with ``rel="noopener noreferrer"``: a script tag or an ``onclick``
in an edit never reaches a page.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "render_markdown"]

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}

_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str | None) -> Markup:
    """Return ``text`` (Markdown) as sanitised HTML.

    >>> str(render_markdown("**Bon** <script>alert(1)</script>"))
    '<p><strong>Bon</strong> &lt;script&gt;alert(1)&lt;/script&gt;</p>\\n'
    """
    html = _RENDERER.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)
