"""Native batches through the gateway (docs/batches.md), driven by the official openai SDK:
upload, create, poll, download, list across two providers, cancel; the input prepared line by
line on the way (aliases resolved to the provider's model, every line's model checked, the
guardrails of its model run over it), with nothing left behind upstream when a line is refused;
records in the store that survive a restart; usage summed into the store and the access log.

Two mock upstreams stand in for two OpenAI-compatible providers; the tests look at them directly
to check what the gateway left there."""

import concurrent.futures
import json
import os
import sqlite3
import textwrap
import time
import shutil

import openai
import pytest

from conftest import ASAN, BIN_DIR, ROOT, start_process, stop_process
from test_passthrough import Gateway, environment
from test_server_hardening import rss_bytes


def start_mock(*extra):
    return start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1", *extra])


@pytest.fixture(scope="module")
def mocks():
    first, first_port = start_mock("--batch-delay-ms", "300")
    second, second_port = start_mock("--batch-delay-ms", "300")
    yield first_port, second_port
    stop_process(first)
    stop_process(second)


def config_text(mocks, extra=""):
    plugin_dir = os.path.abspath(BIN_DIR)
    first, second = mocks
    return textwrap.dedent(f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 2
        plugins:
          - name: openai-first
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{first}/v1
              api_key_env: null
          - name: openai-second
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{second}/v1
              api_key_env: null
          - name: anthropic
            path: {plugin_dir}/libProviderAnthropic.so
            config:
              base_url: http://127.0.0.1:{first}/v1
              api_key_env: null
          - name: echo
            path: {plugin_dir}/libProviderEcho.so
          - name: blocklist
            path: {plugin_dir}/libGuardrailBlocklist.so
            config:
              words: [forbidden-word]
              action: reject
        providers:
          - name: first
            plugin: openai-first
            models: [gpt-4o-mini, mock-fail]
          - name: second
            plugin: openai-second
            models: [second-model]
          - name: echo
            plugin: echo
            models: [echo-1]
          - name: anthropic
            plugin: anthropic
            models: [claude-test]
        aliases:
          cheap: gpt-4o-mini
          claude: claude-test
        guardrails:
          - plugin: blocklist
            phases: [request]
            applies_to:
              models: [gpt-4o-mini]
        files:
          default_provider: first
        """) + extra


@pytest.fixture(scope="module")
def gateway(mocks, tmp_path_factory):
    folder = tmp_path_factory.mktemp("batches")
    config = folder / "gateway.yaml"
    config.write_text(config_text(mocks))
    gateway = Gateway(folder, config)
    gateway.config = config
    gateway.folder = folder
    yield gateway
    gateway.stop()


@pytest.fixture
def client(gateway):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="sk-unused", max_retries=0, timeout=120)


def upstream(port):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-mock", max_retries=0)


def chat_line(custom_id, model="gpt-4o-mini", text="hello"):
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": model, "messages": [{"role": "user", "content": text}]}}


def jsonl(lines):
    # A str is a line written as it is (a key twice, which json.dumps cannot write).
    return ("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n").encode()


def upload(client, lines, name="input.jsonl", provider=None):
    extra = {"extra_body": {"provider": provider}} if provider else {}
    return client.files.create(file=(name, jsonl(lines)), purpose="batch", **extra)


def wait_for(retrieve, done, seconds=30):
    deadline = time.monotonic() + seconds
    while True:
        item = retrieve()
        if done(item):
            return item
        assert time.monotonic() < deadline, f"still {item}"
        time.sleep(0.1)


def finished(batch):
    return batch.status in ("completed", "failed", "cancelled", "expired")


def store_rows(gateway, sql, *args):
    with sqlite3.connect(gateway.folder / "switchyard-data" / "switchyard.db") as connection:
        return connection.execute(sql, args).fetchall()


def test_a_batch_runs_from_upload_to_results_with_the_gateways_ids(client, gateway):
    file = upload(client, [chat_line("a"), chat_line("b", text="hi there"), chat_line("c", model="mock-fail")])
    assert file.id.startswith("file-sy")
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h", metadata={"team": "t1"})
    assert batch.id.startswith("batch_sy") and batch.input_file_id == file.id and batch.metadata == {"team": "t1"}
    done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
    assert done.status == "completed"
    assert done.request_counts.total == 3 and done.request_counts.completed == 2 and done.request_counts.failed == 1
    assert done.output_file_id.startswith("file-sy") and done.error_file_id.startswith("file-sy")
    output = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert sorted(line["custom_id"] for line in output) == ["a", "b"]
    assert all(line["response"]["status_code"] == 200 for line in output)
    errors = [json.loads(line) for line in client.files.content(done.error_file_id).text.splitlines()]
    assert [line["custom_id"] for line in errors] == ["c"]
    # Usage, summed once per model, with the provider's batch discount.
    prompt = sum(line["response"]["body"]["usage"]["prompt_tokens"] for line in output)
    completion = sum(line["response"]["body"]["usage"]["completion_tokens"] for line in output)
    rows = wait_for(lambda: store_rows(gateway, "SELECT model, lines, failed_lines, prompt_tokens, completion_tokens, discount FROM batch_usage WHERE batch_id = ? ORDER BY model", batch.id), bool)
    assert rows == [("", 1, 1, 0, 0, 0.5), ("gpt-4o-mini", 2, 0, prompt, completion, 0.5)]
    line = wait_for(lambda: next((line for line in gateway.log().splitlines() if f"batch={batch.id} " in line and "batch_discount=" in line), None), bool)
    assert "mode=native_batch" in line and f"prompt_tokens={prompt} " in line and "batch_discount=0.5" in line and "failed_lines=1 " in line
    # Seen again: not counted twice.
    client.batches.retrieve(batch.id)
    time.sleep(0.3)
    assert store_rows(gateway, "SELECT count(*) FROM batch_usage WHERE batch_id = ?", batch.id) == [(2,)]


def test_an_alias_in_the_input_reaches_the_provider_as_its_model(client, gateway, mocks):
    file = upload(client, [chat_line("a", model="cheap"), chat_line("b")])
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert batch.input_file_id == file.id
    # At the provider, the batch ran the prepared copy, which names the provider's model.
    upstream_batch = next(b for b in upstream(mocks[0]).batches.list(limit=100) if b.id == store_rows(gateway, "SELECT upstream_id FROM batches WHERE id = ?", batch.id)[0][0])
    prepared = upstream(mocks[0]).files.content(upstream_batch.input_file_id).text.splitlines()
    assert [json.loads(line)["body"]["model"] for line in prepared] == ["gpt-4o-mini", "gpt-4o-mini"]
    assert json.loads(prepared[1]) == chat_line("b")
    done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
    assert done.status == "completed" and done.request_counts.completed == 2


def snapshot(port):
    mock = upstream(port)
    return sorted(f.id for f in mock.files.list()), sorted(b.id for b in mock.batches.list(limit=100))


@pytest.mark.parametrize("bad_line, message", [
    (chat_line("x", model="no-such-model"), "line 2: batch preparer 'batch-models': model 'no-such-model' is not served by this gateway"),
    (chat_line("x", model="echo-1"), "line 2: batch preparer 'batch-models': model 'echo-1' is served by provider(s) echo, not by 'first'"),
    (chat_line("x", model="second-model"), "line 2: batch preparer 'batch-models': model 'second-model' is served by provider(s) second"),
    (chat_line("x", text="say forbidden-word"), "line 2: Rejected by guardrail 'blocklist'"),
    ({**chat_line("x"), "url": "/v1/embeddings"}, "line 2: url '/v1/embeddings' differs from the batch's endpoint '/v1/chat/completions'"),
    ({**chat_line("x"), "method": "GET"}, "line 2: method 'GET' is not supported in a batch"),
    (chat_line("a"), "line 2: custom_id 'a' is used by line 1"),
    # Raw text: json.dumps cannot write a key twice.
    ('{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"cheap","messages":[]},'
     '"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"say forbidden-word"}]}}', "line 2: names 'body' twice"),
])
def test_a_refused_line_is_named_and_nothing_is_left_upstream(client, mocks, bad_line, message):
    # An alias on line 1 makes the gateway upload a prepared copy before it reaches line 2... or
    # not: either way nothing new may remain at the provider.
    file = upload(client, [chat_line("a", model="cheap"), bad_line, chat_line("c")])
    before = snapshot(mocks[0])
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert message in refused.value.body["message"]
    assert refused.value.body["code"] == "invalid_batch_line"
    assert snapshot(mocks[0]) == before


def test_a_prepared_copy_is_deleted_when_the_provider_refuses_the_batch(client, mocks):
    file = upload(client, [chat_line("a", model="cheap")])
    before = snapshot(mocks[0])
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="1h")
    assert snapshot(mocks[0]) == before


def test_batches_are_listed_across_providers_in_stable_pages(client):
    created = []
    for provider, model in (("first", "gpt-4o-mini"), ("second", "second-model"), ("first", "gpt-4o-mini")):
        file = upload(client, [chat_line("a", model=model)], provider=provider)
        created.append(client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h").id)
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == created[::-1][:2] and page.has_more
    second = client.batches.list(limit=2, after=page.data[-1].id)
    assert second.data[0].id == created[0]
    seen = [b.id for b in client.batches.list(limit=2).data]
    everything = [b.id for b in client.batches.list(limit=2)]  # the SDK follows `after` page by page
    assert len(everything) == len(set(everything)) and set(created) <= set(everything) and seen == everything[:2]
    with pytest.raises(openai.BadRequestError):
        client.batches.list(after="batch_nope")


def test_a_batch_is_cancelled(client):
    file = upload(client, [chat_line("a")])
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    cancelled = client.batches.cancel(batch.id)
    assert cancelled.id == batch.id and cancelled.status in ("cancelling", "cancelled")
    done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
    assert done.status in ("cancelled", "completed")


def test_bad_requests_are_refused_clearly(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.batches.create(input_file_id="file-sy000", endpoint="/v1/chat/completions", completion_window="24h")
    assert "file-sy000" in missing.value.body["message"]
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_sy000")
    file = upload(client, [chat_line("a")])
    with pytest.raises(openai.BadRequestError) as endpoint:
        client.batches.create(input_file_id=file.id, endpoint="/v1/completions", completion_window="24h")
    assert endpoint.value.body["param"] == "endpoint"
    empty = client.files.create(file=("empty.jsonl", b"\n\n"), purpose="batch")
    with pytest.raises(openai.BadRequestError) as nothing:
        client.batches.create(input_file_id=empty.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert "no requests" in nothing.value.body["message"]
    garbled = client.files.create(file=("bad.jsonl", b'{"custom_id":"a"}\n{not json\n'), purpose="batch")
    with pytest.raises(openai.BadRequestError) as broken:
        client.batches.create(input_file_id=garbled.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert broken.value.body["message"].startswith("line 1")


def test_a_restarted_gateway_still_finds_its_batch(mocks, tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(config_text(mocks))
    first = Gateway(tmp_path, config)
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{first.port}/v1", api_key="sk-unused", max_retries=0)
    file = upload(client, [chat_line("a", model="cheap")])
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    first.stop()
    second = Gateway(tmp_path, config)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{second.port}/v1", api_key="sk-unused", max_retries=0)
        assert client.batches.retrieve(batch.id).input_file_id == file.id
        done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
        assert done.status == "completed"
        assert client.files.content(done.output_file_id).text.count("\n") == 1
        assert batch.id in [b.id for b in client.batches.list()]
    finally:
        second.stop()


def test_a_100_mb_input_is_prepared_in_flat_memory(mocks, tmp_path):
    # A mock of its own whose batches never run: 45,000 lines would keep the shared mock busy
    # (minutes under ASan) and hold up the other tests' batches behind them.
    own, own_port = start_mock("--batch-delay-ms", "3600000")
    config = tmp_path / "gateway.yaml"
    config.write_text(config_text((own_port, mocks[1])))
    gateway = Gateway(tmp_path, config)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="sk-unused", max_retries=0, timeout=300)
        # Lines of about 2.2 KB (the mock's batches take 50,000 lines at most); every one names
        # the alias, so the whole file is rewritten and uploaded again.
        line = json.dumps(chat_line("x", model="cheap", text="y" * 2200)).encode() + b"\n"
        path = tmp_path / "big.jsonl"
        count = 100 * 1024 * 1024 // len(line)
        with open(path, "wb") as out:
            for number in range(count):
                out.write(line.replace(b'"x"', b'"%d"' % number))
        with open(path, "rb") as source:
            file = client.files.create(file=source, purpose="batch")
        batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
        assert batch.request_counts is None or batch.request_counts.total in (0, count)
        peak = rss_bytes(gateway.process.pid, "VmHWM")
        print(f"gateway peak RSS after a 100 MB upload and preparation: {peak / 1048576:.1f} MiB")
        if not ASAN:
            assert peak < 64 * 1024 * 1024
    finally:
        gateway.stop()
        stop_process(own)


def test_an_anthropic_batch_runs_inline_on_files_the_gateway_holds(client, gateway, mocks):
    lines = [chat_line("a", model="claude"), chat_line("b", model="claude-test", text="hi there")]
    before = upstream(mocks[0]).files.list()
    file = upload(client, lines, provider="anthropic")
    # Anthropic has no files for batches: the gateway keeps this one (nothing went to the mock).
    assert sorted(f.id for f in upstream(mocks[0]).files.list()) == sorted(f.id for f in before)
    assert client.files.content(file.id).content == jsonl(lines)
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h", metadata={"k": "v"})
    assert batch.id.startswith("batch_sy") and batch.input_file_id == file.id and batch.endpoint == "/v1/chat/completions"
    assert batch.metadata == {"k": "v"}
    done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
    assert done.status == "completed" and done.request_counts.total == 2 and done.request_counts.completed == 2
    output = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert sorted(line["custom_id"] for line in output) == ["a", "b"]
    for line in output:
        body = line["response"]["body"]
        assert line["response"]["status_code"] == 200 and body["object"] == "chat.completion"
        assert body["choices"][0]["message"]["role"] == "assistant" and body["usage"]["prompt_tokens"] > 0
    rows = wait_for(lambda: store_rows(gateway, "SELECT model, lines, prompt_tokens FROM batch_usage WHERE batch_id = ?", batch.id), bool)
    assert sum(row[1] for row in rows) == 2 and sum(row[2] for row in rows) == sum(l["response"]["body"]["usage"]["prompt_tokens"] for l in output)
    client.files.delete(file.id)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(file.id)


def test_an_anthropic_batch_is_cancelled(client):
    file = upload(client, [chat_line("a", model="claude-test")], provider="anthropic")
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    cancelled = client.batches.cancel(batch.id)
    assert cancelled.status in ("cancelling", "cancelled")
    done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
    assert done.status in ("cancelled", "completed")


def test_an_anthropic_line_it_cannot_take_is_refused_with_its_number(client):
    line = chat_line("has spaces", model="claude-test")
    file = upload(client, [chat_line("ok", model="claude-test"), line], provider="anthropic")
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert refused.value.body["message"].startswith("line 2: ") and "custom_id" in refused.value.body["message"]


def test_the_example_config_runs_the_whole_flow_against_the_mock(mocks, tmp_path):
    """config/examples/batches.yaml, copied so its store lands in a scratch folder, with both
    providers pointed at the mock: an OpenAI batch with an alias, an Anthropic one inline."""
    config = tmp_path / "batches.yaml"
    shutil.copy(os.path.join(ROOT, "config", "examples", "batches.yaml"), config)
    gateway = Gateway(tmp_path, config, environment(mocks[0]))
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="sk-unused", max_retries=0)
        for model, provider in (("cheap", None), ("claude-sonnet-4-6", "anthropic")):
            file = upload(client, [chat_line("1", model=model), chat_line("2", model=model, text="bye")], provider=provider)
            batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
            done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
            assert done.status == "completed" and done.request_counts.completed == 2, done
            output = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
            assert sorted(line["custom_id"] for line in output) == ["1", "2"]
        assert (tmp_path / "switchyard-data" / "switchyard.db").is_file()
    finally:
        gateway.stop()


def test_crlf_blank_lines_and_a_last_line_without_newline_are_read_as_an_editor_shows_them(client):
    lines = [json.dumps(chat_line(str(n), model="cheap")).encode() for n in range(3)]
    body = lines[0] + b"\r\n\r\n" + lines[1] + b"\n   \n" + lines[2]
    file = client.files.create(file=("crlf.jsonl", body), purpose="batch")
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    done = wait_for(lambda: client.batches.retrieve(batch.id), finished)
    assert done.status == "completed" and done.request_counts.total == 3
    bad = client.files.create(file=("bad.jsonl", lines[0] + b"\r\n\r\n{broken\r\n"), purpose="batch")
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=bad.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert refused.value.body["message"].startswith("line 3: ")


def test_an_ended_inline_batch_never_shows_completed_without_its_files(client, gateway):
    """Many clients polling at once while the results are fetched: each sees the batch running,
    finalizing, or completed with its output file; the results are fetched and counted once."""
    file = upload(client, [chat_line(str(n), model="claude-test") for n in range(20)], provider="anthropic")
    batch = client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    seen = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            round_ = list(pool.map(lambda _: client.batches.retrieve(batch.id), range(8)))
            seen += round_
            if all(b.status == "completed" for b in round_):
                break
    for shown in seen:
        assert shown.status != "completed" or shown.output_file_id, shown
    outputs = {b.output_file_id for b in seen if b.status == "completed"}
    assert len(outputs) == 1
    assert sum(row[0] for row in store_rows(gateway, "SELECT lines FROM batch_usage WHERE batch_id = ?", batch.id)) == 20


def test_a_start_removes_held_files_no_record_names(mocks, tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(config_text(mocks))
    first = Gateway(tmp_path, config)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{first.port}/v1", api_key="sk-unused", max_retries=0)
        kept = upload(client, [chat_line("a", model="claude-test")], provider="anthropic")
    finally:
        first.stop()
    folder = tmp_path / "switchyard-data" / "files"
    (folder / "file-syorphan").write_bytes(b"left by a crash")
    (folder / "file-syhalf.part").write_bytes(b"{")
    second = Gateway(tmp_path, config)
    try:
        assert sorted(p.name for p in folder.iterdir()) == [kept.id]
        assert "removed held files no record names" in second.log()
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{second.port}/v1", api_key="sk-unused", max_retries=0)
        assert client.files.content(kept.id).content == jsonl([chat_line("a", model="claude-test")])
    finally:
        second.stop()


def test_a_batch_holds_at_most_100000_requests(mocks, client):
    # Small lines: the bound is on requests, not bytes (it also bounds what preparation keeps).
    lines = b"".join(
        json.dumps({"custom_id": str(n), "method": "POST", "url": "/v1/chat/completions",
                    "body": {"model": "gpt-4o-mini", "messages": []}}).encode() + b"\n"
        for n in range(100_001))
    before = snapshot(mocks[0])
    file = client.files.create(file=("many.jsonl", lines), purpose="batch")
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert refused.value.body["message"] == "line 100001: a batch holds at most 100000 requests."
    assert snapshot(mocks[0])[1] == before[1]  # no batch upstream


def test_a_batch_the_store_cannot_record_is_undone_upstream(mocks, tmp_path):
    """The record's insert fails (a trigger stands in for a full disk): the prepared copy is
    deleted, the batch created upstream is cancelled, the client gets a 503."""
    config = tmp_path / "gateway.yaml"
    config.write_text(config_text(mocks))
    gateway = Gateway(tmp_path, config)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="sk-unused", max_retries=0)
        file = upload(client, [chat_line("a", model="cheap")])
        database = sqlite3.connect(tmp_path / "switchyard-data" / "switchyard.db", timeout=10)
        database.execute("CREATE TRIGGER refuse_batches BEFORE INSERT ON batches BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        database.commit()
        database.close()
        files_before, batches_before = snapshot(mocks[0])
        with pytest.raises(openai.InternalServerError) as refused:
            client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
        assert refused.value.status_code == 503 and "it was cancelled" in refused.value.body["message"]
        mock = upstream(mocks[0])
        files_after, batches_after = wait_for(lambda: snapshot(mocks[0]), lambda s: sorted(s[0]) == sorted(files_before))
        new = [b for b in batches_after if b not in batches_before]
        assert len(new) == 1
        assert mock.batches.retrieve(new[0]).status in ("cancelling", "cancelled")
    finally:
        gateway.stop()
