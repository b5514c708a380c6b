"""Passerelle's web service: French pages and the JSON API."""
