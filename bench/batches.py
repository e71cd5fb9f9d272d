"""The batches figure (docs/batches.md): what native batches cost the gateway, on the mock's
Files and Batch APIs and its Message Batches.

1. A ~100 MB batch input file (45,000 lines of 2,222 bytes) uploaded through the gateway and
   straight to the mock: MB/s (10^6 bytes/s) both ways and the ratio.
2. `POST /v1/batches` on that file: (a) `unchanged`, no line changes (every line read and
   checked, nothing uploaded); (b) `aliased`, every line names an alias (every line rewritten,
   the prepared copy uploaded); (c) `guarded`, (b) with a request-phase guardrail
   (guardrail-blocklist) on the model, in a gateway of its own. Lines/s, MB/s and µs per line
   of the whole request, and CPU µs per line of the gateway.
3. The gateway's peak RSS (VmHWM, started over before each step) next to its idle RSS, and the
   same for an Anthropic inline batch of 10,000 lines: the upload named for provider anthropic
   stays in the gateway, the create builds the Message Batches body.

Every step is checked before it counts: the mock must count every line of each batch, and the
file a batch runs on must be the original (a) or the prepared copy, one alias longer per line,
(b, c). The mock's batches never run (a batch delay of an hour): the figure is the gateway's
work, not the mock's. Loopback only; everything the figure made is gone when it ends.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request

import targets

CLIENT = os.path.join(os.path.dirname(__file__), "batch_client.py")
LINES = 45_000            # the mock takes at most 50,000
LINE_BYTES = 2_222        # with its newline: 45,000 lines are 99,990,000 bytes
INLINE_LINES = 10_000
ALIAS, MODEL = "cheap", "gpt-4o-mini"
INLINE_MODEL = "claude-test"
BATCH_DELAY_MS = 3_600_000
FILLER = ("The quarterly report lists revenue by region, the open support tickets, the hiring plan "
          "and the notes from the planning meeting; summarise each part in two sentences. ")


def write_input(path, lines, model):
    """`lines` chat lines for `model`, each exactly LINE_BYTES with its newline (the user text
    padded to fit), different text on every line."""
    with open(path, "w") as handle:
        for number in range(lines):
            line = {"custom_id": f"request-{number:06d}", "method": "POST", "url": "/v1/chat/completions",
                    "body": {"model": model, "max_tokens": 256,
                             "messages": [{"role": "system", "content": "You are a careful assistant."},
                                          {"role": "user", "content": ""}]}}
            bare = len(json.dumps(line)) + 1
            text = (f"Item {number}. " + FILLER * (LINE_BYTES // len(FILLER) + 1))[:LINE_BYTES - bare]
            line["body"]["messages"][1]["content"] = text
            encoded = json.dumps(line)
            assert len(encoded) + 1 == LINE_BYTES, (len(encoded), number)
            handle.write(encoded + "\n")
    return os.path.getsize(path)


def gateway_config(mock_port, port, folder, guarded):
    """The OpenAI plugin and the Anthropic plugin on the mock, the alias, the store in `folder`;
    `guarded` adds guardrail-blocklist (reject) in the request phase of the alias's model."""
    text = textwrap.dedent(f"""
        server:
          port: {port}
          loops: 1
        store:
          path: {folder}/switchyard.db
        plugins:
          - name: mock
            path: {targets.RELEASE}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
          - name: anthropic
            path: {targets.RELEASE}/libProviderAnthropic.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
          - name: blocklist
            path: {targets.RELEASE}/libGuardrailBlocklist.so
            config:
              words: [forbidden-word, secret plan, do not share]
              action: reject
        providers:
          - name: mock
            plugin: mock
            models: [{MODEL}]
          - name: anthropic
            plugin: anthropic
            models: [{INLINE_MODEL}]
        aliases:
          {ALIAS}: {MODEL}
        files:
          default_provider: mock
        """)
    if guarded:
        text += f"guardrails:\n  - {json.dumps({'plugin': 'blocklist', 'phases': ['request'], 'applies_to': {'models': [MODEL]}})}\n"
    return text


def start_gateway(mock_port, workdir, name, guarded):
    folder = tempfile.mkdtemp(dir=workdir, prefix=f"batches-{name}-")
    port = targets.free_port()
    config = os.path.join(folder, "gateway.yaml")
    with open(config, "w") as handle:
        handle.write(gateway_config(mock_port, port, folder, guarded))
    gateway = targets.Process(name, [os.path.join(targets.RELEASE, "switchyard"), "serve", "--config", config],
                              targets.GATEWAY_CPU, port=port, output=os.path.join(folder, "gateway.log"))
    targets.wait_for_http(port)
    return gateway


def client(*args):
    """One batch_client.py request, pinned to the client's CPU."""
    command = ["taskset", "-c", targets.CLIENT_CPU, sys.executable, CLIENT, *map(str, args)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(f"batch client {args[:2]} failed: {out.stderr}")
    return json.loads(out.stdout)


def get_json(port, path, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def measured(gateway, *args):
    """A client request with the gateway's CPU seconds and peak RSS (VmHWM started over right
    before it) added."""
    if gateway is None:
        return client(*args)
    gateway.reset_peak_memory()
    before = gateway.cpu_seconds()
    result = client(*args)
    result["cpu_seconds"] = gateway.cpu_seconds() - before
    result["peak_rss_kib"] = gateway.memory_kib("VmHWM")
    return result


def wait_validated(gateway, batch_id, lines):
    """Polls the batch through the gateway until the mock has read its input, which must have
    every line; the mock's reading is over before the next step starts."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        batch = get_json(gateway.port, f"/v1/batches/{batch_id}")
        if batch["status"] != "validating":
            total = (batch.get("request_counts") or {}).get("total")
            if batch["status"] != "in_progress" or total != lines:
                raise RuntimeError(f"the mock did not take the batch's {lines} lines: {json.dumps(batch)[:1000]}")
            return
        time.sleep(0.2)
    raise RuntimeError(f"batch {batch_id} still validating after 300 s")


def check_upstream_input(mock_port, filename, size):
    """The file the mock's newest batch runs on: its name and size as the step says."""
    newest = get_json(mock_port, "/v1/batches?limit=1")["data"][0]
    file = get_json(mock_port, f"/v1/files/{newest['input_file_id']}")
    if file["filename"] != filename or file["bytes"] != size:
        raise RuntimeError(f"the mock's batch runs on {file['filename']} ({file['bytes']} bytes), not {filename} ({size})")


def rates(result, size, lines):
    seconds = result["seconds"]
    row = {"seconds": seconds, "lines_per_s": lines / seconds, "mb_per_s": size / seconds / 1e6,
           "us_per_line": seconds * 1e6 / lines}
    if "cpu_seconds" in result:
        row["cpu_us_per_line"] = result["cpu_seconds"] * 1e6 / lines
        row["peak_rss_kib"] = result["peak_rss_kib"]
    return row


def median_rows(rows):
    """Medians of each figure over the rounds; the peak RSS is the highest."""
    out = {key: statistics.median(row[key] for row in rows) for key in rows[0] if key != "peak_rss_kib"}
    if "peak_rss_kib" in rows[0]:
        out["peak_rss_kib"] = max(row["peak_rss_kib"] for row in rows)
    return out


def batch_cost(workdir, quick):
    """Figure 9; see the module's docstring."""
    rounds = 1 if quick else 3
    folder = tempfile.mkdtemp(dir=workdir, prefix="batches-")
    inputs = {name: os.path.join(folder, f"{name}.jsonl") for name in ("unchanged", "aliased", "inline")}
    size = write_input(inputs["unchanged"], LINES, MODEL)
    write_input(inputs["aliased"], LINES, ALIAS)
    inline_size = write_input(inputs["inline"], INLINE_LINES, INLINE_MODEL)
    prepared_size = size + LINES * (len(MODEL) - len(ALIAS))
    mock = targets.start_mock(batch_delay_ms=BATCH_DELAY_MS)
    started = [mock]
    figure = {"bytes": size, "lines": LINES, "line_bytes": LINE_BYTES, "rounds": rounds,
              "inline_lines": INLINE_LINES, "inline_bytes": inline_size}
    try:
        plain = start_gateway(mock.port, folder, "plain", guarded=False)
        started.append(plain)
        guarded = start_gateway(mock.port, folder, "guarded", guarded=True)
        started.append(guarded)
        figure["idle_rss_kib"] = plain.memory_kib("VmRSS")
        figure["guarded_idle_rss_kib"] = guarded.memory_kib("VmRSS")

        uploads = {"direct": [], "gateway": []}
        for _ in range(rounds):
            uploads["direct"].append(measured(None, "upload", mock.port, inputs["unchanged"]))
            uploads["gateway"].append(measured(plain, "upload", plain.port, inputs["unchanged"]))
        figure["upload"] = {name: median_rows([rates(run, size, LINES) for run in runs]) for name, runs in uploads.items()}
        unchanged_id = uploads["gateway"][-1]["answer"]["id"]
        aliased_id = client("upload", plain.port, inputs["aliased"])["answer"]["id"]
        guarded_id = client("upload", guarded.port, inputs["aliased"])["answer"]["id"]

        steps = {"unchanged": (plain, unchanged_id, "unchanged.jsonl", size),
                 "aliased": (plain, aliased_id, "aliased.prepared.jsonl", prepared_size),
                 "guarded": (guarded, guarded_id, "aliased.prepared.jsonl", prepared_size)}
        creates = {name: [] for name in steps}
        for _ in range(rounds):
            for name, (gateway, file_id, upstream_name, upstream_size) in steps.items():
                result = measured(gateway, "create", gateway.port, file_id)
                wait_validated(gateway, result["answer"]["id"], LINES)
                check_upstream_input(mock.port, upstream_name, upstream_size)
                creates[name].append(rates(result, size, LINES))
        figure["create"] = {name: median_rows(rows) for name, rows in creates.items()}

        inline_uploads, inline_creates = [], []
        for _ in range(rounds):
            upload = measured(plain, "upload", plain.port, inputs["inline"], "anthropic")
            inline_uploads.append(rates(upload, inline_size, INLINE_LINES))
            result = measured(plain, "create", plain.port, upload["answer"]["id"])
            batch = get_json(plain.port, f"/v1/batches/{result['answer']['id']}")
            if (batch.get("request_counts") or {}).get("total") != INLINE_LINES:
                raise RuntimeError(f"the inline batch does not have its {INLINE_LINES} lines: {json.dumps(batch)[:1000]}")
            inline_creates.append(rates(result, inline_size, INLINE_LINES))
        figure["inline"] = {"upload": median_rows(inline_uploads), "create": median_rows(inline_creates)}
        figure["overall_peak_rss_kib"] = max(
            [run["peak_rss_kib"] for run in uploads["gateway"]] + [row["peak_rss_kib"] for rows in creates.values() for row in rows]
            + [row["peak_rss_kib"] for row in inline_uploads + inline_creates])
    finally:
        for process in reversed(started):
            process.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return figure
