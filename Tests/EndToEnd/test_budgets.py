"""Budgets end to end (docs/governance.md#budgets): the official SDKs against the real gateway
and the mock upstream. A refusal is a 429 the SDKs do not retry (x-should-retry: false) in both
error shapes; reservations reconcile exactly with the usage the mock reported; streams that
failed before content cost nothing, streams left or cut after content cost their reservation; a key's own daily budget runs out and is served again the next
UTC day; spend survives a restart; the admin API shows each key's spend; and 10,000 requests
with faults leave nothing reserved and spend equal to the usage settled. Every caller is a
virtual key made through POST /admin/keys (keys.required), with its user and team on the key."""

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
  users:
    alice: {limit: 0.03, period: monthly}
    erin: {limit: 2, period: daily}
  teams:
    research: {limit: 50, period: monthly}
    tiny: {limit: 0.04, period: monthly}
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
    key = gateway.create_key(name="b1")  # no budget of its own: budgets.keys.default
    client = gateway.openai(key, hooks=[hook])  # the SDK's default retries (2) stay on
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
    assert error.body["message"].startswith(f"Budget exceeded for key {key['id']} ({key['prefix']}…): 0.05 USD per day")
    headers = error.response.headers
    assert headers["x-should-retry"] == "false"
    midnight = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = (midnight - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert abs(int(headers["retry-after"]) - seconds) <= 5
    spent, reserved = gateway.spend(key)
    assert reserved == 0
    assert spent > 0


def test_budget_exhausted_anthropic_shape_not_retried(gateway, mock_port):
    sent, hook = counter()
    key = gateway.create_key(name="b2", user="alice")
    client = gateway.anthropic(key, hooks=[hook])
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
    assert gateway.spend(key)[0] == gateway.spend("user:alice")[0]


def test_reservations_reconcile_exactly_with_reported_usage(gateway):
    rng = random.Random(20261203)
    key = gateway.create_key(name="exact", budget={"limit": 5, "period": "daily"})
    chat = gateway.openai(key)
    messages = gateway.anthropic(key)
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
    spent, reserved = gateway.spend(key)
    assert reserved == 0
    assert spent == expected
    budget = gateway.budgets(key)["budgets"][0]
    assert budget["spent"] == float(f"{expected / 1_000_000:.6f}")
    assert budget["currency"] == "USD" and budget["period"] == "daily"


def test_streams_that_fail_before_content_cost_nothing(gateway, mock_port):
    key = gateway.create_key(name="fail")
    client = gateway.openai(key, max_retries=0)
    mock_faults(mock_port, [{"status": 500}, {"cut_after": 1}])
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi there"}], stream=True):
            pass
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi there"}], stream=True):
            pass
    assert gateway.spend(key) == (0, 0)


def test_a_stream_left_after_content_is_charged_its_reservation(gateway, mock_port):
    """Content went out, the client left before the usage (the mock sends it last): no usage
    to price, so the reservation (the estimate) is charged; leaving mid-stream is not free."""
    key = gateway.create_key(name="gone")
    sizes = []
    client = gateway.openai(key, hooks=[lambda request: sizes.append(len(request.read()))], max_retries=0)
    mock_faults(mock_port, [{"chunk_delay_ms": 200}])
    stream = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "one two three four five six seven eight"}], stream=True)
    next(iter(stream))
    stream.close()  # gone mid-stream, before the usage
    # The estimate: prompt ≈ (body bytes + 3) / 4, output = budgets.default_output_tokens (5).
    estimate = cost_micros((sizes[0] + 3) // 4, 5)
    deadline = time.monotonic() + 5
    while gateway.spend(key)[1] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gateway.spend(key) == (estimate, 0)


def test_a_stream_cut_upstream_after_content_is_charged_its_reservation(gateway, mock_port):
    key = gateway.create_key(name="cut")
    sizes = []
    client = gateway.openai(key, hooks=[lambda request: sizes.append(len(request.read()))], max_retries=0)
    mock_faults(mock_port, [{"cut_after": 3}])
    received = 0
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(
                model="mock-model", messages=[{"role": "user", "content": "a longer answer please"}], stream=True):
            received += 1
    assert received >= 1
    assert gateway.spend(key) == (cost_micros((sizes[0] + 3) // 4, 5), 0)


def test_a_keys_own_daily_budget_runs_out_mid_day_and_the_next_day_serves_it_again(gateway):
    """The key's own budget (admin API), not the configured default: exhausted → 429
    insufficient_quota in both shapes; a restart reads the spend back; the next UTC day (the
    test clock) starts from 0 and both SDKs are served again."""
    key = gateway.create_key(name="day", budget={"limit": 0.08, "period": "daily"})
    client = gateway.openai(key, max_retries=0)
    messages = gateway.anthropic(key, max_retries=0)
    answered = 0
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(20):
            client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
            answered += 1
    assert answered >= 2
    assert refused.value.body["type"] == "insufficient_quota" and refused.value.body["code"] == "budget_exceeded"
    assert f"({key['prefix']}…): 0.08 USD per day" in refused.value.body["message"]
    with pytest.raises(anthropic.RateLimitError) as refused:
        messages.messages.create(model="mock-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert refused.value.body["error"]["type"] == "rate_limit_error"
    assert "0.08 USD per day" in refused.value.body["error"]["message"]
    assert refused.value.response.headers["x-should-retry"] == "false"
    spent, _ = gateway.spend(key)
    assert gateway.budgets(key)["budgets"][0]["limit"] == 0.08  # the key's own, not keys.default (0.05)
    gateway.restart()
    client = gateway.openai(key, max_retries=0)
    messages = gateway.anthropic(key, max_retries=0)
    assert gateway.spend(key) == (spent, 0), "spend was not read back from the store"
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    now = datetime.datetime.now(datetime.timezone.utc)
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=30, microsecond=0)
    gateway.move_clock((tomorrow - now).total_seconds())
    try:
        client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
        # It settles as it ends, just after its last bytes went out: wait for that.
        deadline = time.monotonic() + 3
        while gateway.spend(key)[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        spent_today, reserved = gateway.spend(key)
        assert 0 < spent_today < spent and reserved == 0
        messages.messages.create(model="mock-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        deadline = time.monotonic() + 3
        while gateway.spend(key)[0] == spent_today and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gateway.spend(key)[0] > spent_today
        budget = gateway.budgets(key)["budgets"][0]
        assert budget["resets_at"] == int((tomorrow + datetime.timedelta(days=1)).replace(second=0).timestamp())
    finally:
        gateway.move_clock(0)


def test_the_admin_api_shows_a_keys_spend_in_every_scope(gateway):
    """GET /admin/keys/{id} lists the budgets the key counts against (its own, its user's, its
    team's) with their spend; /admin/budgets?scope=key:ID shows the key's own budget."""
    key = gateway.create_key(name="shown", user="erin", team="research", budget={"limit": 3, "period": "monthly"})
    status, detail = gateway.admin("GET", f"/admin/keys/{key['id']}")
    assert status == 200
    assert [(s["scope"], s["period"], s["limit"], s["spent"]) for s in detail["spend"]] == [
        (f"key:{key['id']}", "monthly", 3, 0), ("user:erin", "daily", 2, 0), ("team:research", "monthly", 50, 0)]
    response = gateway.openai(key).chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "count me"}], max_tokens=7)
    cost = cost_micros(response.usage.prompt_tokens, response.usage.completion_tokens)
    _, detail = gateway.admin("GET", f"/admin/keys/{key['id']}")
    for spend in detail["spend"]:
        assert spend["spent_micros"] == cost and spend["reserved_micros"] == 0, spend
        assert spend["currency"] == "USD" and spend["remaining"] == round(spend["limit"] - cost / 1_000_000, 6)
    assert "key" not in detail and detail["user"] == "erin"  # the record as before, never the secret
    budgets = gateway.budgets(key)
    assert budgets["scope"] == f"key:{key['id']}"
    assert [(b["limit"], b["period"], b["spent_micros"]) for b in budgets["budgets"]] == [(3, "monthly", cost)]
    # A key without a budget of its own shows budgets.keys.default, there and in /admin/budgets.
    plain = gateway.create_key(name="plain")
    _, detail = gateway.admin("GET", f"/admin/keys/{plain['id']}")
    assert [(s["scope"], s["limit"], s["period"]) for s in detail["spend"]] == [(f"key:{plain['id']}", 0.05, "daily")]
    assert gateway.budgets(plain)["budgets"][0]["limit"] == 0.05
    # A budget set later through PATCH is the one shown (and the one requests count against).
    assert gateway.admin("PATCH", f"/admin/keys/{plain['id']}", {"budget": {"limit": 7.5, "period": "total"}})[0] == 200
    assert gateway.budgets(plain)["budgets"][0]["limit"] == 7.5
    assert gateway.budgets(plain)["budgets"][0]["resets_at"] is None
    # The scope as clients encode it (httpx, curl --data-urlencode: `user%3Aerin`) is the same scope.
    status, encoded = gateway.admin("GET", "/admin/budgets?scope=user%3Aerin")
    assert status == 200 and encoded == gateway.budgets("user:erin") and encoded["scope"] == "user:erin"
    assert encoded["budgets"][0]["spent_micros"] == cost


def test_a_team_budget_holds_every_key_of_the_team_all_or_nothing(gateway, mock_port):
    """Two keys of team tiny (0.04 a month): the team runs out across both; the refused request
    reserved nothing anywhere (the keys' own budgets hold only what was served)."""
    first = gateway.create_key(name="tiny-1", team="tiny", budget={"limit": 10, "period": "daily"})
    second = gateway.create_key(name="tiny-2", team="tiny", budget={"limit": 10, "period": "daily"})
    clients = [gateway.openai(first, max_retries=0), gateway.openai(second, max_retries=0)]
    with pytest.raises(openai.RateLimitError) as refused:
        for i in range(20):
            clients[i % 2].chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    assert "Budget exceeded for team tiny: 0.04 USD per month" in refused.value.body["message"]
    team_spent, team_reserved = gateway.spend("team:tiny")
    assert team_reserved == 0
    assert gateway.spend(first)[0] + gateway.spend(second)[0] == team_spent
    assert gateway.spend(first)[1] == 0 and gateway.spend(second)[1] == 0


def test_ten_thousand_requests_with_faults_leave_nothing_reserved(gateway, mock_port):
    """Many threads, streams and whole answers, upstream failures, cut streams, clients that go
    away, and the key's concurrency refusing some: at the end nothing is reserved or in flight
    (the key's 8 concurrency slots all admit 8 slow streams at once), and spend equals the usage
    of every request the gateway settled plus the reservations charged for streams that ended
    after content without usage (both in its access log)."""
    key = gateway.create_key(name="load", budget={"limit": 1000, "period": "total"}, limits={"concurrency": 8})
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
        with httpx.Client(base_url=gateway.base, headers={"Authorization": f"Bearer {key['key']}"}, timeout=15) as http:
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
    while gateway.spend(key)[1] != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    spent, reserved = gateway.spend(key)
    assert reserved == 0
    # Every settled request's usage, from the access log the same settlement step writes.
    time.sleep(1.5)  # access-log lines are written in batches
    with open(gateway.log_path) as log:
        log.seek(log_size)
        lines = [line for line in log if '"request"' in line or "msg=request" in line]
    usage = 0
    estimates = 0
    for line in lines:
        prompt = re.search(r'prompt_tokens["=:]+(\d+)', line)
        completion = re.search(r'completion_tokens["=:]+(\d+)', line)
        charged = re.search(r'estimate_charged_micros["=:]+(\d+)', line)
        if prompt and completion:
            usage += cost_micros(int(prompt.group(1)), int(completion.group(1)))
        if charged:
            usage += int(charged.group(1))
            estimates += 1
    assert len(lines) >= total - 10, f"{len(lines)} access-log lines for {total} requests"
    assert spent == usage
    assert estimates > 0  # clients left and upstreams cut after content
    # No concurrency slot leaked: the key's 8 are all free, 8 slow streams run at once.
    mock_faults(mock_port, [{"chunk_delay_ms": 1000}] * 8)
    statuses, release = [], threading.Event()

    def slow():
        with httpx.Client(base_url=gateway.base, headers={"Authorization": f"Bearer {key['key']}"}, timeout=15) as http:
            body = {"model": "mock-model", "messages": [{"role": "user", "content": "slow"}], "max_tokens": 8, "stream": True}
            with http.stream("POST", "/v1/chat/completions", json=body) as response:
                with lock:
                    statuses.append(response.status_code)
                release.wait(10)

    holders = [threading.Thread(target=slow) for _ in range(8)]
    for holder in holders:
        holder.start()
    try:
        deadline = time.monotonic() + 10
        while len(statuses) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert statuses == [200] * 8
        with httpx.Client(base_url=gateway.base, headers={"Authorization": f"Bearer {key['key']}"}, timeout=15) as http:
            ninth = http.post("/v1/chat/completions", json={"model": "mock-model", "messages": [{"role": "user", "content": "x"}]})
            assert ninth.status_code == 429  # the ninth waits: the 8 slots are all taken
    finally:
        release.set()
        for holder in holders:
            holder.join(timeout=15)
    print(f"10,000 requests in {elapsed:.1f} s: {outcomes}")


def test_a_keys_own_budget_and_limits_hold_without_any_budgets_or_rate_limits_section(mock_port, tmp_path):
    """Keys required and nothing configured under budgets: or rate_limits:: a key's own budget
    and rpm (set through the admin API) still hold, while a key without them is unlimited."""
    bare = Gateway(tmp_path, mock_port, "")
    try:
        limited = bare.create_key(name="own", budget={"limit": 0.2, "period": "total"}, limits={"rpm": 100})
        free = bare.create_key(name="free")
        client = bare.openai(limited, max_retries=0)
        first = client.chat.completions.with_raw_response.create(
            model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
        assert first.headers["x-ratelimit-limit-requests"] == "100"
        with pytest.raises(openai.RateLimitError) as refused:
            for _ in range(40):
                client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
        assert refused.value.body["code"] == "budget_exceeded"
        unlimited = bare.openai(free, max_retries=0)
        for _ in range(40):
            unlimited.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    finally:
        bare.stop()
