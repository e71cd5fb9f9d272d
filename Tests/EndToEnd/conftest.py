"""Starts the real binaries for the end-to-end tests: the mock upstream and the gateway, both on
127.0.0.1 with ports picked by the kernel, and tears them down after the session."""

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time

import openai
import pytest

BIN_DIR = os.environ.get("SWITCHYARD_BIN_DIR", ".build/debug")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
# Set by scripts/e2e-asan.sh: the binaries run under AddressSanitizer, whose allocator (redzones,
# a quarantine of freed memory) makes resident-memory bounds meaningless. Tests that assert one
# still run their traffic, but skip that assertion.
ASAN = os.environ.get("SWITCHYARD_E2E_ASAN") == "1"
UPSTREAM_KEY = "sk-e2e-upstream-key"


def start_process(args, env=None, timeout=20.0, stderr=subprocess.PIPE):
    """Starts a server and waits for its 'listening on HOST:PORT' line; returns (process, port).
    `stderr` may be an open file to keep the server's log (its access log goes there)."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=stderr, env=env, text=True, bufsize=1
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                log = process.stderr.read() if process.stderr else "(see its log file)"
                raise RuntimeError(f"{args[0]} exited with {process.returncode}: {log}")
            continue
        if line.startswith("listening on "):
            return process, int(line.strip().rsplit(":", 1)[1])
    process.kill()
    raise RuntimeError(f"{args[0]} did not report a port within {timeout}s")


def stop_process(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def loopback_server(handler):
    """A tiny upstream on 127.0.0.1 for what switchyard-mock cannot send (an HTML error page, a
    stream cut in a given way): `handler` is an http.server request handler class. Yields the
    port; the server stops on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def json_call(port, method, path, body=None, bearer=None, headers=None):
    """(status, parsed JSON or None) of one plain request to 127.0.0.1:`port`; `bearer` as
    `Authorization: Bearer` (None: no header); a dict or list body is sent as JSON."""
    import http.client
    import json

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(headers or {})
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        if data is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def log_line(log_path, needle, timeout=3.0):
    """The first line of the log file holding `needle`, waiting for it (access-log lines are
    written in batches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if needle in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"no log line with {needle!r}")


@pytest.fixture(scope="session")
def c_plugin(tmp_path_factory):
    """libprovider_static.so (plugin-sdk/examples/c/provider-static), built by its own Makefile.
    Its config_schema requires a string "text"."""
    out = tmp_path_factory.mktemp("c-plugin")
    subprocess.run(
        ["make", "-s", "-C", os.path.join(ROOT, "plugin-sdk/examples/c/provider-static"), f"OUT={out}"],
        check=True, timeout=120,
    )
    return out / "libprovider_static.so"


@pytest.fixture(scope="session")
def mock_port():
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])
    yield port
    stop_process(process)


def gateway_config(mock_port, closed_port):
    """A config exercising routing: echo in-process, the openai plugin against the mock, a dead
    upstream first in line for failover, and plugin entries whose extra headers turn on the
    mock's error knobs."""
    plugin_dir = os.path.abspath(BIN_DIR)
    mock = f"http://127.0.0.1:{mock_port}/v1"
    return textwrap.dedent(
        f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 2
          max_body_bytes: 65536
          shutdown_grace: 5s
          upstream_connect_timeout: 2s
          upstream_timeout: 10s
        plugins:
          - name: echo
            path: {plugin_dir}/libProviderEcho.so
          - name: mock
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: SWITCHYARD_E2E_UPSTREAM_KEY
              headers:
                X-Team: e2e
          - name: dead
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{closed_port}/v1
              api_key_env: null
          - name: mock-429
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: null
              headers:
                x-mock-status: "429"
          - name: mock-cut
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: null
              headers:
                x-mock-cut-after: "2"
        providers:
          - name: echo
            plugin: echo
            models: [echo-1]
          - name: dead
            plugin: dead
            models: [failover-model]
          - name: mock
            plugin: mock
            models: [gpt-4o-mini, mock-model, failover-model]
          - name: ratelimited
            plugin: mock-429
            models: [ratelimited-model]
          - name: cut
            plugin: mock-cut
            models: [cut-model]
        aliases:
          fast: gpt-4o-mini
        """
    )


def closed_loopback_port():
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def gateway_port(mock_port, tmp_path_factory):
    directory = tmp_path_factory.mktemp("gateway")
    config = directory / "switchyard.yaml"
    config.write_text(gateway_config(mock_port, closed_loopback_port()))
    env = dict(os.environ, SWITCHYARD_E2E_UPSTREAM_KEY=UPSTREAM_KEY)
    # The log goes to a file: a pipe nobody reads fills after ~64 KiB of access-log lines, and
    # the gateway's loops then block writing them.
    with open(directory / "gateway.log", "w") as log:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], env=env, stderr=log)
        yield port
        stop_process(process)


@pytest.fixture()
def client(gateway_port):
    return openai.OpenAI(
        base_url=f"http://127.0.0.1:{gateway_port}/v1", api_key="client-key", max_retries=0, timeout=15
    )


@pytest.fixture(scope="session")
def conformance_port(mock_port, tmp_path_factory):
    """A second gateway for the conformance suite (test_conformance_*.py): the openai, anthropic
    and gemini provider plugins, all pointed at the one mock, plus knob variants."""
    from conformance_support import conformance_config

    directory = tmp_path_factory.mktemp("conformance")
    config = directory / "switchyard.yaml"
    config.write_text(conformance_config(mock_port, BIN_DIR))
    with open(directory / "gateway.log", "w") as log:  # not a pipe: see gateway_port
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], stderr=log)
        yield port
        stop_process(process)


@pytest.fixture()
def conformance(conformance_port, mock_port):
    """Drivers for every ingress against the conformance gateway, with the mock's journal cleared."""
    from conformance_support import Conformance

    suite = Conformance(conformance_port, mock_port)
    suite.upstream.clear()
    return suite


class RedisServer:
    """A real redis-server on a free loopback port, without persistence; `stop()` kills it
    (SIGKILL, like a crash) and `start()` brings it back on the same port (outage tests)."""

    BINARY = "/usr/bin/redis-server"

    def __init__(self, directory, password=None):
        self.port = closed_loopback_port()
        self.password = password
        self.log_path = os.path.join(directory, f"redis-{self.port}.log")
        self.process = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=5.0):
        if self.process is not None:
            return
        args = [self.BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--logfile", self.log_path]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self.process.returncode} (log: {self.log_path})")
                time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"redis-server did not listen on {self.port} within {timeout}s")

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def command(self, *args):
        """One command through redis-cli (tests inspecting keys); its output as text."""
        cli = ["redis-cli", "-p", str(self.port)] + (["-a", self.password, "--no-auth-warning"] if self.password else [])
        return subprocess.run(cli + [str(arg) for arg in args], capture_output=True, text=True, timeout=5).stdout.strip()


@pytest.fixture()
def redis_server(tmp_path):
    """A fresh redis-server per test (scripts/install-deps.sh --test installs it); killed after."""
    if not os.path.exists(RedisServer.BINARY):
        pytest.fail("redis-server is not installed: run scripts/install-deps.sh --test")
    server = RedisServer(str(tmp_path))
    server.start()
    yield server
    server.stop()
