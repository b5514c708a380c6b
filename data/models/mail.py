"""The mail outbox and the record of job runs (owned by the jobs)."""

from __future__ import annotations

__all__: list[str] = []
