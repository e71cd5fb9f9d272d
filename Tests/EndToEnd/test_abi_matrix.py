"""The ABI compatibility matrix through the real gateway (ABI 1.1):

- old plugin x new host: the C examples (plugin-sdk/examples/c) and the deadline probe
  (plugin-sdk/tests/abi-matrix/deadline_probe.c), compiled against the RELEASED 1.0 header
  (plugin-sdk/abi/released/1.0), are inspected (negotiated 1.0); the provider, the guardrail and
  the probe answer requests through the gateway, and the enricher is bound to a provider;
- the probe built against the current header gets its deadline from call_deadline_ns (1.1):
  generate on the event loop and on a worker, prepare and begin within the provider's first-byte
  timeout, data and end within its idle timeout; as a guardrail, inspect within the guardrail's
  deadline, and as an enricher (of a passthrough request), begin within the enricher's;
- rejections: a plugin of ABI 2.x, one that needs 1.7, a plugin table and a guardrail table
  shorter than 1.0's, each refused by `plugins inspect`, `validate` and `serve` with a message
  that says what is wrong.

The other half, new plugins under an old (1.0) host, is scripts/check-abi-matrix.sh."""

import os
import re
import subprocess
import textwrap
import time

import openai
import pytest

from conftest import BIN_DIR, json_call, start_process, stop_process

HERE = os.path.dirname(__file__)
SDK = os.path.abspath(os.path.join(HERE, "..", "..", "plugin-sdk"))
RELEASED_1_0 = os.path.join(SDK, "abi", "released", "1.0")
CURRENT = os.path.join(SDK, "include")
SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
FIRST_BYTE_S = 7
GUARDRAIL_DEADLINE_S = 3
IDLE_S = 5
ENRICHER_DEADLINE_MS = 800


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(source, include, *defines) -> a plugin built with the flags every C plugin uses.
    `include` holds the switchyard_plugin.h it is built against; the SDK's helper headers
    (switchyard_json.h ...) come from plugin-sdk/include after it."""
    out = tmp_path_factory.mktemp("abi-matrix")

    def make(source, include, *defines):
        name = "lib" + os.path.basename(source)[:-2] + "-" + os.path.basename(include) + "".join("-" + d.lower() for d in defines) + ".so"
        path = out / name
        if not path.exists():
            subprocess.run(
                ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden",
                 "-I", include, "-I", CURRENT, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={SDK}/template/plugin.version"]
                + [f"-D{d}" for d in defines] + ["-o", str(path), source],
                check=True, timeout=120,
            )
        return str(path)

    return make


def example(name):
    directory = os.path.join(SDK, "examples", "c", name)
    return os.path.join(directory, name.replace("-", "_") + ".c")


PROBE = os.path.join(SDK, "tests", "abi-matrix", "deadline_probe.c")
REFUSED = os.path.join(HERE, "plugins", "abi_refused.c")


def inspect(path):
    return subprocess.run([SWITCHYARD, "plugins", "inspect", path], capture_output=True, text=True, timeout=60)


def test_plugins_built_against_the_released_1_0_header_negotiate_1_0(build):
    for source in (example("provider-static"), example("guardrail-deny"), example("enricher-usage"),
                   example("batch-max-tokens"), PROBE):
        result = inspect(build(source, RELEASED_1_0))
        assert result.returncode == 0, result.stderr
        assert "abi:         plugin 1.0, host 1.1, negotiated 1.0" in result.stdout, result.stdout
    current = inspect(build(PROBE, CURRENT))
    assert "abi:         plugin 1.1, host 1.1, negotiated 1.1" in current.stdout, current.stdout


@pytest.fixture(scope="module")
def gateway(build, tmp_path_factory, mock_port):
    """One gateway serving 1.0 builds (the C example provider and guardrail, the probe) next to
    1.1 builds of the probe, on the loop and on a worker."""
    directory = tmp_path_factory.mktemp("abi-gateway")
    config = directory / "gateway.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
          upstream_first_byte_timeout: {FIRST_BYTE_S}s
          upstream_idle_timeout: {IDLE_S}s
        plugins:
          - name: static-1-0
            path: {build(example("provider-static"), RELEASED_1_0)}
            config: {{text: "Open from nine."}}
          - name: deny-1-0
            path: {build(example("guardrail-deny"), RELEASED_1_0)}
            config: {{word: forbidden}}
          - name: probe-1-0
            path: {build(PROBE, RELEASED_1_0)}
          - name: probe-1-1
            path: {build(PROBE, CURRENT)}
          - name: probe-1-1-worker
            path: {build(PROBE, CURRENT, "BLOCKING")}
          - name: probe-1-1-isolated
            path: {build(PROBE, CURRENT)}
            isolation: process
          - name: probe-1-1-upstream
            path: {build(PROBE, CURRENT, "UPSTREAM")}
            config: {{base_url: "http://127.0.0.1:{mock_port}/v1"}}
          - name: usage-1-0
            path: {build(example("enricher-usage"), RELEASED_1_0)}
          - name: openai
            path: {os.path.abspath(os.path.join(BIN_DIR, "libProviderOpenAI.so"))}
            config: {{base_url: "http://127.0.0.1:{mock_port}/v1", api_key_env: null}}
        providers:
          - {{name: static, plugin: static-1-0, models: [static-model]}}
          - {{name: probe10, plugin: probe-1-0, models: [probe-1-0]}}
          - {{name: probe11, plugin: probe-1-1, models: [probe-1-1]}}
          - {{name: probe11w, plugin: probe-1-1-worker, models: [probe-1-1-worker]}}
          - {{name: probe11u, plugin: probe-1-1-upstream, models: [probe-1-1-upstream]}}
          - {{name: probe11i, plugin: probe-1-1-isolated, models: [probe-1-1-isolated]}}
          - {{name: openai, plugin: openai, models: [gpt-4.1-mini], passthrough: true}}
        enrichers:
          - {{name: probe-enricher, plugin: probe-1-1, deadline: {ENRICHER_DEADLINE_MS}ms, providers: [openai]}}
          - {{name: usage-1-0, plugin: usage-1-0, providers: [openai]}}
        guardrails:
          - {{name: deny, plugin: deny-1-0, phases: [request], applies_to: {{models: [static-model]}}}}
          - {{name: deadline-guard, plugin: probe-1-1, phases: [request, response], deadline: {GUARDRAIL_DEADLINE_S}s,
              applies_to: {{models: [probe-1-0]}}}}
        """))
    log_path = directory / "gateway.log"
    with open(log_path, "w") as log:
        process, port = start_process([SWITCHYARD, "serve", "--config", str(config)], stderr=log)
    try:
        yield port, log_path
    finally:
        stop_process(process)


def client(port):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)


def ask(port, model, stream=False):
    messages = [{"role": "user", "content": "hello"}]
    if stream:
        chunks = client(port).chat.completions.create(model=model, messages=messages, stream=True)
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    return client(port).chat.completions.create(model=model, messages=messages).choices[0].message.content


def test_the_1_0_example_provider_and_guardrail_serve_under_the_1_1_host(gateway):
    port, _ = gateway
    assert ask(port, "static-model") == "Open from nine."
    assert ask(port, "static-model", stream=True) == "Open from nine."
    with pytest.raises(openai.BadRequestError) as refused:
        client(port).chat.completions.create(model="static-model", messages=[{"role": "user", "content": "a forbidden word"}])
    assert "the request contains a denied word" in str(refused.value)


def test_a_1_0_plugin_negotiated_1_0_and_sees_no_1_1_function(gateway):
    port, _ = gateway
    assert ask(port, "probe-1-0") == "abi=1.0 no deadline (built for ABI 1.0)"


# probe-1-1-isolated runs in a runner process (isolation: process): the gateway ships the
# deadline with the call, and the runner's call_deadline_ns answers it.
@pytest.mark.parametrize("model", ["probe-1-1", "probe-1-1-worker", "probe-1-1-isolated"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_1_1_plugin_reads_its_deadline_within_the_first_byte_timeout(gateway, model, stream):
    port, log_path = gateway
    answer = ask(port, model, stream=stream)
    match = re.fullmatch(r"abi=1\.1 deadline_in_ms=(-?\d+)", answer)
    assert match, answer
    # generate's deadline is the first-byte timeout from when the hook started (on a worker:
    # when it was queued), read moments later.
    left_ms = int(match.group(1))
    assert FIRST_BYTE_S * 1000 - 2000 < left_ms <= FIRST_BYTE_S * 1000, answer
    assert answer in log_path.read_text()


@pytest.mark.parametrize("stream", [False, True])
def test_provider_hooks_on_the_loop_read_first_byte_and_idle_deadlines(gateway, stream):
    port, _ = gateway
    answer = ask(port, "probe-1-1-upstream", stream=stream)
    found = re.fullmatch(r"abi=1\.1 prepare=deadline_in_ms=(\d+) begin=deadline_in_ms=(\d+) "
                         r"data=deadline_in_ms=(\d+) end=deadline_in_ms=(\d+)", answer)
    assert found, answer
    prepare, begin, data, end = (int(found.group(n)) for n in range(1, 5))
    # prepare and the transformer's begin: the first-byte timeout; data and end: the idle timeout.
    for left_ms, timeout_s in ((prepare, FIRST_BYTE_S), (begin, FIRST_BYTE_S), (data, IDLE_S), (end, IDLE_S)):
        assert timeout_s * 1000 - 2000 < left_ms <= timeout_s * 1000, answer


def test_a_guardrails_inspect_reads_the_guardrail_deadline(gateway):
    port, log_path = gateway
    assert ask(port, "probe-1-0") == "abi=1.0 no deadline (built for ABI 1.0)"
    for phase in ("request", "response"):
        found = wait_for(log_path, rf"abi=1\.1 inspect {phase} deadline_in_ms=(-?\d+)")
        left_ms = int(found.group(1))
        assert GUARDRAIL_DEADLINE_S * 1000 - 1000 < left_ms <= GUARDRAIL_DEADLINE_S * 1000, found.group(0)


def test_an_enrichers_hook_reads_the_enricher_deadline(gateway):
    port, log_path = gateway
    status, _ = json_call(port, "POST", "/p/openai/v1/chat/completions",
                          {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]})
    assert status == 200
    found = wait_for(log_path, r"abi=1\.1 enricher begin deadline_in_ms=(-?\d+)")
    assert ENRICHER_DEADLINE_MS - 500 < int(found.group(1)) <= ENRICHER_DEADLINE_MS, found.group(0)


def wait_for(log_path, pattern, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log_path.read_text())
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no log line matching {pattern!r}:\n{log_path.read_text()[-3000:]}")


@pytest.mark.parametrize("defines, message", [
    (("MAJOR2",), "plugin is built for ABI 2.x, host provides 1.1"),
    (("NEEDS_MINOR7",), "plugin needs ABI 1.7, host provides 1.1"),
    (("SHORT_PLUGIN_TABLE",),
     "malformed plugin table: sy_plugin_api.struct_size is 40 bytes, smaller than the ABI 1.0 sy_plugin_api (64 bytes)"),
])
def test_refused_plugins_are_named_with_the_reason(build, tmp_path, defines, message):
    path = build(REFUSED, CURRENT, *defines)
    inspected = inspect(path)
    assert inspected.returncode != 0
    assert message in inspected.stdout + inspected.stderr
    config = guardrail_config(tmp_path, path)
    validated = subprocess.run([SWITCHYARD, "validate", str(config)], capture_output=True, text=True, timeout=60)
    assert validated.returncode == 1
    assert message in validated.stderr and 'plugin "refused"' in validated.stderr, validated.stderr
    served = subprocess.run([SWITCHYARD, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert served.returncode != 0
    assert message in served.stderr, served.stderr


def test_a_guardrail_table_shorter_than_1_0_is_refused_naming_both_sizes(build, tmp_path):
    config = guardrail_config(tmp_path, build(REFUSED, CURRENT, "SHORT_GUARDRAIL_TABLE"))
    message = ("guardrails[check]: plugin \"refused\": malformed switchyard.guardrail/1 table: "
               "sy_guardrail_v1.struct_size is 16 bytes, smaller than the ABI 1.0 sy_guardrail_v1 (24 bytes)")
    validated = subprocess.run([SWITCHYARD, "validate", str(config)], capture_output=True, text=True, timeout=60)
    assert validated.returncode == 1
    assert message in validated.stderr, validated.stderr
    served = subprocess.run([SWITCHYARD, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert served.returncode != 0
    assert message in served.stderr, served.stderr
    # The same plugin with a whole table loads: the size is what was refused.
    control = guardrail_config(tmp_path / "control", build(REFUSED, CURRENT))
    result = subprocess.run([SWITCHYARD, "validate", str(control)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def guardrail_config(directory, plugin):
    os.makedirs(directory, exist_ok=True)
    config = directory / "refused.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
        plugins:
          - name: refused
            path: {plugin}
          - name: echo
            path: {os.path.abspath(os.path.join(BIN_DIR, "libProviderEcho.so"))}
        providers:
          - {{name: echo, plugin: echo, models: [echo-model]}}
        guardrails:
          - {{name: check, plugin: refused, phases: [request]}}
        """))
    return config
