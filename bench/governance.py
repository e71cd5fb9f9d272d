"""The governance figure's setups (docs/governance.md): what a key lookup, rate limits and a
budget cost a chat request, next to the bare gateway, with the local ledger (spend persisted in
the SQLite store) and with the Redis ledger.

Each setup is the bench's default gateway (targets.switchyard_config) plus the YAML below, with a
store file of its own per gateway, and, from `keys` on, one virtual key made through the admin
API with the master key; every request then carries it (`Authorization: Bearer`). Limits are
far above what the figure sends, so nothing is refused: the figure is the cost of counting.

Before anything is measured, and again after the latency rounds, `check` shows that each setup
does what its name says: a request with the key answers 200 and one without it 401, the
`x-ratelimit-*` headers are there exactly when limits are on, the key's budget shows spend, and
with Redis the spend is in Redis; after the gateways stop, the local budget's store must hold the
key's spend, and only the usage setup's store usage records (`check_store`). Loopback only;
redis-server runs without persistence (`--save "" --appendonly no`) in the run's work dir and is
stopped at the end.
"""

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import targets

MASTER_KEY = "bench-master-key-not-a-secret"
MODEL = "gpt-4o-mini"
# Far above the figure's traffic (a few thousand requests a minute at most): counted, never refused.
LIMITS = {"rpm": 1_000_000_000, "tpm": 1_000_000_000_000, "concurrency": 1_000_000}

SETUPS = ("bare", "keys", "keys+usage", "keys+limits", "keys+limits+budget", "keys+limits+budget+redis")
DESCRIBED = {
    "bare": "nothing configured (open gateway)",
    "keys": "`keys.required`, one virtual key (made through /admin/keys); `usage.record: false`",
    "keys+usage": "+ `usage.record: true` (the default with `keys.required`): a usage record per request in the store",
    "keys+limits": "+ `rate_limits` for the key and the model (rpm, tpm, concurrency)",
    "keys+limits+budget": "+ a key budget and `pricing` for the model; local ledger, spend persisted in SQLite",
    "keys+limits+budget+redis": "the same with `redis:` (the Redis ledger, redis-server on loopback)",
}


def extra_yaml(name, store_path, redis_port=None):
    """The YAML a setup adds to the bare gateway's config."""
    if name == "bare":
        return ""
    text = f"""admin:
  key: {MASTER_KEY}
keys:
  required: true
store:
  path: {store_path}
usage:
  record: {"true" if "usage" in name else "false"}
"""
    if "limits" in name:
        limits = json.dumps(LIMITS)
        text += f"""rate_limits:
  keys: {{default: {limits}}}
  models: {{{MODEL}: {limits}}}
"""
    if "budget" in name:
        text += f"""pricing:
  currency: USD
  models:
    {MODEL}: {{input: 0.15, output: 0.60}}
budgets:
  keys: {{default: {{limit: 1000000, period: monthly}}}}
"""
    if "redis" in name:
        # A timeout well above a round trip even under valgrind (callgrind slows the gateway ~50×).
        text += f"""redis:
  address: 127.0.0.1:{redis_port}
  timeout: 5s
  on_unavailable: fail_closed
"""
    return text


def config_of(name, workdir, redis_port):
    """`extra(port)` for targets.start_switchyard / switchyard_config: a store file per gateway."""
    return lambda port: extra_yaml(name, store_of(workdir, port), redis_port)


def store_of(workdir, port):
    return os.path.join(workdir, f"governance-{port}.db")


def admin(port, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def prepare(name):
    """`prepare(port)` for run.callgrind_instructions and the latency gateways: makes the
    setup's virtual key and returns the headers requests carry (none for `bare`)."""
    def made(port):
        if name == "bare":
            return ()
        if "redis" in name:
            wait_for_shared_keys(port, ("Authorization: Bearer sk-sy-bench-no-such-key-000000000000",), answer=401)
        created = create_key(port, retry_unavailable="redis" in name)
        headers = (f"Authorization: Bearer {created['key']}",)
        if "redis" in name:
            wait_for_shared_keys(port, headers)
        return headers
    return made


def create_key(port, retry_unavailable, timeout=20.0):
    """POST /admin/keys. With `redis:` a gateway refuses key changes (503) until its first look at
    the shared keys after start (nothing is made then); then it is asked again, 50 ms apart, for at most `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return admin(port, "POST", "/admin/keys", {"name": "bench"})
        except urllib.error.HTTPError as error:
            if not retry_unavailable or error.code != 503 or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def wait_for_shared_keys(port, headers, answer=200, timeout=20.0):
    """With `redis:`, a gateway checks keys once its copy of the shared keys is confirmed by Redis
    (SharedKeys); until its first refresh after start it answers 503 governance_unavailable
    (fail_closed), though /health already answers. Waits until GET /v1/models (the cheapest
    route that checks the key) with `headers` answers `answer` (200 for a real key, 401 for none)."""
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers=dict(h.split(": ", 1) for h in headers))
        try:
            with urllib.request.urlopen(request, timeout=10):
                if answer == 200:
                    return
        except urllib.error.HTTPError as error:
            if error.code == answer:
                return
            if error.code != 503 or time.monotonic() > deadline:
                raise RuntimeError(f"GET /v1/models with the key answered {error.code}: {error.read()[:300]!r}")
        time.sleep(0.05)


def chat(port, headers):
    """One chat request: (status, response headers, body)."""
    with open(os.path.join(os.path.dirname(__file__), "chat-request.json"), "rb") as handle:
        body = handle.read()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body, method="POST",
                                     headers=dict(h.split(": ", 1) for h in headers) | {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def check(name, port, headers, redis_port):
    """Shows that the setup is what its name says, on a gateway that has served the figure's
    requests; raises otherwise. Returns what it saw (for the results)."""
    status, response_headers, body = chat(port, headers)
    if status != 200:
        raise RuntimeError(f"{name}: a chat request with the key answered {status}: {body[:300]!r}")
    seen = {"status": status}
    if name != "bare":
        missing_status, _, _ = chat(port, ())
        if missing_status != 401:
            raise RuntimeError(f"{name}: a request without a key answered {missing_status}, not 401")
        seen["without_key"] = missing_status
    limited = "x-ratelimit-limit-requests" in response_headers
    if limited != ("limits" in name):
        raise RuntimeError(f"{name}: x-ratelimit-* headers {'present' if limited else 'missing'}: {response_headers}")
    if limited:
        seen["x-ratelimit-remaining-requests"] = response_headers["x-ratelimit-remaining-requests"]
    if "budget" in name:
        prefix = headers[0].split("Bearer ", 1)[1][:10]
        key_id = next(key["id"] for key in admin(port, "GET", "/admin/keys")["data"] if key["prefix"] == prefix)
        for _ in range(100):   # through Redis, settlement is sent after the response (fire and forget)
            budgets = admin(port, "GET", f"/admin/budgets?scope=key:{key_id}")["budgets"]
            if budgets and budgets[0]["spent_micros"] > 0:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"{name}: the key's budget shows no spend: {budgets}")
        seen["key_budget"] = {k: budgets[0][k] for k in ("spent_micros", "reserved_micros")}
    if "redis" in name:
        keys = []
        for _ in range(50):   # settlement is sent after the response (fire and forget)
            keys = redis_keys(redis_port, "sy:spent:key:*")
            if keys:
                break
            time.sleep(0.02)
        if not keys:
            raise RuntimeError(f"{name}: redis holds no spend for any key (sy:spent:key:*)")
        seen["redis_spent_keys"] = len(keys)
    return seen


def check_store(name, store_path):
    """What a stopped gateway left in its store, checked against its setup: the local budget's
    key spend in `spend_totals` (written behind), usage records when `usage.record` is on (and
    none when off). Raises otherwise; returns what it saw."""
    if name == "bare":
        return {}
    with sqlite3.connect(f"file:{store_path}?mode=ro", uri=True) as db:
        spend = db.execute("SELECT scope, period, spent_micros FROM spend_totals").fetchall()
        records = db.execute("SELECT count(*) FROM usage_records").fetchone()[0]
    if (records > 0) != ("usage" in name):
        raise RuntimeError(f"{name}: {records} usage records in the store after the run")
    seen = {"store_usage_records": records}
    if "budget" in name and "redis" not in name:
        if not any(scope.startswith("key:") and spent > 0 for scope, _, spent in spend):
            raise RuntimeError(f"{name}: the store holds no key spend after the run: {spend}")
        seen["store_spend_totals"] = spend
    return seen


def start_redis(workdir):
    """A redis-server on a free loopback port, no persistence, pinned with the mock and the load
    generator (CPU 0: like the mock, it is what the gateway talks to). Returns the Process."""
    port = targets.free_port()
    folder = os.path.join(workdir, f"redis-{port}")
    os.makedirs(folder)
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = targets.Process("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                        "--appendonly", "no", "--dir", folder, "--logfile", os.path.join(folder, "redis.log")],
                              targets.CLIENT_CPU, port=port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(64).startswith(b"+PONG"):
                    return process
        except OSError:
            time.sleep(0.02)
    process.stop()
    raise RuntimeError(f"redis-server did not answer on port {port}")


def redis_keys(port, pattern):
    out = subprocess.run(["redis-cli", "-p", str(port), "--scan", "--pattern", pattern], capture_output=True, text=True,
                         timeout=30, check=True)
    return out.stdout.split()


ANNOTATED = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*)$")


def inclusive_by_function(out_file):
    """callgrind_annotate --inclusive=yes of one output file: {function: instructions}."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file], capture_output=True,
                         text=True, timeout=300, check=True)
    functions = {}
    for line in out.stdout.splitlines():
        match = ANNOTATED.match(line)
        if match and not match.group(2).startswith(("=>", "<=", "PROGRAM TOTALS")):   # callers/callees, the total
            name = match.group(2).split(" [", 1)[0]
            functions[name] = functions.get(name, 0) + int(match.group(1).replace(",", ""))
    return functions


# What the governance path touches, to pick its lines out of a whole request's profile.
GOVERNANCE_CODE = re.compile(r"/Governance/|SHA256|sqlite3|SwitchyardStore|Redis|redis|Settlement|Ledger")


def attribution(small, big, requests, top=60):
    """Per request, inclusive, of the functions whose counts grew between the run with the warm-up
    only (`small`) and the run with `requests` more (`big`): where a request's instructions go.
    The biggest first; names as callgrind_annotate prints them (file:function)."""
    before, after = inclusive_by_function(small), inclusive_by_function(big)
    grown = {name: (count - before.get(name, 0)) / requests for name, count in after.items()}
    biggest = sorted(((name, per) for name, per in grown.items() if per >= 1 and GOVERNANCE_CODE.search(name)),
                     key=lambda item: -item[1])[:top]
    listed, seen = [], set()
    for name, per in zip(demangled([name for name, _ in biggest]), (per for _, per in biggest)):
        name = name.replace(targets.ROOT + "/", "")
        if name not in seen:   # specializations and thunks demangle to the same text: the biggest stands for them
            seen.add(name)
            listed.append((name, round(per, 1)))
    return listed


def demangled(names):
    """Swift symbols as `swift demangle --simplified` writes them (valgrind leaves them mangled)."""
    try:
        out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(names), capture_output=True, text=True,
                             timeout=60, check=True)
        lines = out.stdout.split("\n")
        return lines[:len(names)] if len(lines) >= len(names) else names
    except (OSError, subprocess.SubprocessError):
        return names
