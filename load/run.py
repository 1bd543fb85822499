#!/usr/bin/env python
"""Load test of the dashboard: 50 staff browsing and editing at once, within a fixed request budget.

    .venv/bin/python load/run.py            # full form (`make load`): 50 users, 2,000 requests, <= 60 s
    .venv/bin/python load/run.py --short    # CI form (tests/load): 50 users, 400 requests, <= 20 s

What it sets up, all on loopback and all ended when it stops, whatever happened:

1. the Gcore sandbox (`manage.py gcore_sandbox`) with 20 ms latency per call;
2. a fresh SQLite database in a temporary directory (or LOAD_DATABASE_URL, e.g. PostgreSQL), migrated,
   with one support-agent account per simulated user;
3. the cache: LOAD_CACHE_URL, else Redis db 5 on 127.0.0.1:6379 when it answers (keys under a prefix
   of this run's, deleted after), else Django's local-memory cache (then each gunicorn worker has its
   own, and the check that a user sees its own last save is off: only a shared cache can promise that
   across processes);
4. gunicorn (2 workers x 8 threads, GCORE_POOL_SIZE = threads) in production mode (load/settings.py);
5. Locust, headless, with load/locustfile.py: every user stops after its share of the request budget,
   and no action starts after the time bound (`--run-time` is a hard stop a little later).

Then it checks, and exits 1 on any violation:

* Locust counted no failed request and no 5xx; the server log has no traceback, no ERROR, no token;
* no lost or duplicated writes: for every owned client, the sandbox's final custom_id is that user's
  last save the dashboard confirmed; the sandbox received exactly one PATCH per confirmed save, for
  each client and in total, all answered 200; and the audit log has exactly one "saved" entry each;
* every user's own detail page and filtered list showed its last save (read-your-writes; shared cache).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LISTENING = re.compile(r"Gcore sandbox listening on (http://\S+) ")
PATCH_PATH = re.compile(r"^/iam/clients/(\d+)$")
REDIS_DEFAULT = "redis://127.0.0.1:6379/5"  # the test suite uses db 1 on CI, the multi-server test db 3
PASSWORD = "load-" + secrets.token_urlsafe(12)

FORMS = {
    "full": {"users": 50, "requests": 2000, "seconds": 60},
    "short": {"users": 50, "requests": 400, "seconds": 20},
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="dashboard-load-"))
    bench = Bench(work)
    try:
        problems, report = run(args, bench)
    except BenchError as exc:
        problems, report = [str(exc)], ""
    finally:
        bench.stop_all()
        bench.cleanup()
    elapsed = time.monotonic() - started
    if report:
        print(report)
    print(f"total run time: {elapsed:.1f} s" + (f" (logs in {work})" if problems or args.keep else ""))
    if problems:
        print(f"\nLOAD TEST FAILED: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("LOAD TEST PASSED")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--short",
        action="store_true",
        help="the CI form: {users} users, {requests} requests, {seconds} s".format(**FORMS["short"]),
    )
    parser.add_argument("--users", type=int, help="concurrent staff (default 50)")
    parser.add_argument("--requests", type=int, help="request budget, shared equally by the users")
    parser.add_argument("--seconds", type=int, help="time bound of the browsing and editing")
    parser.add_argument("--spawn-rate", type=float, default=25, help="users started per second")
    parser.add_argument("--latency-ms", type=float, default=20, help="sandbox latency per API call")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument(
        "--real-hasher", action="store_true", help="keep PBKDF2 for the logins (slow: ~0.6 s CPU each)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated staff's choices")
    parser.add_argument(
        "--keep", action="store_true", help="keep the logs and results even when the run passes"
    )
    args = parser.parse_args(argv)
    form = FORMS["short" if args.short else "full"]
    args.users = args.users or form["users"]
    args.requests = args.requests or form["requests"]
    args.seconds = args.seconds or form["seconds"]
    args.per_user = args.requests // args.users
    if args.per_user < 4:
        parser.error(
            "the budget must give each user at least 4 requests (log in, then open and save the edit form)"
        )
    return args


class BenchError(Exception):
    """The bench could not be set up (a process did not start): no figures to check."""


class Bench:
    """The subprocesses of one run, each logging to a file in the work directory."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.processes: list[tuple[str, subprocess.Popen[str]]] = []
        self.cleanups: list[Any] = []

    def log(self, label: str) -> Path:
        return self.work / f"{label}.log"

    def start(self, label: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        with self.log(label).open("w") as handle:
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        self.processes.append((label, process))
        return process

    def stop(self, process: subprocess.Popen[str], timeout: float = 10) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def stop_all(self) -> None:
        for _, process in reversed(self.processes):
            self.stop(process)

    def cleanup(self) -> None:
        for step in reversed(self.cleanups):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - cleanup must go on; say what was left behind
                print(f"cleanup: {exc}", file=sys.stderr)

    def tail(self, label: str, lines: int = 30) -> str:
        try:
            return "\n".join(self.log(label).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def gunicorn_quirks() -> list[str]:
    """gunicorn 25+ opens a control socket at one fixed path per user: concurrent servers would share it."""
    import gunicorn.config

    return ["--no-control-socket"] if hasattr(gunicorn.config, "ControlSocketDisable") else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env() -> dict[str, str]:
    """This process's environment without any Django, Gcore, database or cache setting of its own."""
    dropped = (
        "DJANGO_",
        "GCORE_",
        "DATABASE_URL",
        "CACHE_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CSRF_",
        "LOAD_",
    )
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)} | {"PYTHONUNBUFFERED": "1"}


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def choose_cache(bench: Bench) -> tuple[str | None, bool, str]:
    """(CACHE_URL or None for local memory, whether the workers share it, the run's key prefix).

    The keys of this run carry a prefix of their own (load/settings.py), deleted at the end: a
    concurrent run on the same Redis, with the same sandbox ids, never reads this run's entries."""
    prefix = f"load-{secrets.token_hex(4)}"
    url = os.environ.get("LOAD_CACHE_URL") or REDIS_DEFAULT
    if url.startswith(("redis://", "rediss://")):
        try:
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
            client.ping()
        except Exception as exc:
            if os.environ.get("LOAD_CACHE_URL"):
                raise BenchError(f"LOAD_CACHE_URL does not answer: {exc}") from exc
            return None, False, prefix

        def forget() -> None:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
            client.close()

        bench.cleanups.append(forget)
        return url, True, prefix
    return url, not url.startswith("locmem"), prefix


def run(args: argparse.Namespace, bench: Bench) -> tuple[list[str], str]:
    timings: dict[str, float] = {}
    mark = time.monotonic()
    token = "load-" + secrets.token_urlsafe(16)

    # 1. The sandbox.
    sandbox_process = bench.start(
        "sandbox",
        [
            sys.executable,
            "manage.py",
            "gcore_sandbox",
            "--port",
            "0",
            "--token",
            token,
            "--latency-ms",
            str(args.latency_ms),
        ],
        base_env() | {"DJANGO_SETTINGS_MODULE": "dashboard.settings"},
    )
    sandbox = wait_for(bench, "sandbox", sandbox_process, lambda: _sandbox_url(bench), 30)
    control = httpx.Client(base_url=sandbox, timeout=30)
    bench.cleanups.append(control.close)
    api = {"Authorization": f"APIKey {token}"}

    # 2. Database, cache and the environment of the app servers.
    database = os.environ.get("LOAD_DATABASE_URL") or f"sqlite:///{bench.work / 'load.sqlite3'}"
    cache_url, shared_cache, cache_prefix = choose_cache(bench)
    threads = args.threads
    env = base_env() | {
        "DJANGO_SETTINGS_MODULE": "load.settings",
        "DATABASE_URL": database,
        "GCORE_API_URL": sandbox,
        "GCORE_API_TOKEN": token,
        "GCORE_POOL_SIZE": str(threads),
        "DEBUG": "false",
        # The simulated staff sign in with a password: a second factor per simulated user would
        # measure the authenticator, not the dashboard (MFA has its own tests in tests/).
        "MFA_REQUIRED": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_PROXY_SSL_HEADER": "false",
        "TRUSTED_PROXY_COUNT": "0",
        "LOAD_REAL_HASHER": "1" if args.real_hasher else "0",
        "LOAD_CACHE_PREFIX": cache_prefix,
    }
    if cache_url:
        env["CACHE_URL"] = cache_url
    manage(env, "migrate", "--noinput")
    usernames = [f"staff-{n:02d}" for n in range(args.users)]
    create_accounts(env, usernames)
    timings["setup"] = time.monotonic() - mark

    # 3. One live client per user (nobody else edits it), and clients to browse.
    listing = control.get("/iam/clients", params={"ordering": "id"}, headers=api)
    listing.raise_for_status()
    clients = listing.json()
    live = [c for c in clients if not c["deleted"]]
    if len(live) < args.users:
        raise BenchError(f"the sandbox has {len(live)} live clients for {args.users} users")
    rng_pick = random.Random(args.seed)
    owned = rng_pick.sample(live, args.users)
    browse_ids = [c["id"] for c in rng_pick.sample(clients, min(80, len(clients)))]
    accounts = [
        {"username": name, "password": PASSWORD, "client_id": c["id"], "custom_id": c.get("custom_id")}
        for name, c in zip(usernames, owned, strict=True)
    ]

    # 4. gunicorn.
    port = free_port()
    server = bench.start(
        "gunicorn",
        [str(BIN / "gunicorn"), "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "--workers", str(args.workers),
         "--threads", str(threads), "--timeout", "30", "--graceful-timeout", "5", *gunicorn_quirks()],
        env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for(bench, "gunicorn", server, lambda: _answers(f"{base}/healthz"), 30)
    control.delete("/__sandbox__/requests").raise_for_status()  # count only what the users cause

    # 5. Locust.
    results_file = bench.work / "results.json"
    plan = {
        "accounts": accounts,
        "requests_per_user": args.per_user,
        "deadline": time.time() + args.seconds,
        "check_own_reads": shared_cache,
        "browse_ids": browse_ids,
        "seed": args.seed,
        "results": str(results_file),
    }
    plan_file = bench.work / "plan.json"
    plan_file.write_text(json.dumps(plan))
    mark = time.monotonic()
    locust = bench.start(
        "locust",
        [str(BIN / "locust"), "-f", "load/locustfile.py", "--headless",
         "-u", str(args.users), "-r", str(args.spawn_rate),
         "--run-time", f"{args.seconds + 5}s", "--stop-timeout", "15", "--host", base, "--only-summary",
         "--loglevel", "WARNING"],
        base_env() | {"LOAD_PLAN": str(plan_file)},
    )  # fmt: skip
    try:
        locust.wait(timeout=args.seconds + 45)
    except subprocess.TimeoutExpired:
        bench.stop(locust)
        raise BenchError(
            f"Locust did not finish within {args.seconds + 45} s:\n{bench.tail('locust')}"
        ) from None
    timings["load"] = time.monotonic() - mark
    if not results_file.exists():
        raise BenchError(f"Locust wrote no results (exit {locust.returncode}):\n{bench.tail('locust')}")
    results = json.loads(results_file.read_text())

    # 6. The sandbox's final state, then the servers' own records.
    log = control.get("/__sandbox__/requests").json()
    finals = {}
    for account in accounts:
        response = control.get(f"/iam/clients/{account['client_id']}", headers=api)
        response.raise_for_status()
        finals[account["client_id"]] = response.json().get("custom_id")
    bench.stop(server)
    audit = json.loads(manage(env, "shell", "-c", AUDIT_SCRIPT).strip().splitlines()[-1])
    server_log = bench.log("gunicorn").read_text(errors="replace")

    problems = check(args, results, accounts, log, finals, audit, server_log, token, shared_cache)
    report = summarize(args, results, log, timings, cache_url, shared_cache, database)
    if problems:
        report += (
            f"\n--- gunicorn log (tail) ---\n{bench.tail('gunicorn', 60)}"
            f"\n--- locust log (tail) ---\n{bench.tail('locust', 30)}"
        )
    return problems, report


ACCOUNTS_CODE = """
import json, sys
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from dashboard.roles import SUPPORT_AGENTS
names, password = json.loads(sys.stdin.read())
User = get_user_model()
hashed = make_password(password)  # once: the same password for every account
User.objects.filter(username__in=names).delete()
users = User.objects.bulk_create([User(username=name, password=hashed, is_active=True) for name in names])
group = Group.objects.get(name=SUPPORT_AGENTS)
group.user_set.add(*User.objects.filter(username__in=names))
print(len(users))
"""

AUDIT_SCRIPT = """
import json
from django.db.models import Count
from dashboard.models import AuditEntry
rows = (
    AuditEntry.objects.filter(action=AuditEntry.Action.CLIENT_UPDATE)
    .values("client_id", "outcome")
    .annotate(n=Count("id"))
)
print(json.dumps([[r["client_id"], r["outcome"], r["n"]] for r in rows]))
"""


def create_accounts(env: dict[str, str], usernames: list[str]) -> None:
    """One support agent per simulated user, all with the same password (hashed once)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", ACCOUNTS_CODE],
        cwd=ROOT, env=env, input=json.dumps([usernames, PASSWORD]),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode != 0 or result.stdout.strip().splitlines()[-1:] != [str(len(usernames))]:
        raise BenchError(f"creating the staff accounts failed:\n{result.stdout}\n{result.stderr}")


def _sandbox_url(bench: Bench) -> str | None:
    match = LISTENING.search(bench.log("sandbox").read_text(errors="replace"))
    return match.group(1) if match else None


def _answers(url: str) -> str | None:
    try:
        return url if httpx.get(url, timeout=2).status_code == 200 else None
    except httpx.TransportError:
        return None


def wait_for(bench: Bench, label: str, process: subprocess.Popen[str], probe: Any, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (value := probe()) is not None:
            return value
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise BenchError(f"{label} did not come up within {seconds:.0f} s:\n{bench.tail(label)}")


# -- checks -------------------------------------------------------------------------------------


def check(
    args: argparse.Namespace,
    results: dict[str, Any],
    accounts: list[dict[str, Any]],
    log: list[dict[str, Any]],
    finals: dict[int, str | None],
    audit: list[list[Any]],
    server_log: str,
    token: str,
    shared_cache: bool,
) -> list[str]:
    problems: list[str] = []
    summary, users = results["summary"], results["users"]

    # Every request answered, no server error.
    if summary["requests"] == 0:
        problems.append("no request was made")
    if summary["requests"] > args.per_user * args.users:
        problems.append(f"{summary['requests']} requests, over the budget of {args.per_user * args.users}")
    if summary["failures"]:
        problems.append(f"{summary['failures']} failed request(s): " + "; ".join(
            f"{e['method']} {e['name']}: {e['error']} x{e['occurrences']}" for e in results["errors"]
        ))  # fmt: skip
    if results["server_errors"]:
        shown = Counter(f"{e['method']} {e['name']} -> {e['status']}" for e in results["server_errors"])
        problems.append(f"{len(results['server_errors'])} server error(s) (5xx): {dict(shown)}")
    if missing := [a["username"] for a in accounts if a["username"] not in users]:
        problems.append(f"{len(missing)} user(s) never started: {missing[:5]}")
    errors = [line for line in server_log.splitlines() if re.search(r"Traceback|\bERROR\b|CRITICAL", line)]
    if errors:
        problems.append(f"the server log has {len(errors)} error line(s), first: {errors[0]}")
    if token in server_log:
        problems.append("the Gcore token appears in the server log")

    # No lost or duplicated writes: the sandbox's final state and its PATCH count.
    patches = [e for e in log if e["method"] == "PATCH"]
    if bad := [e for e in patches if e["status"] != 200]:
        problems.append(f"{len(bad)} PATCH(es) not answered 200: {bad[:3]}")
    if upstream_5xx := [e for e in log if (e["status"] or 0) >= 500 or e["fault"]]:
        problems.append(f"{len(upstream_5xx)} sandbox request(s) failed: {upstream_5xx[:3]}")
    patched = Counter(int(m.group(1)) for e in patches if (m := PATCH_PATH.match(e["path"])))
    owned = {a["client_id"] for a in accounts}
    if strays := {cid: n for cid, n in patched.items() if cid not in owned}:
        problems.append(f"PATCHes to clients nobody owns: {strays}")
    saved_audit = Counter({cid: n for cid, outcome, n in audit if outcome == "saved"})
    other_audit = [(cid, outcome, n) for cid, outcome, n in audit if outcome != "saved"]
    if other_audit:
        problems.append(f"audit entries other than 'saved': {other_audit[:5]}")
    saves_total = 0
    for account in accounts:
        record = users.get(account["username"])
        if record is None:
            continue
        cid, saves = account["client_id"], record["saves"]
        saves_total += len(saves)
        expected = saves[-1] if saves else account["custom_id"]
        if finals[cid] != expected:
            problems.append(
                f"client {cid} ({account['username']}): Gcore has custom_id {finals[cid]!r}, "
                f"the last confirmed save was {expected!r}"
            )
        if patched[cid] != len(saves):
            problems.append(
                f"client {cid} ({account['username']}): {len(saves)} confirmed save(s) "
                f"but {patched[cid]} PATCH(es) reached Gcore"
            )
        if saved_audit[cid] != len(saves):
            problems.append(
                f"client {cid} ({account['username']}): {len(saves)} confirmed save(s) "
                f"but {saved_audit[cid]} 'saved' audit entries"
            )
        if record["failed_saves"]:
            problems.append(f"{account['username']}: save(s) not confirmed: {record['failed_saves'][:3]}")
        if record["stale_reads"]:
            problems.append(
                f"{account['username']}: its own pages did not show its last confirmed save: "
                f"{record['stale_reads'][:2]}"
            )
    if sum(patched.values()) != saves_total:
        problems.append(
            f"{saves_total} confirmed saves in all, but Gcore received {sum(patched.values())} PATCHes"
        )
    if saves_total == 0:
        problems.append("no save was made: the writes were not tested")
    return problems


def summarize(
    args: argparse.Namespace,
    results: dict[str, Any],
    log: list[dict[str, Any]],
    timings: dict[str, float],
    cache_url: str | None,
    shared_cache: bool,
    database: str,
) -> str:
    s, users = results["summary"], results["users"]
    saves = sum(len(u["saves"]) for u in users.values())
    completed = sum(1 for u in users.values() if u["completed"])
    patches = sum(1 for e in log if e["method"] == "PATCH")
    lines = [
        f"Load test ({'short' if args.short else 'full'} form): {args.users} users, "
        f"budget {args.per_user * args.users} requests ({args.per_user} each), bound {args.seconds} s, "
        f"gunicorn {args.workers}x{args.threads}, sandbox latency {args.latency_ms:g} ms",
        f"database {database.split('://')[0]}, cache {cache_url or 'local memory (per worker)'}"
        + ("" if shared_cache else " - read-your-writes check off"),
        "",
        f"{'name':<28} {'method':<6} {'requests':>8} {'fails':>6} {'median':>7} {'p95':>7}",
    ]
    for e in results["entries"]:
        lines.append(
            f"{e['name']:<28} {e['method']:<6} {e['requests']:>8} "
            f"{e['failures']:>6} {e['median_ms']:>7.0f} {e['p95_ms']:>7.0f}"
        )
    lines += [
        f"{'total':<28} {'':<6} {s['requests']:>8} "
        f"{s['failures']:>6} {s['median_ms']:>7.0f} {s['p95_ms']:>7.0f}",
        "",
        f"requests      {s['requests']} of {args.per_user * args.users} "
        f"({completed}/{len(users)} users spent their budget)",
        f"failures      {s['failures']} (5xx: {len(results['server_errors'])})",
        f"latency       median {s['median_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms, max {s['max_ms']:.0f} ms",
        f"throughput    {s['rps']:.1f} requests/s",
        f"writes        {saves} confirmed saves checked against Gcore's final state; "
        f"{patches} PATCHes reached Gcore",
        f"upstream      {len(log)} sandbox requests",
        f"time          setup {timings.get('setup', 0):.1f} s, load {timings.get('load', 0):.1f} s",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
