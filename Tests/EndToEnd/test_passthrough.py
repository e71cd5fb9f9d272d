"""Passthrough (`/p/{provider}/…`) through the real gateway, the real plugins and the mock
upstream, with the official SDKs as clients: the client gets exactly the upstream's bytes, the
upstream gets exactly the client's body plus the provider's own credentials, the enrichers meter
it in the access log, errors pass through unchanged, big bodies stream both ways in flat memory,
a failing enricher never touches the request, and what the config does not allow is refused
with its reason. The shipped config/examples/passthrough.yaml is the gateway of most tests."""

import base64
import http.client
import json
import os
import re
import socket
import time

import anthropic
import openai
import pytest

from conftest import ASAN, BIN_DIR, ROOT, UPSTREAM_KEY, start_process, stop_process
from conformance_support import Upstream
from test_enricher_config import build  # noqa: F401 - fixture
from test_server_hardening import rss_bytes

EXAMPLE = os.path.join(ROOT, "config", "examples", "passthrough.yaml")
CLIENT_KEY = "sk-client-must-not-reach-the-provider"


class Gateway:
    """A gateway serving `config` (a path), its log kept in a file."""

    def __init__(self, tmp_path, config, env=None):
        self.log_path = tmp_path / "gateway.log"
        self.log_file = open(self.log_path, "w")
        self.process, self.port = start_process(
            [os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], env=env, stderr=self.log_file)

    def stop(self):
        stop_process(self.process)
        self.log_file.close()

    def log(self):
        self.log_file.flush()
        return self.log_path.read_text()

    def access_lines(self, count, timeout=10):
        """The first `count` access-log lines, once there are that many."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [line for line in self.log().splitlines() if "msg=request " in line]
            if len(lines) >= count:
                return lines
            time.sleep(0.05)
        raise AssertionError(f"fewer than {count} access-log lines within {timeout}s:\n{self.log()}")

    def line_for(self, request_id, timeout=10):
        """The access-log line of the request with this X-Request-ID (lines are batched: wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log().splitlines():
                if "msg=request " in line and f" request_id={request_id} " in line:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no access-log line for {request_id} within {timeout}s:\n{self.log()}")

    def raw(self, method, path, body=None, headers=None, timeout=30):
        """(status, headers as a list of pairs, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def openai(self):
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/p/openai/v1", api_key=CLIENT_KEY, max_retries=0, timeout=30)

    def anthropic(self):
        return anthropic.Anthropic(base_url=f"http://127.0.0.1:{self.port}/p/anthropic", api_key=CLIENT_KEY, max_retries=0, timeout=30)


def environment(mock_port, **extra):
    env = dict(os.environ)
    env.update({
        "PORT": "0", "SWITCHYARD_PLUGIN_DIR": os.path.abspath(BIN_DIR),
        "OPENAI_BASE_URL": f"http://127.0.0.1:{mock_port}/v1", "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{mock_port}/v1",
        "OPENAI_API_KEY": UPSTREAM_KEY, "ANTHROPIC_API_KEY": UPSTREAM_KEY + "-anthropic",
    })
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def example(mock_port, tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("passthrough"), EXAMPLE, environment(mock_port))
    yield gateway
    gateway.stop()


@pytest.fixture()
def upstream(mock_port):
    journal = Upstream(mock_port)
    journal.clear()
    return journal


def field(line, name):
    match = re.search(rf' {name}=("(?:[^"\\]|\\.)*"|\S+)', line)
    return None if match is None else match.group(1).strip('"')


def headers_of(entry):
    return [(name.lower(), value) for name, value in entry["header_list"]]


def without_ids(body):
    """An answer of the mock with its per-response id and timestamp blanked (they differ between
    two calls; everything else is byte for byte the same)."""
    body = re.sub(rb'"id":"[^"]*"', b'"id":""', body)
    return re.sub(rb'"created":\d+', b'"created":0', body)


def direct(mock_port, method, path, body, headers):
    connection = http.client.HTTPConnection("127.0.0.1", mock_port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# Bytes in, bytes out


def test_the_upstream_sees_the_clients_exact_body_and_the_providers_key_only(example, upstream):
    # Odd spacing, key order and escapes: a gateway that re-serialized the body would change them.
    body = b'{ "messages":[{"content":"caf\\u00e9  \xc3\xa9","role":"user"}],   "model":"gpt-4.1-mini" }\n'
    status, _, _ = example.raw("POST", "/p/openai/v1/chat/completions?trace=a%20b&x=1", body, {
        "Content-Type": "application/json", "Authorization": f"Bearer {CLIENT_KEY}", "X-Api-Key": CLIENT_KEY,
        "Connection": "keep-alive, X-Hop", "X-Hop": "1", "Keep-Alive": "timeout=5", "X-Custom": "kept",
        "X-Request-ID": "client-chosen-id"})
    assert status == 200
    seen = upstream.only_request()
    assert seen["method"] == "POST" and seen["target"] == "/v1/chat/completions?trace=a%20b&x=1"
    assert base64.b64decode(seen["body_base64"]) == body
    headers = headers_of(seen)
    assert ("authorization", f"Bearer {UPSTREAM_KEY}") in headers
    assert all(CLIENT_KEY not in value for _, value in headers)
    assert ("x-custom", "kept") in headers and ("content-type", "application/json") in headers
    names = [name for name, _ in headers]
    assert "x-hop" not in names and "keep-alive" not in names and "x-api-key" not in names
    assert ("x-request-id", "client-chosen-id") in headers  # the gateway's id: the client's, as it was valid


def test_the_client_gets_the_upstreams_exact_bytes_status_and_headers(example, mock_port, upstream):
    body = json.dumps({"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "exact bytes"}]}).encode()
    headers = {"Content-Type": "application/json"}
    status, response_headers, through = example.raw("POST", "/p/openai/v1/chat/completions", body, headers)
    direct_status, straight = direct(mock_port, "POST", "/v1/chat/completions", body, headers)
    assert status == direct_status == 200
    assert without_ids(through) == without_ids(straight)
    names = dict((name.lower(), value) for name, value in response_headers)
    assert names["x-switchyard-mode"] == "passthrough" and names["x-switchyard-provider"] == "openai"
    assert names["content-length"] == str(len(through)) and "x-request-id" in names


def ids(*names):
    """Fresh X-Request-IDs, one per name, to find each request's access-log line."""
    stamp = f"{time.monotonic_ns():x}"
    return [f"{name}-{stamp}" for name in names]


def test_openai_sdk_whole_and_streamed_with_tool_calls_metered_in_the_access_log(example, upstream):
    whole_id, stream_id = ids("whole", "stream")
    client = example.openai()
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
    whole = client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "weather in Paris?"}], tools=tools,
                                           extra_headers={"X-Request-ID": whole_id})
    assert whole.choices[0].finish_reason == "tool_calls"
    assert json.loads(whole.choices[0].message.tool_calls[0].function.arguments) == {"city": "Paris"}
    calls = {}
    stream = client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "weather in Paris?"}], tools=tools,
                                            stream=True, stream_options={"include_usage": True}, extra_headers={"X-Request-ID": stream_id})
    usage = None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                calls[call.index] = calls.get(call.index, "") + (call.function.arguments or "")
    assert json.loads(calls[0]) == {"city": "Paris"} and usage is not None
    lines = [example.line_for(whole_id), example.line_for(stream_id)]
    for line, stream_flag in zip(lines, ("false", "true")):
        assert field(line, "endpoint") == "passthrough" and field(line, "mode") == "passthrough"
        assert field(line, "provider") == "openai" and field(line, "model") == "gpt-4.1-mini"
        assert field(line, "method") == "POST" and field(line, "path") == "/v1/chat/completions"
        assert field(line, "stream") == stream_flag and field(line, "status") == "200"
        assert int(field(line, "prompt_tokens")) > 0 and int(field(line, "completion_tokens")) == 8  # a tool call counts 8 (the mock)
        assert field(line, "audit_path") == "/v1/chat/completions"
        assert "openai-usage:reported" in field(line, "enrichers")
    assert int(field(lines[1], "prompt_tokens")) == usage.prompt_tokens


def test_anthropic_sdk_whole_and_streamed_with_tool_use_metered_in_the_access_log(example, upstream):
    whole_id, stream_id = ids("whole", "stream")
    client = example.anthropic()
    tools = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    message = client.messages.create(model="claude-sonnet-4-6", max_tokens=64, tools=tools,
                                     messages=[{"role": "user", "content": "weather in Paris?"}], extra_headers={"X-Request-ID": whole_id})
    assert message.stop_reason == "tool_use" and message.content[-1].input == {"city": "Paris"}
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hello there"}],
                                extra_headers={"X-Request-ID": stream_id}) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "mock: hello there"
    seen = upstream.requests()
    assert all(("x-api-key", UPSTREAM_KEY + "-anthropic") in headers_of(entry) for entry in seen)
    sdk_version = client.default_headers["anthropic-version"]  # the client's own, forwarded as it was
    assert all(dict(headers_of(entry)).get("anthropic-version") == sdk_version for entry in seen)
    lines = [example.line_for(whole_id), example.line_for(stream_id)]
    assert [field(line, "stream") for line in lines] == ["false", "true"]
    for line in lines:
        assert field(line, "mode") == "passthrough" and field(line, "provider") == "anthropic"
        assert field(line, "model") == "claude-sonnet-4-6" and field(line, "path") == "/v1/messages"
        assert "anthropic-usage:reported" in field(line, "enrichers")
    assert int(field(lines[1], "prompt_tokens")) == final.usage.input_tokens
    assert int(field(lines[1], "completion_tokens")) == final.usage.output_tokens


def test_a_plain_get_passes_through(example, upstream):
    model = example.openai().models.retrieve("gpt-4.1-mini")
    assert model.id == "gpt-4.1-mini"
    assert upstream.only_request()["target"] == "/v1/models/gpt-4.1-mini"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_upstream_errors_reach_the_client_unchanged(example, mock_port, upstream, status):
    body = json.dumps({"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()
    headers = {"Content-Type": "application/json", "x-mock-status": str(status)}
    got, response_headers, through = example.raw("POST", "/p/openai/v1/chat/completions", body, headers)
    _, straight = direct(mock_port, "POST", "/v1/chat/completions", body, headers)
    assert got == status and through == straight
    names = dict((name.lower(), value) for name, value in response_headers)
    if status == 429:
        assert names["retry-after"] == "1"
        with pytest.raises(openai.RateLimitError):
            example.openai().chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}],
                                                     extra_headers={"x-mock-status": "429"})
        with pytest.raises(anthropic.RateLimitError):
            example.anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=8, messages=[{"role": "user", "content": "hi"}],
                                                extra_headers={"x-mock-status": "429"})


# ---------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize("path, status, code, words", [
    ("/p/nobody/v1/models", 404, "unknown_provider", "No provider named 'nobody' (passthrough is enabled for anthropic, openai)"),
    ("/p/openai/v1/organization/users", 403, "passthrough_path_denied", "under \"/v1/organization/\", which passthrough.deny lists"),
    ("/p/openai/v2/models", 403, "passthrough_path_denied", "passthrough.allow lists only \"/v1/\""),
    ("/p/openai/v1/models/../organization/users", 400, "invalid_path", "'.' or '..' segment"),
    ("/p/openai/v1/%2e%2e/organization/users", 400, "invalid_path", "percent-escape of a character that needs none ('%2e')"),
    ("/p/openai/v1/%6frganization/users", 400, "invalid_path", "percent-escape of a character that needs none ('%6f')"),
    ("/p/openai/v1/organization;x/users", 400, "invalid_path", "';' parameter"),
    ("/p/openai/V1/Organization/users", 403, "passthrough_path_denied", "under \"/v1/organization/\""),
    ("/p/openai/v1//organization/users", 400, "invalid_path", "empty segment"),
])
def test_what_the_config_does_not_allow_is_refused_with_its_reason(example, upstream, path, status, code, words):
    got, _, body = example.raw("GET", path)
    error = json.loads(body)["error"]
    assert got == status and error["code"] == code and words in error["message"], error
    assert upstream.requests() == []


def test_a_provider_without_passthrough_or_without_the_hook_is_refused(tmp_path, mock_port, upstream):
    config = tmp_path / "g.yaml"
    config.write_text(f"""server: {{port: 0, loops: 1}}
plugins:
  - {{name: echo, path: {os.path.abspath(BIN_DIR)}/libProviderEcho.so}}
  - {{name: openai, path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{mock_port}/v1", api_key_env: null}}}}
providers:
  - {{name: echo, plugin: echo, models: [echo-1], passthrough: true}}
  - {{name: closed, plugin: openai, models: [gpt-x]}}
""")
    gateway = Gateway(tmp_path, config)
    try:
        status, _, body = gateway.raw("POST", "/p/closed/v1/chat/completions", b"{}")
        assert status == 403 and json.loads(body)["error"]["code"] == "passthrough_disabled"
        status, _, body = gateway.raw("POST", "/p/echo/v1/chat/completions", b"{}")
        assert status == 403 and json.loads(body)["error"]["code"] == "passthrough_unsupported"
        assert upstream.requests() == []
    finally:
        gateway.stop()


# ---------------------------------------------------------------------------------------------
# Big bodies, flat memory


def open_gateway(tmp_path, mock_port, plugins="", enrichers=""):
    """openai (every path allowed, through the mock) with the OpenAI enricher last; `plugins` and
    `enrichers` are YAML list items added before (so an enricher of theirs runs first)."""
    config = tmp_path / "open.yaml"
    config.write_text(f"""server: {{port: 0, loops: 1}}
plugins:
  - {{name: openai, path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{mock_port}/v1", api_key_env: OPENAI_API_KEY}}}}
  - {{name: openai-usage, path: {os.path.abspath(BIN_DIR)}/libEnricherOpenAI.so}}
{plugins}providers:
  - {{name: openai, plugin: openai, models: [gpt-4.1-mini], passthrough: true}}
enrichers:
{enrichers}  - {{plugin: openai-usage}}
""")
    return Gateway(tmp_path, config, environment(mock_port))


BIG = (128 if ASAN else 1024) << 20
PIECE = 1 << 20


# /_mock/download's bytes: byte i is i % 251. One period-aligned block, sliced per piece.
PATTERN = bytes(index % 251 for index in range(251)) * (PIECE // 251 + 2)


def pattern(offset, size):
    start = offset % 251
    return PATTERN[start:start + size]


def upload(port, path, piece, times):
    """POSTs `piece` `times` times as one Content-Length body; (status, answer JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Length", str(len(piece) * times))
        connection.putheader("Content-Type", "application/octet-stream")
        connection.endheaders()
        for _ in range(times):
            connection.send(piece)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_large_upload_streams_through_in_flat_memory(tmp_path, mock_port):
    gateway = open_gateway(tmp_path, mock_port)
    try:
        piece = os.urandom(PIECE)
        baseline = rss_bytes(gateway.process.pid)
        status, answer = upload(gateway.port, "/p/openai/_mock/upload", piece, BIG // PIECE)
        assert status == 200 and answer["bytes"] == BIG
        # The same bytes sent to the mock directly hash the same: nothing was lost or changed.
        assert answer["fnv1a64"] == upload(mock_port, "/_mock/upload", piece, BIG // PIECE)[1]["fnv1a64"]
        growth = rss_bytes(gateway.process.pid, "VmHWM") - baseline
        if not ASAN:
            assert growth < 48 << 20, f"peak memory grew by {growth >> 20} MiB for a {BIG >> 20} MiB upload"
        line = gateway.access_lines(1)[0]
        assert field(line, "status") == "200" and field(line, "path") == "/_mock/upload"
    finally:
        gateway.stop()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_large_download_streams_through_in_flat_memory_at_the_clients_pace(tmp_path, mock_port, chunked):
    gateway = open_gateway(tmp_path, mock_port)
    try:
        baseline = rss_bytes(gateway.process.pid)
        connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=120)
        connection.request("GET", f"/p/openai/_mock/download?bytes={BIG}" + ("&chunked=1" if chunked else ""))
        response = connection.getresponse()
        assert response.status == 200
        assert (response.getheader("Content-Length") is None) == chunked
        received, slow_start = 0, time.monotonic()
        while True:
            piece = response.read(PIECE)
            if not piece:
                break
            assert piece == pattern(received, len(piece)), f"wrong bytes at offset {received}"
            received += len(piece)
            if received <= 8 * PIECE:
                time.sleep(0.05)  # a slow reader first: the gateway must slow the upstream, not buffer
        connection.close()
        assert received == BIG
        growth = rss_bytes(gateway.process.pid, "VmHWM") - baseline
        if not ASAN:
            assert growth < 48 << 20, f"peak memory grew by {growth >> 20} MiB for a {BIG >> 20} MiB download"
        assert time.monotonic() - slow_start >= 0.4
    finally:
        gateway.stop()


# ---------------------------------------------------------------------------------------------
# Enrichers never break a request


@pytest.mark.parametrize("setting, outcome", [
    ({"fail": "begin"}, "error(begin)"), ({"fail": "response"}, "error(response)"), ({"fail": "data"}, "error(data)"),
    ({"fail": "end"}, "error(end)"), ({"bad_report": 1}, "error(end)"), ({"report_twice": 1}, "error(end)"),
    ({"slow_ms": 60}, "timeout(data)"), ({"decline": 1}, "declined"),
])
def test_a_failing_or_slow_enricher_leaves_the_request_intact(tmp_path, mock_port, upstream, build, setting, outcome):
    plugin = f"  - {{name: bad, path: {build()}, config: {json.dumps(setting)}}}\n"
    gateway = open_gateway(tmp_path, mock_port, plugins=plugin, enrichers="  - {plugin: bad, deadline: 30ms}\n")
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/p/openai/v1", api_key="x", max_retries=0, timeout=30)
        stream = client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "still whole"}],
                                                stream=True, stream_options={"include_usage": True})
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert text == "mock: still whole"
        line = gateway.access_lines(1)[0]
        assert field(line, "status") == "200"
        assert field(line, "enrichers") == f"bad:{outcome} openai-usage:reported"
        assert int(field(line, "completion_tokens")) == 3  # the good enricher's usage, not the bad one's
        log = gateway.log()
        if outcome != "declined":
            assert re.search(r'level=warn msg="enricher (failed|ran past its deadline)', log)
        # A call it began had its state freed exactly once, whatever went wrong.
        begun = 0 if outcome in ("declined", "error(begin)") else 1
        assert log.count("state_free") == begun, log
    finally:
        gateway.stop()


def test_a_client_leaving_mid_stream_is_logged_and_the_upstream_released(tmp_path, mock_port):
    gateway = open_gateway(tmp_path, mock_port)
    try:
        sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)
        sock.sendall(f"GET /p/openai/_mock/download?bytes={64 << 20} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        sock.recv(65536)
        sock.close()
        line = gateway.access_lines(1)[0]
        assert field(line, "status") == "499" and field(line, "error") == "client closed the connection"
    finally:
        gateway.stop()


# ---------------------------------------------------------------------------------------------
# Native routes use the same seam


def test_native_messages_are_enriched_like_passthrough(example, upstream):
    [request_id] = ids("native")
    direct_client = anthropic.Anthropic(base_url=f"http://127.0.0.1:{example.port}", api_key="x", max_retries=0, timeout=30)
    direct_client.messages.create(model="claude-sonnet-4-6", max_tokens=32, messages=[{"role": "user", "content": "native"}],
                                  extra_headers={"X-Request-ID": request_id})
    line = example.line_for(request_id)
    assert field(line, "mode") == "native" and field(line, "audit_path") == "/v1/messages"
    assert field(line, "enrichers") == "anthropic-usage:reported"


def test_gemini_native_api_whole_and_streamed_is_metered(tmp_path, mock_port, upstream):
    config = tmp_path / "gemini.yaml"
    config.write_text(f"""server: {{port: 0, loops: 1}}
plugins:
  - {{name: gemini, path: {os.path.abspath(BIN_DIR)}/libProviderGemini.so, config: {{base_url: "http://127.0.0.1:{mock_port}/v1beta", api_key_env: GEMINI_API_KEY}}}}
  - {{name: gemini-usage, path: {os.path.abspath(BIN_DIR)}/libEnricherGemini.so}}
providers:
  - {{name: gemini, plugin: gemini, models: [gemini-2.5-flash], passthrough: {{allow: [/v1beta/models/]}}}}
enrichers:
  - {{plugin: gemini-usage}}
""")
    gateway = Gateway(tmp_path, config, environment(mock_port, GEMINI_API_KEY="gemini-upstream-key"))
    try:
        whole_id, stream_id = ids("whole", "stream")
        body = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hello gemini"}]}]}).encode()
        status, _, answer = gateway.raw("POST", "/p/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=client-key", body,
                                        {"Content-Type": "application/json", "X-Request-ID": whole_id, "x-goog-api-key": "client-key"})
        assert status == 200 and json.loads(answer)["candidates"][0]["content"]["parts"][0]["text"] == "mock: hello gemini"
        status, headers, events = gateway.raw("POST", "/p/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body,
                                              {"Content-Type": "application/json", "X-Request-ID": stream_id})
        assert status == 200 and dict(headers)["Content-Type"].startswith("text/event-stream") and events.count(b"data: ") >= 2
        seen = upstream.requests()
        assert [entry["target"] for entry in seen] == [
            "/v1beta/models/gemini-2.5-flash:generateContent", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"]
        assert all(dict(headers_of(entry)).get("x-goog-api-key") == "gemini-upstream-key" for entry in seen)
        for request_id, stream_flag in ((whole_id, "false"), (stream_id, "true")):
            line = gateway.line_for(request_id)
            assert field(line, "model") == "gemini-2.5-flash" and field(line, "stream") == stream_flag
            assert int(field(line, "prompt_tokens")) == 2 and int(field(line, "completion_tokens")) == 3
            assert field(line, "operation") == "chat.completions" and "gemini-usage:reported" in field(line, "enrichers")
    finally:
        gateway.stop()


def test_native_responses_are_enriched_like_passthrough(example, upstream):
    [request_id] = ids("responses")
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{example.port}/v1", api_key="x", max_retries=0, timeout=30)
    response = client.responses.create(model="gpt-4.1-mini", input="native responses", extra_headers={"X-Request-ID": request_id})
    line = example.line_for(request_id)
    assert field(line, "mode") == "native" and field(line, "audit_path") == "/v1/responses"
    assert field(line, "enrichers") == "openai-usage:reported"
    assert int(field(line, "prompt_tokens")) == response.usage.input_tokens


def test_a_body_for_a_provider_not_open_to_passthrough_is_not_streamed(example):
    # Only a provider open to passthrough gets a streamed body: anything else stays within
    # max_body_bytes and is refused before a byte of a huge body is read.
    with socket.create_connection(("127.0.0.1", example.port), timeout=10) as sock:
        sock.sendall(b"POST /p/nobody/v1/files HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000000\r\nExpect: 100-continue\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_the_start_says_when_passthrough_goes_around_a_providers_guardrails(tmp_path, mock_port):
    config = tmp_path / "guarded.yaml"
    config.write_text(f"""server: {{port: 0, loops: 1}}
plugins:
  - {{name: openai, path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{mock_port}/v1", api_key_env: null}}}}
  - {{name: blocklist, path: {os.path.abspath(BIN_DIR)}/libGuardrailBlocklist.so, config: {{words: [secret]}}}}
providers:
  - {{name: openai, plugin: openai, models: [gpt-4.1-mini], passthrough: true}}
  - {{name: closed, plugin: openai, models: [gpt-x]}}
guardrails:
  - {{plugin: blocklist}}
""")
    gateway = Gateway(tmp_path, config)
    try:
        warnings = [line for line in gateway.log().splitlines() if "do not run its guardrails" in line]
        assert warnings == ['level=warn msg="passthrough requests to this provider do not run its guardrails" provider=openai '
                            'guardrails=blocklist route=/p/openai/'], gateway.log()
    finally:
        gateway.stop()
