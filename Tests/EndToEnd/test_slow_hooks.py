"""Slow plugin hooks, through the real gateway with small C plugins built here
(plugins/slow_provider.c): a hook that blocks without saying so stalls its event loop and is
reported; one the manifest declares blocking runs on the worker pool, the loop stays free, and
deadlines, a full pool and a client that leaves are handled. Every gateway runs one event loop,
so "the loop stays free" means the whole gateway does."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import textwrap
import threading
import time

import openai
import pytest

from conftest import BIN_DIR, start_process, stop_process

HERE = os.path.dirname(__file__)
SDK_INCLUDE = os.path.join(HERE, "..", "..", "plugin-sdk", "include")
VERSION_SCRIPT = os.path.join(HERE, "..", "..", "plugin-sdk", "template", "plugin.version")
ECHO = os.path.abspath(os.path.join(BIN_DIR, "libProviderEcho.so"))


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(*defines) -> path of slow_provider.c built with those -D flags (once each)."""
    out = tmp_path_factory.mktemp("slow-plugins")
    built = {}

    def make(*defines):
        if defines not in built:
            path = out / ("libslow-" + "-".join(d.lower() for d in defines or ("plain",)) + ".so")
            subprocess.run(
                ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden",
                 "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}"]
                + [f"-D{d}" for d in defines] + ["-o", str(path), os.path.join(HERE, "plugins", "slow_provider.c")],
                check=True, timeout=120,
            )
            built[defines] = str(path)
        return built[defines]

    return make


class Gateway:
    """A gateway on one event loop, its log kept in a file."""

    def __init__(self, tmp_path, config):
        self.config = tmp_path / "gateway.yaml"
        self.config.write_text(textwrap.dedent(config))
        self.log_path = tmp_path / "gateway.log"
        self.log_file = open(self.log_path, "w")
        self.process, self.port = start_process(
            [os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(self.config)], stderr=self.log_file)

    def stop(self):
        stop_process(self.process)
        self.log_file.close()

    def log(self):
        self.log_file.flush()
        return self.log_path.read_text()

    def wait_for_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log())
            if match:
                return match
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r} within {timeout}s:\n{self.log()}")

    def request(self, method, path, body=None, timeout=30):
        """(status, headers, body bytes, seconds taken)."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
            response = connection.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), data, time.monotonic() - started
        finally:
            connection.close()

    def chat(self, model, stream=False, text="hello", timeout=30):
        body = {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}
        return self.request("POST", "/v1/chat/completions", body, timeout=timeout)

    def client(self):
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key="x", max_retries=0, timeout=30)


@pytest.fixture()
def gateway(tmp_path):
    started = []

    def start(config):
        instance = Gateway(tmp_path, config)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def in_background(function, *args):
    """Runs function(*args) on a thread; returns (thread, result dict with 'value' or 'error')."""
    result = {}

    def run():
        try:
            result["value"] = function(*args)
        except Exception as error:  # noqa: BLE001 - reported by the test
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def timed(function, *args):
    started = time.monotonic()
    value = function(*args)
    return value, time.monotonic() - started


def test_an_undeclared_blocking_hook_stalls_its_loop_is_reported_and_gets_504(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1, slow_hook_threshold: 50ms}}
        plugins:
          - {{name: slow, path: {build()}, config: {{sleep_ms: 2000}}}}
          - {{name: slowish, path: {build()}, config: {{sleep_ms: 200}}}}
        providers:
          - {{name: slow, plugin: slow, models: [slow-1], timeouts: {{first_byte: 1s}}}}
          - {{name: slowish, plugin: slowish, models: [slowish-1]}}
        """)
    thread, result = in_background(gw.chat, "slow-1")
    time.sleep(0.3)
    # Honest: the hook did not declare that it blocks, so it runs on the loop, and every
    # connection of that loop waits for it, /health included.
    status, _, _, seconds = gw.request("GET", "/health")
    assert status == 200
    assert seconds > 1.0, f"/health answered in {seconds:.2f}s although the loop was blocked"
    thread.join(10)
    status, headers, body, seconds = result["value"]
    # The hook ran 2 s, past the provider's first-byte timeout (1 s): a 504 in the client's
    # format once it returned, not a late 200.
    assert status == 504, body
    error = json.loads(body)["error"]
    assert error["type"] == "timeout_error"
    ran = re.search(r"the generate hook ran for at least ([\d.]+)s, past the first-byte timeout of 1s", error["message"])
    assert ran and float(ran.group(1)) >= 1.9, error["message"]
    assert 1.9 < seconds < 4
    # Reported while it blocked (by the watchdog), and when it returned (by the loop).
    gw.wait_for_log(r'msg="plugin hook is blocking its event loop" plugin=slow hook=generate loop=0 running_ms=\d+ '
                    r'threshold_ms=50 slow_hooks=1')
    returned = gw.wait_for_log(r'msg="slow plugin hook returned" request_id=\S+ plugin=slow hook=generate '
                               r'elapsed_ms=(\d+) outcome=timeout')
    assert int(returned.group(1)) >= 1900

    # A slow hook within its deadline is reported and counted per plugin, and its answer stands.
    for count in (1, 2):
        status, _, body, _ = gw.chat("slowish-1")
        assert status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "w0 w1 w2"
        gw.wait_for_log(rf'plugin=slowish hook=generate loop=0 running_ms=\d+ threshold_ms=50 slow_hooks={count}')
    assert gw.log().count('plugin=slowish hook=generate elapsed_ms=') == 2
    assert "outcome=continued" in gw.log()


def test_a_declared_blocking_generate_runs_on_a_worker_and_the_loop_stays_free(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{sleep_ms: 300, chunks: 10, chunk_sleep_ms: 150}}}}
          - {{name: echo, path: {ECHO}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
          - {{name: echo, plugin: echo, models: [echo-1]}}
        """)
    client = gw.client()

    def stream():
        chunks = client.chat.completions.create(model="local-1", messages=[{"role": "user", "content": "hi"}], stream=True)
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)

    thread, result = in_background(stream)
    time.sleep(0.2)
    latencies = []
    while thread.is_alive() and len(latencies) < 20:
        status, _, _, seconds = gw.request("GET", "/health")
        assert status == 200
        latencies.append(seconds)
        reply, seconds = timed(lambda: client.chat.completions.create(
            model="echo-1", messages=[{"role": "user", "content": "ping"}]))
        assert reply.choices[0].message.content
        latencies.append(seconds)
        time.sleep(0.05)
    thread.join(10)
    assert "error" not in result, result.get("error")
    assert result["value"] == " ".join(f"w{i}" for i in range(10))
    assert len(latencies) >= 6, "the stream ended before the loop could be probed"
    assert max(latencies) < 0.5, f"requests beside a blocking hook took up to {max(latencies):.2f}s"
    assert "blocking its event loop" not in gw.log()

    # Non-streamed too: the whole answer comes back from the worker.
    reply = client.chat.completions.create(model="local-1", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == " ".join(f"w{i}" for i in range(10))


def test_blocking_prepare_and_response_hooks_keep_the_upstream_order(build, gateway, mock_port):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - name: upstream
            path: {build("UPSTREAM", "BLOCKING_UPSTREAM")}
            config: {{sleep_ms: 300, chunk_sleep_ms: 20, base_url: "http://127.0.0.1:{mock_port}/v1"}}
        providers:
          - {{name: upstream, plugin: upstream, models: [mock-model]}}
        """)
    client = gw.client()
    words = "one two three four five six seven eight"

    def stream():
        chunks = client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": words}], stream=True)
        return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)

    thread, result = in_background(stream)
    time.sleep(0.1)
    status, _, _, seconds = gw.request("GET", "/health")  # while prepare sleeps on its worker
    assert status == 200 and seconds < 0.25
    thread.join(10)
    assert result.get("value") == "mock: " + words, result
    reply = client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": words}])
    assert reply.choices[0].message.content == "mock: " + words


def test_a_full_worker_pool_answers_503_at_once(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1, plugin_workers: 1, plugin_worker_queue: 1}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{sleep_ms: 1500}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
        """)
    running = in_background(gw.chat, "local-1")
    time.sleep(0.2)
    queued = in_background(gw.chat, "local-1")
    time.sleep(0.2)
    # One hook runs, one waits: the third is refused without waiting.
    status, headers, body, seconds = gw.chat("local-1")
    assert status == 503, body
    assert seconds < 0.5
    assert headers.get("Retry-After") == "1"
    assert "plugin_workers: 1" in json.loads(body)["error"]["message"]
    gw.wait_for_log(r'msg="plugin worker pool full, request refused" request_id=\S+ plugin=local hook=generate workers=1 queue=1')
    for thread, result in (running, queued):
        thread.join(10)
        assert result["value"][0] == 200, result
    assert queued[1]["value"][3] > 2.5  # it waited for the first one's worker


def test_a_blocking_hook_past_its_deadline_gets_504_at_the_deadline(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1, plugin_workers: 1}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{sleep_ms: 2500}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1], timeouts: {{first_byte: 1s}}}}
        """)
    status, _, body, seconds = gw.chat("local-1")
    assert status == 504, body
    assert 0.9 < seconds < 1.8, f"answered after {seconds:.2f}s, not at the 1 s deadline"
    assert "the generate hook wrote nothing within the first-byte timeout of 1s" in json.loads(body)["error"]["message"]
    # The loop answers meanwhile; the hook's late output is discarded (its write is cancelled),
    # and its worker is released when it returns.
    status, _, _, seconds = gw.request("GET", "/health")
    assert status == 200 and seconds < 0.25
    gw.wait_for_log(r'msg="write returned -4 after 0 chunks" plugin="local"', timeout=5)
    status, _, body, seconds = gw.chat("local-1")
    assert status == 504 and seconds < 1.8  # the one worker is free again


def test_a_hook_past_its_deadline_is_not_retried_as_an_upstream_timeout(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1, plugin_workers: 2}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{sleep_ms: 1300}}}}
        providers:
          - name: local
            plugin: local
            models: [local-1]
            timeouts: {{first_byte: 1s}}
            retry: {{attempts: 2, on: [timeout], backoff: {{initial: 10ms, max: 10ms}}}}
        """)
    status, _, body, seconds = gw.chat("local-1")
    assert status == 504, body
    assert seconds < 1.8, f"answered after {seconds:.2f}s: the overrun was retried"
    assert "attempt failed, retrying" not in gw.log()


def test_a_client_leaving_mid_stream_cancels_the_workers_writes(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{chunks: 100, chunk_sleep_ms: 50}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
        """)
    connection = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    body = json.dumps({"model": "local-1", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    connection.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200
    first = response.fp.readline()
    assert first  # the stream has begun
    connection.sock.close()
    connection.close()
    written = gw.wait_for_log(r'msg="write returned -4 after (\d+) chunks" plugin="local"', timeout=5)
    assert int(written.group(1)) < 100
    status, _, _, _ = gw.request("GET", "/health")
    assert status == 200


def test_an_unknown_blocking_hook_is_refused_at_load(build, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent(f"""
        plugins:
          - {{name: local, path: {build("BLOCKING_UNKNOWN")}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
        """))
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'plugin "local"' in result.stderr
    assert 'manifest_json "blocking_hooks" names an unknown hook "genrate" (known: prepare, generate, response)' in result.stderr


def test_shutdown_answers_a_request_on_a_worker_and_waits_for_its_hook(build, gateway):
    gw = gateway(f"""
        server: {{port: 0, loops: 1, shutdown_grace: 500ms}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{sleep_ms: 2000}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
        """)
    thread, result = in_background(gw.chat, "local-1")
    time.sleep(0.3)
    started = time.monotonic()
    gw.process.send_signal(signal.SIGTERM)
    thread.join(10)
    status, _, body, _ = result["value"]
    # The grace ran out with the hook still running: the client hears 503 from the loop ...
    assert status == 503, body
    # ... and the process ends once the hook has returned and the worker threads have ended.
    assert gw.process.wait(10) == 0
    assert 1.2 < time.monotonic() - started < 5
    gw.wait_for_log(r'msg="write returned -4 after 0 chunks" plugin="local"')
    assert "still inside a hook" not in gw.log()


def test_a_slow_client_holds_back_a_streaming_hook_on_a_worker(build, gateway):
    # 4000 chunks of 16 KiB: 64 MiB, which the plugin writes in a fraction of a second when
    # nothing holds it back.
    gw = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{chunks: 4000, pad: 16384}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
        """)
    connection = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    body = json.dumps({"model": "local-1", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    connection.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.fp.readline()
    time.sleep(1.5)  # the client reads nothing: the worker must be waiting, not done
    assert "generate returned" not in gw.log()
    connection.sock.close()
    connection.close()
    written = gw.wait_for_log(r'msg="write returned -4 after (\d+) chunks" plugin="local"', timeout=5)
    # What got written fits the client's socket buffers plus the gateway's two 256 KiB bounds.
    assert int(written.group(1)) < 1000, written.group(0)


def test_a_streaming_generate_on_the_loop_cannot_pile_up_more_than_the_response_bound(build, gateway):
    # Not declared blocking: nothing is flushed while generate runs, so the host bounds what it
    # holds for a client that reads nothing by server.max_upstream_response_bytes.
    gw = gateway(f"""
        server: {{port: 0, loops: 1, max_upstream_response_bytes: 4MiB, slow_hook_threshold: 0}}
        plugins:
          - {{name: local, path: {build()}, config: {{chunks: 4000, pad: 16384}}}}
        providers:
          - {{name: local, plugin: local, models: [local-1]}}
        """)
    connection = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    connection.connect()
    connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    body = json.dumps({"model": "local-1", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    connection.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
    written = gw.wait_for_log(r'msg="write returned -4 after (\d+) chunks" plugin="local"', timeout=10)
    # 64 MiB offered; the plugin is stopped a little past 4 MiB of unread output.
    assert int(written.group(1)) * 16384 < 8 << 20, written.group(0)
    gw.wait_for_log(r"max_upstream_response_bytes")
    connection.close()
    status, _, _, _ = gw.request("GET", "/health")
    assert status == 200


def test_reloads_start_the_worker_pool_keep_hook_names_and_finish_old_streams(build, gateway):
    """A reload that brings the first plugin declaring a blocking hook starts the worker pool; the
    watchdog names a slow plugin of the new generation; a stream on a worker that began before
    the next reload (which removes its plugin) finishes, and its generation is released after."""
    echo_only = f"""
        server: {{port: 0, loops: 1, slow_hook_threshold: 50ms}}
        plugins:
          - {{name: echo, path: {ECHO}}}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1]}}
        """
    gw = gateway(echo_only)
    assert 'plugin_workers=0' in gw.log()
    gw.config.write_text(textwrap.dedent(f"""
        server: {{port: 0, loops: 1, slow_hook_threshold: 50ms}}
        plugins:
          - {{name: echo, path: {ECHO}}}
          - {{name: local, path: {build("BLOCKING_GENERATE")}, config: {{chunks: 10, chunk_sleep_ms: 150}}}}
          - {{name: slowish, path: {build()}, config: {{sleep_ms: 200}}}}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1]}}
          - {{name: local, plugin: local, models: [local-1]}}
          - {{name: slowish, plugin: slowish, models: [slowish-1]}}
        """))
    gw.process.send_signal(signal.SIGHUP)
    gw.wait_for_log(r'msg="config reloaded" trigger=SIGHUP generation=2')

    status, _, body, _ = gw.chat("slowish-1")
    assert status == 200, body
    gw.wait_for_log(r'msg="plugin hook is blocking its event loop" plugin=slowish hook=generate loop=0')

    client = gw.client()
    chunks = iter(client.chat.completions.create(model="local-1", messages=[{"role": "user", "content": "hi"}], stream=True))
    first = next(chunks)
    gw.config.write_text(textwrap.dedent(echo_only))
    gw.process.send_signal(signal.SIGHUP)
    gw.wait_for_log(r'msg="config reloaded" trigger=SIGHUP generation=3')
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="local-1", messages=[{"role": "user", "content": "hi"}])
    assert 'generation=2 instances_freed' not in gw.log(), "generation 2 released while its stream runs"
    text = "".join(c.choices[0].delta.content or "" for c in [first, *chunks] if c.choices)
    assert text == " ".join(f"w{i}" for i in range(10))
    # Its instances (echo, local, slowish and the built-in batch preparer's) freed; generation 3's two stay.
    gw.wait_for_log(r'msg="config generation released" generation=2 instances_freed=4 live_generations=1 live_plugin_instances=2')
