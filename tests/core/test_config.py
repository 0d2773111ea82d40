"""Configuration: defaults, instance/config.py, then COPN_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from copn import ConfigError, create_app
from copn.config import from_environment


def test_environment_values_are_converted_to_the_type_of_their_default():
    """An operator sets numbers, switches and lists as plain environment text."""
    values = from_environment(
        {
            "COPN_MAIL_PORT": "587",
            "COPN_MAIL_USE_TLS": "yes",
            "COPN_MAIL_USE_SSL": "0",
            "COPN_LANGUAGES": "vi, en",
            "COPN_RQ_QUEUES": '["mail"]',
            "COPN_SQLALCHEMY_ENGINE_OPTIONS": '{"pool_size": 3}',
            "COPN_BASE_URL": "https://copn.example",
            "PATH": "/usr/bin",
        }
    )

    assert values == {
        "MAIL_PORT": 587,
        "MAIL_USE_TLS": True,
        "MAIL_USE_SSL": False,
        "LANGUAGES": ["vi", "en"],
        "RQ_QUEUES": ["mail"],
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3},
        "BASE_URL": "https://copn.example",
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COPN_MAIL_PORT", "twenty-five"),
        ("COPN_MAIL_USE_TLS", "maybe"),
        ("COPN_LANGUAGES", "[vi, en"),
        ("COPN_LANGUAGES", '{"vi": 1}'),
        ("COPN_SQLALCHEMY_ENGINE_OPTIONS", "pool_size=3"),
    ],
)
def test_a_bad_environment_value_is_refused_naming_the_variable(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, name, value
):
    """A typo in the environment stops the start with the variable's name."""
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=name) as caught:
        create_app(dict(base_config))

    assert repr(value) in str(caught.value)


def test_environment_overrides_the_defaults_in_the_app(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    """COPN_* variables reach the running application's configuration."""
    config = {k: v for k, v in base_config.items() if k != "MAIL_PORT"}
    monkeypatch.setenv("COPN_MAIL_PORT", "2525")
    monkeypatch.setenv("COPN_TRUSTED_PROXIES", "1")

    app = create_app(config)

    assert app.config["MAIL_PORT"] == 2525
    assert app.config["TRUSTED_PROXIES"] == 1


@pytest.mark.parametrize("env", ["production", "development", "testing"])
@pytest.mark.parametrize("secret", [None, "", "too-short-to-be-a-secret"])
def test_no_start_without_a_real_secret_key(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, env, secret
):
    """Without a long SECRET_KEY COPN refuses to start, whatever the environment."""
    monkeypatch.delenv("COPN_SECRET_KEY", raising=False)

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(dict(base_config, ENV=env, SECRET_KEY=secret))


def test_an_unknown_environment_is_refused(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    """COPN_ENV=prod (a typo) stops the start instead of running half-configured."""
    config = {k: v for k, v in base_config.items() if k != "ENV"}
    monkeypatch.setenv("COPN_ENV", "prod")

    with pytest.raises(ConfigError, match="COPN_ENV.*prod"):
        create_app(config)


def test_sqlite_in_the_instance_folder_by_default(
    base_config: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """With no DATABASE_URL, data lives in instance/copn.sqlite3."""
    monkeypatch.delenv("COPN_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"

    app = create_app(dict(base_config, DATABASE_URL="", INSTANCE_PATH=str(instance)))

    assert app.instance_path == str(instance)
    assert instance.is_dir()
    expected = f"sqlite:///{instance / 'copn.sqlite3'}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_instance_config_file_is_read(base_config: dict[str, Any], tmp_path: Path):
    """Settings in instance/config.py apply, under the test's own overrides."""
    (tmp_path / "config.py").write_text('MAIL_DEFAULT_SENDER = "COPN <a@b.vn>"\n')

    app = create_app(dict(base_config, INSTANCE_PATH=str(tmp_path)))

    assert app.config["MAIL_DEFAULT_SENDER"] == "COPN <a@b.vn>"


def test_development_sends_the_session_cookie_over_plain_http(make_app):
    """Development runs on http://127.0.0.1, production keeps the secure cookie."""
    production = make_app(ENV="production", SECURITY_TOTP_SECRETS={"1": "s" * 40})

    assert make_app(ENV="development").config["SESSION_COOKIE_SECURE"] is False
    assert production.config["SESSION_COOKIE_SECURE"] is True
