"""Settings come from defaults in code, then PASSERELLE_* variables, then explicit overrides."""

from __future__ import annotations

from pathlib import Path

from data.config import DEFAULT_INSTANCE_DIR, load_config


def test_defaults_point_at_the_instance_folder() -> None:
    cfg = load_config({})
    assert cfg["DATABASE_URL"] == f"sqlite:///{DEFAULT_INSTANCE_DIR / 'passerelle.db'}"
    assert cfg["MAIL_DIR"] == str(DEFAULT_INSTANCE_DIR / "mail")
    assert cfg["MAIL_BACKEND"] == "file"
    assert cfg["BASE_URL"] == "http://127.0.0.1:5000"
    assert cfg["TIMEZONE"] == "Europe/Paris"


def test_environment_values_are_decoded_like_flask(tmp_path: Path) -> None:
    env = {
        "PASSERELLE_SMTP_PORT": "2525",
        "PASSERELLE_SMTP_STARTTLS": "false",
        "PASSERELLE_SMTP_PASSWORD": "123456",
        "PASSERELLE_MAIL_BACKEND": "smtp",
        "PASSERELLE_BASE_URL": "https://passerelle.ain.fr/",
        "PASSERELLE_INSTANCE_DIR": str(tmp_path),
        "PASSERELLE_SOMETHING_ELSE": '{"a": [1, 2]}',
        "OTHER_SMTP_PORT": "1",
    }
    cfg = load_config(env)
    assert cfg["SMTP_PORT"] == 2525
    assert cfg["SMTP_STARTTLS"] is False
    assert cfg["SMTP_PASSWORD"] == "123456"  # secrets stay strings
    assert cfg["MAIL_BACKEND"] == "smtp"
    assert cfg["BASE_URL"] == "https://passerelle.ain.fr"
    assert cfg["SOMETHING_ELSE"] == {"a": [1, 2]}
    # Paths not set explicitly follow the instance folder.
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'passerelle.db'}"
    assert cfg["MAIL_DIR"] == str(tmp_path / "mail")


def test_overrides_win_over_the_environment() -> None:
    env = {"PASSERELLE_DATABASE_URL": "sqlite:///env.db", "PASSERELLE_MAIL_DIR": "/env/mail"}
    cfg = load_config(env, {"DATABASE_URL": "sqlite:///override.db"})
    assert cfg["DATABASE_URL"] == "sqlite:///override.db"
    assert cfg["MAIL_DIR"] == "/env/mail"
