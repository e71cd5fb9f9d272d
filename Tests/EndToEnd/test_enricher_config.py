"""The `enrichers:` section through the real binary, with the C test enricher built here
(plugins/test_enricher.c): `switchyard validate` loads an enricher and counts it, refuses an
entry whose plugin is no enricher, one whose manifest declares blocking_hooks, and bad entries,
each with file:line; `switchyard serve` starts with enrichers loaded and translated traffic is
untouched by them (enrichers observe passthrough and native calls only)."""

import json
import os
import re
import subprocess

import pytest

from conftest import BIN_DIR
from test_slow_hooks import ECHO, HERE, SDK_INCLUDE, VERSION_SCRIPT, gateway  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(*defines) -> path of test_enricher.c built with those -D flags (once each)."""
    out = tmp_path_factory.mktemp("test-enricher")
    built = {}

    def make(*defines):
        if defines not in built:
            path = out / ("libtest_enricher-" + "-".join(d.lower() for d in defines or ("plain",)) + ".so")
            subprocess.run(
                ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden", "-pthread",
                 "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}"]
                + [f"-D{d}" for d in defines] + ["-o", str(path), os.path.join(HERE, "plugins", "test_enricher.c")],
                check=True, timeout=120,
            )
            built[defines] = str(path)
        return built[defines]

    return make


def config(enricher, enrichers, extra_plugins=""):
    """The echo provider (as `echo` and `other`) and the test enricher as plugin `usage`;
    enrichers = the `enrichers:` YAML list (its first entry on line 11, plus one line for each
    line of extra_plugins)."""
    return f"""server: {{port: 0, loops: 1}}
plugins:
  - {{name: echo, path: {ECHO}}}
  - {{name: usage, path: {enricher}, config: {json.dumps({"phases": 3})}}}
{extra_plugins}providers:
  - {{name: echo, plugin: echo, models: [echo-1]}}
  - {{name: other, plugin: echo, models: [other-1]}}
aliases: {{}}
guardrails: []
enrichers:
{enrichers}
"""


def validate(tmp_path, text):
    path = tmp_path / "e.yaml"
    path.write_text(text)
    return subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(path)], capture_output=True, text=True, timeout=60)


def test_validate_loads_enrichers_and_counts_them(build, tmp_path):
    good = validate(tmp_path, config(build(), "  - {plugin: usage}\n  - {name: echo-only, plugin: usage, providers: [echo], deadline: 5ms}"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ok (2 plugins, 2 providers, 0 guardrails, 2 enrichers, 0 aliases)" in good.stdout, good.stdout


def test_an_entry_whose_plugin_is_no_enricher_names_the_entry_and_its_line(build, tmp_path):
    result = validate(tmp_path, config(build(), "  - {name: e, plugin: echo}"))
    assert result.returncode == 1
    assert re.search(r'e\.yaml:11:5: enrichers\[e\]: plugin "echo" does not implement switchyard\.enricher/1', result.stderr), result.stderr


def test_an_enricher_plugin_declaring_blocking_hooks_is_refused(build, tmp_path):
    plugin = f"  - {{name: blocky, path: {build('TEST_ENRICHER_BLOCKING_HOOKS')}}}\n"
    result = validate(tmp_path, config(build(), "  - {plugin: blocky}", extra_plugins=plugin))
    assert result.returncode == 1
    assert ('e.yaml:12:5: enrichers[blocky]: plugin "blocky" declares blocking_hooks (response), but an enricher\'s hooks '
            "always run on the event loop and must not block; an enricher cannot use blocking_hooks") in result.stderr, result.stderr


@pytest.mark.parametrize("entry, message", [
    ("  - {plugin: usag}", 'e.yaml:11:14: enrichers[0].plugin: unknown plugin "usag" (known: echo, usage)'),
    ("  - {plugin: usage, providers: [eco]}", 'e.yaml:11:33: enrichers[0].providers[0]: unknown provider "eco" (did you mean "echo"? known: echo, other)'),
    ("  - {plugin: usage}\n  - {plugin: usage}",
     'e.yaml:12:14: enrichers[1].plugin: duplicate enricher name "usage" (first used at line 11); an enricher\'s name defaults to its plugin: '
     'give each entry using plugin "usage" its own name'),
    ("  - {plugin: usage, deadline: 20}", "e.yaml:11:31: enrichers[0].deadline: must be at most 1s: an enricher's hooks run on the event loop, inline with the traffic"),
    ("  - {plugin: usage, deadline: 20 ms}", None),
    ("  - {plugin: usage, timeout: 20ms}", 'e.yaml:11:21: enrichers[0].timeout: unknown key (known keys: name, plugin, providers, deadline, enabled)'),
])
def test_bad_entries_are_config_errors_with_file_and_line(build, tmp_path, entry, message):
    result = validate(tmp_path, config(build(), entry))
    if message is None:
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1
    assert message in result.stderr, result.stderr


def test_serve_starts_with_enrichers_and_translated_traffic_is_untouched(build, gateway):
    gw = gateway(config(build(), "  - {plugin: usage}\n  - {name: other-usage, plugin: usage, providers: [other]}"))
    reply = gw.client().chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content == "hello"
    assert "begin " not in gw.log()  # the translated route observes nothing
