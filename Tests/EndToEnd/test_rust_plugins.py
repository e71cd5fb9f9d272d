"""Plugins written in Rust on plugin-sdk/rust, built by scripts/build-rust-sdk.sh (cargo --offline,
no crates from a registry), loaded by the real gateway: the OpenAI-compatible provider against
switchyard-mock, whole and streamed; the words guardrail rejecting, allowing and redacting; the
SDK's shared upstream error policy (passed-on and synthesized error bodies, failover on retryable
statuses only); and panics inside hooks, which the SDK's barrier turns into one failed call while
the gateway keeps serving."""

import http.client
import http.server
import json
import os
import re
import subprocess
import textwrap
import time
import urllib.request

import openai
import pytest

from conformance_support import Upstream
from conftest import BIN_DIR, ROOT, loopback_server, start_process, stop_process

KEY_A = "sk-rust-key-a"
KEY_B = "sk-rust-key-b"


@pytest.fixture(scope="module")
def rust_plugins():
    """{name: path} of the example plugins, (re)built incrementally by the SDK's own script."""
    subprocess.run([os.path.join(ROOT, "scripts/build-rust-sdk.sh"), "--no-test"], check=True, timeout=900,
                   stdout=subprocess.DEVNULL)
    release = os.path.abspath(os.path.join(ROOT, ".build/rust/release"))
    return {"provider": os.path.join(release, "librust_provider_openai.so"),
            "guardrail": os.path.join(release, "librust_guardrail_words.so")}


class PlainErrors(http.server.BaseHTTPRequestHandler):
    """An upstream whose errors are not OpenAI-shaped (an HTML page, as proxies send): the status
    is the number after the last '-' of the request's model ("plain-503" -> 503)."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = int(body["model"].rsplit("-", 1)[1])
        page = b"<html><body>" + b"gateway trouble " * 30 + b"</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def plain_errors_port():
    with loopback_server(PlainErrors) as port:
        yield port


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    """A mock of this module's own: its fault script and journal are ours alone."""
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])
    yield port
    stop_process(process)


@pytest.fixture(scope="module")
def gateway(rust_plugins, mock, plain_errors_port, tmp_path_factory):
    directory = tmp_path_factory.mktemp("rust-gateway")
    provider, guardrail = rust_plugins["provider"], rust_plugins["guardrail"]
    base = f"http://127.0.0.1:{mock}/v1"
    config = directory / "switchyard.yaml"
    config.write_text(textwrap.dedent(f"""
        server: {{host: 127.0.0.1, port: 0, loops: 2}}
        plugins:
          - {{name: rust-a, path: {provider}, config: {{base_url: "{base}", api_key_env: RUST_E2E_KEY_A}}}}
          - {{name: rust-b, path: {provider}, config: {{base_url: "{base}/", api_key_env: RUST_E2E_KEY_B}}}}
          - {{name: rust-plain, path: {provider}, config: {{base_url: "http://127.0.0.1:{plain_errors_port}/v1"}}}}
          - {{name: panic-prepare, path: {provider}, config: {{base_url: "{base}", panic_on: prepare}}}}
          - {{name: panic-data, path: {provider}, config: {{base_url: "{base}", panic_on: data}}}}
          - {{name: words, path: {guardrail}, config: {{words: [classified, Forbidden], panic_on: kaboom}}}}
          - {{name: redact, path: {guardrail}, config: {{words: [secret], action: redact}}}}
        providers:
          - {{name: a, plugin: rust-a, models: [rust-model, rust-failover, rust-redact]}}
          - {{name: b, plugin: rust-b, models: [rust-failover]}}
          - {{name: plain, plugin: rust-plain, models: [plain-503, plain-418, plain-502]}}
          - {{name: panics-in-prepare, plugin: panic-prepare, models: [panic-prepare]}}
          - {{name: panics-in-data, plugin: panic-data, models: [panic-data]}}
        guardrails:
          - {{plugin: words, applies_to: {{models: [rust-model, rust-failover]}}}}
          - {{plugin: redact, applies_to: {{models: [rust-redact]}}}}
        """))
    env = dict(os.environ, RUST_E2E_KEY_A=KEY_A, RUST_E2E_KEY_B=KEY_B)
    log_path = directory / "gateway.log"
    with open(log_path, "w") as log:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)],
                                      env=env, stderr=log)
        yield {"port": port, "log": log_path}
        stop_process(process)


@pytest.fixture()
def client(gateway):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway['port']}/v1", api_key="x", max_retries=0, timeout=30)


@pytest.fixture()
def upstream(mock):
    journal = Upstream(mock)
    journal.clear()
    post(mock, "/_mock/faults", None, method="DELETE")
    return journal


def post(port, path, body, method="POST"):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def ask(client, model, text, **options):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **options)


def streamed(client, model, text, **options):
    return list(client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}],
                                               stream=True, **options))


def access_line(log_path, *needles, timeout=5.0):
    """The first access-log line holding every needle, waiting for it (written in batches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if "msg=request " in line and all(needle in line for needle in needles):
                return line
        time.sleep(0.05)
    raise AssertionError(f"no access-log line with {needles}")


def assert_serving(client):
    """The gateway still answers through the Rust provider after a failure."""
    assert ask(client, "rust-model", "still there").choices[0].message.content == "mock: still there"


# ---------------------------------------------------------------------------------- the provider

def test_whole_answer_with_usage_and_the_configured_key(client, upstream):
    reply = ask(client, "rust-model", "hello rust")
    assert reply.choices[0].message.content == "mock: hello rust"
    assert reply.choices[0].finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (2, 3)
    sent = upstream.only_request()
    assert (sent["method"], sent["path"]) == ("POST", "/v1/chat/completions")
    assert sent["authorization"] == f"Bearer {KEY_A}"
    assert sent["body"]["messages"] == [{"role": "user", "content": "hello rust"}]


def test_streamed_answer_without_usage_asked_still_meters_it(client, upstream):
    chunks = streamed(client, "rust-model", "one two three")
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "mock: one two three"
    assert chunks[0].choices[0].delta.role == "assistant"
    # The provider asked the upstream for usage (to meter the stream) but kept the usage-only
    # chunk from a client that did not ask for it.
    assert upstream.only_request()["body"]["stream_options"] == {"include_usage": True}
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


def test_a_stream_cut_before_done_ends_in_an_error_not_a_clean_finish(client, gateway, upstream, mock):
    post(mock, "/_mock/faults", {"faults": [{"cut_after": 3}]})
    with pytest.raises(openai.APIError):
        streamed(client, "rust-model", "one two three four five six")
    assert "stream=true" in access_line(gateway["log"], "model=rust-model", "stream=true", "error=")


def test_streamed_answer_with_usage_asked_gets_the_usage_chunk(client, upstream):
    chunks = streamed(client, "rust-model", "a b", stream_options={"include_usage": True})
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "mock: a b"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 3


# ---------------------------------------------------------------------------------- the guardrail

def test_guardrail_rejects_a_denied_word_before_the_upstream(client, gateway, upstream):
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, "rust-model", "tell me the FORBIDDEN plan")
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "content_blocked"
    assert "denied word" in caught.value.body["message"]
    assert upstream.requests() == []
    # Host::log through the SDK: the host names the entry and the request.
    request_id = caught.value.response.headers["x-request-id"]
    line = next(line for line in gateway["log"].read_text().splitlines() if "rejected a request with a denied word" in line)
    assert 'plugin="words"' in line and f'request_id="{request_id}"' in line, line


def test_guardrail_finds_a_word_written_with_json_escapes(gateway, upstream):
    body = b'{"model":"rust-model","messages":[{"role":"user","content":"the \\u0063lassified file"}]}'
    connection = http.client.HTTPConnection("127.0.0.1", gateway["port"], timeout=30)
    try:
        connection.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 400, answer
    assert answer["error"]["code"] == "content_blocked"
    assert upstream.requests() == []


def test_guardrail_allows_a_clean_request(client, upstream):
    assert ask(client, "rust-model", "a declassification-free note").choices[0].message.content == \
        "mock: a declassification-free note"
    assert len(upstream.requests()) == 1


def test_guardrail_redacts_and_lets_the_request_go_on(client, upstream):
    reply = ask(client, "rust-redact", "my Secret plan, secret!")
    assert reply.choices[0].message.content == "mock: my [redacted] plan, [redacted]!"
    assert upstream.only_request()["body"]["messages"][0]["content"] == "my [redacted] plan, [redacted]!"


# ------------------------------------------------------------------------- the upstream error policy

def attempts(client, model, text):
    raw = client.chat.completions.with_raw_response.create(model=model, messages=[{"role": "user", "content": text}])
    return int(raw.headers["x-switchyard-attempts"]), raw.parse()


def test_a_retryable_status_fails_over_to_the_next_provider(client, upstream, mock):
    post(mock, "/_mock/faults", {"faults": [{"status": 503}]})
    tries, reply = attempts(client, "rust-failover", "again")
    assert tries == 2
    assert reply.choices[0].message.content == "mock: again"
    assert [entry["authorization"] for entry in upstream.requests()] == [f"Bearer {KEY_A}", f"Bearer {KEY_B}"]


def test_a_rate_limit_fails_over_too(client, upstream, mock):
    post(mock, "/_mock/faults", {"faults": [{"status": 429, "retry_after": "30"}]})
    tries, reply = attempts(client, "rust-failover", "limited")
    assert tries == 2 and reply.choices[0].message.content == "mock: limited"


def test_a_client_error_is_passed_on_and_not_failed_over(client, upstream, mock):
    post(mock, "/_mock/faults", {"faults": [{"status": 400}]})
    with pytest.raises(openai.BadRequestError) as caught:
        ask(client, "rust-failover", "bad")
    # The mock's own OpenAI error body reaches the client as it came.
    assert caught.value.body["message"] == "mock error 400"
    assert caught.value.body["type"] == "invalid_request_error"
    assert len(upstream.requests()) == 1


def test_an_openai_error_body_keeps_the_upstreams_type(client, upstream, mock):
    # The mock calls a 503 "server_error"; the SDK passes the upstream's body on instead of
    # re-typing it (a body that is not OpenAI-shaped gets the policy's type: next tests).
    post(mock, "/_mock/faults", {"faults": [{"status": 503}]})
    with pytest.raises(openai.InternalServerError) as caught:
        ask(client, "rust-model", "down")
    assert caught.value.status_code == 503
    assert caught.value.body["type"] == "server_error"


@pytest.mark.parametrize("status, error_type, error_class", [
    (503, "overloaded_error", openai.InternalServerError),
    (502, "api_error", openai.InternalServerError),
    (418, "invalid_request_error", openai.APIStatusError),
])
def test_a_body_that_is_not_openai_shaped_gets_the_policys_type(client, status, error_type, error_class):
    with pytest.raises(error_class) as caught:
        ask(client, f"plain-{status}", "hi")
    assert caught.value.status_code == status
    error = caught.value.body
    assert error["type"] == error_type
    assert error["message"] == f"upstream returned HTTP {status}: " + ("<html><body>" + "gateway trouble " * 30)[:200]
    assert error["param"] is None and error["code"] is None


# ---------------------------------------------------------------------------------------- panics

def test_a_panic_in_prepare_fails_that_call_only(client, gateway, upstream):
    with pytest.raises(openai.APIStatusError) as caught:
        ask(client, "panic-prepare", "hi")
    assert caught.value.status_code >= 500
    assert caught.value.body["type"] == "internal_error"
    assert "panicked" not in json.dumps(caught.value.body)  # the operator's message, not the client's
    line = access_line(gateway["log"], "model=panic-prepare")
    assert 'error="the plugin panicked in prepare (examples/provider-openai-compat/src/config.rs:' in line
    assert '): panic_on: Prepare (a test aid)"' in line
    assert upstream.requests() == []
    assert_serving(client)


@pytest.mark.parametrize("stream", [False, True])
def test_a_panic_in_the_response_transformer_fails_that_call_only(client, gateway, stream):
    with pytest.raises(openai.APIError):
        if stream:
            streamed(client, "panic-data", "hi")
        else:
            ask(client, "panic-data", "hi")
    line = access_line(gateway["log"], "model=panic-data", f"stream={'true' if stream else 'false'} ")
    assert "the plugin panicked in data (" in line and "): panic_on: Data (a test aid)" in line
    assert_serving(client)


def test_a_panic_in_a_guardrail_fails_that_request_closed(client, gateway, upstream):
    with pytest.raises(openai.APIStatusError) as caught:
        ask(client, "rust-model", "kaboom")
    assert caught.value.status_code >= 500
    line = access_line(gateway["log"], 'guardrails="words/request:error"')
    assert "guardrail words SY_E_INTERNAL: the plugin panicked in inspect (" in line
    assert "): panic_on matched the request (a test aid)" in line
    assert upstream.requests() == []
    assert_serving(client)


# ------------------------------------------------------------------------------ inspect, validate

@pytest.mark.parametrize("kind, plugin_id, kinds", [
    ("provider", "dev.switchyard.example.rust-provider-openai", "provider"),
    ("guardrail", "dev.switchyard.example.rust-guardrail-words", "guardrail"),
])
def test_plugins_inspect_reads_the_rust_libraries(rust_plugins, kind, plugin_id, kinds):
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "plugins", "inspect", rust_plugins[kind]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines() if line[:1].isalpha() and ":" in line)
    assert fields["id"].strip() == plugin_id
    assert fields["kinds"].strip() == kinds
    assert fields["toolchain"].strip() == "rust"
    # The bindings' minor is the header's (the SDK's layout test holds them together); the host
    # built from the same header has it too.
    header = open(os.path.join(ROOT, "plugin-sdk/include/switchyard_plugin.h")).read()
    minor = re.search(r"#define SY_ABI_MINOR (\d+)u", header).group(1)
    assert fields["abi"].strip() == f"plugin 1.{minor}, host 1.{minor}, negotiated 1.{minor}"
    assert '"additionalProperties": false' in result.stdout


@pytest.mark.parametrize("plugin, config, message", [
    ("provider", {"base_url": "ftp://example.com"}, '"base_url" must be an http:// or https:// URL'),
    ("provider", {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "RUST_E2E_UNSET_VARIABLE"},
     "the environment variable RUST_E2E_UNSET_VARIABLE (api_key_env) is not set"),
    ("guardrail", {"words": ["x"], "replacement": "[X]"}, '"replacement" must not contain one of the words'),
])
def test_a_config_the_plugin_refuses_names_the_reason(rust_plugins, tmp_path, plugin, config, message):
    path = tmp_path / "bad.yaml"
    entry = {"name": "p", "path": rust_plugins[plugin], "config": config}
    use = ("providers:\n  - {name: p, plugin: p, models: [m]}\n" if plugin == "provider"
           else "providers: []\nguardrails:\n  - {plugin: p}\n")
    path.write_text(f"plugins:\n  - {json.dumps(entry)}\n{use}")
    env = {key: value for key, value in os.environ.items() if key != "RUST_E2E_UNSET_VARIABLE"}
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(path)],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
