"""The isolation figure (docs/plugin-isolation.md): what `isolation: process` costs per call,
whole and per stream chunk. Two gateways, identical but for `isolation: process` on every plugin
entry of the second, serve three models:

  local-1      the C test provider (Tests/EndToEnd/plugins/misbehaving_provider.c, no fault)
               answering in-process through `generate`: one hook call, so one round trip to the
               runner; the purest cost of isolation.
  gpt-4o-mini  our OpenAI provider (libProviderOpenAI.so) against the mock: prepare, then the
               transformer's begin, data (per piece of the upstream's answer) and end.
  long-stream  the same provider against the mock streaming 500 chunks back to back: the
               transformer runs once per upstream read, so its per-read round trip, divided by
               the chunks, is the per-chunk cost.

Latency at concurrency 1 as the client sees it (switchyard-load, gateways interleaved round by
round, medians), and CPU time of the gateway and its runner processes together per request (the
runner is the gateway's child, in its process group). Before and after the rounds `check` shows
that each gateway answers every model and that the isolated one really runs runners.
"""

import json
import os
import statistics
import subprocess
import textwrap

import targets

ROOT = targets.ROOT
SOURCE = os.path.join(ROOT, "Tests", "EndToEnd", "plugins", "misbehaving_provider.c")
LONG_CHUNKS = 500
SETUPS = ("in_process", "isolated")
MODELS = {
    "local-1": "C provider, `generate` in-process (one hook call)",
    "gpt-4o-mini": "OpenAI provider against the mock: prepare + begin + data + end",
    "long-stream": f"the same, streamed, {LONG_CHUNKS} chunks back to back (per-chunk cost)",
}


def build_plugin(workdir):
    """libmisbehaving.so from the test source, built as the SDK builds plugins."""
    path = os.path.join(workdir, "libmisbehaving.so")
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-fPIC", "-fvisibility=hidden",
                    "-I", os.path.join(ROOT, "plugin-sdk", "include"), "-shared", "-Wl,-z,defs",
                    f"-Wl,--version-script={os.path.join(ROOT, 'plugin-sdk', 'template', 'plugin.version')}",
                    "-o", path, SOURCE], check=True, timeout=120)
    return path


def config(name, port, mock_port, plugin):
    isolation = "\n            isolation: process" if name == "isolated" else ""
    mock = f"http://127.0.0.1:{mock_port}/v1"
    return textwrap.dedent(f"""\
        server:
          port: {port}
          loops: 1
        plugins:
          - name: local
            path: {plugin}{isolation}
            config: {{text: "One sentence about the sea, short and friendly."}}
          - name: mock
            path: {targets.RELEASE}/libProviderOpenAI.so{isolation}
            config: {{base_url: "{mock}", api_key_env: null}}
          - name: long
            path: {targets.RELEASE}/libProviderOpenAI.so{isolation}
            config: {{base_url: "{mock}", api_key_env: null, headers: {{x-mock-chunks: "{LONG_CHUNKS}"}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
          - {{name: mock, plugin: mock, models: [gpt-4o-mini]}}
          - {{name: long, plugin: long, models: [long-stream]}}
        """)


def start(name, mock_port, workdir, plugin):
    port = targets.free_port()
    path = os.path.join(workdir, f"isolation-{name}.yaml")
    with open(path, "w") as handle:
        handle.write(config(name, port, mock_port, plugin))
    gateway = targets.Process("switchyard", [os.path.join(targets.RELEASE, "switchyard"), "serve", "--config", path],
                              targets.GATEWAY_CPU, port=port, output=os.path.join(workdir, f"isolation-{name}.log"))
    targets.wait_for_http(port)
    return gateway


def bodies(workdir):
    """The request body of each model (the bench's chat request, its model replaced)."""
    with open(os.path.join(ROOT, "bench", "chat-request.json")) as handle:
        chat = json.load(handle)
    paths = {}
    for model in MODELS:
        body = dict(chat, model=model, stream=model == "long-stream")
        if model == "long-stream":
            body.pop("max_tokens", None)
        paths[model] = os.path.join(workdir, f"isolation-{model}.json")
        with open(paths[model], "w") as handle:
            json.dump(body, handle)
    return paths


def check(name, gateway):
    """Every model answers 200 (the stream with all its chunks); the isolated gateway has one
    runner per plugin entry, the in-process one none."""
    import urllib.request
    seen = {}
    for model in MODELS:
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": model == "long-stream"}
        request = urllib.request.Request(f"http://127.0.0.1:{gateway.port}/v1/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
            seen[model] = response.status if model != "long-stream" else text.count("\ndata: {") + text.startswith("data: {")
    runners = [pid for pid in gateway.pids() if pid != gateway.process.pid and b"__plugin-runner" in open(f"/proc/{pid}/cmdline", "rb").read()]
    seen["runners"] = len(runners)
    expected_runners = 3 if name == "isolated" else 0
    if any(seen[m] != 200 for m in ("local-1", "gpt-4o-mini")) or seen["long-stream"] < LONG_CHUNKS or seen["runners"] != expected_runners:
        raise RuntimeError(f"isolation setup {name} does not do what it says: {seen}")
    return seen


def isolation_cost(load, mock_port, workdir, quick):
    """The figure: {setups, models, checks, latency: {model: {setup: {...}}}, added: {model: {...}}}."""
    plugin = build_plugin(workdir)
    paths = bodies(workdir)
    figure = {"setups": {"in_process": "every plugin entry in the gateway (the default)",
                         "isolated": "`isolation: process` on every plugin entry (a runner each)"},
              "models": MODELS, "checks": {}, "latency": {}, "added": {}}
    gateways = {}
    try:
        for name in SETUPS:
            gateways[name] = start(name, mock_port, workdir, plugin)
            figure["checks"][name] = check(name, gateways[name])
        rounds = 3 if quick else 5
        for model, path in paths.items():
            per_round = (100 if quick else 300) if model == "long-stream" else (500 if quick else 2000)
            warmup = 20 if model == "long-stream" else 200
            runs = {name: [] for name in SETUPS}
            cpu = {name: [0.0, 0] for name in SETUPS}
            for _ in range(rounds):
                for name in SETUPS:
                    gateway = gateways[name]
                    before = gateway.cpu_seconds()
                    result = load(f"http://127.0.0.1:{gateway.port}/v1/chat/completions", "--body", path,
                                  "--sequential", str(per_round), "--warmup", str(warmup))
                    cpu[name][0] += gateway.cpu_seconds() - before
                    cpu[name][1] += result["completed"] + warmup
                    runs[name].append(result)
            rows = {}
            for name in SETUPS:
                rows[name] = {key: statistics.median(run["latency"][key] for run in runs[name]) for key in ("p50_us", "p99_us", "mean_us")}
                rows[name]["errors"] = sum(run["errors"] + run["non_200"] for run in runs[name])
                rows[name]["cpu_us_per_request"] = cpu[name][0] * 1e6 / cpu[name][1] if cpu[name][1] else None
            figure["latency"][model] = rows
            base, isolated = rows["in_process"], rows["isolated"]
            added = {key: isolated[key] - base[key] for key in ("p50_us", "p99_us", "mean_us", "cpu_us_per_request")
                     if isolated.get(key) is not None and base.get(key) is not None}
            if model == "long-stream":
                added["p50_us_per_chunk"] = added["p50_us"] / LONG_CHUNKS
                added["cpu_us_per_chunk"] = added["cpu_us_per_request"] / LONG_CHUNKS
            figure["added"][model] = added
        # Concurrent calls through one runner (multiplexed on its socket, run by its thread pool):
        # 16 connections at a fixed offered rate, local-1.
        rate, seconds = (1000, 3) if quick else (1500, 10)
        figure["concurrent"] = {"connections": 16, "rate": rate, "seconds": seconds}
        for name in SETUPS:
            result = load(f"http://127.0.0.1:{gateways[name].port}/v1/chat/completions", "--body", paths["local-1"],
                          "--rate", str(rate), "--duration", str(seconds), "--connections", "16")
            figure["concurrent"][name] = {"achieved_rps": result["achieved_rps"], "p50_us": result["latency"]["p50_us"],
                                          "p99_us": result["latency"]["p99_us"], "errors": result["errors"] + result["non_200"]}
        for name in SETUPS:  # still right after thousands of requests
            figure["checks"][name] = check(name, gateways[name])
    finally:
        for gateway in gateways.values():
            gateway.stop()
    return figure


def section(r):
    """The figure as markdown (report.markdown calls it)."""
    f = r["isolation_cost"]
    lines = ["## Process isolation cost (`isolation: process` against in-process)", "",
             "Concurrency 1, latency as the client sees it (µs, medians of interleaved rounds), CPU µs per request of the "
             "gateway and its runner processes together:", "",
             "| model | what | setup | p50 | p99 | mean | CPU µs/request | errors |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for model, rows in f["latency"].items():
        for name, row in rows.items():
            cpu = row.get("cpu_us_per_request")
            lines.append(f"| {model} | {f['models'][model]} | {name} | {row['p50_us']:.0f} | {row['p99_us']:.0f} | "
                         f"{row['mean_us']:.0f} | {cpu:.1f} | {row['errors']} |" if cpu is not None else "")
    lines += ["", "Added by isolation:", "", "| model | p50 µs | p99 µs | CPU µs/request | per chunk |", "| --- | ---: | ---: | ---: | --- |"]
    for model, added in f["added"].items():
        chunk = (f"{added['p50_us_per_chunk']:.1f} µs p50, {added['cpu_us_per_chunk']:.1f} CPU µs"
                 if "p50_us_per_chunk" in added else "")
        lines.append(f"| {model} | {added.get('p50_us', 0):.0f} | {added.get('p99_us', 0):.0f} | "
                     f"{added.get('cpu_us_per_request', 0):.1f} | {chunk} |")
    if "concurrent" in f:
        c = f["concurrent"]
        lines += ["", f"Concurrent: local-1 offered {c['rate']} requests/s for {c['seconds']} s over {c['connections']} connections "
                      "(one runner, calls multiplexed on its socket):", "",
                  "| setup | achieved/s | p50 µs | p99 µs | errors |", "| --- | ---: | ---: | ---: | ---: |"]
        for name in SETUPS:
            row = c[name]
            lines.append(f"| {name} | {row['achieved_rps']:.0f} | {row['p50_us']:.0f} | {row['p99_us']:.0f} | {row['errors']} |")
    lines += ["", "Checks (before and after the rounds): " + "; ".join(f"{n}: {json.dumps(s)}" for n, s in f["checks"].items())]
    return lines
