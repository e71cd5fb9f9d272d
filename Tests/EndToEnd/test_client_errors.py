"""Client-facing errors name the provider and the kind of failure, never the upstream's
address, port or URL; the access log and the failover warning keep the transport's detail."""

import os
import socket
import textwrap

import anthropic
import openai
import pytest

from conftest import BIN_DIR, log_line, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    folder = tmp_path_factory.mktemp("client-errors")
    plain, tls = closed_port(), closed_port()
    config = folder / "switchyard.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
          loops: 1
          upstream_connect_timeout: 2s
        plugins:
          - name: dead
            path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so
            config: {{base_url: "http://127.0.0.1:{plain}/v1", api_key_env: null}}
          - name: dead-tls
            path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so
            config: {{base_url: "https://127.0.0.1:{tls}/v1", api_key_env: null}}
          - name: broken
            path: {os.path.abspath(BIN_DIR)}/libProviderOpenAI.so
            config: {{base_url: "http://127.0.0.1:{plain}/v1", api_key_env: null, headers: {{X-Bad: "a\\r\\nb"}}}}
        providers:
          - name: dead
            plugin: dead
            models: [dead-model, both-dead]
          - name: dead-tls
            plugin: dead-tls
            models: [tls-model, both-dead]
          - name: broken
            plugin: broken
            models: [broken-model]
        """))
    log_path = folder / "gateway.log"
    with open(log_path, "w") as log:
        process, port = start_process([SWITCHYARD, "serve", "--config", str(config)], stderr=log)
    yield port, log_path, plain, tls
    stop_process(process)


def failed(port, model, request_id):
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)
    with pytest.raises(openai.APIStatusError) as raised:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}],
                                       extra_headers={"X-Request-ID": request_id})
    return raised.value.status_code, raised.value.body["message"]


def assert_no_address(message, *ports):
    assert "127.0.0.1" not in message and "http" not in message and "/v1" not in message
    for port in ports:
        assert str(port) not in message


def test_a_dead_upstream_is_named_by_provider_and_kind_only(gateway):
    port, log_path, plain, _ = gateway
    status, message = failed(port, "dead-model", "dead-plain-1")
    assert status == 502
    assert message == "Provider dead: upstream unreachable (connection refused)"
    assert_no_address(message, plain)
    line = log_line(log_path, "request_id=dead-plain-1")
    assert "upstream unreachable (connection refused)" in line
    assert f"http://127.0.0.1:{plain}/v1/chat/completions" in line  # the detail stays in the log


def test_a_dead_tls_upstream_through_libcurl_says_the_same(gateway):
    port, log_path, _, tls = gateway
    status, message = failed(port, "tls-model", "dead-tls-1")
    assert status == 502
    assert message == "Provider dead-tls: upstream unreachable (connection refused)"
    assert_no_address(message, tls)
    assert f"127.0.0.1 port {tls}" in log_line(log_path, "request_id=dead-tls-1")


def test_failover_warnings_keep_the_detail_and_the_client_gets_none(gateway):
    port, log_path, plain, tls = gateway
    status, message = failed(port, "both-dead", "both-dead-1")
    assert status == 502
    assert message == "Provider dead-tls: upstream unreachable (connection refused)"
    assert_no_address(message, plain, tls)
    warning = log_line(log_path, 'msg="attempt failed, failing over" request_id=both-dead-1')
    assert "provider=dead" in warning and f"127.0.0.1:{plain}" in warning


def test_the_anthropic_route_renders_the_same_words(gateway):
    port, _, plain, _ = gateway
    client = anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="x", max_retries=0, timeout=15)
    with pytest.raises(anthropic.APIStatusError) as raised:
        client.messages.create(model="dead-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    text = str(raised.value.body)
    assert "Provider dead: upstream unreachable (connection refused)" in text
    assert_no_address(text, plain)


def test_a_plugin_internal_error_keeps_its_words_for_the_log(gateway):
    # The host refuses the request the plugin built (a header with a line break): the plugin's
    # and the host's words (they may hold the URL) go to the log, the client learns the kind.
    port, log_path, plain, _ = gateway
    status, message = failed(port, "broken-model", "broken-1")
    assert status == 500
    assert message == "Provider broken failed (internal error)"
    assert "header X-Bad has a line break" in log_line(log_path, "request_id=broken-1")
