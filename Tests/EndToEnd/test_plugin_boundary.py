"""The plugin boundary against the real gateway: C plugins that break the output rules on purpose
(Tests/SwitchyardPluginsTests/Fixtures/faulty_provider.c, built here with cc) and an upstream
that sends a broken stream event through the openai plugin, while other clients stream from echo
and the mock. Whatever a plugin does, the gateway must not crash, no byte may reach another
client's response, the client gets a clean error in its own format, the plugin sees the error
status, and the log names the plugin."""

import http.client
import http.server
import json
import os
import subprocess
import textwrap
import threading
import time

import pytest

from conftest import BIN_DIR, loopback_server, start_process, stop_process

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FAULTY_SOURCE = os.path.join(ROOT, "Tests/SwitchyardPluginsTests/Fixtures/faulty_provider.c")
FAULTS = ["keep-sink", "keep-sink-stream", "bad-utf8", "second-whole", "bad-usage", "non-json", "raw-ff"]
SY_E_INVALID, SY_E_HANDLE = -1, -11


@pytest.fixture(scope="module")
def faulty_plugin(tmp_path_factory):
    out = tmp_path_factory.mktemp("faulty") / "libfaulty_provider.so"
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror",
         "-pthread", "-I", os.path.join(ROOT, "plugin-sdk/include"), "-shared", "-Wl,-z,defs",
         f"-Wl,--version-script={os.path.join(ROOT, 'plugin-sdk/template/plugin.version')}",
         "-o", str(out), FAULTY_SOURCE],
        check=True, timeout=120,
    )
    return out


class BrokenStreamUpstream(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream whose stream breaks in the middle: one good chunk, then a
    payload that is not JSON (or has a raw 0xFF byte, for model `ff-model`), then a good chunk and
    a clean `[DONE]`, as a misbehaving upstream would send them."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        broken = b'{"id":"u","choices":[{"index":0,"delta":{"content":"raw \xff byte"}}]}' \
            if request["model"] == "ff-model" else b'{"id":"u","choices":[{"index":0,"delta":{"content":"BROKEN'
        events = [b'{"id":"u","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"good"}}]}',
                  broken,
                  b'{"id":"u","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"AFTER"}}]}',
                  b"[DONE]"]
        body = b"".join(b"data: " + event + b"\n\n" for event in events)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def broken_upstream():
    with loopback_server(BrokenStreamUpstream) as port:
        yield port


@pytest.fixture(scope="module")
def boundary_gateway(faulty_plugin, broken_upstream, mock_port, tmp_path_factory):
    """A gateway with two loops serving echo, the mock, one faulty instance per fault (model
    `<fault>-model`) and the openai plugin against the broken upstream. Yields (port, log path,
    process)."""
    folder = tmp_path_factory.mktemp("boundary")
    plugin_dir = os.path.abspath(BIN_DIR)
    faulty = "".join(f"""
          - name: {fault}
            path: {faulty_plugin}
            config:
              fault: {fault.removesuffix("-stream")}""" for fault in FAULTS)
    # The faulty providers fail on purpose, six requests each: breakers off (test_routing covers them).
    providers = "".join(f"""
          - name: {fault}
            plugin: {fault}
            models: [{fault}-model]
            breaker: off""" for fault in FAULTS)
    config = folder / "switchyard.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 2
        plugins:
          - name: echo
            path: {plugin_dir}/libProviderEcho.so
          - name: mock
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
          - name: broken-upstream
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{broken_upstream}/v1
              api_key_env: null
              stream_usage: false{faulty}
        providers:
          - name: echo
            plugin: echo
            models: [echo-1]
          - name: mock
            plugin: mock
            models: [mock-model]
          - name: broken-upstream
            plugin: broken-upstream
            models: [broken-model, ff-model]{providers}
        """))
    log_path = folder / "gateway.log"
    with open(log_path, "w") as log:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], stderr=log)
    yield port, log_path, process
    stop_process(process)
    assert process.returncode == 0, f"gateway exited with {process.returncode}"


def post(port, body, path="/v1/chat/completions"):
    """(status, headers, raw body bytes) of one request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    connection.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), payload


def events(payload: bytes):
    """The `data:` payloads of an SSE body, in order (bytes; `[DONE]` included as is)."""
    return [line[len(b"data: "):] for line in payload.split(b"\n") if line.startswith(b"data: ")]


def chat(model, text, stream=False):
    return {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}


class Traffic:
    """Clients streaming and not streaming from echo and the mock on their own threads, each
    answer checked exactly: nothing a faulty plugin writes may show up in them."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.failures = []
        self.count = 0
        self.threads = [threading.Thread(target=self.run, args=(index,), daemon=True) for index in range(4)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        # Enough traffic overlaps the faults even when a test is quick (or the build slow).
        deadline = time.monotonic() + 20
        while self.count < 8 and time.monotonic() < deadline and not self.failures:
            time.sleep(0.02)
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        assert not self.failures, self.failures[:3]
        assert self.count >= 8, f"only {self.count} background requests ran"

    def run(self, index):
        model = "echo-1" if index % 2 == 0 else "mock-model"
        expected_prefix = "" if model == "echo-1" else "mock: "
        number = 0
        while not self.stop.is_set():
            number += 1
            text = f"client {index} request {number} says hello"
            stream = number % 2 == 0 or model == "mock-model"
            try:
                status, _, payload = post(self.port, chat(model, text, stream))
                self.check(status, payload, stream, expected_prefix + text)
            except Exception as error:  # noqa: BLE001 - every failure is collected and reported
                self.failures.append(f"{model} {text}: {error!r}")
            self.count += 1

    def check(self, status, payload, stream, expected):
        assert status == 200, (status, payload[:200])
        payload.decode("utf-8")  # strict: raises on any invalid byte
        assert b"LATE" not in payload and b"loop=" not in payload
        if not stream:
            assert json.loads(payload)["choices"][0]["message"]["content"] == expected
            return
        data = events(payload)
        assert data[-1] == b"[DONE]", data[-3:]
        chunks = [json.loads(item) for item in data[:-1]]
        assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks), chunks
        content = "".join(choice["delta"].get("content") or "" for chunk in chunks for choice in chunk["choices"])
        assert content == expected, content


def log_lines(log_path, plugin):
    with open(log_path, encoding="utf-8") as log:
        return [line for line in log if f'plugin="{plugin}"' in line]


def wait_for_log(log_path, plugin, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(text in line for line in log_lines(log_path, plugin)):
            return
        time.sleep(0.05)
    raise AssertionError(f"no log line for plugin {plugin} with {text!r}: {log_lines(log_path, plugin)}")


def assert_alive(process):
    assert process.poll() is None, f"the gateway exited with {process.returncode}"


@pytest.mark.parametrize("stream", [False, True])
def test_a_kept_sink_is_refused_later_on_the_loop_and_from_the_plugins_thread(boundary_gateway, stream):
    port, log_path, process = boundary_gateway
    fault = "keep-sink-stream" if stream else "keep-sink"

    def ask():
        status, _, payload = post(port, chat(f"{fault}-model", "hi", stream))
        assert status == 200, payload
        if stream:
            data = events(payload)
            assert data[-1] == b"[DONE]"
            return "".join(json.loads(item)["choices"][0]["delta"].get("content", "") for item in data[:-1])
        return json.loads(payload)["choices"][0]["message"]["content"]

    with Traffic(port):
        assert ask() == "loop=1 thread=1"  # nothing kept yet
        for _ in range(3):
            time.sleep(0.45)  # the plugin's thread writes to the last call's sink at 300 ms
            # The kept handle was written on a loop in this call (after its own call returned),
            # and from the plugin's thread: both refused, neither reached anyone.
            assert ask() == f"loop={SY_E_HANDLE} thread={SY_E_HANDLE}"
        time.sleep(0.45)
    assert_alive(process)
    wait_for_log(log_path, fault, f"sink_write returned {SY_E_HANDLE}")
    wait_for_log(log_path, fault, "sink_write refused (SY_E_HANDLE)")


@pytest.mark.parametrize("fault, words", [
    ("bad-utf8", "SY_OUT_JSON (the response) is not a JSON object: invalid UTF-8"),
    ("second-whole", "a second SY_OUT_JSON on a call that is not a stream"),
    ("bad-usage", "SY_OUT_META_JSON usage.prompt_tokens is not a non-negative integer"),
])
def test_a_bad_whole_response_is_a_502_and_never_reaches_the_client(boundary_gateway, fault, words):
    port, log_path, process = boundary_gateway
    with Traffic(port):
        for _ in range(3):
            status, headers, payload = post(port, chat(f"{fault}-model", "hi"))
            assert status == 502, payload
            assert headers["Content-Type"] == "application/json"
            error = json.loads(payload.decode("utf-8"))["error"]
            assert set(error) == {"message", "type", "param", "code"}
            assert f"plugin {fault} wrote output the gateway refused" in error["message"]
            assert b"assistant" not in payload and b"choices" not in payload  # none of the plugin's answer
            # The same failure in Anthropic's shape for an Anthropic client.
            status, _, payload = post(port, {**chat(f"{fault}-model", "hi"), "max_tokens": 5}, path="/v1/messages")
            assert status == 502
            body = json.loads(payload.decode("utf-8"))
            assert body["type"] == "error" and body["error"]["message"]
    assert_alive(process)
    wait_for_log(log_path, fault, f"sink_write returned {SY_E_INVALID}")
    lines = [line for line in log_lines(log_path, fault) if "output refused (SY_E_INVALID)" in line]
    assert lines and all(words in line for line in lines), lines
    assert len(lines) == 6  # once per call, not once per refused write


@pytest.mark.parametrize("fault, bad", [("non-json", b"data that is not json"), ("raw-ff", b"\xff")])
def test_a_bad_stream_chunk_ends_the_stream_with_an_error_event(boundary_gateway, fault, bad):
    port, log_path, process = boundary_gateway
    with Traffic(port):
        for _ in range(3):
            status, _, payload = post(port, chat(f"{fault}-model", "hi", stream=True))
            assert status == 200  # the stream had started: the error travels in it
            payload.decode("utf-8")
            assert bad not in payload and b"after" not in payload
            data = events(payload)
            assert data[-1] != b"[DONE]", data
            assert json.loads(data[0])["choices"][0]["delta"]["content"] == "before"
            error = json.loads(data[-1])["error"]
            assert f"plugin {fault} wrote output the gateway refused" in error["message"]
            assert len(data) == 2
    assert_alive(process)
    wait_for_log(log_path, fault, f"sink_write returned {SY_E_INVALID}")
    wait_for_log(log_path, fault, "output refused (SY_E_INVALID)")


@pytest.mark.parametrize("model, bad", [("broken-model", b"BROKEN"), ("ff-model", b"\xff")])
def test_a_broken_upstream_event_is_refused_by_the_openai_plugin(boundary_gateway, model, bad):
    port, _, process = boundary_gateway
    with Traffic(port):
        status, _, payload = post(port, chat(model, "hi", stream=True))
        assert status == 200
        payload.decode("utf-8")
        assert bad not in payload and b"AFTER" not in payload
        data = events(payload)
        assert data[-1] != b"[DONE]", data  # a broken stream does not end cleanly
        assert json.loads(data[0])["choices"][0]["delta"]["content"] == "good"
        assert "upstream sent an event that is not a JSON object" in json.loads(data[-1])["error"]["message"]
    assert_alive(process)
