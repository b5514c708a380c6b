"""Passerelle's scheduled jobs and mail; ``python -m jobs`` runs the scheduler.

Every job is a plain function ``job(session_factory, mailer, now=None, **options) -> counts``
(see :mod:`jobs.registry`); the scheduler (:mod:`jobs.scheduler`) is its own process, never
inside a web worker. Read ``jobs/README.md`` for the guarantees on mail.
"""
