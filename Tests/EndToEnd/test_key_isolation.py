"""Ownership (docs/governance.md, "Ownership"; decision 0024): with keys required, a virtual key
reaches only the files, batches and stored responses it created. Another key's id is answered
exactly like an unknown one (404 through the official openai SDK; a previous_response_id like an
unknown one), listings leave other keys' resources out, and the master key sees everything.
Also: a disabled and a rotated-away key are refused (401) on the resource routes, /v1/models
and passthrough. The real gateway, the real switchyard-mock (OpenAI files, batches and Responses;
Anthropic messages for the translated route and the gateway's held files) and the real store."""

import os
import textwrap

import openai
import pytest

from conftest import BIN_DIR, UPSTREAM_KEY, json_call, start_process, stop_process
from test_batches import chat_line, finished, jsonl, wait_for

MASTER = "isolation-master-key-0123456789"


def config_text(mock_port, store_path):
    plugins = os.path.abspath(BIN_DIR)
    return textwrap.dedent(f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 2
          shutdown_grace: 5s
        keys:
          required: true
        plugins:
          - name: openai
            path: {plugins}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: SWITCHYARD_E2E_UPSTREAM_KEY
          - name: anthropic
            path: {plugins}/libProviderAnthropic.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: SWITCHYARD_E2E_UPSTREAM_KEY
        providers:
          - name: openai
            plugin: openai
            models: [gpt-4o-mini]
            breaker: off
            passthrough: true
          - name: anthropic
            plugin: anthropic
            models: [claude-test]
            breaker: off
        batch_preparers: []
        files:
          default_provider: openai
        store:
          path: {store_path}
        """)


class Gateway:
    def __init__(self, folder, mock_port):
        config = folder / "switchyard.yaml"
        config.write_text(config_text(mock_port, folder / "store.db"))
        env = dict(os.environ, SWITCHYARD_E2E_UPSTREAM_KEY=UPSTREAM_KEY, SWITCHYARD_MASTER_KEY=MASTER)
        with open(folder / "gateway.log", "a") as log:
            self.process, self.port = start_process(
                [os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], env=env, stderr=log)

    def call(self, method, path, body=None, key=MASTER):
        return json_call(self.port, method, path, body, bearer=key)

    def create_key(self, name):
        status, body = self.call("POST", "/admin/keys", {"name": name})
        assert status == 201, body
        return body

    def client(self, key):
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key=key, max_retries=0, timeout=30)


@pytest.fixture(scope="module")
def mock():
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1", "--batch-delay-ms", "200"])
    yield port
    stop_process(process)


@pytest.fixture(scope="module")
def gateway(mock, tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("isolation"), mock)
    yield gateway
    stop_process(gateway.process)


@pytest.fixture(scope="module")
def clients(gateway):
    """(A, B, master): two virtual keys and the master key, each through the openai SDK."""
    return gateway.client(gateway.create_key("a")["key"]), gateway.client(gateway.create_key("b")["key"]), gateway.client(MASTER)


def one_line(model):
    return jsonl([chat_line("one", model)])


def upload(client, provider=None, model="gpt-4o-mini"):
    extra = {"extra_body": {"provider": provider}} if provider else {}
    return client.files.create(file=("input.jsonl", one_line(model)), purpose="batch", **extra)


def not_found(call):
    with pytest.raises(openai.NotFoundError) as raised:
        call()
    return raised.value


def listed_files(client):
    return {file.id for file in client.files.list()}


@pytest.mark.parametrize("provider", [None, "anthropic"], ids=["at-provider", "held-by-gateway"])
def test_another_keys_file_is_not_found(clients, provider):
    a, b, master = clients
    mine, theirs = upload(a, provider), upload(b, provider)
    unknown = not_found(lambda: b.files.retrieve("file-sy-unknown"))
    refused = not_found(lambda: b.files.retrieve(mine.id))
    assert refused.body == {**unknown.body, "message": unknown.body["message"].replace("file-sy-unknown", mine.id)}
    not_found(lambda: b.files.content(mine.id))
    not_found(lambda: b.files.delete(mine.id))
    assert mine.id not in listed_files(b) and theirs.id in listed_files(b)
    assert mine.id in listed_files(a) and theirs.id not in listed_files(a)
    # Paging after another key's file is paging after an unknown one.
    with pytest.raises(openai.BadRequestError) as after_theirs:
        b.files.list(after=mine.id)
    assert after_theirs.value.body["code"] == "invalid_after"
    # A still has everything B tried to reach; the master key sees both keys' files.
    assert a.files.retrieve(mine.id).id == mine.id
    assert a.files.content(mine.id).content == one_line("gpt-4o-mini")
    assert {mine.id, theirs.id} <= listed_files(master)
    assert master.files.retrieve(theirs.id).id == theirs.id
    assert a.files.delete(mine.id).deleted
    assert master.files.delete(theirs.id).deleted


@pytest.mark.parametrize("provider,model", [(None, "gpt-4o-mini"), ("anthropic", "claude-test")], ids=["native", "inline"])
def test_another_keys_batch_and_its_results_are_not_found(clients, provider, model):
    a, b, master = clients
    input_file = upload(a, provider, model)
    # B cannot start a batch on A's file: the file is not found.
    refused = not_found(lambda: b.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h"))
    assert refused.body["param"] == "input_file_id"
    batch = a.batches.create(input_file_id=input_file.id, endpoint="/v1/chat/completions", completion_window="24h")
    not_found(lambda: b.batches.retrieve(batch.id))
    not_found(lambda: b.batches.cancel(batch.id))
    assert batch.id not in {item.id for item in b.batches.list()}
    assert batch.id in {item.id for item in a.batches.list()}
    with pytest.raises(openai.BadRequestError) as after_theirs:
        b.batches.list(after=batch.id)
    assert after_theirs.value.body["code"] == "invalid_after"
    done = wait_for(lambda: a.batches.retrieve(batch.id), finished)
    assert done.status == "completed", done  # B's cancel did not reach it
    # The batch's results are A's files.
    output = done.output_file_id
    not_found(lambda: b.files.retrieve(output))
    not_found(lambda: b.files.content(output))
    not_found(lambda: b.files.delete(output))
    assert output not in listed_files(b) and output in listed_files(a)
    assert b'"custom_id":"one"' in a.files.content(output).content.replace(b" ", b"")
    # The master key sees A's batch and its results.
    assert master.batches.retrieve(batch.id).id == batch.id and batch.id in {item.id for item in master.batches.list()}
    assert master.files.retrieve(output).id == output


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-test"], ids=["native", "translated"])
def test_another_keys_stored_response_is_not_found(clients, model):
    a, b, master = clients
    first = a.responses.create(model=model, input="my name is Ada")
    unknown = not_found(lambda: b.responses.retrieve("resp_unknown"))
    refused = not_found(lambda: b.responses.retrieve(first.id))
    assert refused.body == {**unknown.body, "message": unknown.body["message"].replace("resp_unknown", first.id)}
    not_found(lambda: b.responses.delete(first.id))
    # Continuing another key's response is answered like continuing an unknown one.
    with pytest.raises(openai.BadRequestError) as unknown_previous:
        b.responses.create(model=model, input="what is my name?", previous_response_id="resp_unknown")
    with pytest.raises(openai.BadRequestError) as theirs_previous:
        b.responses.create(model=model, input="what is my name?", previous_response_id=first.id)
    assert theirs_previous.value.status_code == unknown_previous.value.status_code
    assert theirs_previous.value.body == {
        **unknown_previous.value.body, "message": unknown_previous.value.body["message"].replace("resp_unknown", first.id)}
    assert "not found" in theirs_previous.value.body["message"]
    # A's response is intact: A reads it and continues it; the master key reads it too.
    assert a.responses.retrieve(first.id).id == first.id
    second = a.responses.create(model=model, input="what is my name?", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert master.responses.retrieve(first.id).id == first.id
    a.responses.delete(second.id)
    not_found(lambda: a.responses.retrieve(second.id))


ROUTES = [
    ("GET", "/v1/files"),
    ("GET", "/v1/files/file-sy-unknown/content"),
    ("GET", "/v1/batches"),
    ("GET", "/v1/responses/resp_unknown"),
    ("DELETE", "/v1/responses/resp_unknown"),
    ("GET", "/v1/models"),
    ("GET", "/p/openai/v1/models"),
]


@pytest.mark.parametrize("state", ["disabled", "rotated"])
@pytest.mark.parametrize("method,path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_disabled_or_rotated_away_key_is_refused(gateway, state, method, path):
    created = gateway.create_key(f"{state}-{path}")
    assert gateway.call(method, path, key=created["key"])[0] != 401  # served before
    if state == "disabled":
        assert gateway.call("PATCH", f"/admin/keys/{created['id']}", {"disabled": True})[0] == 200
    else:
        assert gateway.call("POST", f"/admin/keys/{created['id']}/rotate")[0] == 200
    status, body = gateway.call(method, path, key=created["key"])
    assert status == 401, body
    assert body["error"]["code"] == "invalid_api_key"
    assert ("is disabled" if state == "disabled" else "Incorrect API key provided") in body["error"]["message"]
