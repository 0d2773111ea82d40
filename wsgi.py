"""The WSGI entry point: ``gunicorn wsgi:app``."""

from copn import create_app

app = create_app()
