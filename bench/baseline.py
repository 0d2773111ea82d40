"""The bare baseline: Flask + Flask-SQLAlchemy, plain SQL, one Jinja template a page.

It reads the same SQLite file as COPN (``BENCH_DATABASE_URL``) and renders about
the same HTML, without sessions, CSRF, i18n, logging or security headers. Served
by ``gunicorn bench.baseline:app``; a scenario adds its page here.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import bindparam, text

# Stands in for COPN's CSRF token, which is about as long.
FAKE_TOKEN = "x" * 86

ORGANISATIONS = text(
    """
    SELECT o.id, o.name_vi, o.short_name, t.name_vi AS type_name
    FROM organisation AS o JOIN organisation_type AS t ON t.id = o.type_id
    WHERE o.withdrawn_on IS NULL
    ORDER BY o.search_name
    LIMIT 50
    """
)
ROLES = text(
    """
    SELECT l.organisation_id, r.name_vi
    FROM organisation_network_role AS l
    JOIN network_role AS r ON r.id = l.network_role_id
    WHERE l.organisation_id IN :ids
    """
).bindparams(bindparam("ids", expanding=True))

db = SQLAlchemy()
app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
db.init_app(app)


@app.get("/organisations")
def organisations() -> str:
    """The first 50 current members with their type and roles."""
    rows = db.session.execute(ORGANISATIONS).all()
    roles: dict[int, list[str]] = defaultdict(list)
    if rows:
        for organisation_id, name in db.session.execute(
            ROLES, {"ids": [row.id for row in rows]}
        ):
            roles[organisation_id].append(name)
    return render_template(
        "baseline/organisations.html",
        organisations=rows,
        roles=roles,
        token=FAKE_TOKEN,
    )
