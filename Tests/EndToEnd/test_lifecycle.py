"""The gateway as an operator runs it: the embedded default config, validate, plugins inspect,
graceful shutdown on SIGTERM, and clients that go away mid-stream."""

import os
import signal
import subprocess
import textwrap

import openai

from conftest import BIN_DIR, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")


def run(*args, env=None):
    return subprocess.run([SWITCHYARD, *args], capture_output=True, text=True, timeout=60, env=env)


def client_for(port):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)


def test_embedded_default_config_serves_echo_without_keys():
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["SWITCHYARD_PORT"] = "0"
    process, port = start_process([SWITCHYARD, "serve"], env=env)
    try:
        client = client_for(port)
        assert [m.id for m in client.models.list()] == ["echo-1", "default"]
        reply = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "no keys"}])
        assert reply.choices[0].message.content == "no keys"
    finally:
        stop_process(process)


def test_embedded_default_config_enables_openai_with_a_key(mock_port):
    env = dict(os.environ, SWITCHYARD_PORT="0", OPENAI_API_KEY="sk-default-config",
               OPENAI_BASE_URL=f"http://127.0.0.1:{mock_port}/v1")
    process, port = start_process([SWITCHYARD, "serve"], env=env)
    try:
        reply = client_for(port).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "with a key"}])
        assert reply.choices[0].message.content == "mock: with a key"
    finally:
        stop_process(process)


def test_print_default_config_is_the_committed_file():
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "config", "switchyard.yaml")) as committed:
        assert run("print-default-config").stdout == committed.read()


def test_validate_accepts_a_good_config_and_names_file_line_column_otherwise(tmp_path):
    plugin_dir = os.path.abspath(BIN_DIR)
    good = tmp_path / "good.yaml"
    good.write_text(textwrap.dedent(f"""
        plugins:
          - name: echo
            path: {plugin_dir}/libProviderEcho.so
        providers:
          - name: echo
            plugin: echo
            models: [echo-1]
        """))
    result = run("validate", str(good))
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent(f"""
        plugins:
          - name: echo
            path: {plugin_dir}/libProviderEcho.so
            config:
              prefix: 42
        providers:
          - name: echo
            plugin: echo
            models: [echo-1]
        """))
    result = run("validate", str(bad))
    assert result.returncode == 1
    assert f"{bad}:3:" in result.stderr
    assert "prefix must be a string" in result.stderr


def test_plugins_inspect_reports_the_manifest():
    result = run("plugins", "inspect", os.path.join(os.path.abspath(BIN_DIR), "libProviderOpenAI.so"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dev.switchyard.provider.openai" in result.stdout
    assert "switchyard.provider/1" in result.stdout


def test_plugins_inspect_of_a_non_plugin_fails_clearly(tmp_path):
    not_a_library = tmp_path / "notes.so"
    not_a_library.write_text("not an ELF file")
    result = run("plugins", "inspect", str(not_a_library))
    assert result.returncode != 0
    assert "notes.so" in result.stdout + result.stderr


def slow_gateway(mock_port, tmp_path):
    config = tmp_path / "slow.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
          shutdown_grace: 10s
        plugins:
          - name: slow
            path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
              headers:
                x-mock-chunk-delay-ms: "100"
        providers:
          - name: slow
            plugin: slow
            models: [slow-model]
        """))
    return start_process([SWITCHYARD, "serve", "--config", str(config)])


def test_sigterm_drains_an_in_flight_stream(mock_port, tmp_path):
    process, port = slow_gateway(mock_port, tmp_path)
    try:
        stream = client_for(port).chat.completions.create(
            model="slow-model", messages=[{"role": "user", "content": "a b c d e f g h"}], stream=True)
        chunks = iter(stream)
        first = next(chunks)
        process.send_signal(signal.SIGTERM)
        rest = list(chunks)
        text = "".join(c.choices[0].delta.content or "" for c in [first, *rest] if c.choices)
        assert text == "mock: a b c d e f g h"
        assert process.wait(timeout=15) == 0
    finally:
        stop_process(process)


def test_client_leaving_mid_stream_is_logged_and_the_gateway_stays_up(mock_port, tmp_path):
    process, port = slow_gateway(mock_port, tmp_path)
    try:
        client = client_for(port)
        stream = client.chat.completions.create(
            model="slow-model", messages=[{"role": "user", "content": "a b c d e f g h i j"}], stream=True)
        next(iter(stream))
        stream.close()
        reply = client.chat.completions.create(model="slow-model", messages=[{"role": "user", "content": "still here"}])
        assert reply.choices[0].message.content == "mock: still here"
    finally:
        stop_process(process)
    assert "status=499" in process.stderr.read()
