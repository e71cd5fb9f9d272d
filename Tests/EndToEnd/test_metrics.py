"""GET /metrics through the real gateway: traffic of every kind (chat, streams, an upstream error,
a failover, embeddings, passthrough, refusals) and then the exposition parsed by prometheus_client,
with exact counts; histogram counts equal request counts; 1,000 unknown model names do not grow
the model label; scrapes run concurrently with traffic and with each other, each one whole."""

import http.client
import json
import os
import textwrap
import threading

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import BIN_DIR, UPSTREAM_KEY, closed_loopback_port, gateway_config, log_line, start_process, stop_process

PLUGINS = os.path.abspath(BIN_DIR)


def config(mock_port):
    """The shared e2e gateway's (conftest: echo, mock, a dead provider before mock for
    failover-model, a rate-limited one), plus `relay`: embeddings and passthrough on the mock,
    metered by the OpenAI enricher."""
    relay = textwrap.indent(textwrap.dedent("""\
        - name: relay
          plugin: mock
          models: [text-embedding-3-small]
          passthrough: true
        """), "  ")
    enrichers = textwrap.dedent("""\
        enrichers:
          - plugin: usage
            providers: [relay]
        """)
    usage_plugin = f"plugins:\n  - name: usage\n    path: {PLUGINS}/libEnricherOpenAI.so\n"
    text = gateway_config(mock_port, closed_loopback_port())
    return text.replace("plugins:\n", usage_plugin, 1).replace("providers:\n", "providers:\n" + relay, 1) + enrichers


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The gateway's config and log."""
    return tmp_path_factory.mktemp("metrics")


@pytest.fixture(scope="module")
def gateway(folder):
    mock, mock_port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])
    path = folder / "switchyard.yaml"
    path.write_text(config(mock_port))
    env = dict(os.environ, SWITCHYARD_E2E_UPSTREAM_KEY=UPSTREAM_KEY)
    # The log to a file: an access-log line per request would fill a pipe nobody reads, and a
    # loop blocked writing to it stalls every request and scrape on it.
    with open(folder / "gateway.log", "w") as log:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(path)], env=env, stderr=log)
        yield port
        stop_process(process)
    stop_process(mock)


def client(port):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-client", max_retries=0)


def scrape(port):
    """The exposition, its content type checked: {family name: family}."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 200, body
    assert response.getheader("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    return {family.name: family for family in text_string_to_metric_families(body)}


def value(families, family, sample, **labels):
    """The value of the sample named `sample` of `family` whose labels include `labels` (0 if none)."""
    found = [s.value for s in families[family].samples if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) <= 1, (sample, labels, found)
    return found[0] if found else 0


def post(port, path, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def test_counts_every_kind_of_request_exactly(gateway):
    sdk = client(gateway)
    prompt = completion = 0
    for _ in range(3):
        answer = sdk.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "three little words"}])
        prompt += answer.usage.prompt_tokens
        completion += answer.usage.completion_tokens
    for _ in range(2):
        chunks = list(sdk.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "stream me"}], stream=True,
            stream_options={"include_usage": True}))
        usage = chunks[-1].usage
        prompt += usage.prompt_tokens
        completion += usage.completion_tokens
    sdk.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "hi"}])
    sdk.chat.completions.create(model="failover-model", messages=[{"role": "user", "content": "hi"}])
    for _ in range(2):
        with pytest.raises(openai.RateLimitError):
            sdk.chat.completions.create(model="ratelimited-model", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    embedded = sdk.embeddings.create(model="text-embedding-3-small", input="four words of input")
    assert post(gateway, "/p/relay/v1/chat/completions", {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}) == 200

    m = scrape(gateway)
    requests = "switchyard_requests"
    chat = dict(route="chat_completions")
    assert value(m, requests, "switchyard_requests_total", **chat, model="gpt-4o-mini", provider="mock", status="200") == 5
    assert value(m, requests, "switchyard_requests_total", **chat, model="echo-1", provider="echo", status="200") == 1
    assert value(m, requests, "switchyard_requests_total", **chat, model="failover-model", provider="mock", status="200") == 1
    assert value(m, requests, "switchyard_requests_total", **chat, model="ratelimited-model", provider="ratelimited", status="429") == 2
    # Refused before a plan: no model, no provider (what the client named is not a label).
    assert value(m, requests, "switchyard_requests_total", **chat, model="", provider="", status="404") == 1
    assert value(m, requests, "switchyard_requests_total", route="embeddings", model="text-embedding-3-small", provider="relay", status="200") == 1
    # Passthrough: the model is what the enricher read off the exchange.
    assert value(m, requests, "switchyard_requests_total", route="passthrough", model="gpt-4o-mini", provider="relay", status="200") == 1
    assert sum(s.value for s in m[requests].samples) == 12

    errors = "switchyard_request_errors"
    assert value(m, errors, "switchyard_request_errors_total", **chat, model="ratelimited-model", provider="ratelimited") == 2
    assert value(m, errors, "switchyard_request_errors_total", **chat, model="", provider="") == 1
    assert value(m, errors, "switchyard_request_errors_total", **chat, model="gpt-4o-mini", provider="mock") == 0
    assert sum(s.value for s in m[errors].samples) == 3

    # The failover tried the dead provider first: two attempts, recorded under the one that answered.
    attempts = "switchyard_upstream_attempts"
    assert value(m, attempts, "switchyard_upstream_attempts_total", **chat, model="failover-model", provider="mock") == 2
    assert value(m, attempts, "switchyard_upstream_attempts_total", **chat, model="gpt-4o-mini", provider="mock") == 5

    assert value(m, "switchyard_prompt_tokens", "switchyard_prompt_tokens_total", **chat, model="gpt-4o-mini", provider="mock") == prompt
    assert value(m, "switchyard_completion_tokens", "switchyard_completion_tokens_total", **chat, model="gpt-4o-mini", provider="mock") == completion
    assert value(m, "switchyard_prompt_tokens", "switchyard_prompt_tokens_total", route="embeddings", model="text-embedding-3-small", provider="relay") == embedded.usage.prompt_tokens

    # Every request is observed once in the duration histogram; upstream time only where an
    # upstream answered (not echo, not the refusal); time to first token for the two streams.
    duration = "switchyard_request_duration_seconds"
    for sample in m[requests].samples:
        labels = {k: v for k, v in sample.labels.items() if k != "status"}
        total = sum(s.value for s in m[requests].samples if {k: v for k, v in s.labels.items() if k != "status"} == labels)
        assert value(m, duration, duration + "_count", **labels) == total, labels
    assert value(m, "switchyard_upstream_duration_seconds", "switchyard_upstream_duration_seconds_count", **chat, model="echo-1") == 0
    assert value(m, "switchyard_upstream_duration_seconds", "switchyard_upstream_duration_seconds_count", **chat, model="gpt-4o-mini") == 5
    ttft = "switchyard_time_to_first_token_seconds"
    assert value(m, ttft, ttft + "_count", **chat, model="gpt-4o-mini", provider="mock") == 2
    assert value(m, ttft, ttft + "_count", **chat, model="echo-1") == 0
    assert value(m, "switchyard_streams_in_flight", "switchyard_streams_in_flight") == 0

    # Cumulative buckets ending in +Inf = _count, _sum positive.
    for labels in ({**chat, "model": "gpt-4o-mini", "provider": "mock"}, {"route": "passthrough", "model": "gpt-4o-mini", "provider": "relay"}):
        buckets = [s for s in m[duration].samples if s.name == duration + "_bucket" and all(s.labels[k] == v for k, v in labels.items())]
        counts = [s.value for s in buckets]
        assert counts == sorted(counts) and buckets[-1].labels["le"] == "+Inf"
        assert counts[-1] == value(m, duration, duration + "_count", **labels)
        assert value(m, duration, duration + "_sum", **labels) > 0

    # Hooks per plugin (config names): the mock provider's prepare ran for 3 + 2 chats and the
    # failover, relay's for the embedding and the passthrough; the rate-limited provider's
    # answer failed twice.
    calls = "switchyard_plugin_calls"
    assert value(m, calls, "switchyard_plugin_calls_total", plugin="mock", hook="prepare") == 6
    assert value(m, calls, "switchyard_plugin_calls_total", plugin="relay", hook="prepare") == 2
    assert value(m, calls, "switchyard_plugin_calls_total", plugin="echo", hook="generate") == 1
    assert value(m, calls, "switchyard_plugin_calls_total", plugin="ratelimited", hook="prepare") == 2
    assert value(m, calls, "switchyard_plugin_calls_total", plugin="usage", hook="enricher") > 0
    failures = "switchyard_plugin_failures"
    assert value(m, failures, "switchyard_plugin_failures_total", plugin="ratelimited", hook="response.end") == 2
    assert value(m, failures, "switchyard_plugin_failures_total", plugin="mock", hook="prepare") == 0


def test_unknown_model_names_do_not_grow_the_labels(gateway):
    before = scrape(gateway)
    refused = value(before, "switchyard_requests", "switchyard_requests_total", route="chat_completions", model="", provider="", status="404")
    series = len(before["switchyard_requests"].samples)

    def send(names):
        connection = http.client.HTTPConnection("127.0.0.1", gateway, timeout=10)
        for name in names:
            body = json.dumps({"model": name, "messages": [{"role": "user", "content": "hi"}]})
            connection.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 404
        connection.close()

    names = [f"unknown-model-{i}" for i in range(1000)]
    threads = [threading.Thread(target=send, args=(names[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    after = scrape(gateway)
    assert value(after, "switchyard_requests", "switchyard_requests_total", route="chat_completions", model="", provider="", status="404") == refused + 1000
    models = {s.labels["model"] for s in after["switchyard_requests"].samples}
    assert not any(model.startswith("unknown-model-") for model in models)
    assert len(after["switchyard_requests"].samples) <= series + 1


def test_concurrent_scrapes_under_load_are_whole_and_monotonic(gateway):
    stop = threading.Event()
    failures = []

    def traffic():
        sdk = client(gateway)
        while not stop.is_set():
            sdk.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "load"}])

    def scraper():
        last = 0
        try:
            for _ in range(25):
                m = scrape(gateway)
                total = sum(s.value for s in m["switchyard_requests"].samples)
                assert total >= last, (total, last)
                last = total
                duration = "switchyard_request_duration_seconds"
                for s in m["switchyard_requests"].samples:
                    assert s.value > 0
                assert sum(s.value for s in m[duration].samples if s.name == duration + "_count") == total
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    loaders = [threading.Thread(target=traffic) for _ in range(3)]
    scrapers = [threading.Thread(target=scraper) for _ in range(4)]
    for thread in loaders + scrapers:
        thread.start()
    for thread in scrapers:
        thread.join(timeout=60)
    stop.set()
    for thread in loaders:
        thread.join(timeout=10)
    assert not failures, failures
    final = scrape(gateway)
    assert value(final, "switchyard_requests", "switchyard_requests_total", route="chat_completions", model="echo-1", provider="echo", status="200") > 25


def test_metrics_refuses_other_methods(gateway):
    assert post(gateway, "/metrics", {}) == 405


def test_a_failed_previous_response_lookup_is_counted_and_logged(gateway, folder):
    # echo takes chat only: /v1/responses is translated, so the stored response is looked up
    # first (asynchronously) and the request fails when there is none.
    labels = dict(route="responses", model="echo-1", provider="echo")
    before = scrape(gateway)
    with pytest.raises(openai.APIStatusError) as failed:
        client(gateway).responses.create(model="echo-1", input="hi", previous_response_id="resp_never_stored",
                                         extra_headers={"X-Request-ID": "lost-previous-1"})
    status = str(failed.value.status_code)
    assert failed.value.status_code >= 400
    after = scrape(gateway)
    requests = ("switchyard_requests", "switchyard_requests_total")
    assert value(after, *requests, **labels, status=status) == value(before, *requests, **labels, status=status) + 1
    errors = ("switchyard_request_errors", "switchyard_request_errors_total")
    assert value(after, *errors, **labels) == value(before, *errors, **labels) + 1
    line = log_line(folder / "gateway.log", "request_id=lost-previous-1")
    assert f"status={status}" in line and "endpoint=responses" in line and "provider=echo" in line, line
