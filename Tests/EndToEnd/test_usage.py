"""Usage records, GET /admin/usage and the audit log (docs/governance.md, decision 0026) through
the real binary, the official SDKs as clients, the session's mock upstream and the real SQLite
store: one record per planned request with the tokens the client was told and the cost from
the test's pricing; failures recorded with their status; reports grouped by model, day and key;
records that survive a restart and a SIGTERM under load; audit entries with PII redacted; and
retention."""

import concurrent.futures
import http.client
import json
import os
import signal
import subprocess
import sqlite3
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import anthropic
import openai
import pytest

from conftest import BIN_DIR, start_process, stop_process
from test_guardrail_chain import plugin  # noqa: F401 - fixture: the C test guardrail

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
ADMIN_KEY = "admin-key-usage-0123456789"
# Per million tokens: 1 micro per input token, 2 per output token (claude: 3 and 15).
PRICING = """
pricing:
  currency: EUR
  models:
    mock-model: {input: 1.0, output: 2.0}
    claude-mock: {input: 3.0, output: 15.0}
    embed-model: {input: 0.5, output: 0}
"""


def config_text(mock_port, extra="", delay_ms=0):
    plugin_dir = os.path.abspath(BIN_DIR)
    mock = f"http://127.0.0.1:{mock_port}/v1"
    delay = f'\n              headers: {{x-mock-delay-ms: "{delay_ms}"}}' if delay_ms else ""
    return textwrap.dedent(f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 2
          shutdown_grace: 10s
        plugins:
          - name: mock
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: null{delay}
          - name: broken
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: {mock}
              api_key_env: null
              headers: {{x-mock-status: "500"}}
          - name: claude
            path: {plugin_dir}/libProviderAnthropic.so
            config:
              base_url: {mock}
              api_key_env: null
          - name: pii
            path: {plugin_dir}/libGuardrailPII.so
            config: {{action: redact}}
        providers:
          - name: mock
            plugin: mock
            models: [mock-model, embed-model]
          - name: broken
            plugin: broken
            models: [broken-model]
            breaker: off
          - name: claude
            plugin: claude
            models: [claude-mock]
        guardrails:
          - name: pii
            plugin: pii
            applies_to: {{models: [claude-mock]}}
        admin:
          key: {ADMIN_KEY}
        store:
          path: data/gw.db
        usage:
          record: true
        """) + PRICING + extra


class Answer:
    def __init__(self, status_code, text):
        self.status_code = status_code
        self.text = text

    def json(self):
        return json.loads(self.text)


def http_call(url, method="GET", key=None, params=None):
    """A plain HTTP request (urllib): status and body text, errors included."""
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Answer(answer.status, answer.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode())


class Gateway:
    """One gateway on a config file with its store beside it; its log goes to a file."""

    def __init__(self, tmp_path, mock_port, extra="", delay_ms=0, edit=lambda text: text):
        self.directory = tmp_path
        self.config = tmp_path / "gateway.yaml"
        self.database = tmp_path / "data" / "gw.db"
        self.log_path = tmp_path / "gateway.log"
        self.config.write_text(edit(config_text(mock_port, extra, delay_ms)))
        self.process = None
        self.start()

    def start(self):
        with open(self.log_path, "a") as log:
            self.process, self.port = start_process([SWITCHYARD, "serve", "--config", str(self.config)], stderr=log)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        stop_process(self.process)

    def restart(self):
        self.stop()
        self.start()

    def openai(self):
        return openai.OpenAI(base_url=f"{self.base}/v1", api_key="x", max_retries=0, timeout=15)

    def anthropic(self):
        return anthropic.Anthropic(base_url=self.base, api_key="x", max_retries=0, timeout=15)

    def admin(self, path, method="GET", bearer=ADMIN_KEY, **params):
        return http_call(f"{self.base}{path}", method, bearer, params)

    def create_key(self, **fields):
        """A virtual key made through /admin/keys (the admin key is the master key)."""
        request = urllib.request.Request(f"{self.base}/admin/keys", method="POST", data=json.dumps(fields).encode(),
                                         headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
            return json.loads(answer.read())

    def first_row(self, path, request_id, timeout=3.0):
        """The newest row `path` lists for one request, waiting for it to be written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.admin(path, request_id=request_id)
            assert answer.status_code == 200, answer.text
            if answer.json()["data"]:
                return answer.json()["data"][0]
            time.sleep(0.05)
        raise AssertionError(f"nothing in {path} for {request_id}")

    def record(self, request_id, timeout=3.0):
        return self.first_row("/admin/usage/records", request_id, timeout)

    def audit(self, request_id, timeout=3.0):
        return self.first_row("/admin/audit", request_id, timeout)


@pytest.fixture()
def gateway(tmp_path, mock_port):
    running = Gateway(tmp_path, mock_port)
    yield running
    running.stop()


def request_id(raw):
    return raw.headers["x-request-id"]


def cost_micros(prompt, completion, input_price, output_price):
    return round(prompt * input_price + completion * output_price)


def test_chat_whole_and_stream_records_carry_the_clients_tokens_and_the_cost(gateway):
    raw = gateway.openai().chat.completions.with_raw_response.create(
        model="mock-model", messages=[{"role": "user", "content": "one two three four"}])
    usage = raw.parse().usage
    record = gateway.record(request_id(raw))
    assert (record["prompt_tokens"], record["completion_tokens"]) == (usage.prompt_tokens, usage.completion_tokens)
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert record["cost_micros"] == cost_micros(usage.prompt_tokens, usage.completion_tokens, 1, 2)
    assert record["currency"] == "EUR"
    assert (record["route"], record["model_requested"], record["model_resolved"], record["provider"], record["mode"], record["status"]) == (
        "chat_completions", "mock-model", "mock-model", "mock", "translated", 200)
    assert record["key_id"] is None  # open gateway: no caller

    stream = gateway.openai().chat.completions.with_raw_response.create(
        model="mock-model", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "five six seven"}])
    chunks = list(stream.parse())
    streamed = next(chunk.usage for chunk in chunks if chunk.usage)
    record = gateway.record(request_id(stream))
    assert (record["prompt_tokens"], record["completion_tokens"]) == (streamed.prompt_tokens, streamed.completion_tokens)
    assert record["cost_micros"] == cost_micros(streamed.prompt_tokens, streamed.completion_tokens, 1, 2)


def test_messages_responses_and_embeddings_are_recorded(gateway):
    raw = gateway.anthropic().messages.with_raw_response.create(
        model="claude-mock", max_tokens=64, messages=[{"role": "user", "content": "hello there friend"}])
    message = raw.parse()
    record = gateway.record(request_id(raw))
    # The anthropic plugin serves the canonical (chat) operation: translated, as the access log says.
    assert (record["route"], record["mode"], record["provider"]) == ("messages", "translated", "claude")
    assert record["completion_tokens"] == message.usage.output_tokens
    assert record["prompt_tokens"] >= message.usage.input_tokens > 0
    assert record["cost_micros"] == cost_micros(record["prompt_tokens"], record["completion_tokens"], 3, 15)

    raw = gateway.openai().responses.with_raw_response.create(model="mock-model", input="alpha beta gamma")
    response = raw.parse()
    record = gateway.record(request_id(raw))
    assert record["route"] == "responses"
    assert (record["prompt_tokens"], record["completion_tokens"]) == (response.usage.input_tokens, response.usage.output_tokens)
    assert record["cost_micros"] == cost_micros(record["prompt_tokens"], record["completion_tokens"], 1, 2)

    raw = gateway.openai().embeddings.with_raw_response.create(model="embed-model", input=["a b c d", "e f"])
    embedded = raw.parse()
    record = gateway.record(request_id(raw))
    assert record["route"] == "embeddings"
    assert record["prompt_tokens"] == embedded.usage.prompt_tokens > 0
    assert record["cost_micros"] == round(embedded.usage.prompt_tokens * 0.5)


def test_failures_are_recorded_with_their_status_and_counted_as_errors(gateway):
    with pytest.raises(openai.InternalServerError) as failed:
        gateway.openai().chat.completions.create(model="broken-model", messages=[{"role": "user", "content": "hi"}])
    record = gateway.record(failed.value.response.headers["x-request-id"])
    assert record["status"] == 500
    assert (record["prompt_tokens"], record["completion_tokens"], record["cost_micros"]) == (0, 0, 0)
    gateway.openai().chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "fine"}])
    time.sleep(0.3)
    rows = {row["model"]: row for row in gateway.admin("/admin/usage", group_by="model").json()["data"]}
    assert (rows["broken-model"]["requests"], rows["broken-model"]["errors"]) == (1, 1)
    assert (rows["mock-model"]["requests"], rows["mock-model"]["errors"]) == (1, 0)


def test_admin_usage_groups_by_model_day_and_key_and_filters(gateway):
    client = gateway.openai()
    answers = [client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "a b c"}]) for _ in range(3)]
    client.embeddings.create(model="embed-model", input="x y")
    time.sleep(0.3)
    report = gateway.admin("/admin/usage", group_by="model,day").json()
    assert report["group_by"] == ["model", "day"] and report["currency"] == "EUR"
    today = time.strftime("%Y-%m-%d", time.gmtime())
    rows = {(row["model"], row["day"]): row for row in report["data"]}
    chat = rows[("mock-model", today)]
    assert chat["requests"] == 3
    assert chat["prompt_tokens"] == sum(answer.usage.prompt_tokens for answer in answers)
    assert chat["completion_tokens"] == sum(answer.usage.completion_tokens for answer in answers)
    assert chat["cost_micros"] == sum(cost_micros(a.usage.prompt_tokens, a.usage.completion_tokens, 1, 2) for a in answers)
    assert chat["cost"] == chat["cost_micros"] / 1e6
    assert rows[("embed-model", today)]["requests"] == 1

    (by_day,) = gateway.admin("/admin/usage").json()["data"]  # default: by day
    assert (by_day["day"], by_day["requests"]) == (today, 4)
    (by_key,) = gateway.admin("/admin/usage", group_by="key").json()["data"]
    assert (by_key["key"], by_key["requests"]) == (None, 4)  # open gateway: no key
    filtered = gateway.admin("/admin/usage", group_by="model", model="embed-model").json()["data"]
    assert [row["model"] for row in filtered] == ["embed-model"]
    assert gateway.admin("/admin/usage", to="2000-01-01").json()["data"] == []
    assert gateway.admin("/admin/usage", **{"from": today, "to": today}).json()["data"][0]["requests"] == 4
    now = int(time.time())
    assert gateway.admin("/admin/usage", **{"from": str(now - 60), "to": str(now + 60)}).json()["data"][0]["requests"] == 4


@pytest.mark.parametrize("params, param", [
    ({"group_by": "colour"}, "group_by"), ({"group_by": ""}, "group_by"), ({"from": "2026-02-30"}, "from"),
    ({"to": "yesterday"}, "to"), ({"model": ""}, "model"), ({"bogus": "1"}, "bogus"),
])
def test_admin_usage_refuses_bad_parameters(gateway, params, param):
    answer = gateway.admin("/admin/usage", **params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"] == param


def test_admin_usage_needs_the_admin_key(gateway):
    assert http_call(f"{gateway.base}/admin/usage").status_code == 401
    assert gateway.admin("/admin/usage/records", bearer="nope").status_code == 401
    assert gateway.admin("/admin/usage/records", limit="0").status_code == 400
    assert gateway.admin("/admin/usage/records", limit="1001").status_code == 400
    assert gateway.admin("/admin/usage", method="POST").status_code == 405


def test_usage_survives_a_restart(gateway):
    raw = gateway.openai().chat.completions.with_raw_response.create(model="mock-model", messages=[{"role": "user", "content": "keep me"}])
    before = gateway.record(request_id(raw))
    gateway.restart()
    assert gateway.record(request_id(raw), timeout=0.5) == before


def test_sigterm_under_load_loses_no_record(tmp_path, mock_port):
    """Clients keep sending (a new connection each) while SIGTERM arrives: every request answered
    200 has its record in the store once the process has exited."""
    gateway = Gateway(tmp_path, mock_port, delay_ms=30)
    answered = []
    lock = threading.Lock()
    stop = threading.Event()
    body = json.dumps({"model": "mock-model", "messages": [{"role": "user", "content": "load test words"}]})

    def hammer():
        while not stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=15)
            try:
                connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                with lock:
                    answered.append((response.status, response.getheader("x-request-id")))
            except OSError:
                return  # the listener closed
            finally:
                connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    gateway.process.send_signal(signal.SIGTERM)
    assert gateway.process.wait(timeout=20) == 0
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    ok = {rid for status, rid in answered if status == 200}
    assert len(ok) > 100, len(answered)
    with sqlite3.connect(gateway.database) as db:
        stored = {row[0] for row in db.execute("SELECT request_id FROM usage_records WHERE status = 200")}
    assert ok <= stored, f"{len(ok - stored)} of {len(ok)} answered requests have no record"
    assert "usage records dropped" not in gateway.log_path.read_text()


AUDIT = """
audit:
  routes: [/v1/chat/completions]
  redact_with: pii
  retention: 30d
  max_body_bytes: 4KiB
"""


def test_audit_keeps_bodies_with_pii_redacted_whole_and_streamed(tmp_path, mock_port):
    gateway = Gateway(tmp_path, mock_port, extra=AUDIT)
    try:
        text = "mail alice@example.com or call +1 (415) 555-2671 now"
        raw = gateway.openai().chat.completions.with_raw_response.create(model="mock-model", messages=[{"role": "user", "content": text}])
        assert "alice@example.com" in raw.parse().choices[0].message.content  # traffic itself is not redacted here
        entry = gateway.audit(request_id(raw))
        assert entry["redacted"] is True and entry["truncated"] is False
        assert (entry["route"], entry["model"], entry["status"], entry["key_id"]) == ("/v1/chat/completions", "mock-model", 200, None)
        for body in (entry["request_body"], entry["response_body"]):
            assert "alice@example.com" not in body and "555-2671" not in body, body
            assert "[REDACTED:email]" in body and "[REDACTED:phone]" in body, body
        assert json.loads(entry["request_body"])["model"] == "mock-model"

        stream = gateway.openai().chat.completions.with_raw_response.create(
            model="mock-model", stream=True, messages=[{"role": "user", "content": "write to bob@example.org please"}])
        assert "bob@example.org" in "".join(c.choices[0].delta.content or "" for c in stream.parse() if c.choices)
        entry = gateway.audit(request_id(stream))
        assert "data: " in entry["response_body"] and "[DONE]" in entry["response_body"]
        assert "bob@example.org" not in entry["request_body"] + entry["response_body"]
        assert "[REDACTED:email]" in entry["response_body"]

        # Routes not listed are not audited; a body past max_body_bytes is cut and marked.
        raw = gateway.openai().embeddings.with_raw_response.create(model="embed-model", input="carol@example.com")
        assert gateway.admin("/admin/audit", request_id=request_id(raw)).json()["data"] == []
        raw = gateway.openai().chat.completions.with_raw_response.create(
            model="mock-model", messages=[{"role": "user", "content": "word " * 2000}])
        entry = gateway.audit(request_id(raw))
        assert entry["truncated"] is True and len(entry["request_body"]) <= 4096
    finally:
        gateway.stop()


def test_audit_config_errors_carry_file_and_line(tmp_path, mock_port):
    config = tmp_path / "bad.yaml"
    cases = [
        ("audit:\n  routes: ['*']\n  redact_with: pi\n", "redact_with names no enabled guardrail \"pi\" (did you mean \"pii\"?)"),
        ("audit:\n  routes: [v1/chat]\n", "must be a path prefix"),
        ("audit:\n  retention: 30d\n", "audit needs keys or routes"),
        ("audit:\n  routes: ['*']\n  colour: red\n", "unknown key"),
        ("usage:\n  retention: 0d\n", "expected a retention"),
        ("usage:\n  record: maybe\n", "expected true or false"),
    ]
    for extra, message in cases:
        text = config_text(mock_port, extra)
        if extra.startswith("usage:"):
            text = text.replace("usage:\n  record: true\n", "", 1)
        config.write_text(text)
        checked = subprocess.run([SWITCHYARD, "validate", str(config)], capture_output=True, text=True, timeout=30)
        assert checked.returncode != 0, extra
        assert message in checked.stderr, checked.stderr
        assert f"{config}:" in checked.stderr, checked.stderr


def test_retention_deletes_old_usage_records_and_audit_entries(tmp_path, mock_port):
    gateway = Gateway(tmp_path, mock_port, extra=AUDIT.replace("30d", "1d") + "\n")
    try:
        raw = gateway.openai().chat.completions.with_raw_response.create(model="mock-model", messages=[{"role": "user", "content": "new"}])
        gateway.audit(request_id(raw))
        gateway.record(request_id(raw))
    finally:
        gateway.stop()
    old = int(time.time() * 1000) - 2 * 86_400_000
    ancient = int(time.time() * 1000) - 91 * 86_400_000
    with sqlite3.connect(gateway.database) as db:
        db.execute("INSERT INTO usage_records (request_id, created_at, route, model_requested, model_resolved, provider, mode, latency_ms, status)"
                   " VALUES ('old-usage', ?, 'chat_completions', 'm', 'm', 'p', 'native', 1, 200)", (ancient,))
        db.execute("INSERT INTO usage_records (request_id, created_at, route, model_requested, model_resolved, provider, mode, latency_ms, status)"
                   " VALUES ('recent-usage', ?, 'chat_completions', 'm', 'm', 'p', 'native', 1, 200)", (old,))
        db.execute("INSERT INTO audit_entries (request_id, created_at, route, status) VALUES ('old-audit', ?, '/v1/chat/completions', 200)", (old,))
    gateway.start()
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with sqlite3.connect(gateway.database) as db:
                ids = {row[0] for row in db.execute("SELECT request_id FROM usage_records UNION ALL SELECT request_id FROM audit_entries")}
            if "old-usage" not in ids and "old-audit" not in ids:
                break
            time.sleep(0.05)
        assert "old-usage" not in ids and "old-audit" not in ids, ids
        assert "recent-usage" in ids and request_id(raw) in ids  # within retention (90d usage, 1d audit)
    finally:
        gateway.stop()


def test_batch_result_lines_produce_records_at_the_batch_discount(tmp_path):
    """A native batch (the mock runs it) leaves one record per result line once its results are
    first seen: batch_id and batch_line set, tokens from the line, cost at the provider's batch
    discount (0.5 for the openai plugin); seen again, nothing is recorded twice."""
    mock, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1", "--batch-delay-ms", "200"])
    try:
        gateway = Gateway(tmp_path, port, extra="files:\n  default_provider: mock\nkeys:\n  required: true\n")
        try:
            creator = gateway.create_key(user="carol", team="ops")
            client = openai.OpenAI(base_url=f"{gateway.base}/v1", api_key=creator["key"], max_retries=0, timeout=60)
            lines = [{"custom_id": custom, "method": "POST", "url": "/v1/chat/completions",
                      "body": {"model": "mock-model", "messages": [{"role": "user", "content": text}]}}
                     for custom, text in (("line-a", "one two"), ("line-b", "three four five six"))]
            file = client.files.create(file=("in.jsonl", ("\n".join(json.dumps(line) for line in lines) + "\n").encode()), purpose="batch")
            batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
            deadline = time.monotonic() + 30
            while (done := client.batches.retrieve(batch.id)).status not in ("completed", "failed", "cancelled", "expired"):
                assert time.monotonic() < deadline, done
                time.sleep(0.1)
            assert done.status == "completed"
            output = {json.loads(line)["custom_id"]: json.loads(line)["response"]["body"]["usage"]
                      for line in client.files.content(done.output_file_id).text.splitlines()}
            deadline = time.monotonic() + 5
            while len(records := gateway.admin("/admin/usage/records", request_id=batch.id).json()["data"]) < 2:
                assert time.monotonic() < deadline, records
                time.sleep(0.05)
            by_line = {record["batch_line"]: record for record in records}
            assert sorted(by_line) == ["line-a", "line-b"]
            for custom, usage in output.items():
                record = by_line[custom]
                assert (record["batch_id"], record["mode"], record["route"], record["model_resolved"], record["status"]) == (
                    batch.id, "native_batch", "batches", "mock-model", 200)
                assert (record["key_id"], record["user"], record["team"]) == (creator["id"], "carol", "ops")  # the batch's creator
                assert (record["prompt_tokens"], record["completion_tokens"]) == (usage["prompt_tokens"], usage["completion_tokens"])
                assert record["cost_micros"] == round((usage["prompt_tokens"] * 1 + usage["completion_tokens"] * 2) * 0.5)
            client.batches.retrieve(batch.id)
            time.sleep(0.3)
            assert len(gateway.admin("/admin/usage/records", request_id=batch.id).json()["data"]) == 2
        finally:
            gateway.stop()
    finally:
        stop_process(mock)


def test_a_failing_redaction_stores_nothing_and_is_counted(tmp_path, mock_port, plugin):
    """redact_with names a guardrail whose plugin fails (even with on_error: fail_open): the
    request is answered, but its bodies are not stored unredacted: no entry, a count, a log."""
    def add_failing_guardrail(text):
        text = text.replace("plugins:\n", f"plugins:\n  - name: failing\n    path: {plugin}\n    config: {{fail: true}}\n", 1)
        return text.replace("guardrails:\n", "guardrails:\n  - {name: failing, plugin: failing, on_error: fail_open, applies_to: {models: [claude-mock]}}\n", 1)

    gateway = Gateway(tmp_path, mock_port, extra=AUDIT.replace("redact_with: pii", "redact_with: failing"), edit=add_failing_guardrail)
    try:
        raw = gateway.openai().chat.completions.with_raw_response.create(
            model="mock-model", messages=[{"role": "user", "content": "mail dave@example.com"}])
        assert raw.parse().choices[0].message.content == "mock: mail dave@example.com"
        deadline = time.monotonic() + 3
        while "audit entry not stored" not in gateway.log_path.read_text():
            assert time.monotonic() < deadline, gateway.log_path.read_text()
            time.sleep(0.05)
        assert gateway.admin("/admin/audit", request_id=request_id(raw)).json()["data"] == []
        metrics = http_call(f"{gateway.base}/metrics").text
        assert "switchyard_audit_entries_dropped_total 1" in metrics, metrics
        gateway.record(request_id(raw))  # usage is recorded all the same
    finally:
        gateway.stop()
    with sqlite3.connect(gateway.database) as db:
        assert db.execute("SELECT count(*) FROM audit_entries").fetchone() == (0,)


def test_with_keys_required_records_carry_the_caller_and_audit_follows_the_key(tmp_path, mock_port):
    """keys.required turns usage recording on by default (no usage: section here); records carry
    the caller's key, user and team; reports group by them; audit by key id audits that key only."""
    def keys_required(text):
        return text.replace("usage:\n  record: true\n", "keys:\n  required: true\n", 1)

    gateway = Gateway(tmp_path, mock_port, edit=keys_required)
    try:
        alice = gateway.create_key(user="alice", team="research")
        bob = gateway.create_key(user="bob")
        gateway.config.write_text(gateway.config.read_text() + f"audit:\n  keys: [{alice['id']}]\n  redact_with: pii\n")
        assert gateway.admin("/admin/reload", method="POST").status_code == 200
        sent = {}
        for who, count in ((alice, 2), (bob, 1)):
            client = openai.OpenAI(base_url=f"{gateway.base}/v1", api_key=who["key"], max_retries=0, timeout=15)
            for _ in range(count):
                raw = client.chat.completions.with_raw_response.create(model="mock-model", messages=[{"role": "user", "content": "hi ann@example.com"}])
                sent.setdefault(who["id"], []).append(request_id(raw))
        record = gateway.record(sent[alice["id"]][0])
        assert (record["key_id"], record["user"], record["team"]) == (alice["id"], "alice", "research")
        assert gateway.record(sent[bob["id"]][0])["team"] is None
        time.sleep(0.3)
        rows = gateway.admin("/admin/usage", group_by="key,user,team").json()["data"]
        counts = {(row["key"], row["user"], row["team"]): row["requests"] for row in rows}
        assert counts == {(alice["id"], "alice", "research"): 2, (bob["id"], "bob", None): 1}
        assert [row["requests"] for row in gateway.admin("/admin/usage", group_by="user", user="alice").json()["data"]] == [2]
        assert [row["requests"] for row in gateway.admin("/admin/usage", group_by="team", team="research").json()["data"]] == [2]
        entry = gateway.audit(sent[alice["id"]][1])
        assert entry["key_id"] == alice["id"] and "ann@example.com" not in entry["request_body"] + entry["response_body"]
        assert gateway.admin("/admin/audit", request_id=sent[bob["id"]][0]).json()["data"] == []
        assert [e["request_id"] for e in gateway.admin("/admin/audit", key=alice["id"]).json()["data"]] == sent[alice["id"]][::-1]
    finally:
        gateway.stop()
