"""Start COPN for development: embedded Redis, RQ worker, outbox relay, web server.

Run by scripts/start after setup, migrations and demo data. Stops everything on
Ctrl-C, or as soon as one of the processes exits.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
FLASK = str(ROOT / ".venv" / "bin" / "flask")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from copn import create_app
    from copn.core import embedded_redis

    app = create_app()
    redis_url = app.config["REDIS_URL"]
    redis_port = urlsplit(redis_url).port or 6379
    host = os.environ.get("COPN_HOST", "127.0.0.1")
    port = os.environ.get("COPN_PORT", "5000")
    env = dict(os.environ, FLASK_APP="wsgi.py", PYTHONUNBUFFERED="1")

    for name, busy in (("Redis", redis_port), ("the web server", int(port))):
        if _port_in_use(busy):
            print(
                f"Port {busy} for {name} is already in use. Stop what uses it, or "
                "choose another (REDIS_URL in instance/config.py, COPN_PORT)."
            )
            return 1

    (INSTANCE / "redis").mkdir(parents=True, exist_ok=True)
    commands = {
        "redis": embedded_redis.command(
            redis_port, INSTANCE / "redis", persistent=True
        ),
        "worker": [FLASK, "jobs", "worker"],
        "relay": [FLASK, "notify", "relay"],
        "web": [FLASK, "run", "--debug", "--host", host, "--port", port],
    }

    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=ROOT, env=env)
            if name == "redis":
                time.sleep(0.5)
        _print_welcome(host, port)
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"\n{name} stopped (exit code {process.returncode}).")
                    return process.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping COPN...")
        return 0
    finally:
        for process in reversed(processes.values()):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _print_welcome(host: str, port: str) -> None:
    sheet = INSTANCE / "demo-accounts.txt"
    accounts = sheet.read_text(encoding="utf-8") if sheet.exists() else ""
    print(
        "\n"
        f"  COPN is running at http://{host}:{port}/\n"
        "  Mail is written to instance/mail/. Stop with Ctrl-C.\n\n"
        "  Demo accounts (development only):\n"
        + "".join(f"    {line}\n" for line in accounts.splitlines())
    )


if __name__ == "__main__":
    sys.exit(main())
