"""The C examples of the kinds other than a provider (plugin-sdk/examples/c), each built by its
own Makefile and loaded by the real gateway: the guardrail rejects a request before any provider
sees it, the enricher meters passthrough chat completions in the access log (whole and streamed),
and the batch preparer caps or refuses a batch's lines on their way to the provider.
(The provider example is test_c_plugin.py; the README's walkthrough test_sdk_walkthrough.py.)"""

import json
import os
import subprocess
import textwrap
import time

import openai
import pytest

from conftest import BIN_DIR, ROOT, start_process, stop_process
from test_passthrough import Gateway, field, ids

PLUGIN_DIR = os.path.abspath(BIN_DIR)


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """{example folder: the library its Makefile built}."""
    out = tmp_path_factory.mktemp("c-examples")
    built = {}
    for folder, library in [("guardrail-deny", "libguardrail_deny.so"), ("enricher-usage", "libenricher_usage.so"),
                            ("batch-max-tokens", "libbatch_max_tokens.so")]:
        subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "plugin-sdk/examples/c", folder), f"OUT={out}"], check=True, timeout=120)
        built[folder] = out / library
    return built


@pytest.fixture(scope="module")
def upstream():
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1", "--batch-delay-ms", "200"])
    yield port
    stop_process(process)


@pytest.fixture(scope="module")
def gateway(examples, upstream, tmp_path_factory):
    folder = tmp_path_factory.mktemp("c-examples-gateway")
    config = folder / "gateway.yaml"
    config.write_text(textwrap.dedent(f"""
        server: {{port: 0, loops: 2}}
        plugins:
          - {{name: openai, path: {PLUGIN_DIR}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{upstream}/v1", api_key_env: null}}}}
          - {{name: echo, path: {PLUGIN_DIR}/libProviderEcho.so}}
          - {{name: deny, path: {examples["guardrail-deny"]}, config: {{word: classified}}}}
          - {{name: usage, path: {examples["enricher-usage"]}}}
          - {{name: cap, path: {examples["batch-max-tokens"]}, config: {{max_tokens: 64}}}}
        providers:
          - {{name: openai, plugin: openai, models: [gpt-4o-mini], passthrough: true}}
          - {{name: echo, plugin: echo, models: [echo-1]}}
        guardrails:
          - {{plugin: deny, phases: [request]}}
        enrichers:
          - {{plugin: usage}}
        batch_preparers:
          - {{plugin: cap}}
        files:
          default_provider: openai
        """))
    gateway = Gateway(folder, config)
    yield gateway
    gateway.stop()


@pytest.fixture()
def client(gateway):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="x", max_retries=0, timeout=30)


# ---- guardrail-deny

def test_the_c_guardrail_rejects_a_denied_word_and_lets_the_rest_through(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "the classified plans"}])
    assert raised.value.code == "content_blocked"
    assert "denied word" in raised.value.message
    reply = client.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "the open plans"}])
    assert reply.choices[0].message.content == "the open plans"


# ---- enricher-usage

def passthrough(gateway):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/p/openai/v1", api_key="x", max_retries=0, timeout=30)


def test_the_c_enricher_meters_a_whole_passthrough_answer(gateway):
    request_id, = ids("whole")
    reply = passthrough(gateway).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "count these words"}], extra_headers={"X-Request-ID": request_id})
    line = gateway.line_for(request_id)
    assert field(line, "mode") == "passthrough" and "usage:reported" in field(line, "enrichers")
    assert field(line, "model") == "gpt-4o-mini" and field(line, "audit_path") == "/v1/chat/completions"
    assert int(field(line, "prompt_tokens")) == reply.usage.prompt_tokens
    assert int(field(line, "completion_tokens")) == reply.usage.completion_tokens


def test_the_c_enricher_meters_a_streamed_passthrough_answer(gateway):
    request_id, = ids("stream")
    chunks = list(passthrough(gateway).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "one two three"}], stream=True,
        stream_options={"include_usage": True}, extra_headers={"X-Request-ID": request_id}))
    usage = chunks[-1].usage
    line = gateway.line_for(request_id)
    assert "usage:reported" in field(line, "enrichers") and field(line, "stream") == "true"
    assert int(field(line, "prompt_tokens")) == usage.prompt_tokens
    assert int(field(line, "completion_tokens")) == usage.completion_tokens == 4


def test_the_c_enricher_declines_what_is_not_a_chat_completion(gateway):
    request_id, = ids("models")
    passthrough(gateway).models.list(extra_headers={"X-Request-ID": request_id})
    assert "usage:declined" in field(gateway.line_for(request_id), "enrichers")


# ---- batch-max-tokens

def line(custom_id, **body):
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}], **body}}


def create_batch(client, lines):
    data = ("\n".join(json.dumps(item) for item in lines) + "\n").encode()
    file = client.files.create(file=("input.jsonl", data), purpose="batch")
    return client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")


def test_the_c_batch_preparer_caps_lines_that_ask_for_no_limit(client, upstream):
    batch = create_batch(client, [line("none"), line("small", max_tokens=10), line("completion-limit", max_completion_tokens=64)])
    mock = openai.OpenAI(base_url=f"http://127.0.0.1:{upstream}/v1", api_key="x", max_retries=0)
    deadline = time.monotonic() + 30
    while client.batches.retrieve(batch.id).status not in ("completed", "failed", "cancelled", "expired"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # What the provider received: the prepared copy of the input.
    upstream_batch = max(mock.batches.list(limit=100), key=lambda b: b.created_at)
    prepared = [json.loads(text) for text in mock.files.content(upstream_batch.input_file_id).text.splitlines()]
    assert [item["custom_id"] for item in prepared] == ["none", "small", "completion-limit"]
    assert prepared[0]["body"]["max_tokens"] == 64 and prepared[0]["body"]["messages"] == line("none")["body"]["messages"]
    assert prepared[1] == line("small", max_tokens=10)
    assert prepared[2] == line("completion-limit", max_completion_tokens=64)


def test_the_c_batch_preparer_refuses_a_line_over_the_limit_naming_it(client):
    with pytest.raises(openai.BadRequestError) as raised:
        create_batch(client, [line("fine"), line("greedy", max_tokens=4096)])
    assert "line 2" in raised.value.message and "cap" in raised.value.message
    assert "max_tokens 4096 is over this gateway's limit of 64" in raised.value.message


def test_the_c_batch_preparer_checks_both_token_limits_of_a_line(client):
    # A small max_tokens does not carry a huge max_completion_tokens past the cap.
    with pytest.raises(openai.BadRequestError) as raised:
        create_batch(client, [line("sly", max_tokens=10, max_completion_tokens=999999)])
    assert "line 1" in raised.value.message
    assert "max_completion_tokens 999999 is over this gateway's limit of 64" in raised.value.message


def test_the_c_batch_preparer_rejects_a_bad_config_at_load(examples, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(textwrap.dedent(f"""
        plugins:
          - {{name: cap, path: {examples["batch-max-tokens"]}, config: {{max_tokens: 0}}}}
        batch_preparers:
          - {{plugin: cap}}
        """))
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "max_tokens" in result.stderr
