"""Every shipped config (config/examples/*.yaml and config/switchyard.yaml) passes
`switchyard validate`, plugins loaded, in a clean environment holding only the variables the
file's header lists under "# Environment", each set to a dummy value (a `*_SHA256` pin to the
digest of the library its line names). SWITCHYARD_PLUGIN_DIR is left unset: its default, the
switchyard executable's folder, applies to a config given by path as to the embedded one."""

import glob
import hashlib
import os
import re
import subprocess

import openai
import pytest

from conftest import BIN_DIR, ROOT, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
DEFAULT_CONFIG = os.path.abspath(os.path.join(ROOT, "config", "switchyard.yaml"))
CONFIGS = sorted(glob.glob(os.path.join(os.path.abspath(ROOT), "config", "examples", "*.yaml"))) + [DEFAULT_CONFIG]


def clean_environment(**variables):
    """Only what a process needs to run, plus `variables`: no SWITCHYARD_PLUGIN_DIR, no keys.
    The sanitizer settings of scripts/e2e-asan.sh pass through (without them LeakSanitizer runs
    with its defaults and reports what the process holds at exit)."""
    kept = ("PATH", "HOME", "LANG", "TMPDIR", "ASAN_OPTIONS", "SWIFT_BACKTRACE")
    env = {name: os.environ[name] for name in kept if name in os.environ}
    env.update(variables)
    return env


def header_variables(path):
    """The header's "# Environment" block: one `#   NAME  description` line per variable."""
    with open(path) as file:
        lines = file.read().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("# Environment")), None)
    assert start is not None, f"{path}: the header has no '# Environment' line"
    variables = {}
    for line in lines[start + 1:]:
        match = re.match(r"#\s{2,}([A-Z][A-Z0-9_]*)\s+(.*)", line)
        if not match:
            break
        variables[match.group(1)] = match.group(2)
    return variables


def dummy(name, description):
    if name.endswith("_SHA256"):
        library = re.search(r"lib\w+\.so", description).group(0)
        with open(os.path.join(BIN_DIR, library), "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()
    return f"dummy-{name.lower()}"


@pytest.mark.parametrize("path", CONFIGS, ids=os.path.basename)
def test_every_shipped_config_validates_with_its_plugins_loaded(path):
    variables = header_variables(path)
    env = clean_environment(**{name: dummy(name, text) for name, text in variables.items()})
    result = subprocess.run([SWITCHYARD, "validate", path], capture_output=True, text=True, timeout=60, env=env, cwd="/")
    assert result.returncode == 0, result.stderr
    loaded = int(re.search(r": ok \((\d+) plugins", result.stdout).group(1))
    with open(path) as file:
        plugins_section = file.read().split("\nplugins:")[1].split("\nproviders:")[0]
    entries = len(re.findall(r"^  - ", plugins_section, re.M))
    assert loaded == entries, f"{path}: {loaded} of {entries} plugin entries loaded; list the variables that turn the others on"


def test_the_header_lists_every_variable_a_config_needs():
    """A variable the file reads without a default must be in its header (validate would say
    so too, but this names the file and the variable)."""
    for path in CONFIGS:
        with open(path) as file:
            text = "\n".join(line for line in file.read().splitlines() if not line.lstrip().startswith("#"))
        needed = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)) - {"SWITCHYARD_PLUGIN_DIR"}
        assert needed <= set(header_variables(path)), f"{path}: {sorted(needed - set(header_variables(path)))}"


def test_the_default_config_by_path_validates_in_a_clean_environment():
    result = subprocess.run([SWITCHYARD, "validate", DEFAULT_CONFIG], capture_output=True, text=True, timeout=60,
                            env=clean_environment(), cwd="/")
    assert result.returncode == 0, result.stderr
    assert "ok (1 plugins, 1 providers, 0 guardrails, 1 aliases)" in result.stdout


def test_the_default_config_by_path_serves_in_a_clean_environment():
    process, port = start_process([SWITCHYARD, "serve", "--config", DEFAULT_CONFIG], env=clean_environment(SWITCHYARD_PORT="0"))
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)
        reply = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "by path"}])
        assert reply.choices[0].message.content == "by path"
    finally:
        stop_process(process)
