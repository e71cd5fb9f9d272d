"""Process isolation (`isolation: process`, docs/plugin-isolation.md) through the real gateway
and the official openai SDK: isolated providers (a C plugin and our OpenAI provider against the
mock) and an isolated guardrail answer like in-process ones; a plugin that segfaults, aborts,
hangs or leaks (plugins/misbehaving_provider.c, on requests that carry the word MISBEHAVE) fails
only the requests that need it, with an error naming it (or the route's next provider answers),
while other models keep answering; its runner restarts; a crash loop disables it; a gateway
SIGTERM or SIGKILL leaves no runner behind; bad isolation config is reported at file:line."""

import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time

import openai
import pytest

from conftest import ASAN, BIN_DIR, start_process, stop_process
from test_slow_hooks import ECHO, HERE, SDK_INCLUDE, VERSION_SCRIPT, gateway, in_background  # noqa: F401 - fixture

OPENAI = os.path.abspath(os.path.join(BIN_DIR, "libProviderOpenAI.so"))
BLOCKLIST = os.path.abspath(os.path.join(BIN_DIR, "libGuardrailBlocklist.so"))
USER = [{"role": "user", "content": "hello there"}]
MISBEHAVE = [{"role": "user", "content": "please MISBEHAVE now"}]


@pytest.fixture(autouse=True)
def plain_crashes_under_asan(monkeypatch):
    """Under AddressSanitizer (scripts/e2e-asan.sh) the runners this module's gateways start
    crash on purpose: they must die of their signal, as in a normal build, not write an ASan
    report (which fails the run)."""
    if ASAN:
        monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") + ":handle_segv=0")


@pytest.fixture(scope="module")
def misbehaving(tmp_path_factory):
    """libmisbehaving.so, built from plugins/misbehaving_provider.c as the SDK builds plugins."""
    path = tmp_path_factory.mktemp("misbehaving") / "libmisbehaving.so"
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden",
         "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}",
         "-o", str(path), os.path.join(HERE, "plugins", "misbehaving_provider.c")],
        check=True, timeout=120)
    return str(path)


def isolated(name, path, config, **limits):
    limits = {"hook_timeout": "2s", **limits}
    return (f"  - {{name: {name}, path: {path}, isolation: process, isolation_limits: {json.dumps(limits)}, "
            f"config: {json.dumps(config)}}}")


def runners_of(gateway_pid):
    """Pids of the runner processes whose parent is `gateway_pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                arguments = cmdline.read().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == gateway_pid and b"__plugin-runner" in arguments:
            found.append(int(entry))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def error_of(call):
    """The APIStatusError a call raised: (status, message)."""
    with pytest.raises(openai.APIStatusError) as raised:
        call()
    return raised.value.status_code, raised.value.body["message"] if isinstance(raised.value.body, dict) else str(raised.value.body)


def answer(client, model, messages=USER, stream=False):
    if not stream:
        return client.chat.completions.create(model=model, messages=messages).choices[0].message.content
    chunks = client.chat.completions.create(model=model, messages=messages, stream=True)
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


def eventually(function, expected=None, timeout=10.0):
    """function() once it stops raising (a runner restarting) and, when given, equals
    `expected`, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = function()
            if expected is None or value == expected:
                return value
        except Exception:  # noqa: BLE001 - retried until the deadline
            if time.monotonic() >= deadline:
                raise
        if time.monotonic() >= deadline:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def mock_upstream():
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])
    yield port
    stop_process(process)


@pytest.fixture()
def main(gateway, misbehaving, mock_upstream):
    mock = f"http://127.0.0.1:{mock_upstream}/v1"
    return gateway(f"""
        server: {{port: 0, loops: 2, plugin_workers: 4}}
        plugins:
          - {{name: echo, path: {ECHO}}}
          - {{name: mock, path: {OPENAI}, config: {{base_url: "{mock}", api_key_env: null}}}}
        {isolated("iso-openai", OPENAI, {"base_url": mock, "api_key_env": None})}
        {isolated("iso-segv", misbehaving, {"fault": "segfault", "text": "all good"})}
        {isolated("iso-abort", misbehaving, {"fault": "abort"})}
        {isolated("iso-hang", misbehaving, {"fault": "hang"}, hook_timeout="1s")}
        {isolated("iso-data", misbehaving, {"fault": "segfault", "hook": "data", "base_url": mock})}
        {isolated("iso-fallback", misbehaving, {"fault": "segfault"})}
        {isolated("iso-late", misbehaving, {"fault": "segfault", "hook": "data", "after": 5, "paced": 1, "base_url": mock})}
        {isolated("iso-blocklist", BLOCKLIST, {"words": ["forbidden-word"]})}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1, guarded]}}
          - {{name: mock, plugin: mock, models: [mock-model]}}
          - {{name: iso-openai, plugin: iso-openai, models: [iso-mock-model: mock-model]}}
          - {{name: iso-segv, plugin: iso-segv, models: [iso-segv]}}
          - {{name: iso-abort, plugin: iso-abort, models: [iso-abort]}}
          - {{name: iso-hang, plugin: iso-hang, models: [iso-hang]}}
          - {{name: iso-data, plugin: iso-data, models: [iso-data]}}
          - {{name: iso-fallback, plugin: iso-fallback, models: [with-fallback]}}
          - {{name: iso-late, plugin: iso-late, models: [iso-late]}}
          - {{name: echo-fallback, plugin: echo, models: [with-fallback]}}
        guardrails:
          - {{plugin: iso-blocklist, applies_to: {{models: [guarded]}}}}
        """)


def test_isolated_providers_answer_whole_and_streamed(main):
    client = main.client()
    assert answer(client, "iso-segv") == "all good"
    assert answer(client, "iso-segv", stream=True) == "all good"
    # Our OpenAI provider, isolated, against the mock: prepare + transformer through the runner,
    # the same answer as the in-process one gives.
    assert answer(client, "iso-mock-model") == answer(client, "mock-model")
    streamed = answer(client, "iso-mock-model", stream=True)
    assert streamed and streamed == answer(client, "mock-model", stream=True)
    # The C plugin's transformer (prepare + data + end) against the mock.
    assert answer(client, "iso-data") == answer(client, "mock-model")
    assert answer(client, "iso-data", stream=True) == answer(client, "mock-model", stream=True)


def test_isolated_guardrail_rejects_and_allows(main):
    client = main.client()
    assert answer(client, "guarded", [{"role": "user", "content": "a harmless line"}]) == "a harmless line"
    status, message = error_of(lambda: answer(client, "guarded", [{"role": "user", "content": "say forbidden-word now"}]))
    assert status == 400, message
    assert "forbidden-word" in message or "blocklist" in message.lower() or "blocked" in message.lower(), message


def test_many_concurrent_calls_through_one_runner(main):
    client = main.client()
    results = [in_background(answer, client, "iso-segv", USER, index % 2 == 1) for index in range(16)]
    for thread, result in results:
        thread.join(30)
        assert result.get("value") == "all good", result


@pytest.mark.parametrize("model, ending", [
    ("iso-segv", "crashed: Segmentation fault (signal 11)"),
    ("iso-abort", "crashed: Aborted (signal 6)"),
])
def test_a_crash_fails_only_its_requests_names_the_plugin_and_the_runner_restarts(main, model, ending):
    client = main.client()
    assert answer(client, model) == "all good"
    pid_before = set(runners_of(main.process.pid))
    # Other models keep answering while it crashes.
    others = [in_background(answer, client, "echo-1", [{"role": "user", "content": f"other {i}"}]) for i in range(4)]
    status, message = error_of(lambda: answer(client, model, MISBEHAVE))
    assert status == 502, message
    assert f'plugin "{model}" (isolated) {ending}' in message
    for index, (thread, result) in enumerate(others):
        thread.join(30)
        assert result.get("value") == f"other {index}", result
    # The runner restarts (100 ms backoff) and answers again; a new process.
    assert eventually(lambda: answer(client, model)) == "all good"
    assert answer(client, model, stream=True) == "all good"
    assert set(runners_of(main.process.pid)) != pid_before
    main.wait_for_log(rf'level=error msg="isolated plugin runner {re.escape(ending)}; 1 call\(s\) failed; restarting in 100ms" plugin="{model}"')
    assert answer(client, "echo-1", [{"role": "user", "content": "after"}]) == "after"


def test_a_crash_in_the_transformer_fails_the_request_naming_the_plugin(main):
    client = main.client()
    status, message = error_of(lambda: answer(client, "iso-data", MISBEHAVE))
    assert status == 502, message
    assert 'plugin "iso-data" (isolated) crashed: Segmentation fault (signal 11)' in message
    assert eventually(lambda: answer(client, "iso-data")) == answer(client, "mock-model")


def test_a_crash_in_the_middle_of_a_stream_ends_it_with_an_error_naming_the_plugin(main):
    client = main.client()
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in client.chat.completions.create(model="iso-late", messages=MISBEHAVE, stream=True):
            received += [choice.delta.content or "" for choice in chunk.choices]
    # Chunks reached the client before the runner crashed; then the stream's error event.
    assert "".join(received), received
    assert 'plugin "iso-late" (isolated) crashed: Segmentation fault (signal 11)' in str(raised.value)
    # The response's transformer state was in the crashed runner: the restarted one serves anew.
    assert len(eventually(lambda: answer(client, "iso-late", stream=True))) > len("".join(received))


def test_a_crash_fails_over_to_the_routes_next_provider(main):
    client = main.client()
    # echo answers with the last user message: the fallback answered.
    assert answer(client, "with-fallback", MISBEHAVE) == "please MISBEHAVE now"
    main.wait_for_log(r'isolated plugin runner crashed: Segmentation fault \(signal 11\).*plugin="iso-fallback"')
    # Meanwhile the fallback answers; once restarted, the isolated provider does again.
    assert eventually(lambda: answer(client, "with-fallback"), "all good") == "all good"


def test_a_hung_hook_times_out_the_runner_is_killed_and_restarts(main):
    client = main.client()
    started = time.monotonic()
    status, message = error_of(lambda: answer(client, "iso-hang", MISBEHAVE))
    elapsed = time.monotonic() - started
    assert status == 504, message
    assert 'plugin "iso-hang" (isolated) did not return from generate within 1s: its runner was killed and restarts' in message
    assert 0.9 <= elapsed < 4, elapsed
    # Meanwhile and after, the rest answers; the runner comes back.
    assert answer(client, "echo-1", [{"role": "user", "content": "still here"}]) == "still here"
    assert eventually(lambda: answer(client, "iso-hang")) == "all good"
    main.wait_for_log(r'isolated plugin runner killed: generate did not return within 1s.*plugin="iso-hang"')


def test_runner_metrics_count_crashes_and_restarts(main):
    client = main.client()
    error_of(lambda: answer(client, "iso-abort", MISBEHAVE))
    assert eventually(lambda: answer(client, "iso-abort")) == "all good"
    connection = http.client.HTTPConnection("127.0.0.1", main.port, timeout=10)
    connection.request("GET", "/metrics")
    body = connection.getresponse().read().decode()
    connection.close()
    assert re.search(r'^switchyard_plugin_runner_crashes_total\{plugin="iso-abort"\} 1$', body, re.M), body
    assert re.search(r'^switchyard_plugin_runner_restarts_total\{plugin="iso-abort"\} 1$', body, re.M), body
    assert re.search(r'^switchyard_plugin_runner_crashes_total\{plugin="iso-segv"\} 0$', body, re.M), body
    assert re.search(r'^switchyard_plugin_runner_disabled\{plugin="iso-abort"\} 0$', body, re.M), body


def test_a_crash_loop_disables_the_plugin_until_a_reload(gateway, misbehaving):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: echo, path: {ECHO}}}
        {isolated("flaky", misbehaving, {"fault": "segfault"}, max_restarts=2, restart_window="60s")}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1]}}
          - {{name: flaky, plugin: flaky, models: [flaky-1], breaker: off}}
        """)
    client = gw.client()
    for _ in range(3):
        eventually(lambda: answer(client, "flaky-1"))
        status, message = error_of(lambda: answer(client, "flaky-1", MISBEHAVE))
        assert "crashed: Segmentation fault" in message
    expected = 'plugin "flaky" (isolated) is disabled: its runner ended 3 times within 60s (isolation_limits.max_restarts 2); a config reload starts it again'
    gw.wait_for_log(r'level=error msg="plugin \\"flaky\\" \(isolated\) is disabled: its runner ended 3 times within 60s')
    time.sleep(0.3)
    status, message = error_of(lambda: answer(client, "flaky-1"))
    assert status == 503 and expected in message, (status, message)
    assert runners_of(gw.process.pid) == []
    assert answer(client, "echo-1", [{"role": "user", "content": "fine"}]) == "fine"
    # A reload starts it again.
    gw.process.send_signal(signal.SIGHUP)
    assert eventually(lambda: answer(client, "flaky-1")) == "all good"


@pytest.mark.skipif(ASAN, reason="AddressSanitizer needs an unlimited address space: the runner sets no memory limit there")
def test_a_leak_is_contained_by_the_memory_limit(gateway, misbehaving):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: echo, path: {ECHO}}}
        {isolated("leaky", misbehaving, {"fault": "leak", "leak_mb": 64}, memory="256MiB", max_restarts=5)}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1]}}
          - {{name: leaky, plugin: leaky, models: [leaky-1]}}
        """)
    client = gw.client()
    failure = None
    for _ in range(8):  # 64 MiB a call: the runner cannot hold 4 of them
        try:
            answer(client, "leaky-1", MISBEHAVE)
        except openai.APIStatusError as error:
            failure = error.body["message"]
            break
    assert failure is not None and 'plugin "leaky" (isolated) crashed: Aborted (signal 6)' in failure, failure
    assert eventually(lambda: answer(client, "leaky-1")) == "all good"
    with open(f"/proc/{gw.process.pid}/status") as status:
        resident_kib = int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))
    assert resident_kib < 150 * 1024, resident_kib  # the leak stayed in the runner


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_gateway_leaves_no_runner_behind(gateway, misbehaving, how):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
        {isolated("one", misbehaving, {})}
        {isolated("two", BLOCKLIST, {"words": ["x"]})}
        providers:
          - {{name: one, plugin: one, models: [one-1]}}
        guardrails:
          - {{plugin: two}}
        """)
    assert answer(gw.client(), "one-1") == "all good"
    runners = runners_of(gw.process.pid)
    assert len(runners) == 2, runners
    gw.process.send_signal(how)
    gw.process.wait(timeout=15)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in runners) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in runners), runners


def validate(tmp_path, text):
    path = tmp_path / "isolation.yaml"
    path.write_text(text)
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(path)], capture_output=True, text=True, timeout=60)
    return result.returncode, result.stderr + result.stdout, str(path)


@pytest.mark.parametrize("entry, message", [
    ("isolation: sandbox", 'expected in_process or process, got "sandbox"'),
    ("isolation_limits: {hook_timeout: 1s}", "isolation_limits applies only to an entry with isolation: process"),
    ("isolation: process\n    isolation_limits: {hook_timeout: 0s}", "must be greater than zero"),
    ("isolation: process\n    isolation_limits: {memory: 1MiB}", "must be at least 64MiB"),
    ("isolation: process\n    isolation_limits: {max_restart: 3}", 'unknown key (did you mean "max_restarts"?)'),
    ("isolation: process\n    isolation_limits: {max_restarts: -1}", "out of range"),
])
def test_bad_isolation_config_is_reported_at_file_line(tmp_path, entry, message):
    code, output, path = validate(tmp_path, f"""plugins:
  - name: echo
    path: {ECHO}
    {entry}
providers:
  - {{name: echo, plugin: echo, models: [echo-1]}}
""")
    assert code == 1, output
    assert message in output, output
    assert re.search(re.escape(path) + r":[45]:\d+", output), output


def test_validate_loads_isolated_plugins_through_the_runner(tmp_path, misbehaving):
    code, output, _ = validate(tmp_path, f"""plugins:
{isolated("boom", misbehaving, {"fault": "abort", "hook": "instance_new"})}
providers:
  - {{name: boom, plugin: boom, models: [boom-1]}}
""")
    assert code == 1, output
    assert 'plugin "boom" (isolated) crashed: Aborted (signal 6)' in output, output
    code, output, _ = validate(tmp_path, f"""plugins:
{isolated("bad", misbehaving, {"fault": "nonsense"})}
providers:
  - {{name: bad, plugin: bad, models: [bad-1]}}
""")
    assert code == 1 and ('unknown fault \\"nonsense\\"' in output or 'unknown fault "nonsense"' in output), output
    code, output, _ = validate(tmp_path, f"""plugins:
{isolated("fine", misbehaving, {})}
providers:
  - {{name: fine, plugin: fine, models: [fine-1]}}
""")
    assert code == 0, output


def test_an_enricher_cannot_be_isolated(tmp_path):
    enricher = os.path.abspath(os.path.join(BIN_DIR, "libEnricherOpenAI.so"))
    code, output, path = validate(tmp_path, f"""plugins:
  - {{name: echo, path: {ECHO}}}
{isolated("observer", enricher, {})}
providers:
  - {{name: echo, plugin: echo, models: [echo-1]}}
enrichers:
  - {{plugin: observer}}
""")
    assert code == 1, output
    assert 'plugin "observer" has isolation: process, but an enricher\'s hooks run on the event loop' in output, output
    assert path + ":" in output, output


def test_a_batch_preparer_cannot_be_isolated(tmp_path):
    preparer = os.path.abspath(os.path.join(BIN_DIR, "libBatchModels.so"))
    code, output, path = validate(tmp_path, f"""plugins:
  - {{name: echo, path: {ECHO}}}
{isolated("lines", preparer, {})}
providers:
  - {{name: echo, plugin: echo, models: [echo-1]}}
batch_preparers:
  - {{plugin: lines}}
""")
    assert code == 1, output
    assert 'plugin "lines" has isolation: process, but a batch preparer\'s hooks run on the event loop' in output, output
    assert path + ":" in output, output


@pytest.fixture(scope="module")
def guardrail_plugin(tmp_path_factory):
    """plugins/test_guardrail.c (the guardrail chain's fixture), built as its tests build it."""
    path = tmp_path_factory.mktemp("test-guardrail") / "libtest_guardrail.so"
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden", "-pthread",
         "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}",
         "-o", str(path), os.path.join(HERE, "plugins", "test_guardrail.c")],
        check=True, timeout=120)
    return str(path)


def test_isolated_guardrail_patches_pauses_holds_and_rejects(gateway, guardrail_plugin):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: echo, path: {ECHO}}}
        {isolated("tag", guardrail_plugin, {"tag": "a", "pause_ms": 30})}
        {isolated("redact", guardrail_plugin, {"redact": "is hunter2", "phases": 4})}
        {isolated("refuse", guardrail_plugin, {"reject": "not here", "status": 403})}
        providers:
          - {{name: echo, plugin: echo, models: [tagged, redacted, refused]}}
        guardrails:
          - {{plugin: tag, applies_to: {{models: [tagged]}}}}
          - {{plugin: redact, applies_to: {{models: [redacted]}}}}
          - {{plugin: refuse, applies_to: {{models: [refused]}}}}
        """)
    client = gw.client()
    # Request and response phases, each paused in the runner and resumed from the plugin's own
    # thread there, each patching the document.
    assert answer(client, "tagged", [{"role": "user", "content": "hello"}]) == "hello [a] [a]"
    # A stream inspected chunk by chunk: the text held back over chunks (verdict_hold) and patched.
    pieces = answer(client, "redacted", [{"role": "user", "content": "my password is hunter2 ok"}], stream=True)
    assert pieces == "my password *** ok", pieces
    status, message = error_of(lambda: answer(client, "refused", [{"role": "user", "content": "hi"}]))
    assert status == 403 and "not here" in message, (status, message)


def test_a_reload_replaces_the_runners(gateway, misbehaving):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
        {isolated("one", misbehaving, {"text": "first"})}
        providers:
          - {{name: one, plugin: one, models: [one-1]}}
        """)
    client = gw.client()
    assert answer(client, "one-1") == "first"
    before = runners_of(gw.process.pid)
    assert len(before) == 1
    gw.config.write_text(gw.config.read_text().replace('"first"', '"second"'))
    gw.process.send_signal(signal.SIGHUP)
    assert eventually(lambda: answer(client, "one-1"), "second") == "second"
    deadline = time.monotonic() + 10
    while alive(before[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(before[0])  # the old generation's runner ended with its instance
    after = runners_of(gw.process.pid)
    assert len(after) == 1 and after != before, (before, after)


@pytest.mark.parametrize("fault, hook, ending", [
    ("segfault", "prepare", "crashed: Segmentation fault (signal 11)"),
    ("abort", "end", "crashed: Aborted (signal 6)"),
    ("hang", "prepare", "did not return from prepare within 1s"),
    ("hang", "data", "did not return from response data within 1s"),
])
def test_each_upstream_hook_is_contained(gateway, misbehaving, mock_upstream, fault, hook, ending):
    mock = f"http://127.0.0.1:{mock_upstream}/v1"
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: echo, path: {ECHO}}}
        {isolated("faulty", misbehaving, {"fault": fault, "hook": hook, "base_url": mock}, hook_timeout="1s")}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1]}}
          - {{name: faulty, plugin: faulty, models: [faulty-1: mock-model]}}
        """)
    client = gw.client()
    good = answer(client, "faulty-1")
    status, message = error_of(lambda: answer(client, "faulty-1", MISBEHAVE))
    assert status in (502, 504) and f'plugin "faulty" (isolated) {ending}' in message, (status, message)
    assert answer(client, "echo-1", [{"role": "user", "content": "fine"}]) == "fine"
    assert eventually(lambda: answer(client, "faulty-1")) == good


def test_a_plugin_hanging_at_load_is_a_load_error_within_its_hook_timeout(tmp_path, misbehaving):
    started = time.monotonic()
    code, output, _ = validate(tmp_path, f"""plugins:
{isolated("stuck", misbehaving, {"fault": "hang", "hook": "instance_new"}, hook_timeout="1s")}
providers:
  - {{name: stuck, plugin: stuck, models: [stuck-1]}}
""")
    assert code == 1, output
    assert 'plugin "stuck" (isolated) did not return from instance_new within 1s' in output, output
    assert time.monotonic() - started < 15


def test_a_stream_whose_runner_restarted_under_it_ends_cleanly(gateway, misbehaving, mock_upstream):
    mock = f"http://127.0.0.1:{mock_upstream}/v1"
    gw = gateway(f"""
        server: {{port: 0, loops: 2}}
        plugins:
        {isolated("shared", misbehaving, {"fault": "segfault", "hook": "prepare", "paced": 1, "base_url": mock})}
        providers:
          - {{name: shared, plugin: shared, models: [shared-1: mock-model], breaker: off}}
        """)
    client = gw.client()
    received = []

    def stream():
        for chunk in client.chat.completions.create(model="shared-1", messages=USER, stream=True):
            received.extend(choice.delta.content or "" for choice in chunk.choices)

    thread, result = in_background(stream)
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.005)
    assert received, "the stream did not start"
    # Another request crashes the runner this stream's transformer state lives in.
    error_of(lambda: answer(client, "shared-1", MISBEHAVE))
    thread.join(15)
    error = result.get("error")
    assert isinstance(error, openai.APIError), result
    assert 'plugin "shared" (isolated)' in str(error), str(error)
    assert any(text in str(error) for text in ("crashed", "is restarting", "was restarted during this call")), str(error)
    # Its state went with the old runner; the new one streams again.
    assert len(eventually(lambda: answer(client, "shared-1", stream=True))) > 0


def test_a_client_that_leaves_is_seen_by_the_isolated_plugin(gateway, misbehaving):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
        {isolated("patient", misbehaving, {"sleep_ms": 5000}, hook_timeout="10s")}
        providers:
          - {{name: patient, plugin: patient, models: [patient-1]}}
        """)
    impatient = openai.OpenAI(base_url=f"http://127.0.0.1:{gw.port}/v1", api_key="x", max_retries=0, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        answer(impatient, "patient-1")
    # The gateway notices the client went, tells the runner, and the plugin's call_cancelled
    # says so: it stops long before its 5 s (the runner is not killed: no timeout, no restart).
    gw.wait_for_log(r'level=warn msg="generate saw the client leave" plugin="patient" request_id=', timeout=3)
    assert time.monotonic() - started < 2.5
    assert "isolated plugin runner" not in gw.log()
