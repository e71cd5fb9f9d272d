"""Upstreams cannot take the gateway down: each upstream timeout (connect, first byte, idle,
total) fires and says which it was, a long healthy stream outlives all of them, huge answers
and huge stream events are cut at the configured bound with the gateway's memory staying flat,
and a connection closed mid-response is reported as such, not as "unreachable".

The misbehaving upstreams are a small scripted socket server in this file (its first path
segment picks the misbehaviour); healthy streams come from the mock. Limits are set small so
that every test takes a second or two. Everything runs on 127.0.0.1."""

import json
import os
import socket
import textwrap
import threading
import time

import openai
import pytest

from conftest import BIN_DIR, start_process, stop_process

MIB = 1 << 20
OFFERED = 300 * MIB  # what the huge answers would send if nobody stopped them
MEMORY_SLACK_KIB = 64 * 1024  # the gateway may grow this much while refusing 300 MiB


class ScriptedUpstream:
    """A plain-socket HTTP/1.1 upstream. `/<behaviour>/v1/chat/completions` picks what it does;
    one thread per connection, one exchange per connection. `sent[behaviour]` is how many body
    bytes the last exchange got out before the gateway hung up."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.sent = {}
        threading.Thread(target=self._accept, daemon=True).start()

    def bytes_sent(self, behaviour, timeout=5.0):
        """Body bytes the last `behaviour` exchange sent; waits for its sender to notice the
        hang-up (the gateway may answer its client first)."""
        deadline = time.monotonic() + timeout
        while behaviour not in self.sent and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.sent.pop(behaviour)

    def url(self, behaviour):
        return f"http://127.0.0.1:{self.port}/{behaviour}/v1"

    def close(self):
        self.stopping.set()
        self.listener.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        with connection:
            connection.settimeout(30)
            try:
                request = self._read_request(connection)
                if request is None:
                    return
                behaviour = request.split(b" ", 2)[1].split(b"/")[1].decode().replace("-", "_")
                getattr(self, "answer_" + behaviour)(connection)
            except OSError:
                pass

    @staticmethod
    def _read_request(connection):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += connection.recv(65536)
        return head

    def _wait_for_hangup(self, connection):
        """Holds the connection, silent, until the gateway closes it."""
        while not self.stopping.is_set():
            try:
                if not connection.recv(65536):
                    return
            except socket.timeout:
                return

    def _blast(self, connection, behaviour, prefix, filler, chunked):
        """Sends `prefix`, then `filler` until OFFERED bytes or the gateway hangs up."""
        sent = 0
        try:
            connection.sendall(frame(prefix) if chunked else prefix)
            sent = len(prefix)
            while sent < OFFERED:
                connection.sendall(frame(filler) if chunked else filler)
                sent += len(filler)
        except OSError:
            pass
        self.sent[behaviour] = sent

    # --- behaviours -------------------------------------------------------------------------

    def answer_hang(self, connection):
        self._wait_for_hangup(connection)

    def answer_stall_stream(self, connection):
        connection.sendall(SSE_HEAD + frame(event("hi")))
        self._wait_for_hangup(connection)

    def answer_stall_body(self, connection):
        connection.sendall(json_head(200, 1000) + b'{"id":"chatcmpl-1",')
        self._wait_for_hangup(connection)

    def answer_huge(self, connection):
        self._blast(connection, "huge", json_head(200, OFFERED) + COMPLETION_PREFIX, b"a" * MIB, chunked=False)

    def answer_huge_error(self, connection):
        self._blast(connection, "huge_error", json_head(500, OFFERED) + b'{"error":{"message":"', b"e" * MIB, chunked=False)

    def answer_huge_event(self, connection):
        connection.sendall(SSE_HEAD + frame(event("hi")))
        self._blast(connection, "huge_event", b"data: " + CHUNK_PREFIX, b"a" * MIB, chunked=True)

    def answer_huge_event_first(self, connection):
        connection.sendall(SSE_HEAD)
        self._blast(connection, "huge_event_first", b"data: " + CHUNK_PREFIX, b"a" * MIB, chunked=True)

    def answer_close_mid(self, connection):
        connection.sendall(json_head(200, 1000) + COMPLETION_PREFIX)

    def answer_close_before(self, connection):
        pass  # the request was read; closing now answers nothing


SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
CHUNK_PREFIX = b'{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"'
COMPLETION_PREFIX = b'{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"'


def json_head(status, length):
    return f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()


def frame(data):
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def event(content):
    return b"data: " + CHUNK_PREFIX + content.encode() + b'"},"finish_reason":null}]}\n\n'


class Blackhole:
    """A loopback port where connecting hangs: a listener with a backlog of 0 that never
    accepts, its queue filled by two connections of its own, so the kernel drops new SYNs."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(2):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(filler)
        time.sleep(0.05)

    def close(self):
        for item in self.fillers + [self.listener]:
            item.close()


def limits_config(upstream, blackhole_port, mock_port):
    plugin_dir = os.path.abspath(BIN_DIR)
    mock = f"http://127.0.0.1:{mock_port}/v1"
    behaviours = ["hang", "stall-stream", "stall-body", "huge", "huge-error", "huge-event", "huge-event-first", "close-mid", "close-before"]
    plugins = "".join(
        f"""
          - name: {name}
            path: {plugin_dir}/libProviderOpenAI.so
            config: {{base_url: "{upstream.url(name)}", api_key_env: null}}"""
        for name in behaviours
    )
    providers = "".join(
        f"""
          - {{name: {name}, plugin: {name}, models: [{name}-model]}}"""
        for name in behaviours
    )
    return textwrap.dedent(
        f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 1
          shutdown_grace: 1s
          upstream_first_byte_timeout: 1s
          upstream_idle_timeout: 1s
          max_upstream_response_bytes: 1MiB
          max_sse_event_bytes: 256KiB
        plugins:{plugins}
          - name: blackhole
            path: {plugin_dir}/libProviderOpenAI.so
            config: {{base_url: "http://127.0.0.1:{blackhole_port}/v1", api_key_env: null}}
          - name: slow-mock
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: null
              headers: {{x-mock-chunks: "12", x-mock-chunk-delay-ms: "250"}}
          - name: cut-mock
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: null
              headers: {{x-mock-cut-after: "2"}}
        providers:{providers}
          - name: hang-fast
            plugin: hang
            models: [hang-fast-model]
            timeouts: {{first_byte: 500ms}}
          - name: blackhole
            plugin: blackhole
            models: [blackhole-model]
            timeouts: {{connect: 500ms, first_byte: 10s}}
          - {{name: slow, plugin: slow-mock, models: [slow-model]}}
          - name: slow-total
            plugin: slow-mock
            models: [slow-total-model]
            timeouts: {{total: 1s}}
          - {{name: cut, plugin: cut-mock, models: [cut-model]}}
        """
    )


class Gateway:
    def __init__(self, process, port, log_path):
        self.process = process
        self.port = port
        self.log_path = log_path
        self.client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0, timeout=15)
        self.peak_at_start = self.memory_kib("VmHWM")

    def memory_kib(self, field):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.process.pid}/status")

    def assert_memory_stayed_flat(self):
        growth = self.memory_kib("VmHWM") - self.peak_at_start
        assert growth < MEMORY_SLACK_KIB, f"the gateway's peak RSS grew by {growth} KiB"

    def log_line(self, needle, timeout=3.0):
        """The access-log line (or any log line) containing `needle`; waits for the batch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path) as log:
                for line in log:
                    if needle in line:
                        return line
            time.sleep(0.05)
        raise AssertionError(f"no log line with {needle!r}")

    def chat(self, model, stream=False):
        return self.client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello there"}], stream=stream)

    def failed_chat(self, model):
        """A non-streamed request that must fail: (status, message, seconds taken)."""
        started = time.monotonic()
        with pytest.raises(openai.APIStatusError) as raised:
            self.chat(model)
        return raised.value.status_code, raised.value.body["message"], time.monotonic() - started

    def failed_stream(self, model):
        """A streamed request that starts, then fails: (contents before, error message, seconds)."""
        started = time.monotonic()
        contents = []
        with pytest.raises(openai.APIError) as raised:
            for chunk in self.chat(model, stream=True):
                contents.append(chunk.choices[0].delta.content)
        assert not isinstance(raised.value, openai.APIStatusError), "the stream should have started"
        return contents, raised.value.message, time.monotonic() - started


@pytest.fixture(scope="module")
def gateway(mock_port, tmp_path_factory):
    upstream = ScriptedUpstream()
    blackhole = Blackhole()
    folder = tmp_path_factory.mktemp("limits")
    config = folder / "switchyard.yaml"
    config.write_text(limits_config(upstream, blackhole.port, mock_port))
    log_path = folder / "gateway.log"
    with open(log_path, "w") as log:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], stderr=log)
    yield Gateway(process, port, log_path), upstream
    stop_process(process)
    blackhole.close()
    upstream.close()


# --- timeouts -----------------------------------------------------------------------------------


def test_no_response_head_is_a_504_after_the_first_byte_timeout(gateway):
    gw, _ = gateway
    status, message, seconds = gw.failed_chat("hang-model")
    assert status == 504
    assert "upstream timed out: no response head within 1s" in message
    assert 0.9 < seconds < 3
    assert "status=504" in gw.log_line("no response head within 1s")


def test_a_providers_own_first_byte_timeout_wins_over_the_servers(gateway):
    gw, _ = gateway
    status, message, _ = gw.failed_chat("hang-fast-model")
    assert status == 504
    assert "no response head within 500ms" in message


def test_a_stream_that_goes_silent_ends_with_an_idle_timeout_event(gateway):
    gw, _ = gateway
    contents, message, seconds = gw.failed_stream("stall-stream-model")
    assert contents == ["hi"]
    assert "upstream timed out: no bytes for 1s" in message
    assert seconds < 3


def test_a_body_that_stops_coming_is_a_504_after_the_idle_timeout(gateway):
    gw, _ = gateway
    status, message, _ = gw.failed_chat("stall-body-model")
    assert status == 504
    assert "no bytes for 1s" in message


def test_an_upstream_that_never_accepts_is_a_504_after_the_connect_timeout(gateway):
    gw, _ = gateway
    status, message, seconds = gw.failed_chat("blackhole-model")
    assert status == 504
    assert "upstream timed out: no connection within 500ms" in message
    assert seconds < 2


def test_a_healthy_stream_outlives_every_timeout_it_is_longer_than(gateway):
    # 12 chunks 250 ms apart: three times the first-byte and idle timeouts, and no total.
    gw, _ = gateway
    started = time.monotonic()
    contents = [chunk.choices[0].delta.content for chunk in gw.chat("slow-model", stream=True) if chunk.choices]
    assert time.monotonic() - started > 2.5
    assert "".join(c or "" for c in contents).split() == ["lorem"] * 12


def test_a_total_timeout_cuts_even_a_healthy_stream(gateway):
    gw, _ = gateway
    contents, message, seconds = gw.failed_stream("slow-total-model")
    assert 0 < len(contents) < 8
    assert "upstream timed out: not finished within the total timeout of 1s" in message
    assert seconds < 2.5


# --- bounded answers ----------------------------------------------------------------------------


def test_a_huge_answer_is_cut_at_max_upstream_response_bytes(gateway):
    gw, upstream = gateway
    status, message, _ = gw.failed_chat("huge-model")
    assert status == 502
    assert "max_upstream_response_bytes (1048576 bytes)" in message
    assert upstream.bytes_sent("huge") < OFFERED  # the gateway hung up
    gw.assert_memory_stayed_flat()
    assert "status=502" in gw.log_line("max_upstream_response_bytes")


def test_a_huge_error_body_is_bounded_too(gateway):
    gw, upstream = gateway
    status, message, _ = gw.failed_chat("huge-error-model")
    assert status == 502
    assert "max_upstream_response_bytes" in message
    assert upstream.bytes_sent("huge_error") < OFFERED
    gw.assert_memory_stayed_flat()


def test_a_huge_stream_event_ends_the_stream_with_an_error_event(gateway):
    gw, upstream = gateway
    contents, message, _ = gw.failed_stream("huge-event-model")
    assert contents == ["hi"]
    assert "max_sse_event_bytes (262144 bytes)" in message
    assert upstream.bytes_sent("huge_event") < OFFERED
    gw.assert_memory_stayed_flat()
    line = gw.log_line("max_sse_event_bytes")
    assert "status=502" in line and "stream=true" in line


def test_a_huge_first_stream_event_is_a_502(gateway):
    gw, upstream = gateway
    with pytest.raises(openai.APIStatusError) as raised:
        for _ in gw.chat("huge-event-first-model", stream=True):
            pass
    assert raised.value.status_code == 502
    assert "max_sse_event_bytes" in raised.value.body["message"]
    gw.assert_memory_stayed_flat()


# --- a connection closed is not "unreachable" ---------------------------------------------------


def test_a_connection_closed_mid_response_says_so(gateway):
    gw, _ = gateway
    status, message, _ = gw.failed_chat("close-mid-model")
    assert status == 502
    assert "upstream closed the connection mid-response" in message
    assert "unreachable" not in message and "127.0.0.1" not in message
    line = gw.log_line("close-mid-model")
    assert "upstream closed the connection mid-response" in line and "unreachable" not in line


def test_a_connection_closed_before_any_answer_says_so(gateway):
    gw, _ = gateway
    status, message, _ = gw.failed_chat("close-before-model")
    assert status == 502
    assert "upstream closed the connection before responding" in message
    assert "unreachable" not in message


def test_a_stream_cut_mid_way_says_the_connection_closed(gateway):
    gw, _ = gateway
    contents, message, _ = gw.failed_stream("cut-model")
    assert contents
    assert "upstream closed the connection mid-response" in message
    assert "unreachable" not in gw.log_line("model=cut-model")
