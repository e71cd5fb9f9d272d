"""A plugin entry's config is checked by the host against the plugin's manifest config_schema
before instance_new, by `validate` and `serve` alike, and the error names the YAML key's
file:line:column."""

import os
import subprocess
import textwrap

import pytest

from conftest import BIN_DIR

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
PLUGIN_DIR = os.path.abspath(BIN_DIR)


def config_file(tmp_path, plugin_yaml):
    """A config with one plugin entry (`plugin_yaml`, starting at line 4) serving model m."""
    path = tmp_path / "switchyard.yaml"
    path.write_text("server:\n  port: 0\nplugins:\n" + textwrap.indent(textwrap.dedent(plugin_yaml).strip("\n"), "  ") + textwrap.dedent("""
        providers:
          - name: p
            plugin: p
            models: [m]
        """))
    return path


def both_refuse(path):
    """Runs validate and serve on `path`; both must exit 1 with the same message on stderr."""
    validate = subprocess.run([SWITCHYARD, "validate", str(path)], capture_output=True, text=True, timeout=60)
    serve = subprocess.run([SWITCHYARD, "serve", "--config", str(path)], capture_output=True, text=True, timeout=60)
    assert validate.returncode == 1, validate.stdout + validate.stderr
    assert serve.returncode == 1, serve.stdout + serve.stderr
    assert "listening on" not in serve.stdout
    message = validate.stderr.strip().removeprefix("switchyard: ")
    assert message in serve.stderr
    return message


CASES = {
    "unknown key": (
        f"""
        - name: p
          path: {PLUGIN_DIR}/libProviderOpenAI.so
          config:
            base_url: http://127.0.0.1:1/v1
            api_key_env: null
            base_ulr: http://typo
        """,
        ':9:7: plugins[0].config.base_ulr: unknown key (did you mean "base_url"?) [config_schema of plugin "p"]',
    ),
    "wrong type": (
        f"""
        - name: p
          path: {PLUGIN_DIR}/libProviderEcho.so
          config:
            prefix: 42
        """,
        ':7:15: plugins[0].config.prefix: expected a string, got the number 42 (quote it to pass a string) [config_schema of plugin "p"]',
    ),
    "nested wrong type": (
        f"""
        - name: p
          path: {PLUGIN_DIR}/libProviderAnthropic.so
          config:
            api_key_env: null
            headers:
              X-Team: e2e
              X-Retries: 3
        """,
        ':10:20: plugins[0].config.headers.X-Retries: expected a string, got the number 3',
    ),
    "array item": (
        f"""
        - name: p
          path: {PLUGIN_DIR}/libProviderAnthropic.so
          config:
            api_key_env: null
            beta: [tools-2024, 2025]
        """,
        ":8:26: plugins[0].config.beta[1]: expected a string, got the number 2025",
    ),
    "bad enum": (
        f"""
        - name: p
          path: {PLUGIN_DIR}/libProviderOpenAI.so
          config:
            api_key_env: null
            flavor: azur
        """,
        ':8:15: plugins[0].config.flavor: expected one of "openai", "azure", got the string "azur" (did you mean "azure"?)',
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_config_the_schema_refuses_fails_validate_and_serve_at_its_key(tmp_path, case):
    plugin_yaml, expected = CASES[case]
    path = config_file(tmp_path, plugin_yaml)
    assert f"{path}{expected}" in both_refuse(path)


def test_a_missing_required_key_points_at_the_config(tmp_path, c_plugin):
    path = config_file(tmp_path, f"""
        - name: p
          path: {c_plugin}
          config:
            txt: typo
        """)
    # The example's schema allows extra keys, so the typo itself passes; the missing key does not.
    assert f'{path}:7:7: plugins[0].config: missing required key "text" [config_schema of plugin "p"]' in both_refuse(path)

    absent = config_file(tmp_path, f"""
        - name: p
          path: {c_plugin}
        """)
    assert f'{absent}:4:5: plugins[0].config: missing required key "text"' in both_refuse(absent)


def test_a_config_the_schema_accepts_validates(tmp_path, c_plugin):
    path = config_file(tmp_path, f"""
        - name: p
          path: {c_plugin}
          config:
            text: open
        """)
    result = subprocess.run([SWITCHYARD, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
