#!/usr/bin/env python3
"""Switchyard's benchmark (shared/BENCHMARKS.md): the gateway side by side with the floor
(direct to the mock), nginx proxy_pass and LiteLLM, interleaved, several trials, every figure
also as a ratio. Writes bench/results/<date>-<name>.{json,md,svg}.

    bench/run.py --name baseline [--quick] [--no-litellm] [--no-callgrind] [--only-guardrails] [--only-passthrough]
                 [--only-batches] [--only-governance [--no-redis]] [--only-isolation]
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import batches  # noqa: E402
import governance  # noqa: E402
import isolation  # noqa: E402
import report  # noqa: E402
import targets  # noqa: E402

LOAD = os.path.join(targets.RELEASE, "switchyard-load")
BODY = os.path.join(os.path.dirname(__file__), "chat-request.json")
STREAM_BODY = os.path.join(os.path.dirname(__file__), "chat-stream-request.json")
STREAM_USAGE_BODY = os.path.join(os.path.dirname(__file__), "chat-stream-usage-request.json")
BULK = os.path.join(os.path.dirname(__file__), "bulk.py")
BULK_BYTES = 1 << 30


def load(url, *args, headers=()):
    command = ["taskset", "-c", targets.CLIENT_CPU, LOAD, "--url", url, *args]
    for header in headers:
        command += ["--header", header]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed: {out.stderr}")
    return json.loads(out.stdout)


class Target:
    """How the load generator reaches one system under test."""

    def __init__(self, name, process, chat_url, stream_url, stream_headers=(), chat_headers=()):
        self.name = name
        self.process = process
        self.chat_url = chat_url
        self.stream_url = stream_url
        self.stream_headers = stream_headers
        self.chat_headers = chat_headers


def sequential_latency(targets_, rounds, per_round, warmup):
    """Figure 1: latency at concurrency 1, targets interleaved round by round."""
    results = {t.name: [] for t in targets_}
    cpu = {t.name: [0.0, 0] for t in targets_}
    for _ in range(rounds):
        for target in targets_:
            count = per_round if target.name != "litellm" else max(100, per_round // 10)
            before = target.process.cpu_seconds() if target.process else 0
            result = load(target.chat_url, "--body", BODY, "--sequential", str(count), "--warmup", str(warmup),
                          headers=target.chat_headers)
            if target.process:
                cpu[target.name][0] += target.process.cpu_seconds() - before
                cpu[target.name][1] += result["completed"]
            results[target.name].append(result)
    summary = {}
    for name, runs in results.items():
        summary[name] = {
            key: statistics.median(run["latency"][key] for run in runs) for key in ("p50_us", "p99_us", "p99_9_us", "mean_us")
        }
        summary[name]["errors"] = sum(run["errors"] + run["non_200"] for run in runs)
        seconds, requests = cpu[name]
        summary[name]["cpu_us_per_request"] = seconds * 1e6 / requests if requests else None
    return summary


def frontier(target, rates, seconds, connections):
    """Figure 2: p99 at each offered rate (open loop). Goes on past p99 = 10 ms while the target
    keeps up (achieved ≥ 95% of offered, p99 under a second, no errors), so a slow peer still
    gets a sustained rate."""
    points = []
    for rate in rates:
        result = load(target.chat_url, "--body", BODY, "--rate", str(rate), "--duration", str(seconds),
                      "--connections", str(connections))
        failures = result["errors"] + result["non_200"]
        points.append({"rate": rate, "achieved": result["achieved_rps"], "p99_us": result["latency"]["p99_us"],
                       "p50_us": result["latency"]["p50_us"], "errors": failures})
        keeping_up = result["achieved_rps"] >= 0.95 * rate and result["latency"]["p99_us"] < 1_000_000
        if failures or not keeping_up:
            break
    return points


def sustained_rate(points):
    """The highest offered rate the target kept up with, whatever its latency."""
    ok = [p["rate"] for p in points if p["errors"] == 0 and p["achieved"] >= 0.95 * p["rate"] and p["p99_us"] < 1_000_000]
    return max(ok) if ok else 0


def best_rate(points, limit_us):
    ok = [p["rate"] for p in points if p["errors"] == 0 and p["p99_us"] <= limit_us]
    return max(ok) if ok else 0


def streaming(target, streams, body=STREAM_BODY):
    """Figure 3: time to first chunk and gaps between chunks, one stream at a time."""
    result = load(target.stream_url, "--body", body, "--sequential", str(streams), "--warmup", "5",
                  headers=target.stream_headers)
    return {"completed": result["completed"], "ttft_p50_us": result["first_chunk"]["p50_us"], "ttft_p99_us": result["first_chunk"]["p99_us"],
            "ttft_mean_us": result["first_chunk"]["mean_us"],
            "gap_p50_us": result["chunk_gap"]["p50_us"], "gap_p99_us": result["chunk_gap"]["p99_us"],
            "gap_mean_us": result["chunk_gap"]["mean_us"], "errors": result["errors"] + result["non_200"]}


def concurrent_streams(target, concurrent, seconds, pacing_ms):
    """Figure 3b: `concurrent` paced streams at once; a stall is a chunk gap over twice the pacing."""
    stream_seconds = 20 * pacing_ms / 1000
    rate = concurrent / stream_seconds
    result = load(target.stream_url, "--body", STREAM_BODY, "--rate", str(int(rate)), "--duration", str(seconds),
                  "--connections", str(int(concurrent * 1.2)), headers=target.stream_headers)
    peak_rss = target.process.memory_kib("VmHWM") if target.process else None
    return {"concurrent": concurrent, "completed": result["completed"], "errors": result["errors"] + result["non_200"],
            "gap_p99_us": result["chunk_gap"]["p99_us"], "gap_max_us": result["chunk_gap"]["max_us"],
            "stall_free": result["chunk_gap"]["max_us"] < 2 * pacing_ms * 1000 and result["errors"] == 0,
            "peak_rss_kib": peak_rss}


def cold_start(mock_port, stream_port, workdir, trials):
    """Figure 6: process start to the first 200 from /health, with 6 plugin instances loaded."""
    times = []
    for _ in range(trials):
        start = time.monotonic()
        gateway = targets.start_switchyard(mock_port, stream_port, workdir, plugins=6)
        times.append((time.monotonic() - start) * 1000)
        gateway.stop()
    return {"median_ms": statistics.median(times), "trials_ms": times}


def callgrind_instructions(config_text, workdir, body, requests, warmup=100, path="/v1/chat/completions", prepare=None,
                           outputs=None):
    """Instructions the gateway executes per request under valgrind's callgrind, repeatable across
    runs: (instructions with warmup + requests - with warmup) / requests, so start-up and first-use
    costs cancel out. `config_text(port)` is the gateway's YAML; `body` is sent `--sequential` to
    `path`. `prepare(port)`, when given, runs once the gateway answers (in both runs, so its cost
    cancels out too) and returns the headers every request carries (a key it created). The two
    callgrind output files are appended to `outputs` when it is a list (for callgrind_annotate)."""
    counts = []
    for count in (warmup, warmup + requests):
        for attempt in (1, 2):
            port = targets.free_port()
            config = os.path.join(workdir, f"callgrind-{port}.yaml")
            with open(config, "w") as handle:
                handle.write(config_text(port))
            out_file = os.path.join(workdir, f"callgrind-{port}.out")
            log = os.path.join(workdir, f"callgrind-{port}.log")
            gateway = targets.Process("callgrind", ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                                                    os.path.join(targets.RELEASE, "switchyard"), "serve", "--config", config],
                                      targets.GATEWAY_CPU, port=port, output=log)
            try:
                targets.wait_for_http(port, timeout=120)
                break
            except RuntimeError:
                # The machine is shared: another process may take the free port before the
                # gateway binds it. Once more on another port; the log says what happened.
                gateway.stop()
                if attempt == 2:
                    with open(log, errors="replace") as handle:
                        raise RuntimeError(f"the gateway under callgrind did not start; its log ends:\n{handle.read()[-2000:]}")
        headers = prepare(port) if prepare else ()
        load(f"http://127.0.0.1:{port}{path}", "--body", body, "--sequential", str(count), headers=headers)
        gateway.stop()
        if outputs is not None:
            outputs.append(out_file)
        with open(out_file) as handle:
            totals = [line for line in handle if line.startswith("totals:") or line.startswith("summary:")]
        counts.append(int(totals[-1].split()[1]))
    return (counts[1] - counts[0]) / requests


def instructions_per_request(mock_port, stream_port, workdir, requests):
    """Figure 4b: callgrind instructions per chat request of the default gateway."""
    return callgrind_instructions(lambda port: targets.switchyard_config(mock_port, stream_port, port), workdir, BODY,
                                  requests)


def guardrail_setups(noop_library):
    """The gateways of the guardrail-cost figure, by name: (extra plugin entries, guardrails).
    `noop` and `pii` guard the chat model (request and response phases); `noop_stream` and
    `pii_stream` guard the stream model in the stream (chunk) phase only. PII runs its default
    config: every detector, redact."""
    noop = {"name": "noop", "path": noop_library}
    pii = {"name": "pii", "path": os.path.join(targets.RELEASE, "libGuardrailPII.so")}
    chat = {"phases": ["request", "response"], "applies_to": {"models": ["gpt-4o-mini"]}}
    stream = {"phases": ["stream"], "applies_to": {"models": ["stream-model"]}}
    return {
        "bare": ((), ()),
        "noop": ((noop,), ({"plugin": "noop", **chat},)),
        "pii": ((pii,), ({"plugin": "pii", **chat},)),
        "noop_stream": ((noop,), ({"plugin": "noop", **stream},)),
        "pii_stream": ((pii,), ({"plugin": "pii", **stream},)),
    }


def added_over(rows, base, keys):
    """Each row's `keys` minus the base row's: what the guardrail adds."""
    return {name: {key: row[key] - rows[base][key] for key in keys if row.get(key) is not None}
            for name, row in rows.items() if name != base}


def guardrail_cost(mock_port, stream_port, workdir, quick, callgrind):
    """Figure 7: what guardrails add per request, next to the bare gateway: one no-op guardrail
    (the host's own cost of a guardrail) and the PII guardrail, on the chat model (latency at
    concurrency 1, CPU µs and instructions per request); and both in the chunk phase of a stream
    (time to first chunk, gaps between chunks, instructions per stream). Gateways interleaved
    round by round, medians."""
    setups = guardrail_setups(targets.build_noop_guardrail(workdir))
    chat_names, stream_names = ["bare", "noop", "pii"], ["bare", "noop_stream", "pii_stream"]
    figure = {"guardrails": {name: list(setup[1]) for name, setup in setups.items()}}
    gateways = {}
    try:
        for name, (plugins, guardrails) in setups.items():
            gateways[name] = targets.start_switchyard(mock_port, stream_port, workdir, extra_plugins=plugins,
                                                      guardrails=guardrails)
        url = {name: f"http://127.0.0.1:{gateway.port}/v1/chat/completions" for name, gateway in gateways.items()}
        rounds, per_round, warmup = (3, 1000, 200) if quick else (5, 2000, 1000)
        figure["chat"] = sequential_latency([Target(name, gateways[name], url[name], None) for name in chat_names],
                                            rounds, per_round, warmup)
        stream_rounds = {name: [] for name in stream_names}
        for _ in range(rounds):
            for name in stream_names:
                stream_rounds[name].append(streaming(Target(name, gateways[name], None, url[name]), 30 if quick else 100))
        figure["stream"] = {name: {key: statistics.median(run[key] for run in runs) for key in runs[0]
                                   if key not in ("errors", "completed")}
                            | {"errors": sum(run["errors"] for run in runs)} for name, runs in stream_rounds.items()}
    finally:
        for gateway in gateways.values():
            gateway.stop()
    if callgrind:
        def config_of(name):
            plugins, guardrails = setups[name]
            return lambda port: targets.switchyard_config(mock_port, stream_port, port, extra_plugins=plugins,
                                                          guardrails=guardrails)
        for name in chat_names:
            figure["chat"][name]["instructions"] = callgrind_instructions(config_of(name), workdir, BODY,
                                                                          200 if quick else 1000)
        # A stream takes about 100 ms (20 chunks 5 ms apart), so fewer of them.
        for name in stream_names:
            figure["stream"][name]["instructions"] = callgrind_instructions(config_of(name), workdir, STREAM_BODY,
                                                                            40 if quick else 100, warmup=10)
    figure["chat_added"] = added_over(figure["chat"], "bare",
                                      ("p50_us", "p99_us", "mean_us", "cpu_us_per_request", "instructions"))
    figure["stream_added"] = added_over(figure["stream"], "bare",
                                        ("ttft_p50_us", "ttft_mean_us", "gap_p50_us", "gap_mean_us", "instructions"))
    return figure


def with_added_and_ratio(rows, base, keys):
    """Each row's `keys` minus the base row's, and divided by it: {name: {key: (added, ratio)}}."""
    return {name: {key: (row[key] - rows[base][key], row[key] / rows[base][key]) for key in keys
                   if row.get(key) is not None and rows[base].get(key)}
            for name, row in rows.items() if name != base}


def governance_cost(mock_port, stream_port, workdir, quick, callgrind, redis=True):
    """Figure 10: what governance costs a chat request, next to the bare gateway: a key (lookup:
    SHA-256 of the token, a dictionary), rate limits of the key and the model, a key budget with
    pricing (local ledger, spend written behind to SQLite), and the same through Redis. Latency at
    concurrency 1, CPU µs and instructions per request, gateways interleaved round by round,
    medians; each as added over bare and as a ratio. Each setup is checked first
    (governance.check); a Redis setup that fails its check is left out with the reason."""
    names = list(governance.SETUPS if redis else governance.SETUPS[:-1])
    figure = {"setups": {name: governance.DESCRIBED[name] for name in names}, "checks": {}, "not_measured": {}}
    redis_server = governance.start_redis(workdir) if redis else None
    redis_port = redis_server.port if redis_server else None
    gateways, headers = {}, {}
    try:
        for name in names:
            gateways[name] = targets.start_switchyard(mock_port, stream_port, workdir,
                                                      extra=governance.config_of(name, workdir, redis_port),
                                                      output=os.path.join(workdir, f"governance-{name}.log"))
            headers[name] = governance.prepare(name)(gateways[name].port)
        for name in list(names):
            try:
                figure["checks"][name] = governance.check(name, gateways[name].port, headers[name], redis_port)
            except RuntimeError as error:
                if "redis" not in name:
                    raise
                figure["not_measured"][name] = str(error)
                names.remove(name)
                gateways.pop(name).stop()
        rounds, per_round, warmup = (3, 1000, 200) if quick else (5, 2000, 1000)
        figure["chat"] = sequential_latency(
            [Target(name, gateways[name], f"http://127.0.0.1:{gateways[name].port}/v1/chat/completions", None,
                    chat_headers=headers[name]) for name in names], rounds, per_round, warmup)
        for name in names:   # still right after thousands of requests
            figure["checks"][name] = governance.check(name, gateways[name].port, headers[name], redis_port)
    finally:
        for gateway in gateways.values():
            gateway.stop()
    for name in names:
        figure["checks"][name].update(governance.check_store(name, governance.store_of(workdir, gateways[name].port)))
    try:
        if callgrind:
            requests = 1000   # quick or not: the differences are a few thousand instructions
            for name in names:
                outputs = []
                figure["chat"][name]["instructions"] = callgrind_instructions(
                    lambda port, name=name: targets.switchyard_config(
                        mock_port, stream_port, port, extra=governance.config_of(name, workdir, redis_port)(port)),
                    workdir, BODY, requests, prepare=governance.prepare(name), outputs=outputs)
                if name != "bare":
                    figure.setdefault("profile", {})[name] = governance.attribution(*outputs, requests)
    finally:
        if redis_server:
            redis_server.stop()
    figure["chat_added"] = with_added_and_ratio(figure["chat"], "bare",
                                                ("p50_us", "p99_us", "mean_us", "cpu_us_per_request", "instructions"))
    return figure


def passthrough_setups():
    """The gateways of the passthrough figure, by name: (start_switchyard keywords, chat path,
    stream path). `translated` is the bare gateway (passthrough off) on its translated route;
    `passthrough` opens both mock providers to /p/{provider}/ and is measured there, with no
    enricher; `enriched` also has the OpenAI enricher (libEnricherOpenAI.so) watch them."""
    enricher = {"name": "openai-usage", "path": os.path.join(targets.RELEASE, "libEnricherOpenAI.so")}
    opened = {"passthrough": True}
    native_chat, native_stream = "/p/mock/v1/chat/completions", "/p/mock-stream/v1/chat/completions"
    return {
        "translated": ({}, "/v1/chat/completions", "/v1/chat/completions"),
        "passthrough": (opened, native_chat, native_stream),
        "enriched": (opened | {"extra_plugins": (enricher,), "enrichers": ({"plugin": "openai-usage"},)}, native_chat,
                     native_stream),
    }


def check_enricher_reports(mock_port, stream_port, workdir, keywords, chat_path, stream_path):
    """Before measuring it, shows that the enriched gateway does meter: one chat request and one
    stream through it, and its access log must carry the enricher's report and the tokens for
    both. Returns the two log lines (they go in the results)."""
    log = os.path.join(workdir, "enriched-access.log")
    gateway = targets.start_switchyard(mock_port, stream_port, workdir, output=log, **keywords)
    try:
        load(f"http://127.0.0.1:{gateway.port}{chat_path}", "--body", BODY, "--sequential", "1")
        load(f"http://127.0.0.1:{gateway.port}{stream_path}", "--body", STREAM_USAGE_BODY, "--sequential", "1")
    finally:
        gateway.stop()   # flushes the access log
    with open(log) as handle:
        lines = [line.strip() for line in handle if "mode=passthrough" in line]
    metered = [line for line in lines if 'enrichers="openai-usage:reported"' in line and "prompt_tokens=" in line]
    if len(metered) != 2 or not any("stream=true" in line for line in metered):
        raise RuntimeError(f"the enricher did not report both requests; access log:\n" + "\n".join(lines))
    return metered


def bulk(direction, port, path, size):
    """One `bench/bulk.py` transfer, pinned to the client's CPU."""
    command = ["taskset", "-c", targets.CLIENT_CPU, sys.executable, BULK, direction, str(port), path, str(size)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"bulk {direction} through {path} failed: {out.stderr}")
    return json.loads(out.stdout)


def bulk_transfers(mock_port, stream_port, workdir, quick, setups):
    """The flat-memory figure: a 1 GiB download (/_mock/download) and a 1 GiB upload
    (/_mock/upload) straight to the mock and through /p/mock/ of each passthrough gateway (fresh
    ones, so nothing else ran in them), in MB/s (10^6 bytes per second) from request to last byte.
    The gateway's peak RSS is VmHWM, started over (clear_refs) right before each transfer, next to
    its RSS when idle. Every upload must hash the same through a gateway as straight."""
    rounds = 1 if quick else 3
    gateways = {}
    try:
        for name in ("passthrough", "enriched"):
            gateways[name] = targets.start_switchyard(mock_port, stream_port, workdir, **setups[name][0])
        routes = {"direct": (mock_port, "/_mock", None),
                  **{name: (gateway.port, "/p/mock/_mock", gateway) for name, gateway in gateways.items()}}
        runs = {name: {"download": [], "upload": []} for name in routes}
        idle = {name: gateway.memory_kib("VmRSS") for name, gateway in gateways.items()}
        for _ in range(rounds):
            for name, (port, prefix, gateway) in routes.items():
                for direction in ("download", "upload"):
                    if gateway:
                        gateway.reset_peak_memory()
                    result = bulk(direction, port, f"{prefix}/{direction}", BULK_BYTES)
                    if gateway:
                        result["peak_rss_kib"] = gateway.memory_kib("VmHWM")
                    runs[name][direction].append(result)
    finally:
        for gateway in gateways.values():
            gateway.stop()
    hashes = {run["fnv1a64"] for by_direction in runs.values() for run in by_direction["upload"]}
    if len(hashes) != 1:
        raise RuntimeError(f"the uploads did not all arrive intact: hashes {sorted(hashes)}")
    figure = {"bytes": BULK_BYTES, "rounds": rounds}
    for name, by_direction in runs.items():
        row = {"idle_rss_kib": idle.get(name)}
        for direction, results in by_direction.items():
            row[f"{direction}_mb_per_s"] = statistics.median(BULK_BYTES / run["seconds"] / 1e6 for run in results)
            if name in gateways:
                row[f"{direction}_peak_rss_kib"] = max(run["peak_rss_kib"] for run in results)
        figure[name] = row
    return figure


def passthrough_cost(mock_port, stream_port, workdir, quick, callgrind):
    """Figure 8: passthrough next to the translated path, on the same mock and the OpenAI
    provider: chat (whole) at concurrency 1 (latency, CPU µs and instructions per request) and a
    stream of 20 chunks 5 ms apart with the usage chunk, which the enricher reads (time to first
    chunk, gaps, CPU µs and instructions per stream); gateways interleaved round by round,
    medians. Then 1 GiB down and up through passthrough with the gateway's peak RSS."""
    setups = passthrough_setups()
    names = list(setups)
    figure = {"enricher_log": check_enricher_reports(mock_port, stream_port, workdir, *setups["enriched"])}
    gateways = {}
    try:
        for name, (keywords, _, _) in setups.items():
            gateways[name] = targets.start_switchyard(mock_port, stream_port, workdir, **keywords)
        def url(name, path):
            return f"http://127.0.0.1:{gateways[name].port}{path}"
        rounds, per_round, warmup = (3, 1000, 200) if quick else (5, 2000, 1000)
        figure["chat"] = sequential_latency([Target(name, gateways[name], url(name, setups[name][1]), None) for name in names],
                                            rounds, per_round, warmup)
        stream_rounds = {name: [] for name in names}
        stream_cpu = {name: [0.0, 0] for name in names}
        for _ in range(rounds):
            for name in names:
                before = gateways[name].cpu_seconds()
                run = streaming(Target(name, gateways[name], None, url(name, setups[name][2])), 30 if quick else 100,
                                body=STREAM_USAGE_BODY)
                stream_cpu[name][0] += gateways[name].cpu_seconds() - before
                stream_cpu[name][1] += run["completed"]
                stream_rounds[name].append(run)
        figure["stream"] = {
            name: {key: statistics.median(run[key] for run in runs) for key in runs[0] if key not in ("errors", "completed")}
            | {"errors": sum(run["errors"] for run in runs),
               "cpu_us_per_stream": stream_cpu[name][0] * 1e6 / stream_cpu[name][1]}
            for name, runs in stream_rounds.items()}
    finally:
        for gateway in gateways.values():
            gateway.stop()
    if callgrind:
        def config_of(name):
            keywords = setups[name][0]
            return lambda port: targets.switchyard_config(mock_port, stream_port, port, **keywords)
        for name in names:
            figure["chat"][name]["instructions"] = callgrind_instructions(config_of(name), workdir, BODY,
                                                                          200 if quick else 1000, path=setups[name][1])
        for name in names:
            figure["stream"][name]["instructions"] = callgrind_instructions(config_of(name), workdir, STREAM_USAGE_BODY,
                                                                            40 if quick else 100, warmup=10,
                                                                            path=setups[name][2])
    figure["bulk"] = bulk_transfers(mock_port, stream_port, workdir, quick, setups)
    return figure


def standard_figures(results, mock, stream_mock, workdir, args):
    """Figures 1-6 and 4b: the gateway beside direct, nginx and LiteLLM."""
    quick = args.quick
    rounds, per_round, warmup = (3, 1000, 200) if quick else (5, 2000, 1000)
    rates = [1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 24000, 28000, 32000, 40000]
    litellm_rates = [25, 50, 75, 100, 150, 200, 250, 300, 400]
    step_seconds = 1.5 if quick else 3
    trials = 1 if quick else 3
    use_litellm = not args.no_litellm and os.path.exists(os.path.join(args.litellm_venv, "bin", "litellm"))

    slow_stream_mock = targets.start_mock(chunk_delay_ms=50)
    started = [slow_stream_mock]
    try:
        switchyard = targets.start_switchyard(mock.port, stream_mock.port, workdir)
        started.append(switchyard)
        idle_rss = switchyard.memory_kib("VmRSS")
        nginx = targets.start_nginx(mock.port, stream_mock.port, workdir)
        started.append(nginx)
        systems = [
            Target("direct", None, f"http://127.0.0.1:{mock.port}/v1/chat/completions",
                   f"http://127.0.0.1:{stream_mock.port}/v1/chat/completions", ("x-mock-chunks: 20",)),
            Target("switchyard", switchyard, f"http://127.0.0.1:{switchyard.port}/v1/chat/completions",
                   f"http://127.0.0.1:{switchyard.port}/v1/chat/completions"),
            Target("nginx", nginx, f"http://127.0.0.1:{nginx.port}/v1/chat/completions",
                   f"http://127.0.0.1:{nginx.port}/stream/v1/chat/completions", ("x-mock-chunks: 20",)),
        ]
        if use_litellm:
            litellm = targets.start_litellm(mock.port, workdir, args.litellm_venv)
            started.append(litellm)
            systems.append(Target("litellm", litellm, f"http://127.0.0.1:{litellm.port}/v1/chat/completions", None))

        results["latency_c1"] = sequential_latency(systems, rounds, per_round, warmup)

        results["frontier"] = {}
        for trial in range(trials):
            for target in systems:
                points = frontier(target, litellm_rates if target.name == "litellm" else rates, step_seconds, 64)
                results["frontier"].setdefault(target.name, []).append(points)
        results["throughput"] = {
            name: {**{f"p99_le_{limit}ms": statistics.median(best_rate(points, limit * 1000) for points in trials_)
                      for limit in (1, 5, 10)},
                   "sustained": statistics.median(sustained_rate(points) for points in trials_)}
            for name, trials_ in results["frontier"].items()
        }

        results["streaming"] = {t.name: streaming(t, 30 if quick else 100) for t in systems if t.stream_url}
        slow = targets.start_switchyard(mock.port, slow_stream_mock.port, workdir)
        started.append(slow)
        slow_nginx = targets.start_nginx(mock.port, slow_stream_mock.port, workdir)
        started.append(slow_nginx)
        results["concurrent_streams"] = {
            "switchyard": concurrent_streams(Target("switchyard", slow, None, f"http://127.0.0.1:{slow.port}/v1/chat/completions"),
                                             1000, 4 if quick else 8, 50),
            "nginx": concurrent_streams(Target("nginx", slow_nginx, None, f"http://127.0.0.1:{slow_nginx.port}/stream/v1/chat/completions",
                                               ("x-mock-chunks: 20",)), 1000, 4 if quick else 8, 50),
            "direct": concurrent_streams(Target("direct", None, None, f"http://127.0.0.1:{slow_stream_mock.port}/v1/chat/completions",
                                                ("x-mock-chunks: 20",)), 1000, 4 if quick else 8, 50),
        }
        results["memory_kib"] = {"switchyard_idle": idle_rss, "switchyard_peak": switchyard.memory_kib("VmHWM"),
                                 "switchyard_after": switchyard.memory_kib("VmRSS"),
                                 "nginx_after": nginx.memory_kib("VmRSS"),
                                 "litellm_after": litellm.memory_kib("VmRSS") if use_litellm else None}
        results["cold_start"] = cold_start(mock.port, stream_mock.port, workdir, 3 if quick else 5)
        if not args.no_callgrind:
            results["instructions_per_request"] = instructions_per_request(mock.port, stream_mock.port, workdir,
                                                                           200 if quick else 1000)
    finally:
        for process in started:
            process.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="run")
    parser.add_argument("--quick", action="store_true", help="fewer requests and trials (a smoke run)")
    parser.add_argument("--litellm-venv", default=os.path.join(targets.ROOT, ".venv-litellm"))
    parser.add_argument("--no-litellm", action="store_true")
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--only-guardrails", action="store_true", help="only the guardrail-cost figure")
    parser.add_argument("--only-passthrough", action="store_true", help="only the passthrough figure")
    parser.add_argument("--only-batches", action="store_true", help="only the batches figure")
    parser.add_argument("--only-governance", action="store_true", help="only the governance-cost figure")
    parser.add_argument("--no-redis", action="store_true", help="the governance figure without its Redis setup")
    parser.add_argument("--only-isolation", action="store_true", help="only the process-isolation figure")
    args = parser.parse_args()
    everything = not (args.only_guardrails or args.only_passthrough or args.only_batches or args.only_governance
                      or args.only_isolation)

    workdir = tempfile.mkdtemp(prefix="switchyard-bench-")
    results = {"name": args.name, "date": datetime.date.today().isoformat(), "quick": args.quick,
               "machine": {"cpus": os.cpu_count(), "uname": os.uname().release},
               "rig": {"gateway_cpu": targets.GATEWAY_CPU, "client_cpu": targets.CLIENT_CPU}}
    mock = targets.start_mock()
    stream_mock = targets.start_mock(chunk_delay_ms=5)
    try:
        if everything:
            standard_figures(results, mock, stream_mock, workdir, args)
        if everything or args.only_guardrails:
            results["guardrail_cost"] = guardrail_cost(mock.port, stream_mock.port, workdir, args.quick,
                                                       callgrind=not args.no_callgrind)
        if everything or args.only_passthrough:
            results["passthrough_cost"] = passthrough_cost(mock.port, stream_mock.port, workdir, args.quick,
                                                           callgrind=not args.no_callgrind)
        if everything or args.only_governance:
            results["governance_cost"] = governance_cost(mock.port, stream_mock.port, workdir, args.quick,
                                                         callgrind=not args.no_callgrind, redis=not args.no_redis)
        if everything or args.only_isolation:
            # Two gateways of its own (in-process and isolated) against the unpaced mock.
            results["isolation_cost"] = isolation.isolation_cost(load, mock.port, workdir, args.quick)
        if everything or args.only_batches:
            # Its own mock (batches that never run) and gateways (a store each).
            results["batch_cost"] = batches.batch_cost(workdir, args.quick)
    finally:
        mock.stop()
        stream_mock.stop()

    base = os.path.join(os.path.dirname(__file__), "results", f"{results['date']}-{args.name}")
    os.makedirs(os.path.dirname(base), exist_ok=True)
    written = [".json", ".md"]
    with open(base + ".json", "w") as handle:
        json.dump(results, handle, indent=2)
    with open(base + ".md", "w") as handle:
        handle.write(report.markdown(results))
    if "frontier" in results:
        written.append(".svg")
        with open(base + ".svg", "w") as handle:
            handle.write(report.frontier_svg(results))
    print(report.markdown(results))
    print(f"wrote {base}{', '.join(written)}")


if __name__ == "__main__":
    main()
