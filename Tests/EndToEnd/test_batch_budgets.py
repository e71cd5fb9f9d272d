"""A batch's cost against its creator's budgets (docs/governance.md#batches), end to end: the
OpenAI SDK creates a native batch (the mock runs it) with a virtual key; once the batch is seen
ended, its cost (the sum of its result lines' usage records, at the provider's batch discount)
is charged once to the key's own budget, its user's and its team's; looking at the batch again,
listing it, or a restart charge nothing more; and a key whose budget is used up cannot create
another batch (429 insufficient_quota, not retried by the SDK)."""

import json
import os
import time

import openai
import pytest

from conftest import BIN_DIR, start_process, stop_process
from governance_support import Gateway

EXTRA = """
files:
  default_provider: mock
budgets:
  users:
    dora: {limit: 100, period: monthly}
  teams:
    batchers: {limit: 100, period: total}
"""


@pytest.fixture
def batch_mock():
    mock, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1", "--batch-delay-ms", "200"])
    yield port
    stop_process(mock)


def run_batch(client, texts):
    lines = [{"custom_id": f"line-{index}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "mock-model", "messages": [{"role": "user", "content": text}]}}
             for index, text in enumerate(texts)]
    file = client.files.create(file=("in.jsonl", ("\n".join(json.dumps(line) for line in lines) + "\n").encode()), purpose="batch")
    return client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")


def wait_ended(client, batch_id):
    deadline = time.monotonic() + 30
    while (done := client.batches.retrieve(batch_id)).status not in ("completed", "failed", "cancelled", "expired"):
        assert time.monotonic() < deadline, done
        time.sleep(0.1)
    return done


def spent(gateway, key):
    """{scope: spent_micros} of the key's budgets (GET /admin/keys/{id})."""
    status, detail = gateway.admin("GET", f"/admin/keys/{key['id']}")
    assert status == 200, detail
    return {entry["scope"]: entry["spent_micros"] for entry in detail["spend"]}


def test_a_batch_is_charged_once_to_its_creators_budgets_and_a_spent_key_cannot_start_another(tmp_path, batch_mock):
    gateway = Gateway(tmp_path, batch_mock, EXTRA)
    try:
        key = gateway.create_key(name="batcher", user="dora", team="batchers", budget={"limit": 0.01, "period": "daily"})
        scopes = [f"key:{key['id']}", "user:dora", "team:batchers"]
        sent = []
        client = gateway.openai(key, hooks=[lambda request: sent.append(request.url.path)], max_retries=2)
        batch = run_batch(client, ["one two three", "four five six seven eight"])
        done = wait_ended(client, batch.id)
        assert done.status == "completed"
        # The usage records of its lines, at the batch discount (0.5 for the openai plugin).
        deadline = time.monotonic() + 5
        while True:
            status, body = gateway.admin("GET", f"/admin/usage/records?request_id={batch.id}")
            assert status == 200, body
            if len(records := body["data"]) == 2:
                break
            assert time.monotonic() < deadline, records
            time.sleep(0.05)
        cost = sum(record["cost_micros"] for record in records)
        full = sum(record["prompt_tokens"] * 1000 + record["completion_tokens"] * 2000 for record in records)
        assert cost == round(full * 0.5) and cost == 14_000  # (3·1000 + 4·2000 + 5·1000 + 6·2000) / 2: past the key's 0.01
        # Charged to every budget of its creator, exactly the records' sum.
        deadline = time.monotonic() + 5
        while spent(gateway, key) != dict.fromkeys(scopes, cost):
            assert time.monotonic() < deadline, (spent(gateway, key), cost)
            time.sleep(0.05)
        # Seen again, listed, and after a restart: charged once.
        client.batches.retrieve(batch.id)
        client.batches.list()
        time.sleep(0.3)
        assert spent(gateway, key) == dict.fromkeys(scopes, cost)
        gateway.restart()
        client = gateway.openai(key, hooks=[lambda request: sent.append(request.url.path)], max_retries=2)
        client.batches.retrieve(batch.id)
        time.sleep(0.3)
        assert spent(gateway, key) == dict.fromkeys(scopes, cost)
        # Its budget used up, the key starts no new batch: the request's budget refusal, not retried.
        file = client.files.create(file=("in.jsonl", b'{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"mock-model","messages":[]}}\n'),
                                   purpose="batch")
        sent.clear()
        with pytest.raises(openai.RateLimitError) as refused:
            client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
        assert sent == ["/v1/batches"], "x-should-retry: false: the SDK does not retry"
        error = refused.value
        assert error.status_code == 429 and error.response.headers["x-should-retry"] == "false"
        assert error.body["type"] == "insufficient_quota" and error.body["code"] == "budget_exceeded"
        assert f"Budget exceeded for key {key['id']}" in error.body["message"] and "0.01 USD per day" in error.body["message"]
        assert int(error.response.headers["retry-after"]) >= 1
        # Another key of the same user and team, with budget left, still can.
        other = gateway.create_key(name="fresh", user="dora", team="batchers", budget={"limit": 5, "period": "daily"})
        second = run_batch(gateway.openai(other, max_retries=0), ["nine"])
        assert second.status in ("validating", "in_progress", "finalizing", "completed")
    finally:
        gateway.stop()


def test_a_user_budget_used_up_by_a_batch_refuses_the_users_next_batch(tmp_path, batch_mock):
    """The user's budget counts a batch too: a second key of the same user is refused."""
    gateway = Gateway(tmp_path, batch_mock, EXTRA.replace("dora: {limit: 100", "dora: {limit: 0.01"))
    try:
        first = gateway.create_key(name="first", user="dora")
        client = gateway.openai(first, max_retries=0)
        batch = run_batch(client, ["one two three four five six seven eight"])  # 0.013
        assert wait_ended(client, batch.id).status == "completed"
        deadline = time.monotonic() + 5
        while gateway.spend("user:dora")[0] < 10_000:
            assert time.monotonic() < deadline, gateway.spend("user:dora")
            time.sleep(0.05)
        second = gateway.create_key(name="second", user="dora")
        with pytest.raises(openai.RateLimitError) as refused:
            run_batch(gateway.openai(second, max_retries=0), ["five"])
        assert refused.value.body["code"] == "budget_exceeded" and "user dora" in refused.value.body["message"]
    finally:
        gateway.stop()


def with_anthropic(gateway, mock_port):
    """The gateway's config with an Anthropic provider on the mock (batches run inline), restarted."""
    plugin_dir = os.path.abspath(BIN_DIR)
    text = gateway.config.read_text()
    text = text.replace("providers:\n", f"""  - name: anthropic
    path: {plugin_dir}/libProviderAnthropic.so
    config:
      base_url: http://127.0.0.1:{mock_port}/v1
      api_key_env: null
providers:
  - name: anthropic
    plugin: anthropic
    models: [claude-test]
    breaker: off
""", 1)
    text = text.replace("    mock-model: {input: 1000, output: 2000}\n", "    mock-model: {input: 1000, output: 2000}\n    claude-test: {input: 1000, output: 2000}\n", 1)
    gateway.config.write_text(text)
    gateway.restart()


def test_an_inline_anthropic_batch_is_charged_once_too(tmp_path, batch_mock):
    gateway = Gateway(tmp_path, batch_mock, EXTRA)
    try:
        with_anthropic(gateway, batch_mock)
        key = gateway.create_key(name="inline", user="dora", team="batchers", budget={"limit": 1, "period": "monthly"})
        client = gateway.openai(key, max_retries=0)
        lines = [{"custom_id": f"c-{index}", "method": "POST", "url": "/v1/chat/completions",
                  "body": {"model": "claude-test", "max_tokens": 50, "messages": [{"role": "user", "content": text}]}}
                 for index, text in enumerate(["one two", "three four five"])]
        file = client.files.create(file=("in.jsonl", ("\n".join(json.dumps(line) for line in lines) + "\n").encode()), purpose="batch",
                                   extra_body={"provider": "anthropic"})
        batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
        assert wait_ended(client, batch.id).status == "completed"
        status, body = gateway.admin("GET", f"/admin/usage/records?request_id={batch.id}")
        records = body["data"]
        assert status == 200 and len(records) == 2 and {record["mode"] for record in records} == {"inline_batch"}
        cost = sum(record["cost_micros"] for record in records)
        full = sum(record["prompt_tokens"] * 1000 + record["completion_tokens"] * 2000 for record in records)
        assert 0 < cost < full  # at the batch discount
        scopes = [f"key:{key['id']}", "user:dora", "team:batchers"]
        deadline = time.monotonic() + 5
        while spent(gateway, key) != dict.fromkeys(scopes, cost):
            assert time.monotonic() < deadline, (spent(gateway, key), cost)
            time.sleep(0.05)
        for _ in range(3):
            client.batches.retrieve(batch.id)
        time.sleep(0.3)
        assert spent(gateway, key) == dict.fromkeys(scopes, cost)
    finally:
        gateway.stop()
