"""Run every scenario against COPN and the baseline and print the figures.

``.venv/bin/python -m bench`` from the project root; ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.load import LoadResult, run_load
from bench.processes import (
    BIN,
    BenchError,
    Managed,
    run_checked,
    start_gunicorn,
    start_redis,
    start_rq_worker,
)
from bench.queries import count_queries
from bench.scenarios import SCENARIOS, Scenario

RESULTS = Path(__file__).resolve().parent / "results"
MB = 1024 * 1024


def say(message: str) -> None:
    """Progress on stderr; create_app's logging setup owns the logging module."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per target")
    parser.add_argument("--warmup", type=int, default=200, help="per target")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument(
        "--max-seconds", type=float, default=15, help="time cap per measured load"
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns COPN and the baseline take"
    )
    parser.add_argument(
        "--scenario", action="append", help="run only this scenario (repeatable)"
    )
    parser.add_argument("--no-json", action="store_true", help="write no results file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder and its logs"
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.rounds, args.warmup) < 1 or args.requests < args.rounds:
        parser.error("clients, rounds and warm-up must be ≥ 1, requests ≥ rounds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = _select(args.scenario)
    # Ctrl-C and SIGTERM both unwind through the clean-up, even when the shell
    # that started this run ignores SIGINT (as it does for background jobs).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)

    folder = Path(tempfile.mkdtemp(prefix="copn-bench-"))
    began = time.monotonic()
    try:
        with contextlib.ExitStack() as stack:
            report = _run(stack, folder, scenarios, args)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    finally:
        if args.keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)

    report["seconds"] = round(time.monotonic() - began, 1)
    print_report(report)
    if not args.no_json:
        path = write_json(report)
        print(f"\nresults written to {os.path.relpath(path)}")
    return 0


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _select(names: list[str] | None) -> list[Scenario]:
    if not names:
        return list(SCENARIOS)
    known = {s.name: s for s in SCENARIOS}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(
            f"unknown scenario(s): {', '.join(unknown)}; know {sorted(known)}"
        )
    return [known[n] for n in names]


def _run(
    stack: contextlib.ExitStack,
    folder: Path,
    scenarios: list[Scenario],
    args: argparse.Namespace,
) -> dict[str, Any]:
    load_average = [round(x, 2) for x in os.getloadavg()]
    env = _environment(folder)
    _, redis_url = start_redis(stack, folder / "redis", env)
    env["COPN_REDIS_URL"] = redis_url
    os.environ.update(env)

    say(f"migrating a fresh SQLite database in {folder}")
    run_checked("migrate", [str(BIN / "flask"), "db", "upgrade"], folder, env, 60)
    queries = seed_and_count(scenarios)

    env["BENCH_DATABASE_URL"] = f"sqlite:///{folder / 'copn.sqlite3'}"
    say("seeded; starting gunicorn for COPN and the baseline")
    first = scenarios[0]
    copn, copn_port = start_gunicorn(
        stack, "copn", "wsgi:app", folder, env, first.copn_path
    )
    baseline, baseline_port = start_gunicorn(
        stack, "baseline", "bench.baseline:app", folder, env, first.baseline_path
    )

    results = []
    for scenario in scenarios:
        targets = {
            "copn": ("COPN", copn_port, scenario.copn_path),
            "baseline": ("baseline", baseline_port, scenario.baseline_path),
        }
        loads = _load_alternately(targets, args)
        results.append(_scenario_report(scenario, loads, queries[scenario.name]))

    memory = {
        "copn_worker_mb": worker_rss_mb(copn),
        "baseline_worker_mb": worker_rss_mb(baseline),
    }
    memory.update(rq_worker_rss_mb(stack, folder, env, redis_url))
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "clients": args.clients,
        "requests": args.requests,
        "warmup": args.warmup,
        "max_seconds": args.max_seconds,
        "rounds": args.rounds,
        "load_average": load_average,
        "scenarios": results,
        "memory": memory,
    }


def _environment(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPN_", "FLASK_", "BENCH_"))
    }
    env.update(
        COPN_INSTANCE_PATH=str(folder),
        COPN_ENV="production",
        COPN_SECRET_KEY=secrets.token_hex(32),
        COPN_SECURITY_TOTP_SECRETS=json.dumps({"1": secrets.token_hex(32)}),
        COPN_MAIL_BACKEND="file",
        FLASK_APP="wsgi.py",
    )
    return env


def seed_and_count(scenarios: list[Scenario]) -> dict[str, dict[int, int]]:
    """Grow each scenario's data through its sizes, counting the page's statements."""
    from copn import create_app
    from copn.extensions import db

    app = create_app({"LOG_LEVEL": "WARNING"})
    counts: dict[str, dict[int, int]] = {}
    for scenario in scenarios:
        counts[scenario.name] = {}
        for size in scenario.sizes:
            with app.app_context():
                scenario.seed(size)
            count, status = count_queries(app, scenario.copn_path)
            if status != 200:
                raise BenchError(f"{scenario.copn_path} answered {status} in-process")
            counts[scenario.name][size] = count
    with app.app_context():
        db.engine.dispose()
    return counts


def _load_alternately(
    targets: dict[str, tuple[str, int, str]], args: argparse.Namespace
) -> dict[str, LoadResult]:
    """Warm every target up (5 s at most), then load them in ``--rounds`` turns.

    Taking turns spreads a change in the machine's background load over both.
    """
    for label, port, path in targets.values():
        say(f"warming up {label} {path}")
        _check(label, path, run_load(port, path, args.warmup, args.clients, 5))

    results = {key: LoadResult() for key in targets}
    cpu = dict.fromkeys(targets, 0.0)
    slices = [args.requests // args.rounds] * args.rounds
    slices[-1] += args.requests % args.rounds
    say(f"loading {' and '.join(t[0] for t in targets.values())} in turns")
    for size in slices:
        for key, (label, port, path) in targets.items():
            before = psutil.Process().cpu_times()
            part = run_load(
                port, path, size, args.clients, args.max_seconds / args.rounds
            )
            after = psutil.Process().cpu_times()
            _check(label, path, part)
            cpu[key] += after.user + after.system - before.user - before.system
            results[key].add(part)

    for key, result in results.items():
        result.client_cpu = cpu[key] / (result.elapsed or 1)
    return results


def _check(label: str, path: str, result: LoadResult) -> None:
    """Every answer must be 200 and no client may have failed."""
    bad = {status: n for status, n in result.statuses.items() if status != 200}
    if bad or result.errors or not result.requests:
        raise BenchError(
            f"{label} {path}: statuses {dict(result.statuses)}, "
            f"client errors {result.errors[:3]}"
        )


def _scenario_report(
    scenario: Scenario, loads: dict[str, LoadResult], queries: dict[int, int]
) -> dict[str, Any]:
    figures = {
        name: {
            "requests": load.requests,
            "seconds": round(load.elapsed, 2),
            "req_per_s": round(load.throughput, 1),
            "p50_ms": round(load.percentile_ms(50), 2),
            "p99_ms": round(load.percentile_ms(99), 2),
            "body_bytes": load.body_bytes,
            "client_cpu": round(load.client_cpu, 2),
        }
        for name, load in loads.items()
    }
    copn, base = figures["copn"], figures["baseline"]
    return {
        "name": scenario.name,
        "copn_path": scenario.copn_path,
        "baseline_path": scenario.baseline_path,
        "rows": max(scenario.sizes),
        **figures,
        "ratio": {
            key: round(copn[key] / base[key], 2) if base[key] else math.nan
            for key in ("req_per_s", "p50_ms", "p99_ms")
        },
        "queries": {str(size): count for size, count in queries.items()},
    }


def worker_rss_mb(server: Managed) -> float:
    """The largest resident memory among a gunicorn master's workers."""
    workers = psutil.Process(server.pid).children()
    return round(max(w.memory_info().rss for w in workers) / MB, 1)


def rq_worker_rss_mb(
    stack: contextlib.ExitStack, folder: Path, env: dict[str, str], redis_url: str
) -> dict[str, float]:
    """Start ``flask jobs worker``, let it idle 2 s, measure it, stop it."""
    say("starting the RQ worker")
    worker = start_rq_worker(stack, folder, env, redis_url)
    time.sleep(2)
    parent = psutil.Process(worker.pid)
    children = parent.children(recursive=True)
    figures = {
        "rq_worker_mb": round(parent.memory_info().rss / MB, 1),
        "rq_children_mb": round(sum(c.memory_info().rss for c in children) / MB, 1),
        "rq_children": len(children),
    }
    worker.stop()
    return figures


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\nCOPN benchmark · {report['cpus']} CPUs · Python {report['python']} · "
        f"SQLite · gunicorn 2 sync workers each\n{report['clients']} clients, "
        f"{report['requests']} requests per target in {report['rounds']} turns "
        f"(cap {report['max_seconds']:g} s) after {report['warmup']} warm-up\n"
        f"load average at start {' '.join(map(str, report['load_average']))} · "
        f"run took {report['seconds']} s"
    )
    for scenario in report["scenarios"]:
        print(
            f"\n{scenario['name']}: COPN {scenario['copn_path']} vs baseline "
            f"{scenario['baseline_path']}, {scenario['rows']} rows"
        )
        print(
            f"  {'':16}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
            f"{'body kB':>9}{'requests':>10}{'client CPU':>12}"
        )
        for key, label in (("copn", "COPN"), ("baseline", "baseline")):
            row = scenario[key]
            print(
                f"  {label:16}{row['req_per_s']:9.1f}{row['p50_ms']:9.2f}"
                f"{row['p99_ms']:9.2f}{row['body_bytes'] / 1000:9.1f}"
                f"{row['requests']:10d}{row['client_cpu']:11.0%}"
            )
        ratio = scenario["ratio"]
        print(
            f"  {'COPN / baseline':16}{ratio['req_per_s']:9.2f}"
            f"{ratio['p50_ms']:9.2f}{ratio['p99_ms']:9.2f}"
        )
        counts = ", ".join(
            f"{n} with {size} rows" for size, n in scenario["queries"].items()
        )
        print(f"  SQL statements per COPN request: {counts}")

    memory = report["memory"]
    print("\nresident memory (RSS, MB)")
    print(f"  {'COPN gunicorn worker':44}{memory['copn_worker_mb']:8.1f}")
    print(f"  {'baseline gunicorn worker':44}{memory['baseline_worker_mb']:8.1f}")
    print(
        f"  {'RQ worker, flask jobs worker (idle parent)':44}"
        f"{memory['rq_worker_mb']:8.1f}   + {memory['rq_children']} child "
        f"process(es), {memory['rq_children_mb']:.1f} MB"
    )


def write_json(report: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path
