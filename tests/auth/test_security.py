"""Setting up Flask-Security: what COPN refuses to start without."""

from __future__ import annotations

from typing import Any

import pytest

from copn import ConfigError, create_app


def test_production_refuses_to_start_without_totp_secrets(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    """Two-factor secrets are encrypted with a key the operator must provide."""
    monkeypatch.delenv("COPN_SECURITY_TOTP_SECRETS", raising=False)

    with pytest.raises(ConfigError, match="SECURITY_TOTP_SECRETS"):
        create_app(dict(base_config, ENV="production"))


def test_production_starts_with_totp_secrets_from_the_environment(
    base_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    """COPN_SECURITY_TOTP_SECRETS, a JSON object, is what an operator sets."""
    monkeypatch.setenv("COPN_SECURITY_TOTP_SECRETS", '{"1": "' + "s" * 40 + '"}')

    app = create_app(dict(base_config, ENV="production"))

    assert app.config["SECURITY_TOTP_SECRETS"] == {"1": "s" * 40}
