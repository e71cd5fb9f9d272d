"""`switchyard validate` loads plugins in a child process: a plugin that crashes or hangs while
loading is reported by config entry, file, position and signal, and validate exits 1. `serve`
loads in-process: the same plugin takes it down, and its last log line names the plugin."""

import os
import signal
import subprocess
import textwrap

import pytest

from conftest import ASAN, BIN_DIR, ROOT

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
PLUGIN_DIR = os.path.abspath(BIN_DIR)
FIXTURES = os.path.join(ROOT, "Tests/SwitchyardPluginsTests/Fixtures")
# Under scripts/e2e-asan.sh, AddressSanitizer would catch the fixtures' deliberate segfaults,
# write a report (which fails that run) and exit instead of dying by the signal: leave SIGSEGV
# to the kernel, as in a normal build.
ENV = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":handle_segv=0") if ASAN else dict(os.environ)


def build_fixture(out_dir, source, *defines):
    output = out_dir / ("lib" + "-".join([source, *defines]) + ".so")
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-fPIC", "-fvisibility=hidden", "-shared",
         "-I", os.path.join(ROOT, "plugin-sdk/include"), "-I", FIXTURES,
         *[f"-D{d}" for d in defines], "-o", str(output), os.path.join(FIXTURES, source + ".c")],
        check=True, timeout=60)
    return output


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    out = tmp_path_factory.mktemp("misbehaving")
    return {
        "crash_on_load": build_fixture(out, "crash_on_load"),
        "hang_on_load": build_fixture(out, "misbehaving", "FIXTURE_HANG_ON_LOAD"),
        "crash_in_instance_new": build_fixture(out, "misbehaving", "FIXTURE_CRASH_IN_INSTANCE_NEW"),
    }


def config_with(tmp_path, plugin_path):
    """echo (fine) first, then the plugin under test as entry "broken" at line 6."""
    path = tmp_path / "switchyard.yaml"
    path.write_text(textwrap.dedent(f"""\
        server:
          port: 0
        plugins:
          - name: echo
            path: {PLUGIN_DIR}/libProviderEcho.so
          - name: broken
            path: {plugin_path}
        providers:
          - name: echo
            plugin: echo
            models: [echo-1]
        """))
    return path


def validate(*args, timeout=60):
    return subprocess.run([SWITCHYARD, "validate", *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def test_a_plugin_crashing_in_its_constructor_is_named_with_the_signal(tmp_path, fixtures):
    plugin = fixtures["crash_on_load"]
    path = config_with(tmp_path, plugin)
    result = validate(str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f'switchyard: {path}:6:5: plugin "broken" ({plugin}): crashed the validating process with SIGSEGV '
        "(Segmentation fault) while loading the library (its constructors, then sy_plugin_entry)")
    assert "Backtracing" not in result.stderr


def test_a_crash_in_instance_new_names_the_step(tmp_path, fixtures):
    plugin = fixtures["crash_in_instance_new"]
    path = config_with(tmp_path, plugin)
    result = validate(str(path))
    assert result.returncode == 1
    assert f'{path}:6:5: plugin "broken" ({plugin}): crashed the validating process with SIGSEGV' in result.stderr
    assert "while creating its instance (instance_new)" in result.stderr


def test_a_plugin_hanging_while_loading_is_killed_after_the_timeout(tmp_path, fixtures):
    plugin = fixtures["hang_on_load"]
    path = config_with(tmp_path, plugin)
    result = validate("--plugin-timeout", "1", str(path), timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'switchyard: {path}:6:5: plugin "broken" ({plugin}): did not finish loading the library '
        "(its constructors, then sy_plugin_entry) within 1 s; the validating process was killed")


def test_validate_still_reports_load_errors_and_plugin_messages(tmp_path):
    missing = config_with(tmp_path, "/nonexistent/libnothing.so")
    result = validate(str(missing))
    assert result.returncode == 1
    assert f'{missing}:6:5: plugin "broken" (/nonexistent/libnothing.so): no such file' in result.stderr

    refused = tmp_path / "refused.yaml"
    refused.write_text(textwrap.dedent(f"""\
        plugins:
          - name: openai
            path: {PLUGIN_DIR}/libProviderOpenAI.so
            config:
              base_url: ftp://example.com
              api_key_env: null
        providers:
          - name: openai
            plugin: openai
            models: [m]
        """))
    result = validate(str(refused))
    assert result.returncode == 1
    assert f'{refused}:2:5: plugin "openai"' in result.stderr
    assert "plugin rejected its config: base_url must start with http:// or https://" in result.stderr


def test_validate_usage(tmp_path):
    assert validate().returncode == 2
    assert validate("--plugin-timeout", "0", "x.yaml").returncode == 2


def test_serve_loads_in_process_and_dies_with_the_plugin_naming_it_last(tmp_path, fixtures):
    path = config_with(tmp_path, fixtures["crash_on_load"])
    env = dict(ENV, SWIFT_BACKTRACE="enable=no")
    serve = subprocess.run([SWITCHYARD, "serve", "--config", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert serve.returncode == -signal.SIGSEGV
    assert "listening on" not in serve.stdout
    last = serve.stderr.strip().splitlines()[-1]
    assert last == f'level=info msg="loading plugin" plugin=broken path={fixtures["crash_on_load"]}'
