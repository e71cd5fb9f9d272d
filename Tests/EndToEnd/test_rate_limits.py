"""Rate limits end to end (docs/governance.md#rate-limits): the official SDKs against the real
gateway and the mock upstream. Requests per minute refused with Retry-After and x-ratelimit-*
in both error shapes, and admitted again once the window slid (the test clock moves it); tokens
per minute; concurrency held by slow streams and freed by a stream its client abandons;
successful answers carry the headers too. Callers are virtual keys made through POST
/admin/keys (keys.required), user and team on the key."""

import os
import signal
import subprocess
import threading
import time

import anthropic
import openai
import pytest

from conftest import BIN_DIR, log_line, mock_port  # noqa: F401 (the session's mock upstream)
from governance_support import Gateway, clear_mock, cost_micros, mock_faults

LIMITS = """
budgets:
  teams: {priced: {limit: 100, period: monthly}}
rate_limits:
  models:
    rpm-model: {rpm: 3}
    rpm-model-2: {rpm: 2}
    tpm-model: {tpm: 100}
    conc-model: {concurrency: 2}
  users:
    bob: {rpm: 2}
    dave: {rpm: 3}
    frank: {rpm: 5}
"""


@pytest.fixture(scope="module")
def gateway(mock_port, tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("rate-limits"), mock_port, LIMITS)
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def plain(gateway):
    """A key with no user, team or limits of its own: only the model scopes apply."""
    return gateway.create_key(name="plain")


@pytest.fixture(autouse=True)
def clean(mock_port, gateway):
    clear_mock(mock_port)
    gateway.move_clock(0)
    yield
    clear_mock(mock_port)
    gateway.move_clock(0)


def ask(client, model, **extra):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hello"}], **extra)


def test_requests_per_minute_refused_then_recovered(gateway, plain):
    client = gateway.openai(plain, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(model="rpm-model", messages=[{"role": "user", "content": "hello"}])
    assert raw.headers["x-ratelimit-limit-requests"] == "3"
    assert raw.headers["x-ratelimit-remaining-requests"] == "2"
    assert raw.headers["x-ratelimit-reset-requests"].endswith("s")
    ask(client, "rpm-model")
    ask(client, "rpm-model")
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, "rpm-model")
    error = refused.value
    assert error.status_code == 429
    assert error.body["type"] == "rate_limit_exceeded" and error.body["code"] == "rate_limit_exceeded"
    assert error.body["message"].startswith("Rate limit reached for model rpm-model: 3 requests per minute; retry in ")
    headers = error.response.headers
    assert 1 <= int(headers["retry-after"]) <= 120
    assert headers["x-ratelimit-limit-requests"] == "3"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert "x-should-retry" not in headers
    # Two minutes on (the test clock), the window has slid past all three.
    gateway.move_clock(125)
    ask(client, "rpm-model")


def test_requests_per_minute_anthropic_shape(gateway, plain):
    client = gateway.anthropic(plain, max_retries=0)
    for _ in range(2):
        client.messages.create(model="rpm-model-2", max_tokens=5, messages=[{"role": "user", "content": "hello"}])
    with pytest.raises(anthropic.RateLimitError) as refused:
        client.messages.create(model="rpm-model-2", max_tokens=5, messages=[{"role": "user", "content": "hello"}])
    error = refused.value
    assert error.body["type"] == "error" and error.body["error"]["type"] == "rate_limit_error"
    assert "2 requests per minute" in error.body["error"]["message"]
    assert int(error.response.headers["retry-after"]) >= 1
    assert error.response.headers["x-ratelimit-remaining-requests"] == "0"


def test_a_user_limit_counts_every_key_of_the_user(gateway):
    sent = []
    first = gateway.openai(gateway.create_key(user="bob"), max_retries=0)
    second = gateway.openai(gateway.create_key(user="bob", team="priced"), hooks=[lambda request: sent.append(1)], max_retries=0)
    ask(first, "mock-model")
    ask(first, "mock-model")
    with pytest.raises(openai.RateLimitError) as refused:
        ask(second, "mock-model")
    assert refused.value.body["message"].startswith("Rate limit reached for user bob: 2 requests per minute")
    assert len(sent) == 1
    # Another user's key is not held back by bob's limit.
    ask(gateway.openai(gateway.create_key(user="carol"), max_retries=0), "mock-model")


def test_passthrough_and_files_count_requests(gateway):
    """Passthrough and the files API count against rpm too (not against budgets or tpm)."""
    import httpx2 as httpx

    headers = {"Authorization": f"Bearer {gateway.create_key(user='dave')['key']}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "hello"}]}
    with httpx.Client(base_url=gateway.base, headers=headers, timeout=10) as http:
        assert http.post("/p/mock/chat/completions", json=body).status_code == 200
        assert http.post("/p/mock/chat/completions", json=body).status_code == 200
        assert http.get("/v1/files").status_code == 200
        refused = http.post("/p/mock/chat/completions", json=body)
        assert refused.status_code == 429
        assert refused.json()["error"]["message"].startswith("Rate limit reached for user dave: 3 requests per minute")
        assert int(refused.headers["retry-after"]) >= 1
        files = http.get("/v1/files")
        assert files.status_code == 429 and files.headers["x-ratelimit-limit-requests"] == "3"


def test_passthrough_and_files_answers_carry_the_rate_limit_headers(gateway):
    """Admitted passthrough and files answers tell the client its standing, as generations do."""
    import httpx2 as httpx

    headers = {"Authorization": f"Bearer {gateway.create_key(user='frank')['key']}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "hello"}]}
    with httpx.Client(base_url=gateway.base, headers=headers, timeout=10) as http:
        passthrough = http.post("/p/mock/chat/completions", json=body)
        assert passthrough.status_code == 200
        assert passthrough.headers["x-ratelimit-limit-requests"] == "5"
        assert passthrough.headers["x-ratelimit-remaining-requests"] == "4"
        files = http.get("/v1/files")
        assert files.status_code == 200
        assert files.headers["x-ratelimit-remaining-requests"] == "3"
        assert files.headers["x-ratelimit-reset-requests"].endswith("s")


def test_tokens_per_minute(gateway, plain):
    client = gateway.openai(plain, max_retries=0)
    # Bigger than the whole limit, but nothing is counted yet: it runs alone.
    first = client.chat.completions.with_raw_response.create(
        model="tpm-model", messages=[{"role": "user", "content": "hello"}], max_tokens=1000)
    assert first.headers["x-ratelimit-limit-tokens"] == "100"
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, "tpm-model", max_tokens=1000)
    assert "100 tokens per minute" in refused.value.body["message"]
    assert refused.value.response.headers["x-ratelimit-limit-tokens"] == "100"
    ask(client, "tpm-model", max_tokens=10)  # small ones still fit beside the real tokens counted


def test_concurrency_held_by_slow_streams(gateway, mock_port, plain):
    mock_faults(mock_port, [{"chunk_delay_ms": 150}, {"chunk_delay_ms": 150}])
    client = gateway.openai(plain, max_retries=0)
    streams = [client.chat.completions.create(
        model="conc-model", messages=[{"role": "user", "content": "one two three four five"}], stream=True) for _ in range(2)]
    for stream in streams:
        next(iter(stream))  # both in flight
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, "conc-model")
    assert refused.value.body["message"] == "Concurrency limit reached for model conc-model: 2 requests in flight; retry when one finishes."
    assert refused.value.response.headers["retry-after"] == "1"
    done = [threading.Thread(target=lambda s=s: [None for _ in s]) for s in streams]
    for thread in done:
        thread.start()
    for thread in done:
        thread.join(timeout=10)
    ask(client, "conc-model")


def test_an_abandoned_stream_frees_its_concurrency_slot_at_once(gateway, mock_port):
    """A key with concurrency 1: its stream holds the slot; the client closes it mid-way (the
    upstream still has chunks to send, the usage not yet known) and the key's next request is
    admitted at once, with no retry and no wait. Content went out before it left, no usage
    came: it is charged its reservation (docs/governance.md#budgets)."""
    key = gateway.create_key(name="one-at-a-time", team="priced", limits={"concurrency": 1})
    sizes = []
    client = gateway.openai(key, hooks=[lambda request: sizes.append(len(request.read()))], max_retries=0)
    mock_faults(mock_port, [{"chunk_delay_ms": 400}])
    stream = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "one two three four five six seven eight"}], stream=True)
    next(iter(stream))  # in flight
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, "mock-model")
    assert refused.value.body["message"] == (
        f"Concurrency limit reached for key {key['id']} ({key['prefix']}…): 1 requests in flight; retry when one finishes.")
    team_before = gateway.spend("team:priced")
    stream.close()  # gone mid-stream
    time.sleep(0.1)  # the close reaching the gateway's loop, well under one 400 ms chunk delay
    started = time.monotonic()
    reply = ask(client, "mock-model")
    assert reply.choices and time.monotonic() - started < 0.4
    # The abandoned stream settled at its estimate: prompt ≈ bytes / 4, default_output_tokens.
    estimate = cost_micros((sizes[0] + 3) // 4, 1024)
    # The reply settles as its request ends, just after its last bytes went out: wait for that.
    deadline = time.monotonic() + 3
    while gateway.spend("team:priced")[1] != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gateway.spend("team:priced") == (team_before[0] + estimate + cost_micros(reply.usage.prompt_tokens, reply.usage.completion_tokens), 0)


def test_a_stream_the_shutdown_grace_cuts_is_ended_and_settled(mock_port, tmp_path):
    """SIGTERM while a key's stream is held upstream past shutdown_grace: the gateway ends it
    itself (the client gets "shutting down"), and the request ends once through the access log,
    the step that settles its hold (docs/governance.md#budgets), before the process exits 0."""
    gateway = Gateway(tmp_path, mock_port, LIMITS, grace="1s")
    try:
        key = gateway.create_key(name="held", team="priced", limits={"concurrency": 1})
        mock_faults(mock_port, [{"chunk_delay_ms": 2500}])
        stream = gateway.openai(key, max_retries=0).chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "one two three"}], stream=True)
        chunks = iter(stream)
        next(chunks)  # in flight, holding the key's only slot and a reservation in team priced
        assert gateway.spend("team:priced")[1] > 0
        gateway.process.send_signal(signal.SIGTERM)
        with pytest.raises(openai.APIError) as cut:
            list(chunks)
        assert "shutting down" in str(cut.value)
        assert gateway.process.wait(timeout=10) == 0
        line = log_line(gateway.log_path, 'error="gateway shutting down"')
        assert "status=503" in line and "model=mock-model" in line, line
    finally:
        gateway.stop()


def test_an_open_gateway_counts_only_the_model_and_no_request_names_its_caller(mock_port, tmp_path):
    """Without keys.required a request has no caller: only its model's limits apply. Whatever
    it sends, it cannot pick a key, user or team to be counted against (the removed test header
    included, even with the variable that once enabled it set)."""
    os.environ["SWITCHYARD_TEST_CALLER_HEADER"] = "1"
    try:
        gateway = Gateway(tmp_path, mock_port, LIMITS, keys_required=False)
    finally:
        del os.environ["SWITCHYARD_TEST_CALLER_HEADER"]
    try:
        client = openai.OpenAI(base_url=gateway.base + "/v1", api_key="anything", max_retries=0, timeout=15,
                               default_headers={"x-switchyard-test-caller": "key_x,bob"})
        for _ in range(3):  # bob may make 2 a minute; this client is nobody
            ask(client, "mock-model")
        ask(client, "rpm-model-2")
        ask(client, "rpm-model-2")
        with pytest.raises(openai.RateLimitError) as refused:
            ask(client, "rpm-model-2")
        assert refused.value.body["message"].startswith("Rate limit reached for model rpm-model-2: 2 requests per minute")
    finally:
        gateway.stop()


def test_unpriced_models_are_named_at_start(gateway):
    line = log_line(gateway.log_path, "have no price")
    assert "unpriced-model" in line and "mock-model" not in line.split("models=")[1]


@pytest.mark.parametrize("section, message", [
    ("budgets:\n  keys: {default: {limit: -2, period: daily}}\n", "budgets.keys.default.limit: expected an amount of money"),
    ("budgets:\n  users: {a: {limit: 1, period: weekly}}\n", "budgets.users.a.period: expected a period of daily, monthly or total"),
    ("rate_limits:\n  models: {m: {rpm: 1, burst: 2}}\n", "rate_limits.models.m.burst: unknown key"),
])
def test_bad_config_is_refused_with_its_line(tmp_path, section, message):
    config = tmp_path / "bad.yaml"
    config.write_text("server:\n  port: 0\n" + section)
    result = subprocess.run([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert f"{config}:4:" in result.stderr and message in result.stderr, result.stderr
