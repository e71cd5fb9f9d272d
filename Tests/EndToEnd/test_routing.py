"""Routing through the real gateway (docs/routing.md): model groups and their strategies,
public → upstream model names, and per-target circuit breakers, against several mock processes
that fail on command (POST /_mock/faults) and keep a journal of what reached them."""

import concurrent.futures
import http.client
import json
import os
import socket
import textwrap
import threading
import time
import urllib.request
import uuid

import anthropic
import openai
import pytest

from conftest import BIN_DIR, closed_loopback_port, start_process, stop_process


class Mock:
    """One switchyard-mock process."""

    def __init__(self):
        self.process, self.port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"null")

    def fault(self, then):
        self.call("POST", "/_mock/faults", {"faults": [], "then": then})

    def heal(self):
        self.call("DELETE", "/_mock/faults")

    def journal(self):
        return [entry for entry in self.call("GET", "/_mock/requests") if entry["path"].startswith("/v1/")]

    def forget(self):
        self.call("DELETE", "/_mock/requests")


class CountingListener:
    """Accepts connections and closes them at once, counting them: a dead upstream whose
    connection attempts can be counted (a refused connect leaves no trace to count)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()


def routing_config(mocks, dead_port, counting_port):
    plugin = os.path.abspath(os.path.join(BIN_DIR, "libProviderOpenAI.so"))
    plugins = "\n".join(
        f"  - {{name: mock-{name}, path: {plugin}, config: {{base_url: 'http://127.0.0.1:{port}/v1', api_key_env: null}}}}"
        for name, port in [*((n, m.port) for n, m in mocks.items()), ("dead", dead_port), ("counted", counting_port)]
    )
    return (
        textwrap.dedent(
            """
            server: {host: 127.0.0.1, port: 0, loops: 2, upstream_connect_timeout: 2s, upstream_timeout: 10s}
            plugins:
            """
        )
        + plugins
        + textwrap.dedent(
            """
            providers:
              - {name: a, plugin: mock-a, models: [gpt-4o, {fast: gpt-4o-mini-2024-07-18}], breaker: off}
              - {name: b, plugin: mock-b, models: [gpt-4o], breaker: off}
              - {name: c, plugin: mock-c, models: [gpt-4o, unpriced-x], breaker: off}
              - {name: flaky, plugin: mock-d, models: [flaky-model], breaker: {consecutive_failures: 3, cool_down: 1s}}
              - {name: gone, plugin: mock-counted, models: [gone-model], breaker: {consecutive_failures: 2, cool_down: 60s}}
              - {name: steady, plugin: mock-b, models: [flaky-model, gone-model], breaker: off}
              - {name: lonely, plugin: mock-dead, models: [lonely-model], breaker: {consecutive_failures: 2, cool_down: 30s}}
              - {name: recovering, plugin: mock-e, models: [recovering-model], breaker: {consecutive_failures: 2, cool_down: 1s}}
              - {name: abandoned, plugin: mock-e, models: [abandoned-model], breaker: {consecutive_failures: 2, cool_down: 2s}}
              - {name: backstop, plugin: mock-b, models: [recovering-model, abandoned-model], breaker: off}
            model_groups:
              split:
                strategy: weighted
                targets:
                  - {provider: a, model: gpt-4o, weight: 3}
                  - {provider: b, model: gpt-4o, weight: 1}
              quickest:
                strategy: least_latency
                exploration: 0.3
                targets: [{provider: b, model: gpt-4o}, {provider: c, model: gpt-4o}]
              trial:
                strategy: ab
                sticky: key
                variants:
                  - {name: control, weight: 50, targets: [{provider: a, model: gpt-4o}]}
                  - {name: candidate, weight: 50, targets: [{provider: b, model: gpt-4o}]}
              tiered:
                strategy: conditional
                rules:
                  - when: {header: {X-Tier: premium}}
                    targets: [{provider: a, model: gpt-4o}]
                  - when: {field: {temperature: 0}, metadata: {team: data}}
                    targets: [{provider: c, model: gpt-4o}]
                default: [{provider: b, model: gpt-4o}]
              topical:
                strategy: content
                rules:
                  - {regex: "(?i)\\\\bsql\\\\b", targets: [{provider: a, model: gpt-4o}]}
                  - {keywords: [poem], targets: [{provider: c, model: gpt-4o}]}
                default: [{provider: b, model: gpt-4o}]
              thrifty:
                strategy: cost
                targets:
                  - {provider: b, model: gpt-4o}
                  - {provider: c, model: unpriced-x}
                  - {provider: a, model: fast}
              healthy-first:
                strategy: fallback
                targets: [{provider: a, model: gpt-4o}, {provider: recovering, model: recovering-model}]
            aliases:
              default-chat: split
            pricing:
              currency: USD
              models:
                gpt-4o: {input: 2.50, output: 10.00, cached_input: 1.25}
                gpt-4o-mini-2024-07-18: {input: 0.15, output: 0.60}
            """
        )
    )


class Gateway:
    def __init__(self, process, port, log_path):
        self.process = process
        self.port = port
        self.log_path = log_path
        self.client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0, timeout=15)

    def chat(self, model, key="k", headers=None, **extra):
        """A chat completion: (provider that served it, response headers, request id)."""
        request_id = uuid.uuid4().hex
        client = self.client if key == "k" else self.client.with_options(api_key=key)
        raw = client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": extra.pop("content", "hello")}],
            extra_headers={"X-Request-ID": request_id, **(headers or {})}, **extra)
        return raw.headers["x-switchyard-provider"], raw.headers, request_id

    def raw_chat(self, model):
        """A chat request over one plain connection: (status, provider header)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]})
        connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("X-Switchyard-Provider")

    def log_line(self, needle, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path) as log:
                for line in log:
                    if needle in line:
                        return line
            time.sleep(0.05)
        raise AssertionError(f"no log line with {needle!r}")

    def log_count(self, needle):
        with open(self.log_path) as log:
            return sum(needle in line for line in log)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    mocks = {name: Mock() for name in "abcde"}
    counting = CountingListener()
    folder = tmp_path_factory.mktemp("routing")
    config = folder / "switchyard.yaml"
    config.write_text(routing_config(mocks, closed_loopback_port(), counting.port))
    log_path = folder / "gateway.log"
    with open(log_path, "w") as log:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], stderr=log)
    yield Gateway(process, port, log_path), mocks, counting
    stop_process(process)
    counting.socket.close()
    for mock in mocks.values():
        stop_process(mock.process)


# --- names ----------------------------------------------------------------------------------------


def test_a_public_name_reaches_the_upstream_under_its_own_name(setup):
    gateway, mocks, _ = setup
    mocks["a"].forget()
    provider, headers, _ = gateway.chat("fast")
    assert provider == "a"
    assert [entry["model"] for entry in mocks["a"].journal()] == ["gpt-4o-mini-2024-07-18"]
    listed = [model.id for model in gateway.client.models.list()]
    assert "fast" in listed and "gpt-4o-mini-2024-07-18" not in listed
    for group in ["split", "quickest", "trial", "tiered", "topical", "thrifty", "default-chat"]:
        assert group in listed


# --- strategies -----------------------------------------------------------------------------------


def test_weighted_splits_traffic_by_weight(setup):
    gateway, _, _ = setup
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: gateway.raw_chat("split"), range(2000)))
    assert all(status == 200 for status, _ in results)
    share = sum(provider == "a" for _, provider in results) / len(results)
    # weight 3:1 → 0.75; four standard deviations at n=2000 are about 0.04.
    assert 0.71 <= share <= 0.79, share
    assert time.monotonic() - started < 60


def test_an_alias_may_name_a_group(setup):
    gateway, _, _ = setup
    provider, _, request_id = gateway.chat("default-chat")
    assert provider in ("a", "b")
    line = gateway.log_line(request_id)
    assert "strategy=weighted" in line and "group=split" in line and "resolved=split" in line


def test_least_latency_moves_to_the_fast_target_and_back(setup):
    gateway, mocks, _ = setup

    def settle(expected, slow):
        # Settled, the fast target comes first and exploration (0.3) sends 30% to the other:
        # `expected` serves ~70% of a window, unsettled ~30%. Half of the last 30 tells them
        # apart (either way wrong well under 1%); six in a row did not (~10% of runs missed it).
        served = []
        for _ in range(150):
            served.append(gateway.chat("quickest")[0])
            if len(served) >= 30 and served[-30:].count(expected) >= 15:
                return
        raise AssertionError(f"never settled on {expected} while {slow} was slow: {served}")

    try:
        mocks["b"].fault({"delay_ms": 120})
        settle("c", "b")
        mocks["b"].heal()
        mocks["c"].fault({"delay_ms": 120})
        settle("b", "c")
    finally:
        mocks["b"].heal()
        mocks["c"].heal()


def test_ab_keeps_a_key_on_its_variant_and_uses_both(setup):
    gateway, _, _ = setup
    variants = {}
    for index in range(40):
        key = f"client-{index}"
        seen = {gateway.chat("trial", key=key)[1]["x-switchyard-variant"] for _ in range(3)}
        assert len(seen) == 1, (key, seen)
        variants[key] = seen.pop()
    assert set(variants.values()) == {"control", "candidate"}
    provider, headers, request_id = gateway.chat("trial", key="client-0")
    assert provider == {"control": "a", "candidate": "b"}[headers["x-switchyard-variant"]]
    assert f"variant={headers['x-switchyard-variant']}" in gateway.log_line(request_id)


def test_conditional_routes_by_header_field_and_metadata(setup):
    gateway, _, _ = setup
    assert gateway.chat("tiered", headers={"x-tier": "premium"})[0] == "a"
    assert gateway.chat("tiered", temperature=0, metadata={"team": "data"})[0] == "c"
    # Every condition of a rule must hold.
    assert gateway.chat("tiered", temperature=0, metadata={"team": "web"})[0] == "b"
    assert gateway.chat("tiered", temperature=0.5, metadata={"team": "data"})[0] == "b"
    provider, _, request_id = gateway.chat("tiered")
    assert provider == "b"
    assert "strategy=conditional" in gateway.log_line(request_id)


def test_content_routes_by_the_last_user_message_in_every_ingress_format(setup):
    gateway, _, _ = setup
    assert gateway.chat("topical", content="Write a SQL query for me")[0] == "a"
    assert gateway.chat("topical", content="A POEM about rain")[0] == "c"
    assert gateway.chat("topical", content="mysqldump flags?")[0] == "b"  # \bsql\b needs a word
    claude = anthropic.Anthropic(base_url=f"http://127.0.0.1:{gateway.port}", api_key="k", max_retries=0, timeout=15)
    raw = claude.messages.with_raw_response.create(
        model="topical", max_tokens=50, messages=[{"role": "user", "content": [{"type": "text", "text": "sql please"}]}])
    assert raw.headers["x-switchyard-provider"] == "a"
    raw = gateway.client.responses.with_raw_response.create(model="topical", input="write me a poem")
    assert raw.headers["x-switchyard-provider"] == "c"


def test_cost_takes_the_cheapest_priced_target_and_skips_unpriced(setup):
    gateway, mocks, _ = setup
    mocks["a"].forget()
    provider, _, request_id = gateway.chat("thrifty")
    assert provider == "a"
    assert mocks["a"].journal()[-1]["model"] == "gpt-4o-mini-2024-07-18"
    line = gateway.log_line(request_id)
    assert "strategy=cost" in line and 'skipped="c:no_price"' in line


# --- circuit breakers -----------------------------------------------------------------------------


def breaker_state(gateway, provider):
    """The `switchyard_circuit_breaker_state` gauge of `provider`'s target, from GET /metrics."""
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen(f"http://127.0.0.1:{gateway.port}/metrics", timeout=5) as response:
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        if family.name == "switchyard_circuit_breaker_state":
            return {sample.labels["provider"]: sample.value for sample in family.samples}.get(provider)
    return None


def test_a_breaker_opens_skips_then_recovers_through_a_probe(setup):
    gateway, mocks, _ = setup
    dead = mocks["d"]
    try:
        dead.fault({"status": 503})
        for _ in range(3):
            provider, headers, _ = gateway.chat("flaky-model")
            assert provider == "steady" and headers["x-switchyard-attempts"] == "2"
        assert gateway.log_line("circuit breaker opened").count("provider=flaky") == 1
        assert breaker_state(gateway, "flaky") == 2  # open
        dead.forget()
        for _ in range(3):
            provider, headers, request_id = gateway.chat("flaky-model")
            assert provider == "steady" and headers["x-switchyard-attempts"] == "1"
        assert dead.journal() == []
        assert 'skipped="flaky:circuit_open"' in gateway.log_line(request_id)
        assert gateway.log_count("circuit breaker opened") == 1  # once per transition
        dead.heal()
        time.sleep(1.2)  # the cool-down
        provider, _, _ = gateway.chat("flaky-model")
        assert provider == "flaky"
        assert len(dead.journal()) == 1
        assert "provider=flaky" in gateway.log_line("circuit breaker closed")
        assert breaker_state(gateway, "flaky") == 0
        assert gateway.chat("flaky-model")[0] == "flaky"
    finally:
        dead.heal()


def test_a_fallback_never_tried_does_not_hold_the_recovered_targets_probe(setup):
    gateway, mocks, _ = setup
    target = mocks["e"]
    try:
        target.fault({"status": 503})
        for _ in range(2):
            assert gateway.chat("recovering-model")[0] == "backstop"
        assert breaker_state(gateway, "recovering") == 2  # open
        target.heal()
        time.sleep(1.2)  # the cool-down
        # `recovering` is this group's second target, behind a healthy one: planned, never tried.
        assert gateway.chat("healthy-first")[0] == "a"
        target.forget()
        provider, _, _ = gateway.chat("recovering-model")
        assert provider == "recovering"  # the probe was still free for the first try that started
        assert len(target.journal()) == 1
        assert breaker_state(gateway, "recovering") == 0
    finally:
        target.heal()


def test_a_probe_whose_client_leaves_gives_its_slot_back(setup):
    gateway, mocks, _ = setup
    target = mocks["e"]
    try:
        target.fault({"status": 503})
        for _ in range(2):
            assert gateway.chat("abandoned-model")[0] == "backstop"
        assert breaker_state(gateway, "abandoned") == 2  # open
        target.fault({"delay_ms": 5000})
        time.sleep(2.1)  # the cool-down
        connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=0.5)
        body = json.dumps({"model": "abandoned-model", "messages": [{"role": "user", "content": "hi"}]})
        connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        with pytest.raises(socket.timeout):
            connection.getresponse()  # the probe waits on the slow target ...
        connection.close()  # ... and its client leaves
        time.sleep(0.2)
        target.heal()
        target.forget()
        # Well within the cool-down after which an unreported probe is given up.
        assert gateway.chat("abandoned-model")[0] == "abandoned"
        assert breaker_state(gateway, "abandoned") == 0
    finally:
        target.heal()


def test_an_open_breaker_makes_no_connection_attempt(setup):
    gateway, _, counting = setup
    for _ in range(2):
        provider, headers, _ = gateway.chat("gone-model")
        assert provider == "steady" and headers["x-switchyard-attempts"] == "2"
    tried = counting.accepted
    assert tried >= 2
    for _ in range(5):
        assert gateway.chat("gone-model")[0] == "steady"
    time.sleep(0.2)
    assert counting.accepted == tried


def test_every_breaker_open_is_a_503_with_retry_after_in_the_clients_shape(setup):
    gateway, _, _ = setup
    for _ in range(2):
        status, _ = gateway.raw_chat("lonely-model")
        assert status == 502
    with pytest.raises(openai.APIStatusError) as raised:
        gateway.client.chat.completions.create(model="lonely-model", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.status_code == 503
    assert raised.value.body["code"] == "circuit_open"
    assert 1 <= int(raised.value.response.headers["retry-after"]) <= 30
    claude = anthropic.Anthropic(base_url=f"http://127.0.0.1:{gateway.port}", api_key="k", max_retries=0, timeout=15)
    with pytest.raises(anthropic.APIStatusError) as refused:
        claude.messages.create(model="lonely-model", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert refused.value.status_code == 503
    assert refused.value.body["type"] == "error"
    assert "retry-after" in refused.value.response.headers


# --- the shipped example --------------------------------------------------------------------------


def test_the_resilience_example_serves_every_group_against_mocks(setup):
    _, mocks, _ = setup
    example = os.path.join(os.path.dirname(__file__), "..", "..", "config", "examples", "resilience.yaml")
    env = dict(os.environ, PORT="0", OPENAI_API_KEY="k1", BACKUP_API_KEY="k2",
               OPENAI_BASE_URL=f"http://127.0.0.1:{mocks['a'].port}/v1", BACKUP_BASE_URL=f"http://127.0.0.1:{mocks['b'].port}/v1",
               SWITCHYARD_PLUGIN_DIR=os.path.abspath(BIN_DIR))
    process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", example], env=env)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="client", max_retries=0, timeout=15)
        expected = {"chat-failover": "primary", "chat-primary": "primary", "chat-cheap": "primary", "chat-topical": "primary"}
        for group in ["default", "chat", "chat-failover", "chat-primary", "chat-quick", "chat-cheap", "chat-tiered", "chat-topical", "chat-trial"]:
            raw = client.chat.completions.with_raw_response.create(model=group, messages=[{"role": "user", "content": "a sql join"}])
            assert raw.parse().choices[0].message.content
            if group in expected:
                assert raw.headers["x-switchyard-provider"] == expected[group], group
        mocks["a"].forget()
        client.chat.completions.create(model="chat-cheap", messages=[{"role": "user", "content": "hi"}])
        assert mocks["a"].journal()[-1]["model"] == "gpt-4o-mini-2024-07-18"
    finally:
        stop_process(process)
