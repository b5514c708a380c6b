"""Printable documents: HTML and CSS rendered to PDF by WeasyPrint, without the network.

The one way Passerelle makes a PDF: the discovery days' summary (issue 18), issue 19's welcome
kit later. The caller renders its HTML (a page template with its own print CSS, inline);
:func:`html_to_pdf` lays it out. Nothing is fetched: the URL fetcher refuses every URL but
``data:`` ones, so a document never reaches a server (no font or image from a CDN; the
system's fonts, DejaVu on Debian, are used).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DocumentError", "html_to_pdf", "refuse_outside_urls"]


class DocumentError(RuntimeError):
    """A document could not be made (an outside URL it asked for, a layout failure)."""


def refuse_outside_urls(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint's URL fetcher of ours: only ``data:`` URLs (inline images) are read.

    >>> refuse_outside_urls("https://fonts.example.org/a.woff2")
    Traceback (most recent call last):
    ...
    data.presentation.pdf.DocumentError: outside URL refused: https://fonts.example.org/a.woff2
    """
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        fetched: dict[str, Any] = default_url_fetcher(url)
        return fetched
    raise DocumentError(f"outside URL refused: {url[:200]}")


def html_to_pdf(html: str) -> bytes:
    """Lay out ``html`` (a whole document, CSS inline) as a PDF and return its bytes.

    A resource the document links to outside ``data:`` is left out (WeasyPrint logs it and goes
    on): a document is never half-fetched from the network.
    """
    import weasyprint  # imported on use: pages that make no PDF never load Pango

    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=refuse_outside_urls)
    pdf = document.write_pdf()
    if pdf is None:  # only when given a target; here never
        raise DocumentError("no PDF was made")
    return bytes(pdf)
