"""Shared pieces that know no area: htmx, security, errors, logging, i18n, audit."""
