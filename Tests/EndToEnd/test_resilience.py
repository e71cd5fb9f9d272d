"""Resilience in the executor through the real gateway, the real provider plugins and two mock
upstreams that fail on command (`/_mock/faults`): retries on one target with backoff and
Retry-After, the request deadline, the hold of a stream until its first content (failover
before it, an explicit error event after it, for chat, Anthropic messages and Responses), and
the X-Request-ID and W3C traceparent every upstream try carries. Everything on 127.0.0.1."""

import json
import os
import re
import socket
import textwrap
import time
import urllib.request

import anthropic
import openai
import pytest

from conftest import BIN_DIR, closed_loopback_port, start_process, stop_process

DEADLINE_S = 2.0  # server.request_deadline of the gateway under test
BACKOFF_MAX_S = 0.3  # retry.backoff.max of provider `a` (initial 150ms: ceilings 150, 300 ms)
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class Mock:
    def __init__(self):
        self.process, self.port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read()
            return json.loads(text) if text else None

    def faults(self, *faults, then=None):
        script = {"faults": list(faults)}
        if then is not None:
            script["then"] = then
        self.call("POST", "/_mock/faults", script)

    def requests(self):
        return self.call("GET", "/_mock/requests")

    def reset(self):
        self.call("DELETE", "/_mock/faults")
        self.call("DELETE", "/_mock/requests")


def config(a, b, dead_port):
    plugin_dir = os.path.abspath(BIN_DIR)
    return textwrap.dedent(
        f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 1
          shutdown_grace: 2s
          upstream_connect_timeout: 2s
          upstream_timeout: 10s
          request_deadline: {int(DEADLINE_S * 1000)}ms
        plugins:
          - {{name: oai-a, path: {plugin_dir}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{a.port}/v1", api_key_env: null}}}}
          - {{name: oai-b, path: {plugin_dir}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{b.port}/v1", api_key_env: null}}}}
          - {{name: claude-a, path: {plugin_dir}/libProviderAnthropic.so, config: {{base_url: "http://127.0.0.1:{a.port}/v1", api_key_env: null}}}}
          - {{name: claude-b, path: {plugin_dir}/libProviderAnthropic.so, config: {{base_url: "http://127.0.0.1:{b.port}/v1", api_key_env: null}}}}
          - {{name: dead, path: {plugin_dir}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{dead_port}/v1", api_key_env: null}}}}
        # Breakers off: these tests fail targets on purpose, one after another, and each must
        # reach its target (test_routing.py covers breakers, and breakers with failover).
        providers:
          - name: a
            plugin: oai-a
            models: [solo, pair]
            breaker: off
            retry:
              attempts: 2
              on: [429, 500, 502, 503, 504, connect, timeout]
              backoff: {{initial: 150ms, max: {int(BACKOFF_MAX_S * 1000)}ms}}
              retry_after_cap: 1500ms
          - name: b
            plugin: oai-b
            models: [pair]
            passthrough: true
            breaker: off
          - {{name: claude-a, plugin: claude-a, models: [claude-pair], breaker: off}}
          - {{name: claude-b, plugin: claude-b, models: [claude-pair], breaker: off}}
          - name: dead
            plugin: dead
            models: [dead-first]
            breaker: off
            retry: {{attempts: 1, on: [connect], backoff: {{initial: 10ms, max: 10ms}}}}
          - {{name: b-after-dead, plugin: oai-b, models: [dead-first], breaker: off}}
          # Breakers on: a try the deadline cuts off counts against its target, and a breaker that
          # opens stops the retries on its target.
          - {{name: slow, plugin: oai-a, models: [slow-solo], breaker: {{consecutive_failures: 2, cool_down: 60s}}}}
          - name: brittle
            plugin: oai-a
            models: [brittle]
            breaker: {{consecutive_failures: 1, cool_down: 60s}}
            retry: {{attempts: 2, on: [503], backoff: {{initial: 10ms, max: 10ms}}}}
          - {{name: b-after-brittle, plugin: oai-b, models: [brittle], breaker: off}}
        """
    )


class Gateway:
    def __init__(self, tmp_path, text):
        path = tmp_path / "switchyard.yaml"
        path.write_text(text)
        self.log_path = tmp_path / "gateway.log"
        self.log_file = open(self.log_path, "w")
        self.process, self.port = start_process(
            [os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(path)], stderr=self.log_file)

    def stop(self):
        stop_process(self.process)
        self.log_file.close()

    def line_for(self, request_id, timeout=10):
        """The access-log line of the request with this X-Request-ID (lines are batched: wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.log_file.flush()
            for line in self.log_path.read_text().splitlines():
                if "msg=request " in line and f" request_id={request_id} " in line:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no access-log line for {request_id}:\n{self.log_path.read_text()}")


@pytest.fixture(scope="module")
def mocks():
    a, b = Mock(), Mock()
    yield a, b
    stop_process(a.process)
    stop_process(b.process)


@pytest.fixture(scope="module")
def gateway(mocks, tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("resilience"), config(*mocks, closed_loopback_port()))
    yield gateway
    gateway.stop()


@pytest.fixture(autouse=True)
def clean(mocks):
    for mock in mocks:
        mock.reset()
    yield


def openai_client(gateway, request_id):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="k", max_retries=0, timeout=15,
                         default_headers={"X-Request-ID": request_id})


def anthropic_client(gateway, request_id):
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{gateway.port}", api_key="k", max_retries=0, timeout=15,
                               default_headers={"X-Request-ID": request_id})


def chat(gateway, model, request_id, **extra):
    return openai_client(gateway, request_id).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "hi"}], **extra)


def field(line, name):
    match = re.search(rf" {name}=(\S+)", line)
    return match.group(1) if match else None


# --- retries -------------------------------------------------------------------------------------


def test_retries_on_the_same_target_with_bounded_backoff(gateway, mocks):
    a, _ = mocks
    a.faults({"status": 503}, {"status": 503})
    started = time.monotonic()
    raw = chat(gateway, "solo", "retry-ok")
    elapsed = time.monotonic() - started
    assert raw.parse().choices[0].message.content == "mock: hi"
    assert raw.headers["x-switchyard-attempts"] == "3"
    assert len(a.requests()) == 3
    # Full jitter: each wait is in [0, ceiling]; the ceilings are 150 ms then 300 ms.
    assert elapsed < 0.15 + BACKOFF_MAX_S + 1.0
    line = gateway.line_for("retry-ok")
    assert field(line, "status") == "200" and field(line, "attempts") == "3" and field(line, "retries") == "2"


def test_retries_exhausted_answer_the_last_error(gateway, mocks):
    a, _ = mocks
    a.faults(then={"status": 503})
    with pytest.raises(openai.InternalServerError) as raised:
        chat(gateway, "solo", "retry-exhausted")
    assert raised.value.status_code == 503
    assert len(a.requests()) == 3  # the first try and two retries, no more
    line = gateway.line_for("retry-exhausted")
    assert field(line, "attempts") == "3" and field(line, "retries") == "2"


def test_statuses_not_listed_are_not_retried(gateway, mocks):
    a, _ = mocks
    a.faults({"status": 400})
    with pytest.raises(openai.BadRequestError):
        chat(gateway, "solo", "retry-400")
    assert len(a.requests()) == 1
    line = gateway.line_for("retry-400")
    assert field(line, "attempts") == "1" and field(line, "retries") is None


def test_retry_after_is_honoured(gateway, mocks):
    a, _ = mocks
    a.faults({"status": 429, "retry_after": "1"})
    started = time.monotonic()
    raw = chat(gateway, "solo", "retry-after")
    elapsed = time.monotonic() - started
    assert raw.parse().choices[0].message.content == "mock: hi"
    assert len(a.requests()) == 2
    assert 1.0 <= elapsed < 1.0 + 1.0


def test_retry_after_over_the_cap_goes_to_the_next_target_at_once(gateway, mocks):
    a, b = mocks
    a.faults({"status": 503, "retry_after": "5"})
    started = time.monotonic()
    raw = chat(gateway, "pair", "retry-capped")
    elapsed = time.monotonic() - started
    assert raw.headers["x-switchyard-provider"] == "b"
    assert elapsed < 1.0
    assert len(a.requests()) == 1 and len(b.requests()) == 1
    line = gateway.line_for("retry-capped")
    assert field(line, "attempts") == "2" and field(line, "retries") is None


def test_a_refused_connect_is_retried_then_failed_over(gateway, mocks):
    _, b = mocks
    raw = chat(gateway, "dead-first", "retry-connect")
    assert raw.headers["x-switchyard-provider"] == "b-after-dead"
    assert raw.headers["x-switchyard-attempts"] == "3"
    line = gateway.line_for("retry-connect")
    assert field(line, "attempts") == "3" and field(line, "retries") == "1"
    assert len(b.requests()) == 1


def test_no_retry_on_a_target_whose_breaker_the_failure_opened(gateway, mocks):
    a, b = mocks
    a.faults(then={"status": 503})
    raw = chat(gateway, "brittle", "retry-breaker-open")
    assert raw.headers["x-switchyard-provider"] == "b-after-brittle"
    assert len(a.requests()) == 1 and len(b.requests()) == 1  # failed over, not retried
    line = gateway.line_for("retry-breaker-open")
    assert field(line, "attempts") == "2" and field(line, "retries") is None


# --- deadline -------------------------------------------------------------------------------------


def test_the_deadline_ends_the_request_with_504_and_no_more_tries(gateway, mocks):
    a, b = mocks
    a.faults(then={"delay_ms": 4000})
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as raised:
        chat(gateway, "pair", "deadline")
    elapsed = time.monotonic() - started
    assert raised.value.status_code == 504
    assert raised.value.body["code"] == "deadline_exceeded"
    assert DEADLINE_S - 0.05 <= elapsed < DEADLINE_S + 1.0
    time.sleep(0.5)
    assert len(a.requests()) == 1 and len(b.requests()) == 0  # no retry, no failover
    assert field(gateway.line_for("deadline"), "status") == "504"


def test_tries_the_deadline_cuts_off_open_the_targets_breaker(gateway, mocks):
    a, _ = mocks
    a.faults(then={"delay_ms": 4000})  # accepts, never answers within the deadline
    for attempt in range(2):
        with pytest.raises(openai.APIStatusError) as raised:
            chat(gateway, "slow-solo", f"deadline-breaker-{attempt}")
        assert raised.value.status_code == 504
    with open(gateway.log_path) as log:
        assert any("circuit breaker opened" in line and "provider=slow" in line for line in log)
    with pytest.raises(openai.APIStatusError) as refused:
        chat(gateway, "slow-solo", "deadline-breaker-open")
    assert refused.value.status_code == 503 and refused.value.body["code"] == "circuit_open"
    assert len(a.requests()) == 2  # the open breaker made no third try


def test_a_wait_that_would_cross_the_deadline_is_not_taken(gateway, mocks):
    a, _ = mocks
    # 1.2 s, then 1.2 s more would end past the 2 s deadline: the second wait is not taken.
    a.faults({"status": 503, "retry_after": "1"}, {"status": 503, "retry_after": "1"}, {"status": 503, "retry_after": "1"})
    started = time.monotonic()
    with pytest.raises(openai.InternalServerError):
        chat(gateway, "solo", "deadline-wait")
    elapsed = time.monotonic() - started
    assert len(a.requests()) == 2
    assert 1.0 <= elapsed < DEADLINE_S


# --- a client leaving during a wait ----------------------------------------------------------------


def test_a_client_leaving_during_a_backoff_stops_the_retries(gateway, mocks):
    a, _ = mocks
    a.faults({"status": 503, "retry_after": "1"})
    body = json.dumps({"model": "solo", "messages": [{"role": "user", "content": "hi"}]}).encode()
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=5) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"X-Request-ID: leaves-in-backoff\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        deadline = time.monotonic() + 3
        while not a.requests() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the first try has failed; the gateway waits for Retry-After
    time.sleep(1.5)  # past the wait
    assert len(a.requests()) == 1
    line = gateway.line_for("leaves-in-backoff")
    assert field(line, "status") == "499"


# --- stream hold: failover before content, an error event after ------------------------------------


def test_chat_stream_fails_over_before_content_unseen(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 1})  # the role chunk, then the connection drops
    stream = openai_client(gateway, "hold-chat").chat.completions.create(
        model="pair", messages=[{"role": "user", "content": "hi"}], stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "mock: hi"
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.role) == 1
    assert len({c.id for c in chunks}) == 1  # one stream, from one upstream
    assert len(a.requests()) == 1 and len(b.requests()) == 1
    assert field(gateway.line_for("hold-chat"), "provider") == "b"


def test_anthropic_sdk_translated_stream_fails_over_before_content(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 1})
    with anthropic_client(gateway, "hold-messages").messages.stream(
            model="pair", max_tokens=50, messages=[{"role": "user", "content": "hi"}]) as stream:
        events = list(stream)
        text = stream.get_final_text()
    assert text == "mock: hi"
    assert sum(1 for e in events if e.type == "message_start") == 1
    assert len(b.requests()) == 1


def test_anthropic_native_stream_fails_over_before_content(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 2})  # message_start and content_block_start: no content yet
    with anthropic_client(gateway, "hold-native").messages.stream(
            model="claude-pair", max_tokens=50, messages=[{"role": "user", "content": "hi"}]) as stream:
        events = list(stream)
        text = stream.get_final_text()
    assert text == "mock: hi"
    assert sum(1 for e in events if e.type == "message_start") == 1
    assert len(a.requests()) == 1 and len(b.requests()) == 1
    line = gateway.line_for("hold-native")
    assert field(line, "provider") == "claude-b" and field(line, "mode") == "native"


def test_responses_native_stream_fails_over_before_content(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 2})  # response.created, response.in_progress
    stream = openai_client(gateway, "hold-responses").responses.create(model="pair", input="hi", stream=True)
    events = list(stream)
    assert sum(1 for e in events if e.type == "response.created") == 1
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "mock: hi"
    assert events[-1].type == "response.completed"
    assert len(b.requests()) == 1


def test_chat_stream_cut_after_content_ends_with_an_error_the_sdk_raises(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 2})  # the role chunk and "mock:"
    stream = openai_client(gateway, "after-content-chat").chat.completions.create(
        model="pair", messages=[{"role": "user", "content": "hi"}], stream=True)
    seen = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            seen.append(chunk.choices[0].delta.content if chunk.choices else None)
    assert "mock:" in seen
    assert len(b.requests()) == 0  # content reached the client: no failover
    assert field(gateway.line_for("after-content-chat"), "status") == "502"


def test_anthropic_stream_cut_after_content_raises(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 2})
    with pytest.raises(anthropic.APIError):
        with anthropic_client(gateway, "after-content-messages").messages.stream(
                model="pair", max_tokens=50, messages=[{"role": "user", "content": "hi"}]) as stream:
            for _ in stream:
                pass
    assert len(b.requests()) == 0


def test_anthropic_native_stream_cut_after_content_raises(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 4})  # message_start, content_block_start, ping, the first delta
    with pytest.raises(anthropic.APIError):
        with anthropic_client(gateway, "after-content-native").messages.stream(
                model="claude-pair", max_tokens=50, messages=[{"role": "user", "content": "hi"}]) as stream:
            for _ in stream:
                pass
    assert len(b.requests()) == 0


def test_responses_stream_cut_after_content_ends_with_an_error_event(gateway, mocks):
    a, b = mocks
    a.faults({"cut_after": 5})  # created, in_progress, item added, part added, the first delta
    stream = openai_client(gateway, "after-content-responses").responses.create(model="pair", input="hi", stream=True)
    events = []
    with pytest.raises(openai.APIError):
        for event in stream:
            events.append(event.type)
    assert "response.output_text.delta" in events
    assert len(b.requests()) == 0


# --- X-Request-ID and traceparent upstream ---------------------------------------------------------


def test_a_valid_traceparent_continues_the_clients_trace_on_every_try(gateway, mocks):
    a, _ = mocks
    a.faults({"status": 503})
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    chat(gateway, "solo", "trace-valid", extra_headers={"traceparent": parent, "tracestate": "rojo=00f067aa0ba902b7"})
    seen = a.requests()
    assert len(seen) == 2
    spans = set()
    for entry in seen:
        headers = entry["headers"]
        assert headers["x-request-id"] == "trace-valid"
        match = TRACEPARENT.match(headers["traceparent"])
        assert match, headers["traceparent"]
        assert match.group(1) == "4bf92f3577b34da6a3ce929d0e0e4736" and match.group(3) == "00"
        assert match.group(2) not in ("00f067aa0ba902b7", "0" * 16)
        spans.add(match.group(2))
        assert headers["tracestate"] == "rojo=00f067aa0ba902b7"
        assert sum(1 for name, _ in entry["header_list"] if name.lower() == "traceparent") == 1
    assert len(spans) == 2  # each try its own span
    assert field(gateway.line_for("trace-valid"), "trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.mark.parametrize("parent", [None, "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                                    "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "garbage"])
def test_a_missing_or_malformed_traceparent_starts_a_new_trace(gateway, mocks, parent):
    a, _ = mocks
    headers = {"tracestate": "rojo=1"}
    if parent:
        headers["traceparent"] = parent
    chat(gateway, "solo", "trace-new", extra_headers=headers)
    entry = a.requests()[0]
    match = TRACEPARENT.match(entry["headers"]["traceparent"])
    assert match and match.group(1) != "0" * 32 and match.group(1) != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert match.group(3) == "01"
    assert "tracestate" not in entry["headers"]  # dropped with the parent it belonged to
    assert entry["headers"]["x-request-id"] == "trace-new"


def test_every_route_sends_the_request_id_and_a_traceparent(gateway, mocks):
    a, b = mocks
    client = openai_client(gateway, "routes-oai")
    client.embeddings.create(model="solo", input="hi")
    client.responses.create(model="solo", input="hi")
    anthropic_client(gateway, "routes-claude").messages.create(
        model="claude-pair", max_tokens=20, messages=[{"role": "user", "content": "hi"}])
    seen = a.requests()
    assert [entry["path"] for entry in seen] == ["/v1/embeddings", "/v1/responses", "/v1/messages"]
    for entry, request_id in zip(seen, ["routes-oai", "routes-oai", "routes-claude"]):
        assert entry["headers"]["x-request-id"] == request_id
        assert TRACEPARENT.match(entry["headers"]["traceparent"])
    # Passthrough: the client's own traceparent is replaced by one continuing its trace.
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    request = urllib.request.Request(
        f"http://127.0.0.1:{gateway.port}/p/b/v1/models", headers={"X-Request-ID": "routes-pass", "traceparent": parent})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    entry = b.requests()[-1]
    assert entry["headers"]["x-request-id"] == "routes-pass"
    match = TRACEPARENT.match(entry["headers"]["traceparent"])
    assert match and match.group(1) == "0af7651916cd43dd8448eb211c80319c" and match.group(2) != "b7ad6b7169203331"
    assert field(gateway.line_for("routes-pass"), "trace_id") == "0af7651916cd43dd8448eb211c80319c"
