"""`switchyard plugins validate PATH.so` through the real binary: every plugin we ship and every C
example and test plugin passes it (each with a config that works for it); each deliberately faulty
plugin (plugin-sdk/tests/faulty, one build per fault) fails it, naming the check that catches its
fault (and the signal, for a crash), while the checks its fault does not touch pass. For each faulty
plugin also what `switchyard validate CONFIG` and `switchyard serve` say: a fault at load time is a
clear message naming the entry and the file and a non-zero exit; a fault in a hook is not seen by
either (they load the plugin and create its instance, and run no hook: that is what `plugins
validate` is for). Usage errors exit 2 with a message."""

import json
import os
import re
import subprocess
import textwrap
import time

import pytest

from conftest import ASAN, BIN_DIR, ROOT, start_process, stop_process
from walkthrough_support import build_walkthrough

HERE = os.path.dirname(__file__)
SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
SDK_INCLUDE = os.path.join(ROOT, "plugin-sdk", "include")
VERSION_SCRIPT = os.path.join(ROOT, "plugin-sdk", "template", "plugin.version")

# Under AddressSanitizer a crash is ASan's report and exit status, not a signal, and resident
# memory means nothing (redzones, quarantine): the validator's crash and leak checks need the
# plain build.
pytestmark = pytest.mark.skipif(ASAN, reason="crash signals and resident memory are ASan's under e2e-asan")

NO_UPSTREAM = "http://127.0.0.1:9/v1"  # never contacted: the validator feeds fixtures

SHIPPED = {
    "ProviderEcho": {},
    "ProviderOpenAI": {"base_url": NO_UPSTREAM, "api_key_env": None},
    "ProviderAnthropic": {"base_url": "http://127.0.0.1:9", "api_key_env": None},
    "ProviderGemini": {"base_url": "http://127.0.0.1:9", "api_key_env": None},
    "GuardrailBlocklist": {"words": ["secret"]},
    "GuardrailSizeLimits": {"max_input_characters": 10000},
    "GuardrailSystemPrompt": {"text": "Be brief."},
    "GuardrailPII": {},
    "GuardrailLLMJudge": {"model": "judge-model"},
    "EnricherOpenAI": {},
    "EnricherAnthropic": {},
    "EnricherGemini": {},
    "BatchModels": {},
}

# The check each kind must pass (not skip) for the run to mean anything.
KIND_CHECKS = {
    "Provider": ["provider.chat", "provider.chat-stream", "concurrency.provider", "malformed.provider"],
    "Guardrail": ["guardrail.inspect", "concurrency.guardrail", "malformed.guardrail"],
    "Enricher": ["enricher.exchanges", "enricher.cut-short", "malformed.enricher"],
    "Batch": ["batch.lines", "batch.cut-short", "malformed.batch"],
}
COMMON_CHECKS = ["exports.entry-symbol", "exports.symbols-resolve", "negotiate.host-minor-0", "negotiate.other-major",
                 "manifest.interfaces", "instance.create-free", "instance.bad-configs", "handles.after-hook", "leak.calls"]


def compact(config):
    """The config as JSON without spaces (the C test plugins look for `"key":"` literally)."""
    return json.dumps(config, separators=(",", ":"))


def validate(path, *arguments, timeout=300):
    """The validator's run; a check may take up to 60 s (CI's two shared cores), unless the
    arguments say otherwise (the hang test gives 2 s)."""
    per_check = [] if "--timeout" in arguments else ["--timeout", "60"]
    return subprocess.run([SWITCHYARD, "plugins", "validate", str(path), "--seed", "4242", *per_check, *arguments],
                          capture_output=True, text=True, timeout=timeout)


def line_of(output, check):
    """The report line of `check` ("  ok    name", "  FAIL  name: ..."), or None."""
    for line in output.splitlines():
        if re.match(rf"^  (ok|FAIL|skip|warn)\s+{re.escape(check)}(:|$)", line):
            return line
    return None


def assert_passes(result, checks):
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^\d+ passed, 0 failed, \d+ skipped$", result.stdout, re.M), result.stdout
    for check in checks:
        assert line_of(result.stdout, check) == f"  ok    {check}", (check, result.stdout)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_plugin_passes(name):
    result = validate(os.path.abspath(os.path.join(BIN_DIR, f"lib{name}.so")), "--config", compact(SHIPPED[name]))
    kind = next(k for k in KIND_CHECKS if name.startswith(k))
    assert_passes(result, COMMON_CHECKS + KIND_CHECKS[kind])


def build_c(source, out, *defines):
    path = out / (os.path.basename(source)[:-2] + "".join("-" + d.lower() for d in defines) + ".so")
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden",
                    "-pthread", "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}"]
                   + [f"-D{d}" for d in defines] + ["-o", str(path), source], check=True, timeout=120)
    return path


TEST_PLUGINS = {
    "call_services_provider.c": ({"upstream": NO_UPSTREAM}, "Provider"),
    "slow_provider.c": ({"base_url": NO_UPSTREAM}, "Provider"),
    "test_guardrail.c": ({}, "Guardrail"),
    "test_enricher.c": ({"phases": 3}, "Enricher"),
    "test_batch_preparer.c": ({}, "Batch"),
}


def test_the_sdk_walkthroughs_provider_passes(tmp_path):
    # plugin-sdk/README.md tells its reader to run the validator on the provider it builds: the
    # walkthrough's own files, built by its own Makefile, must pass with the config it shows.
    path = build_walkthrough(tmp_path)
    assert_passes(validate(path, "--config", compact({"base_url": "http://x/v1"})), COMMON_CHECKS + KIND_CHECKS["Provider"])


@pytest.mark.parametrize("source", sorted(TEST_PLUGINS))
def test_every_c_test_plugin_passes(source, tmp_path):
    config, kind = TEST_PLUGINS[source]
    path = build_c(os.path.join(HERE, "plugins", source), tmp_path)
    assert_passes(validate(path, "--config", compact(config)), COMMON_CHECKS + KIND_CHECKS[kind])


def test_serialize_instance_is_warned_about_and_the_concurrency_check_still_runs(tmp_path):
    # The host calls every instance from every event loop at once, whatever the flag says: the
    # flag spares nothing. The loader tests' fixture sets it (its other hooks do not matter here).
    path = build_c(os.path.join(ROOT, "Tests", "SwitchyardPluginsTests", "Fixtures", "good_provider.c"), tmp_path)
    result = validate(path)
    assert ("  warn  concurrency.provider: SY_F_SERIALIZE_INSTANCE is not honoured by this host; "
            "the instance is called concurrently") in result.stdout, result.stdout
    ran = line_of(result.stdout, "concurrency.provider")
    assert ran is not None and not ran.startswith("  skip"), result.stdout


# Every C example (each folder of plugin-sdk/examples/c with a Makefile): its library, a config
# that works for it, its kind. An example without an entry here fails the test: add one.
EXAMPLES = {
    "provider-static": ("libprovider_static.so", {"text": "We are closed on Sundays."}, "Provider"),
    "guardrail-deny": ("libguardrail_deny.so", {"word": "classified"}, "Guardrail"),
    "enricher-usage": ("libenricher_usage.so", {}, "Enricher"),
    "batch-max-tokens": ("libbatch_max_tokens.so", {"max_tokens": 256}, "Batch"),
}
EXAMPLE_DIRS = sorted(d for d in os.listdir(os.path.join(ROOT, "plugin-sdk", "examples", "c"))
                      if os.path.exists(os.path.join(ROOT, "plugin-sdk", "examples", "c", d, "Makefile")))


@pytest.mark.parametrize("example", EXAMPLE_DIRS)
def test_every_c_example_passes(example, tmp_path):
    assert example in EXAMPLES, f"plugin-sdk/examples/c/{example}: add its library, config and kind to EXAMPLES"
    library, config, kind = EXAMPLES[example]
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "plugin-sdk", "examples", "c", example), f"OUT={tmp_path}"],
                   check=True, timeout=120)
    assert_passes(validate(tmp_path / library, "--config", compact(config)), COMMON_CHECKS + KIND_CHECKS[kind])


# The Rust SDK's examples (plugin-sdk/rust/examples), built by the SDK's own script.
RUST_EXAMPLES = {
    "librust_provider_openai.so": ({"base_url": NO_UPSTREAM}, "Provider"),
    "librust_guardrail_words.so": ({"words": ["secret"]}, "Guardrail"),
}


@pytest.mark.parametrize("library", sorted(RUST_EXAMPLES))
def test_every_rust_example_passes(library):
    subprocess.run([os.path.join(ROOT, "scripts/build-rust-sdk.sh"), "--no-test"], check=True, timeout=900,
                   stdout=subprocess.DEVNULL)
    config, kind = RUST_EXAMPLES[library]
    result = validate(os.path.join(ROOT, ".build/rust/release", library), "--config", compact(config))
    assert_passes(result, COMMON_CHECKS + KIND_CHECKS[kind])


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """faulty(name) -> path of plugin-sdk/tests/faulty built for that fault (all built once)."""
    out = tmp_path_factory.mktemp("faulty")
    subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "plugin-sdk", "tests", "faulty"), f"OUT={out}"], check=True, timeout=300)
    return lambda name: out / f"libfaulty_{name}.so"


def test_the_faulty_plugin_without_a_fault_passes(faulty):
    result = validate(faulty("none"))
    assert_passes(result, COMMON_CHECKS + ["provider.chat", "provider.chat-stream", "provider.cancel-mid-stream"])
    # Its generate checks call_cancelled once the sink answers SY_E_CANCELLED (else it returns
    # SY_E_INTERNAL, which the check would warn about): the validator cancels the call there.
    assert "warn  provider.cancel-mid-stream" not in result.stdout, result.stdout


def test_the_faulty_guardrail_without_a_fault_passes(faulty):
    assert_passes(validate(faulty("guardrail_none")), COMMON_CHECKS + KIND_CHECKS["Guardrail"])


def test_the_faulty_upstream_plugin_without_a_fault_passes(faulty):
    assert_passes(validate(faulty("upstream_none")), COMMON_CHECKS + [
        "provider.chat", "provider.chat-stream", "provider.stream.random-splits", "provider.upstream-errors",
        "provider.cancel-mid-stream", "provider.state-freed-once"])


# fault -> (the check that must fail, what its line must say, checks that must still pass)
RUNTIME = ["exports.entry-symbol", "negotiate.host-minor-0", "manifest.interfaces", "instance.bad-configs"]
FAULTS = {
    "segfault": ("provider.chat", "the plugin crashed the validating process: SIGSEGV", RUNTIME),
    "abort": ("provider.chat", "the plugin crashed the validating process: SIGABRT", RUNTIME),
    "hang": ("provider.chat", "did not finish within 2.0 s (a hang; the validating process was killed)", RUNTIME),
    "leak": ("leak.calls", "resident memory grew", RUNTIME + ["provider.chat", "concurrency.provider", "handles.after-hook"]),
    "bad_json": ("provider.chat", "wrote output the gateway refused: SY_OUT_JSON (the response) is not a JSON object", RUNTIME),
    "bad_utf8": ("provider.chat", "is not a JSON object: invalid UTF-8", RUNTIME + ["leak.calls"]),
    "sink_after_end": ("handles.after-hook", "a handle used after its hook returned, during generate (round 1): sink_write",
                       RUNTIME + ["provider.chat"]),
    "wrong_abi": ("negotiate.host-minor-0", "the plugin refused ABI 1.0: it is built for ABI 2.x", ["exports.entry-symbol", "exports.symbols-resolve"]),
    "missing_symbol": ("exports.entry-symbol", "missing symbol: sy_plugin_entry is not exported", ["exports.shared-object", "exports.symbols-resolve"]),
    "unresolved": ("exports.symbols-resolve", "unresolved symbol sy_faulty_undefined_function", ["exports.shared-object", "exports.entry-symbol"]),
    "ignore_cancel": ("provider.cancel-mid-stream", "the plugin went on to return SY_OK", RUNTIME + ["provider.chat", "leak.calls"]),
    "any_config": ("instance.bad-configs", "accepted a bad config (not an object (an array)): []", RUNTIME[:3] + ["provider.chat"]),
    "instance_leak": ("instance.create-free", "1 allocation(s) of", RUNTIME + ["provider.chat"]),
    "config_crash": ("instance.malformed-configs", "the plugin crashed the validating process: SIGABRT", RUNTIME + ["provider.chat"]),
    "request_crash": ("malformed.provider", "the plugin crashed the validating process: SIGSEGV", RUNTIME + ["provider.chat", "leak.calls"]),
    "any_interface": ("manifest.unknown-interface", "get_interface returned a table for an interface id it does not know", RUNTIME + ["provider.chat"]),
    "not_reentrant": ("concurrency.provider", "generate failed with SY_E_INTERNAL: generate is already running", RUNTIME + ["provider.chat", "leak.calls"]),
    "guardrail_pause_forever": ("guardrail.inspect", "request phase: inspect returned SY_PAUSE and did not resume within 2.0 s",
                                RUNTIME[:3] + ["instance.bad-configs"]),
    "guardrail_bad_reject": ("guardrail.inspect", "request phase: verdict_reject with HTTP status 200 (0 or 400-599)", RUNTIME + ["leak.calls"]),
    "guardrail_bad_patch": ("guardrail.inspect", "verdict_patch(REPLACE) with a document that is not a JSON object", RUNTIME + ["leak.calls"]),
    "upstream_split_sensitive": ("provider.stream.random-splits", "output differs from the whole feed at split 0 (seed 4242) of openai.sse",
                                 RUNTIME + ["provider.chat", "provider.upstream-errors"]),
    "upstream_error_ok": ("provider.upstream-errors", "upstream error.429: the transformer returned SY_OK (SY_E_UPSTREAM expected)",
                          RUNTIME + ["provider.chat-stream", "provider.stream.random-splits", "provider.state-freed-once"]),
}


# Faults that touch one check only: exactly that one fails (the crash, hang and output faults of
# generate fail every check that calls it; the load-time faults every check after exports).
ONLY_ONE_FAILURE = {"leak", "ignore_cancel", "any_config", "instance_leak", "config_crash", "request_crash", "any_interface",
                    "not_reentrant", "upstream_split_sensitive", "upstream_error_ok"}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_faulty_plugin_fails_on_its_check(fault, faulty):
    check, says, still_passing = FAULTS[fault]
    result = validate(faulty(fault), *(["--timeout", "2"] if fault == "hang" else ["--timeout", "4"] if fault == "guardrail_pause_forever" else []))
    assert result.returncode == 1, result.stdout + result.stderr
    line = line_of(result.stdout, check)
    assert line is not None and line.startswith(f"  FAIL  {check}: ") and says in line, result.stdout
    for other in still_passing:
        assert line_of(result.stdout, other) == f"  ok    {other}", (other, result.stdout)
    failed = int(re.search(r"^\d+ passed, (\d+) failed, \d+ skipped$", result.stdout, re.M).group(1))
    assert failed == sum(1 for l in result.stdout.splitlines() if l.startswith("  FAIL  "))
    if fault in ONLY_ONE_FAILURE:
        assert failed == 1, result.stdout


def test_a_crash_is_followed_by_the_next_check_in_a_new_process(faulty):
    # The segfault plugin crashes every check that calls generate; the checks after each still run.
    result = validate(faulty("segfault"))
    crashed = [l for l in result.stdout.splitlines() if "SIGSEGV" in l]
    assert len(crashed) >= 4, result.stdout
    assert line_of(result.stdout, "handles.after-hook").startswith("  FAIL  ")
    assert "skip  guardrail.inspect: not a guardrail" in result.stdout


def test_a_crash_ends_with_what_the_plugin_wrote_last(faulty):
    # The abort fault prints why on stderr before it aborts: the author reads it under the failure.
    result = validate(faulty("abort"))
    lines = result.stdout.splitlines()
    at = lines.index(line_of(result.stdout, "provider.chat"))
    assert lines[at].endswith("its last output:"), result.stdout
    assert lines[at + 1] == "        | faulty: generate gives up (FAULT_ABORT)", result.stdout


def test_a_crash_is_reported_at_once_though_a_helper_keeps_the_pipes_open(faulty, tmp_path):
    # The plugin forks a helper that sleeps holding the validator's pipes, then crashes: the
    # crash is seen when the child ends (not when the pipes close: a 20 s "hang" each), and the
    # helper dies with the child's process group.
    pids = tmp_path / "helpers"
    started = time.monotonic()
    result = subprocess.run([SWITCHYARD, "plugins", "validate", str(faulty("crash_with_helper")), "--seed", "4242", "--timeout", "20"],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "FAULTY_HELPER_PIDS": str(pids)})
    elapsed = time.monotonic() - started
    line = line_of(result.stdout, "provider.chat")
    assert line is not None and "the plugin crashed the validating process: SIGSEGV" in line, result.stdout
    assert elapsed < 20, f"{elapsed:.1f} s: a crash waited for the helper's pipes"
    helpers = [int(pid) for pid in pids.read_text().split()]
    assert len(helpers) >= 2, result.stdout
    for pid in helpers:
        assert process_gone(pid), f"helper {pid} outlived the validator"


def test_a_hanging_child_dies_with_a_killed_validator(faulty):
    # The validator is killed (SIGKILL: no clean-up of its own) while its child hangs in generate:
    # the child's parent-death signal ends it too.
    validator = subprocess.Popen([SWITCHYARD, "plugins", "validate", str(faulty("hang")), "--timeout", "60"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        children = []
        while not children and time.monotonic() < deadline:
            time.sleep(0.2)
            with open(f"/proc/{validator.pid}/task/{validator.pid}/children") as listed:
                children = [int(pid) for pid in listed.read().split()]
        assert children, "the validator started no child"
        time.sleep(1)  # into the hanging check (the earlier ones take milliseconds)
        with open(f"/proc/{validator.pid}/task/{validator.pid}/children") as listed:
            children = [int(pid) for pid in listed.read().split()] or children
    finally:
        validator.kill()
        validator.wait()
    for pid in children:
        assert process_gone(pid), f"child {pid} outlived the killed validator"


def process_gone(pid, timeout=5.0):
    """True once `pid` has ended (gone, or a zombie its new parent has not reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def config_with(plugin_path):
    return textwrap.dedent(f"""
        server:
          port: 0
        plugins:
          - name: faulty
            path: {plugin_path}
        providers:
          - name: faulty
            plugin: faulty
            models: [faulty-1]
        """)


LOAD_TIME = {
    "wrong_abi": "plugin is built for ABI 2.x, host provides 1.1",
    "missing_symbol": "not a Switchyard plugin: it does not export sy_plugin_entry",
    "unresolved": "undefined symbol: sy_faulty_undefined_function",
}


@pytest.mark.parametrize("fault", sorted(LOAD_TIME))
def test_load_time_faults_stop_validate_and_serve_naming_entry_and_file(fault, faulty, tmp_path):
    path = faulty(fault)
    config = tmp_path / "faulty.yaml"
    config.write_text(config_with(path))
    expected = f'plugin "faulty" ({path}): '
    checked = subprocess.run([SWITCHYARD, "validate", str(config)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert expected in checked.stderr and LOAD_TIME[fault] in checked.stderr, checked.stderr
    served = subprocess.run([SWITCHYARD, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert served.returncode != 0
    assert "listening on" not in served.stdout
    assert expected in served.stderr and LOAD_TIME[fault] in served.stderr, served.stderr


@pytest.mark.parametrize("fault", sorted(f for f in set(FAULTS) - set(LOAD_TIME) if not f.startswith("guardrail_")))
def test_hook_faults_pass_validate_and_serve_which_run_no_hook(fault, faulty, tmp_path):
    # Config validation and start-up load the plugin and create its instance; the fault is in
    # generate, which neither calls: only `plugins validate` (or process isolation) finds it.
    config = tmp_path / "faulty.yaml"
    config.write_text(config_with(faulty(fault)))
    checked = subprocess.run([SWITCHYARD, "validate", str(config)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and ": ok (1 plugins, 1 providers" in checked.stdout, checked.stdout + checked.stderr
    process, _ = start_process([SWITCHYARD, "serve", "--config", str(config)])
    stop_process(process)


@pytest.mark.parametrize("arguments, says", [
    ([], "no plugin given"),
    (["/x.so", "--config", "{not json"], "--config is not valid JSON"),
    (["/x.so", "--config", "[1]"], "--config must be a JSON object"),
    (["/x.so", "--seed", "-3"], "--seed needs a non-negative integer"),
    (["/x.so", "--timeout", "0"], "--timeout needs seconds"),
    (["/x.so", "--fixture", "/nonexistent/fixture.json"], "--fixture /nonexistent/fixture.json: cannot read it"),
    (["/x.so", "--bogus"], 'unexpected argument "--bogus"'),
])
def test_usage_errors_exit_2_with_a_message(arguments, says):
    result = subprocess.run([SWITCHYARD, "plugins", "validate", *arguments], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert says in result.stderr and "usage: switchyard plugins validate PATH.so" in result.stderr, result.stderr


def test_a_missing_file_fails_the_exports_check(tmp_path):
    result = validate(tmp_path / "nothing.so")
    assert result.returncode == 1
    assert line_of(result.stdout, "exports.shared-object").startswith("  FAIL  exports.shared-object: ")


def test_a_plugin_fixture_is_taken_and_a_bad_one_is_a_usage_error(tmp_path):
    fixture = tmp_path / "own.json"
    fixture.write_text(json.dumps({"name": "own", "stream": False, "body": json.dumps(
        {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "own"}, "finish_reason": "stop"}]})}))
    openai = os.path.abspath(os.path.join(BIN_DIR, "libProviderOpenAI.so"))
    result = validate(openai, "--config", compact(SHIPPED["ProviderOpenAI"]), "--fixture", str(fixture))
    assert result.returncode == 0, result.stdout
    fixture.write_text(json.dumps({"name": "own", "status": 42, "body": "x"}))
    bad = validate(openai, "--fixture", str(fixture))
    assert bad.returncode == 2 and '"status" must be an HTTP status' in bad.stderr, bad.stderr
