"""A plugin written in C, built with the SDK's Makefile, served by the gateway: the ABI works
for more than our own Swift plugins."""

import os
import subprocess
import textwrap

import openai

from conftest import BIN_DIR, start_process, stop_process


def test_c_example_plugin_answers_through_the_gateway(c_plugin, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
        plugins:
          - name: static
            path: {c_plugin}
            config:
              text: We are closed on Sundays.
        providers:
          - name: static
            plugin: static
            models: [static-1]
        """))
    process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)])
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)
        reply = client.chat.completions.create(model="static-1", messages=[{"role": "user", "content": "open?"}])
        assert reply.choices[0].message.content == "We are closed on Sundays."
        chunks = list(client.chat.completions.create(
            model="static-1", messages=[{"role": "user", "content": "open?"}], stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == "We are closed on Sundays."
    finally:
        stop_process(process)


def test_c_example_rejects_a_bad_config_with_its_message(c_plugin, tmp_path):
    # The manifest's config_schema accepts any string; the plugin itself refuses escapes.
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent(f"""
        plugins:
          - name: static
            path: {c_plugin}
            config:
              text: 'say "hi"'
        providers:
          - name: static
            plugin: static
            models: [static-1]
        """))
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert '"text" must be a plain string without escapes' in result.stderr
