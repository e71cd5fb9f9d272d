"""Budgets end to end (docs/governance.md#budgets): the official SDKs against the real gateway
and the mock upstream. A refusal is a 429 the SDKs do not retry (x-should-retry: false) in both
error shapes; reservations reconcile exactly with the usage the mock reported; failed and
abandoned streams cost nothing; a new day starts from 0; spend survives a restart; and 10,000
requests with faults leave nothing reserved and spend equal to the usage settled."""

import datetime
import random
import re
import threading
import time

import anthropic
import httpx2 as httpx
import openai
import pytest

from conftest import mock_port  # noqa: F401 (the session's mock upstream)
from governance_support import (
    Gateway, clear_mock, cost_micros, mock_faults, mock_journal,
)

BUDGETS = """
budgets:
  default_output_tokens: 5
  keys:
    default: {limit: 0.05, period: daily}
    key_exact: {limit: 5, period: daily}
    key_load: {limit: 1000, period: total}
  users:
    alice: {limit: 0.03, period: monthly}
rate_limits:
  keys:
    key_load: {concurrency: 8}
"""


@pytest.fixture(scope="module")
def gateway(mock_port, tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("budgets"), mock_port, BUDGETS)
    yield gateway
    gateway.stop()


@pytest.fixture(autouse=True)
def clean_mock(mock_port):
    clear_mock(mock_port)
    yield
    clear_mock(mock_port)


def counter():
    sent = []
    return sent, (lambda request: sent.append(request.url.path))


def test_budget_exhausted_openai_shape_not_retried(gateway):
    sent, hook = counter()
    client = gateway.openai(caller="key_b1", hooks=[hook])  # the SDK's default retries (2) stay on
    answered = 0
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(20):
            client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "say hello"}], max_tokens=5)
            answered += 1
    assert 1 <= answered < 20
    assert len(sent) == answered + 1, "the SDK retried a budget refusal"
    error = refused.value
    assert error.status_code == 429
    assert error.body["type"] == "insufficient_quota"
    assert error.body["code"] == "budget_exceeded"
    assert "Budget exceeded for key key_b1" in error.body["message"]
    assert "0.05 USD per day" in error.body["message"]
    headers = error.response.headers
    assert headers["x-should-retry"] == "false"
    midnight = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = (midnight - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert abs(int(headers["retry-after"]) - seconds) <= 5
    spent, reserved = gateway.spend("key:key_b1")
    assert reserved == 0
    assert spent > 0


def test_budget_exhausted_anthropic_shape_not_retried(gateway, mock_port):
    sent, hook = counter()
    client = gateway.anthropic(caller="key_b2,alice", hooks=[hook])
    answered = 0
    with pytest.raises(anthropic.RateLimitError) as refused:
        for _ in range(20):
            client.messages.create(model="mock-model", max_tokens=5, messages=[{"role": "user", "content": "say hello"}])
            answered += 1
    assert len(sent) == answered + 1, "the SDK retried a budget refusal"
    error = refused.value
    assert error.status_code == 429
    assert error.body["type"] == "error"
    assert error.body["error"]["type"] == "rate_limit_error"
    # alice's monthly 0.03 runs out before the key's daily 0.05.
    assert "Budget exceeded for user alice: 0.03 USD per month" in error.body["error"]["message"]
    assert error.response.headers["x-should-retry"] == "false"
    assert int(error.response.headers["retry-after"]) >= 1
    # The upstream saw only the admitted requests.
    assert len([r for r in mock_journal(mock_port) if "chat/completions" in r.get("path", "")]) == answered
    # All or nothing: the key's budget holds exactly what alice's does (the same requests).
    assert gateway.spend("key:key_b2")[0] == gateway.spend("user:alice")[0]


def test_reservations_reconcile_exactly_with_reported_usage(gateway):
    rng = random.Random(20261203)
    chat = gateway.openai(caller="key_exact")
    messages = gateway.anthropic(caller="key_exact")
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    expected = 0
    for i in range(24):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        kind = i % 3
        if kind == 0:
            response = chat.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": text}], max_tokens=rng.randint(1, 40))
            expected += cost_micros(response.usage.prompt_tokens, response.usage.completion_tokens)
        elif kind == 1:
            stream = chat.chat.completions.create(
                model="mock-model", messages=[{"role": "user", "content": text}], stream=True, stream_options={"include_usage": True})
            usage = [chunk.usage for chunk in stream if chunk.usage][-1]
            expected += cost_micros(usage.prompt_tokens, usage.completion_tokens)
        else:
            response = messages.messages.create(model="mock-model", max_tokens=rng.randint(1, 40), messages=[{"role": "user", "content": text}])
            expected += cost_micros(response.usage.input_tokens, response.usage.output_tokens)
    spent, reserved = gateway.spend("key:key_exact")
    assert reserved == 0
    assert spent == expected
    budget = gateway.budgets("key:key_exact")["budgets"][0]
    assert budget["spent"] == float(f"{expected / 1_000_000:.6f}")
    assert budget["currency"] == "USD" and budget["period"] == "daily"


def test_streams_that_fail_before_content_cost_nothing(gateway, mock_port):
    client = gateway.openai(caller="key_fail", max_retries=0)
    mock_faults(mock_port, [{"status": 500}, {"cut_after": 1}])
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi there"}], stream=True):
            pass
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi there"}], stream=True):
            pass
    assert gateway.spend("key:key_fail") == (0, 0)


def test_abandoned_stream_costs_only_known_usage(gateway, mock_port):
    client = gateway.openai(caller="key_gone", max_retries=0)
    mock_faults(mock_port, [{"chunk_delay_ms": 200}])
    stream = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "one two three four five six seven eight"}], stream=True)
    next(iter(stream))
    stream.close()  # gone mid-stream, before the usage (the mock sends it last)
    deadline = time.monotonic() + 5
    while gateway.spend("key:key_gone")[1] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gateway.spend("key:key_gone") == (0, 0)


def test_a_new_day_starts_from_zero_and_spend_survives_a_restart(gateway):
    client = gateway.openai(caller="key_day", max_retries=0)
    with pytest.raises(openai.RateLimitError):
        for _ in range(20):
            client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    spent, _ = gateway.spend("key:key_day")
    gateway.restart()
    client = gateway.openai(caller="key_day", max_retries=0)
    assert gateway.spend("key:key_day") == (spent, 0), "spend was not read back from the store"
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    now = datetime.datetime.now(datetime.timezone.utc)
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=30, microsecond=0)
    gateway.move_clock((tomorrow - now).total_seconds())
    try:
        client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
        spent_today, reserved = gateway.spend("key:key_day")
        assert 0 < spent_today < spent and reserved == 0
    finally:
        gateway.move_clock(0)


def test_ten_thousand_requests_with_faults_leave_nothing_reserved(gateway, mock_port):
    """Many threads, streams and whole answers, upstream failures, cut streams, clients that go
    away, and the key's concurrency refusing some: at the end nothing is reserved or in flight,
    and spend equals the usage of every request the gateway settled (its access log)."""
    rng = random.Random(14)
    faults = [rng.choice([{}, {}, {}, {}, {"status": 500}, {"cut_after": 2}, {"status": 503}]) for _ in range(4000)]
    mock_faults(mock_port, faults)
    total = 10_000
    threads = 16
    outcomes = {"ok": 0, "refused": 0, "failed": 0, "abandoned": 0, "cut": 0}
    lock = threading.Lock()
    time.sleep(1.5)  # the earlier tests' access-log lines, written in batches, are out first
    log_size = gateway.log_path.stat().st_size

    def run(seed):
        local = random.Random(seed)
        with httpx.Client(base_url=gateway.base, headers={"x-switchyard-test-caller": "key_load", "Authorization": "Bearer k"}, timeout=15) as http:
            for _ in range(total // threads):
                stream = local.random() < 0.4
                body = {"model": "mock-model", "messages": [{"role": "user", "content": "w " * local.randint(1, 20)}], "max_tokens": 8}
                try:
                    outcome = one(http, local, body, stream)
                except httpx.TransportError:
                    outcome = "cut"  # a stream cut upstream after it started reaches the client cut
                with lock:
                    outcomes[outcome] += 1

    def one(http, local, body, stream):
        if not stream:
            response = http.post("/v1/chat/completions", json=body)
            return {200: "ok", 429: "refused"}.get(response.status_code, "failed")
        body["stream"] = True
        with http.stream("POST", "/v1/chat/completions", json=body) as response:
            if response.status_code == 429:
                return "refused"
            if response.status_code != 200:
                return "failed"
            if local.random() < 0.2:
                for _ in response.iter_bytes():
                    break
                return "abandoned"
            response.read()
            return "ok"

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(seed,)) for seed in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    assert sum(outcomes.values()) == total
    assert outcomes["ok"] > 1000 and outcomes["refused"] > 0 and outcomes["failed"] > 0, outcomes
    deadline = time.monotonic() + 5
    while gateway.spend("key:key_load")[1] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    spent, reserved = gateway.spend("key:key_load")
    assert reserved == 0
    # Every settled request's usage, from the access log the same settlement step writes.
    time.sleep(1.5)  # access-log lines are written in batches
    with open(gateway.log_path) as log:
        log.seek(log_size)
        lines = [line for line in log if '"request"' in line or "msg=request" in line]
    usage = 0
    for line in lines:
        prompt = re.search(r'prompt_tokens["=:]+(\d+)', line)
        completion = re.search(r'completion_tokens["=:]+(\d+)', line)
        if prompt and completion:
            usage += cost_micros(int(prompt.group(1)), int(completion.group(1)))
    assert len(lines) >= total - 10, f"{len(lines)} access-log lines for {total} requests"
    assert spent == usage
    print(f"10,000 requests in {elapsed:.1f} s: {outcomes}")
