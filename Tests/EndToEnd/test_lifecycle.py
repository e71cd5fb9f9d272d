"""The gateway as an operator runs it: the embedded default config, validate, plugins inspect,
graceful shutdown on SIGTERM, and clients that go away mid-stream."""

import json
import os
import socket
import signal
import subprocess
import textwrap
import time

import openai

from conftest import ASAN, BIN_DIR, start_process, stop_process

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
    assert f"{bad}:6:15: plugins[0].config.prefix: expected a string, got the number 42" in result.stderr


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


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_client_reading_slowly_holds_the_upstream_back_instead_of_filling_memory(mock_port, tmp_path):
    # 100,000 stream events (~15 MB) from an upstream that sends as fast as it can, to a client
    # that stops reading after the first bytes: the gateway pauses the upstream once 256 KiB
    # wait for the client, so its memory stays flat; when the client reads on, all of it arrives.
    config = tmp_path / "flood.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
          loops: 1
        plugins:
          - name: flood
            path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
              headers:
                x-mock-chunks: "100000"
        providers:
          - name: flood
            plugin: flood
            models: [flood-model]
        """))
    process, port = start_process([SWITCHYARD, "serve", "--config", str(config)])
    try:
        before = rss_kib(process.pid)
        body = json.dumps({"model": "flood-model", "stream": True, "messages": [{"role": "user", "content": "x"}]}).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            received = connection.recv(4096)
            time.sleep(2)  # not reading: the upstream has long finished sending into the gateway
            held = rss_kib(process.pid) - before
            while not received.endswith(b"0\r\n\r\n"):
                chunk = connection.recv(1 << 20)
                assert chunk, "the gateway closed the stream early"
                received += chunk
        assert ASAN or held < 8 * 1024, f"gateway grew by {held} KiB while the client was not reading"
        assert received.count(b"data: {") == 100_000 + 2  # the role chunk, 100,000 chunks, the finish chunk
        assert received.count(b"data: [DONE]") == 1
    finally:
        stop_process(process)
