"""Passerelle's scheduled jobs and mail; ``python -m jobs`` runs the scheduler."""
