"""Renders a benchmark result: a markdown table of figures and ratios, and an SVG chart of the
throughput frontier (p99 latency against offered rate), so a person can look rather than read."""

import json


def ratio(value, base):
    return f"{value / base:.2f}×" if value and base else "n/a"


def markdown(r):
    """The figures the run has, in order; a run with an --only- flag has only that figure."""
    lines = [f"# Benchmark {r['name']} ({r['date']}{', quick' if r.get('quick') else ''})", "",
             "Gateway (or nginx / LiteLLM) pinned to CPU 1; mock upstream and load generator on CPU 0."]
    for key, section in (("latency_c1", latency_section), ("throughput", throughput_section),
                         ("streaming", streaming_section), ("concurrent_streams", concurrent_section),
                         ("memory_kib", memory_section), ("guardrail_cost", guardrail_section),
                         ("passthrough_cost", passthrough_section), ("batch_cost", batches_section),
                         ("governance_cost", governance_section), ("isolation_cost", isolation_section)):
        if key in r:
            lines += ["", *section(r)]
    return "\n".join(line for line in lines if line is not None) + "\n"


def latency_section(r):
    lat = r["latency_c1"]
    direct = lat["direct"]
    names = [n for n in ("switchyard", "nginx", "litellm") if n in lat]
    lines = ["## Added latency at concurrency 1 (µs, target − direct; medians of interleaved rounds)", "",
             "| target | p50 | p99 | p99.9 | CPU µs/request | errors |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines.append(f"| direct (absolute) | {direct['p50_us']:.1f} | {direct['p99_us']:.1f} | {direct['p99_9_us']:.1f} | | {direct['errors']} |")
    for name in names:
        row = lat[name]
        cpu = row.get("cpu_us_per_request")
        lines.append(f"| {name} | {row['p50_us'] - direct['p50_us']:.1f} | {row['p99_us'] - direct['p99_us']:.1f} | "
                     f"{row['p99_9_us'] - direct['p99_9_us']:.1f} | {cpu:.1f} | {row['errors']} |" if cpu is not None else "")
    return lines


def throughput_section(r):
    names = [n for n in ("switchyard", "nginx", "litellm") if n in r["latency_c1"]]
    lines = ["## Throughput: highest offered rate (req/s) with p99 under the limit and no errors", "",
             "| target | p99 ≤ 1 ms | p99 ≤ 5 ms | p99 ≤ 10 ms | sustained, any latency | ÷ direct | ÷ nginx | ÷ LiteLLM |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    tp = r["throughput"]
    for name in ["direct", *names]:
        if name not in tp:
            continue
        row = tp[name]
        best = row["p99_le_10ms"]
        sustained = row.get("sustained", 0)
        # Ratios use p99 ≤ 10 ms, except against LiteLLM, whose p99 never gets under 10 ms here.
        lines.append(f"| {name} | {row['p99_le_1ms']:.0f} | {row['p99_le_5ms']:.0f} | {best:.0f} | {sustained:.0f} | "
                     f"{ratio(best, tp['direct']['p99_le_10ms'])} | {ratio(best, tp.get('nginx', {}).get('p99_le_10ms'))} | "
                     f"{ratio(sustained, tp.get('litellm', {}).get('sustained'))} |")
    if tp["direct"]["p99_le_10ms"] < 2 * tp.get("switchyard", {}).get("p99_le_10ms", 0):
        lines += ["", "**Rig-limited**: direct is less than twice the gateway's figure; ratios understate the gateway."]
    return lines


def streaming_section(r):
    s = r["streaming"]
    lines = ["## Streaming (20 chunks, 5 ms apart; µs)", "",
             "| target | TTFT p50 | TTFT p99 | added TTFT p99 | chunk gap p99 | added per chunk (p99) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in s.items():
        lines.append(f"| {name} | {row['ttft_p50_us']:.0f} | {row['ttft_p99_us']:.0f} | "
                     f"{row['ttft_p99_us'] - s['direct']['ttft_p99_us']:.0f} | {row['gap_p99_us']:.0f} | "
                     f"{row['gap_p99_us'] - s['direct']['gap_p99_us']:.0f} |")
    return lines


def concurrent_section(r):
    c = r["concurrent_streams"]
    lines = ["## 1,000 concurrent paced streams (20 chunks, 50 ms apart)", "",
             "| target | streams completed | errors | chunk gap p99 (ms) | max gap (ms) | stall-free | peak RSS (MB) |",
             "| --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for name, row in c.items():
        rss = f"{row['peak_rss_kib'] / 1024:.1f}" if row.get("peak_rss_kib") else ""
        lines.append(f"| {name} | {row['completed']} | {row['errors']} | {row['gap_p99_us'] / 1000:.1f} | "
                     f"{row['gap_max_us'] / 1000:.1f} | {'yes' if row['stall_free'] else 'no'} | {rss} |")
    return lines


def memory_section(r):
    m = r["memory_kib"]
    lines = ["## Memory and start-up", "",
             f"- Switchyard RSS: idle {m['switchyard_idle'] / 1024:.1f} MB, peak {m['switchyard_peak'] / 1024:.1f} MB, "
             f"after load {m['switchyard_after'] / 1024:.1f} MB (nginx after load {m['nginx_after'] / 1024:.1f} MB"
             + (f", LiteLLM {m['litellm_after'] / 1024:.0f} MB" if m.get("litellm_after") else "") + ")",
             f"- Cold start, process start to first 200 with 6 plugin instances: {r['cold_start']['median_ms']:.1f} ms (median)"]
    if "instructions_per_request" in r:
        lines.append(f"- Instructions per request (callgrind, gateway process): {r['instructions_per_request']:,.0f}")
    return lines


def with_added(row, added, key, digits):
    """`value (+added)`; the bare row, which has no `added`, shows the value alone."""
    if row.get(key) is None:
        return ""
    text = f"{row[key]:,.{digits}f}"
    return f"{text} ({added[key]:+,.{digits}f})" if added is not None and key in added else text


def chat_rows(figure, described, cell):
    """The rows of a feature figure's chat table (`figure["chat"]` next to `figure["chat_added"]`):
    instructions, p50, p99, mean, CPU µs, each written by `cell(row, added, key, digits)`."""
    lines = []
    for name, row in figure["chat"].items():
        added = figure["chat_added"].get(name)
        cells = [cell(row, added, key, digits) for key, digits in
                 (("instructions", 0), ("p50_us", 1), ("p99_us", 1), ("mean_us", 1), ("cpu_us_per_request", 1))]
        lines.append(f"| {name} | {described.get(name, name)} | {' | '.join(cells)} | {row['errors']} |")
    return lines


def guardrail_section(r):
    g = r["guardrail_cost"]
    described = {"bare": "none", "noop": "one no-op guardrail (bench/noop_guardrail.c), request + response",
                 "pii": "guardrail-pii, default config, request + response",
                 "noop_stream": "one no-op guardrail, stream (chunk) phase",
                 "pii_stream": "guardrail-pii, default config, stream (chunk) phase"}
    lines = ["## Guardrail cost (added over the bare gateway in parentheses)", "",
             "Chat at concurrency 1 (bench/chat-request.json, not streamed); latency as the client sees it (µs), "
             "CPU µs and callgrind instructions of the gateway process per request:", "",
             "| gateway | guardrails | instructions/request | p50 | p99 | mean | CPU µs/request | errors |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += chat_rows(g, described, with_added)
    lines += ["", "Streamed (bench/chat-stream-request.json, 20 chunks 5 ms apart, one stream at a time; µs):", "",
              "| gateway | guardrails | instructions/stream | TTFT p50 | TTFT mean | chunk gap p50 | chunk gap mean | errors |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in g["stream"].items():
        added = g["stream_added"].get(name)
        lines.append(f"| {name} | {described.get(name, name)} | {with_added(row, added, 'instructions', 0)} | "
                     f"{with_added(row, added, 'ttft_p50_us', 1)} | {with_added(row, added, 'ttft_mean_us', 1)} | "
                     f"{with_added(row, added, 'gap_p50_us', 1)} | {with_added(row, added, 'gap_mean_us', 1)} | "
                     f"{row['errors']} |")
    return lines


def with_ratio(row, base, key, digits):
    """`value (ratio×)` to the translated row; the translated row shows the value alone."""
    if row.get(key) is None:
        return ""
    text = f"{row[key]:,.{digits}f}"
    return text if row is base else f"{text} ({ratio(row[key], base.get(key))})"


def mib(kib):
    return f"{kib / 1024:.1f}" if kib else ""


def passthrough_section(r):
    p = r["passthrough_cost"]
    described = {"translated": "`/v1/chat/completions`, translated (passthrough off)",
                 "passthrough": "`/p/mock/v1/chat/completions`, no enricher",
                 "enriched": "`/p/mock/v1/chat/completions`, OpenAI enricher"}
    chat, stream = p["chat"], p["stream"]
    lines = ["## Passthrough (ratio to the translated path in parentheses)", "",
             "Chat at concurrency 1 (bench/chat-request.json, not streamed), OpenAI provider on the mock; latency as the "
             "client sees it (µs), CPU µs and callgrind instructions of the gateway process per request:", "",
             "| gateway | route | instructions/request | p50 | p99 | mean | CPU µs/request | errors |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in chat.items():
        base = chat["translated"]
        lines.append(f"| {name} | {described.get(name, name)} | {with_ratio(row, base, 'instructions', 0)} | "
                     f"{with_ratio(row, base, 'p50_us', 1)} | {with_ratio(row, base, 'p99_us', 1)} | "
                     f"{with_ratio(row, base, 'mean_us', 1)} | {with_ratio(row, base, 'cpu_us_per_request', 1)} | "
                     f"{row['errors']} |")
    lines += ["", "Streamed (bench/chat-stream-usage-request.json: 20 chunks 5 ms apart and the usage chunk, one stream "
              "at a time; µs; passthrough routes `/p/mock-stream/...`):", "",
              "| gateway | instructions/stream | TTFT p50 | TTFT p99 | TTFT mean | chunk gap p50 | chunk gap mean | "
              "CPU µs/stream | errors |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in stream.items():
        base = stream["translated"]
        lines.append(f"| {name} | {with_ratio(row, base, 'instructions', 0)} | {with_ratio(row, base, 'ttft_p50_us', 1)} | "
                     f"{with_ratio(row, base, 'ttft_p99_us', 1)} | {with_ratio(row, base, 'ttft_mean_us', 1)} | "
                     f"{with_ratio(row, base, 'gap_p50_us', 1)} | {with_ratio(row, base, 'gap_mean_us', 1)} | "
                     f"{with_ratio(row, base, 'cpu_us_per_stream', 1)} | {row['errors']} |")
    bulk = p.get("bulk")
    if bulk:
        lines += ["", f"Bulk bytes through passthrough, {bulk['bytes'] / 2**30:.0f} GiB each way (mock `/_mock/download`, "
                  f"`/_mock/upload`; median of {bulk['rounds']}; MB/s = 10^6 bytes/s, ratio to straight to the mock); "
                  "the gateway's peak RSS (VmHWM, reset before each transfer) in MiB:", "",
                  "| target | download MB/s | peak RSS, download | upload MB/s | peak RSS, upload | RSS idle |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        direct = bulk["direct"]
        for name in ("direct", "passthrough", "enriched"):
            row = bulk.get(name)
            if not row:
                continue
            lines.append(f"| {name} | {with_ratio(row, direct, 'download_mb_per_s', 0)} | {mib(row.get('download_peak_rss_kib'))} | "
                         f"{with_ratio(row, direct, 'upload_mb_per_s', 0)} | {mib(row.get('upload_peak_rss_kib'))} | "
                         f"{mib(row.get('idle_rss_kib'))} |")
    return lines


def batches_section(r):
    b = r["batch_cost"]
    create, upload, inline = b["create"], b["upload"], b["inline"]
    described = {"unchanged": "no line changes: every line read and checked, nothing uploaded",
                 "aliased": "every line names an alias: every line rewritten, the prepared copy uploaded",
                 "guarded": "as aliased, and guardrail-blocklist (request phase) over every line"}
    lines = ["## Native batches (docs/batches.md)", "",
             f"Input: {b['lines']:,} chat lines of {b['line_bytes']:,} bytes, {b['bytes'] / 1e6:.1f} MB; OpenAI plugin on the "
             f"mock's Files and Batch APIs (its batches never run); median of {b['rounds']}; MB/s = 10^6 bytes/s; peak RSS = "
             "the gateway's VmHWM, started over before each request, highest of the rounds, MiB.", "",
             "Upload (`POST /v1/files`, multipart, streamed; ratio to straight to the mock):", "",
             "| target | MB/s | seconds | peak RSS |", "| --- | ---: | ---: | ---: |"]
    for name in ("direct", "gateway"):
        row = upload[name]
        lines.append(f"| {name} | {with_ratio(row, upload['direct'], 'mb_per_s', 0)} | {row['seconds']:.2f} | "
                     f"{mib(row.get('peak_rss_kib'))} |")
    lines += ["", "`POST /v1/batches` on that file, request to answer (the input read from the mock, prepared line by line, "
              "the prepared copy uploaded when a line changed, the batch created and recorded); ratio to `unchanged`:", "",
              "| preparation | | seconds | lines/s | MB/s | µs/line | gateway CPU µs/line | peak RSS |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in create.items():
        base = create["unchanged"]
        lines.append(f"| {name} | {described.get(name, name)} | {with_ratio(row, base, 'seconds', 2)} | {row['lines_per_s']:,.0f} | "
                     f"{row['mb_per_s']:,.0f} | {with_ratio(row, base, 'us_per_line', 1)} | "
                     f"{with_ratio(row, base, 'cpu_us_per_line', 1)} | {mib(row.get('peak_rss_kib'))} |")
    lines += ["", f"Anthropic inline (Message Batches on the mock): {b['inline_lines']:,} lines, {b['inline_bytes'] / 1e6:.1f} MB, "
              "uploaded with `provider=anthropic` (the gateway holds the file: written, fsynced, recorded) and created "
              "(each line prepared and turned into a Message Batches item, the body spooled and sent):", "",
              "| request | seconds | lines/s | MB/s | µs/line | gateway CPU µs/line | peak RSS |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in ("upload", "create"):
        row = inline[name]
        lines.append(f"| {name} | {row['seconds']:.2f} | {row['lines_per_s']:,.0f} | {row['mb_per_s']:,.0f} | "
                     f"{row['us_per_line']:.1f} | {row['cpu_us_per_line']:.1f} | {mib(row.get('peak_rss_kib'))} |")
    lines += ["", f"Gateway RSS: idle {mib(b['idle_rss_kib'])} MiB (guarded gateway {mib(b['guarded_idle_rss_kib'])}); "
              f"peak over every step above {mib(b['overall_peak_rss_kib'])} MiB."]
    return lines


COLORS = {"direct": "#888888", "switchyard": "#d9480f", "nginx": "#2b8a3e", "litellm": "#1c7ed6"}


def with_added_ratio(row, added, key, digits):
    """`value (+added, ratio×)` over bare; the bare row shows the value alone."""
    if row.get(key) is None:
        return ""
    text = f"{row[key]:,.{digits}f}"
    if added is None or key not in added:
        return text
    difference, times = added[key]
    return f"{text} ({difference:+,.{digits}f}, {times:.2f}×)"


# Profile lines that carry the rest of the request (an admission calls on into `then`, the store
# thread's loop runs every job): their inclusive counts are not the part's own cost.
CONTINUATIONS = ("chatCompletions", "partial apply", "GovernanceLedger.admit(_:on:then:)",
                 "GovernancePolicy.admit(_:request:admission:on:then:)", "GatewayServices.admit(", "StoreThread.init",
                 "StoreWriter.init", "<counts for unidentified lines")


def isolation_section(r):
    import isolation  # bench/isolation.py renders its own figure
    return isolation.section(r)


def governance_section(r):
    g = r["governance_cost"]
    lines = ["## Governance cost (added over the bare gateway and ratio in parentheses)", "",
             "Chat at concurrency 1 (bench/chat-request.json, not streamed), every request with the setup's virtual key; "
             "latency as the client sees it (µs), CPU µs and callgrind instructions of the gateway process per request:", "",
             "| setup | what | instructions/request | p50 | p99 | mean | CPU µs/request | errors |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += chat_rows(g, g["setups"], with_added_ratio)
    for name, reason in g.get("not_measured", {}).items():
        lines += ["", f"Not measured: {name} ({reason})."]
    lines += ["", "Checks (after the latency rounds): " + "; ".join(
        f"{name}: {json.dumps(seen)}" for name, seen in g["checks"].items())]
    for name, functions in g.get("profile", {}).items():
        lines += ["", f"Where a request's instructions go in `{name}` (callgrind_annotate --inclusive=yes, "
                      "per request: the two callgrind runs' difference ÷ requests; governance, store and Redis code only, "
                      "top 15, without the frames that call on into the rest of the request (an admission's `then`, "
                      "the store thread's loop): the JSON has them all):", "",
                  "| instructions/request (inclusive) | function |", "| ---: | --- |"]
        own = [(function, per) for function, per in functions if not any(c in function for c in CONTINUATIONS)]
        lines += [f"| {per:,.0f} | `{function}` |" for function, per in own[:15]]
    return lines


def frontier_svg(r):
    """p99 (log scale) against offered rate, one line per target (the first trial)."""
    width, height, left, bottom, top, right = 760, 420, 70, 50, 30, 150
    series = {name: trials[0] for name, trials in r["frontier"].items()}
    max_rate = max(p["rate"] for points in series.values() for p in points)
    import math

    def x(rate):
        return left + (width - left - right) * rate / max_rate

    def y(p99_us):
        value = min(max(p99_us, 10), 100_000)
        return top + (height - top - bottom) * (1 - (math.log10(value) - 1) / 4)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="18" font-size="14">Throughput frontier: p99 latency vs offered rate ({r["name"]}, {r["date"]})</text>']
    for exponent in range(1, 6):
        value = 10 ** exponent
        label = f"{value} µs" if value < 1000 else f"{value // 1000} ms"
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{label}</text>')
    for step in range(0, 6):
        rate = max_rate * step / 5
        parts.append(f'<text x="{x(rate):.1f}" y="{height - bottom + 18}" text-anchor="middle">{rate / 1000:.0f}k</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">offered rate (req/s)</text>')
    for index, (name, points) in enumerate(series.items()):
        color = COLORS.get(name, "#000")
        path = " ".join(f"{x(p['rate']):.1f},{y(p['p99_us']):.1f}" for p in points)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        for p in points:
            parts.append(f'<circle cx="{x(p["rate"]):.1f}" cy="{y(p["p99_us"]):.1f}" r="3" fill="{color}"/>')
        parts.append(f'<text x="{width - right + 12}" y="{top + 20 + 18 * index}" fill="{color}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
