"""Sign-in links, server-side sessions and API tokens (owned by the web service)."""

from __future__ import annotations

__all__: list[str] = []
