"""The mock upstream's Files, Batch and Message Batches APIs, driven by the official openai and
anthropic SDKs directly (no gateway): what the gateway's batch support will meet upstream.
Each module's mock is its own, so listings see only this file's records."""

import hashlib
import json
import os
import time
import urllib.request

import anthropic
import openai
import pytest

from conftest import ASAN, BIN_DIR, start_process, stop_process

FAST = {"x-mock-batch-delay-ms": "100"}
SLOW = {"x-mock-batch-delay-ms": "60000"}


def start_mock(*extra):
    return start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1", *extra])


@pytest.fixture(scope="module")
def port():
    process, port = start_mock("--batch-delay-ms", "300")
    yield port
    stop_process(process)


@pytest.fixture
def client(port):
    # No retries: a 409 or 5xx must reach the test as it is.
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-mock", max_retries=0)


@pytest.fixture
def claude(port):
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="sk-ant-mock", max_retries=0)


def chat_line(custom_id, text, **extra):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def jsonl(lines):
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def upload(client, lines, name="input.jsonl"):
    return client.files.create(file=(name, jsonl(lines)), purpose="batch")


def wait_for(retrieve, done, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        item = retrieve()
        if done(item):
            return item
        assert time.monotonic() < deadline, f"still {item}"
        time.sleep(0.05)


def journal(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_mock/requests") as response:
        return json.load(response)


def test_a_batch_completes_with_its_output_and_error_files(client, port):
    good = [chat_line(f"ok-{i}", f"hello number {i}") for i in range(3)]
    failing = [chat_line("fail-model", "x", model="mock-fail"), chat_line("fail-field", "x", **{"x-mock-fail": True})]
    invalid = [{"custom_id": "no-messages", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m"}}]
    source = upload(client, good[:2] + failing + good[2:] + invalid)
    assert source.object == "file" and source.purpose == "batch" and source.filename == "input.jsonl"
    assert source.status == "processed" and source.expires_at == source.created_at + 30 * 86400

    batch = client.batches.create(
        input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h", metadata={"run": "e2e"}
    )
    assert batch.object == "batch" and batch.status in ("validating", "in_progress")
    assert batch.metadata == {"run": "e2e"} and batch.input_file_id == source.id
    assert batch.expires_at == batch.created_at + 86400

    done = wait_for(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "completed")
    assert done.request_counts.total == 6 and done.request_counts.completed == 3 and done.request_counts.failed == 3
    assert done.model == "gpt-4o-mini"
    assert done.in_progress_at and done.finalizing_at and done.completed_at
    assert done.completed_at - done.created_at >= 0 and done.errors is None

    output = [json.loads(line) for line in client.files.content(done.output_file_id).text.splitlines()]
    assert [line["custom_id"] for line in output] == ["ok-0", "ok-1", "ok-2"]
    for number, line in enumerate(output):
        assert line["error"] is None and line["id"].startswith("batch_req_")
        assert line["response"]["status_code"] == 200 and line["response"]["request_id"]
        assert line["response"]["body"]["object"] == "chat.completion"
        assert line["response"]["body"]["choices"][0]["message"]["content"] == f"mock: hello number {number}"
    prompt = sum(line["response"]["body"]["usage"]["prompt_tokens"] for line in output)
    completion = sum(line["response"]["body"]["usage"]["completion_tokens"] for line in output)
    assert done.usage.input_tokens == prompt and done.usage.output_tokens == completion
    assert done.usage.total_tokens == prompt + completion

    errors = {json.loads(line)["custom_id"]: json.loads(line) for line in client.files.content(done.error_file_id).text.splitlines()}
    assert set(errors) == {"fail-model", "fail-field", "no-messages"}
    assert errors["fail-model"]["response"]["status_code"] == 500
    assert errors["fail-field"]["response"]["body"]["error"]["type"] == "server_error"
    assert errors["no-messages"]["response"]["status_code"] == 400
    assert errors["no-messages"]["response"]["body"]["error"]["param"] == "messages"

    output_file = client.files.retrieve(done.output_file_id)
    assert output_file.purpose == "batch_output" and output_file.filename == f"{batch.id}_output.jsonl"
    assert output_file.bytes == len(client.files.content(done.output_file_id).content)


def test_embeddings_and_responses_batches(client):
    embeddings = upload(client, [
        {"custom_id": "e1", "method": "POST", "url": "/v1/embeddings", "body": {"model": "text-embedding-3-small", "input": "two words"}},
    ])
    responses = upload(client, [
        {"custom_id": "r1", "method": "POST", "url": "/v1/responses", "body": {"model": "gpt-4.1", "input": "say it"}},
    ])
    first = client.batches.create(input_file_id=embeddings.id, endpoint="/v1/embeddings", completion_window="24h", extra_headers=FAST)
    second = client.batches.create(input_file_id=responses.id, endpoint="/v1/responses", completion_window="24h", extra_headers=FAST)
    for batch, kind in ((first, "list"), (second, "response")):
        done = wait_for(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "completed")
        line = json.loads(client.files.content(done.output_file_id).text)
        assert line["response"]["body"]["object"] == kind and done.request_counts.completed == 1
        assert done.error_file_id is None
    assert client.batches.retrieve(first.id).usage.input_tokens == 2


def test_a_bad_input_file_fails_validation_with_line_numbers(client):
    lines = jsonl([chat_line("a", "one"), chat_line("a", "two")]) + b"not json\n" + jsonl([
        {**chat_line("b", "three"), "url": "/v1/embeddings"},
        {**chat_line("c", "four"), "method": "GET"},
    ])
    source = client.files.create(file=("bad.jsonl", lines), purpose="batch")
    batch = client.batches.create(input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h")
    failed = wait_for(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "failed")
    found = {(error.code, error.line) for error in failed.errors.data}
    assert found == {("duplicate_custom_id", 2), ("invalid_json_line", 3), ("url_mismatch", 4), ("invalid_method", 5)}
    assert failed.failed_at and failed.output_file_id is None and failed.error_file_id is None

    empty = client.files.create(file=("empty.jsonl", b""), purpose="batch")
    batch = client.batches.create(input_file_id=empty.id, endpoint="/v1/chat/completions", completion_window="24h")
    failed = wait_for(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "failed")
    assert [error.code for error in failed.errors.data] == ["empty_file"]


def test_a_cancelled_batch_ends_cancelled_without_output(client):
    source = upload(client, [chat_line("a", "one")])
    batch = client.batches.create(input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h", extra_headers=SLOW)
    cancelling = client.batches.cancel(batch.id, extra_headers=FAST)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    cancelled = wait_for(lambda: client.batches.retrieve(batch.id), lambda b: b.status == "cancelled")
    assert cancelled.cancelled_at and cancelled.output_file_id is None and cancelled.request_counts.completed == 0
    with pytest.raises(openai.ConflictError) as refused:
        client.batches.cancel(batch.id)
    assert "cancelled" in refused.value.message


def test_batches_are_listed_newest_first_in_pages(client):
    source = upload(client, [chat_line("a", "one")])
    created = [
        client.batches.create(input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h", extra_headers=FAST).id
        for _ in range(3)
    ]
    page = client.batches.list(limit=2)
    assert len(page.data) == 2 and page.has_more
    listed = [batch.id for batch in client.batches.list(limit=2)]
    assert listed[:3] == created[::-1]
    assert len(listed) == len(set(listed))
    after = client.batches.list(after=created[2], limit=1)
    assert [batch.id for batch in after.data] == [created[1]]


def test_files_are_listed_retrieved_and_deleted(client):
    uploaded = [client.files.create(file=(f"notes-{i}.txt", f"note {i}".encode()), purpose="user_data").id for i in range(5)]
    newest = client.files.list(purpose="user_data", limit=2)
    assert [f.id for f in newest.data] == [uploaded[4], uploaded[3]] and newest.has_more
    every = [f.id for f in client.files.list(purpose="user_data", limit=2)]
    assert every == uploaded[::-1]
    oldest = [f.id for f in client.files.list(purpose="user_data", order="asc", limit=3)]
    assert oldest == uploaded
    raw = client.files.with_raw_response.list(purpose="user_data", limit=2).http_response.json()
    assert raw["first_id"] == uploaded[4] and raw["last_id"] == uploaded[3] and raw["has_more"] is True

    assert client.files.retrieve(uploaded[1]).bytes == len(b"note 1")
    assert client.files.content(uploaded[1]).content == b"note 1"
    deleted = client.files.delete(uploaded[1])
    assert deleted.deleted and deleted.id == uploaded[1]
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded[1])
    with pytest.raises(openai.NotFoundError):
        client.files.content(uploaded[1])
    # A deleted file is still a cursor: the page goes on from where it was.
    assert [f.id for f in client.files.list(purpose="user_data", after=uploaded[1]).data] == [uploaded[0]]


def test_bad_requests_are_refused_in_openai_shape(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.files.create(file=("a.jsonl", b"{}\n"), purpose="nonsense")
    assert caught.value.body["param"] == "purpose"
    with pytest.raises(openai.BadRequestError, match="Must be .jsonl"):
        client.files.create(file=("a.csv", b"x"), purpose="batch")
    with pytest.raises(openai.NotFoundError):
        client.batches.create(input_file_id="file-mock999999", endpoint="/v1/chat/completions", completion_window="24h")
    notes = client.files.create(file=("n.txt", b"x"), purpose="user_data")
    with pytest.raises(openai.BadRequestError, match="purpose 'batch'"):
        client.batches.create(input_file_id=notes.id, endpoint="/v1/chat/completions", completion_window="24h")
    source = upload(client, [chat_line("a", "one")])
    with pytest.raises(openai.BadRequestError) as caught:
        client.batches.create(input_file_id=source.id, endpoint="/v1/images/generations", completion_window="24h")
    assert caught.value.body["param"] == "endpoint"
    with pytest.raises(openai.BadRequestError):
        client.files.list(limit=0)
    with pytest.raises(openai.BadRequestError):
        client.batches.list(after="not-a-batch-id")
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_mock999999")


def test_an_upload_is_journaled_by_size(client, port):
    source = upload(client, [chat_line("a", "journal me")])
    entry = [e for e in journal(port) if e["path"] == "/v1/files" and e["method"] == "POST"][-1]
    assert entry["body_bytes"] > source.bytes and entry["body"] is None and entry["body_base64"] is None
    assert entry["headers"]["content-type"].startswith("multipart/form-data; boundary=")


def test_the_file_cap_refuses_uploads_past_it():
    process, port = start_mock("--max-files", "2")
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-mock", max_retries=0)
        kept = [client.files.create(file=(f"{i}.txt", b"x"), purpose="user_data") for i in range(2)]
        with pytest.raises(openai.BadRequestError, match="at most 2 files"):
            client.files.create(file=("3.txt", b"x"), purpose="user_data")
        client.files.delete(kept[0].id)
        assert client.files.create(file=("3.txt", b"x"), purpose="user_data").bytes == 1
    finally:
        stop_process(process)


def peak_memory(pid):
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def test_a_100_mb_file_goes_through_the_mock_in_flat_memory(tmp_path):
    process, port = start_mock()
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-mock", max_retries=0, timeout=120)
        # Lines of about 2.2 KB: 100 MB stays under the 50 000 requests a batch may hold.
        line = json.dumps(chat_line("x", "y" * 2200)).encode() + b"\n"
        path = tmp_path / "big.jsonl"
        digest = hashlib.sha256()
        size = 0
        count = 100 * 1024 * 1024 // len(line)
        with open(path, "wb") as out:
            for number in range(count):
                chunk = line.replace(b'"x"', b'"%d"' % number)
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        with open(path, "rb") as source:
            uploaded = client.files.create(file=source, purpose="batch")
        assert uploaded.bytes == size and uploaded.filename == "big.jsonl"
        downloaded = hashlib.sha256()
        with client.files.with_streaming_response.content(uploaded.id) as response:
            for piece in response.iter_bytes():
                downloaded.update(piece)
        assert downloaded.hexdigest() == digest.hexdigest()
        batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h", extra_headers=FAST)
        done = wait_for(lambda: client.batches.retrieve(batch.id), lambda b: b.status in ("completed", "failed"), seconds=120)
        assert done.status == "completed" and done.request_counts.completed == done.request_counts.total == count
        if not ASAN:
            assert peak_memory(process.pid) < 48 * 1024 * 1024
    finally:
        stop_process(process)


# Anthropic Message Batches.

def message(text, **extra):
    return {"model": "claude-test", "max_tokens": 100, "messages": [{"role": "user", "content": text}], **extra}


def test_a_message_batch_ends_with_results(claude):
    batch = claude.messages.batches.create(requests=[
        {"custom_id": "ok", "params": message("hello there")},
        {"custom_id": "fails", "params": message("x", model="mock-fail")},
        {"custom_id": "invalid", "params": {"model": "claude-test", "messages": [{"role": "user", "content": "no max"}]}},
    ])
    assert batch.type == "message_batch" and batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 3 and batch.results_url is None
    assert batch.expires_at > batch.created_at
    ended = wait_for(lambda: claude.messages.batches.retrieve(batch.id), lambda b: b.processing_status == "ended")
    counts = ended.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.canceled, counts.expired) == (0, 1, 2, 0, 0)
    assert ended.ended_at >= ended.created_at and ended.results_url.endswith(f"/v1/messages/batches/{batch.id}/results")

    results = {result.custom_id: result.result for result in claude.messages.batches.results(batch.id)}
    assert results["ok"].type == "succeeded" and results["ok"].message.content[0].text == "mock: hello there"
    assert results["fails"].type == "errored" and results["fails"].error.error.type == "api_error"
    assert results["invalid"].error.error.type == "invalid_request_error"
    assert "max_tokens" in results["invalid"].error.error.message


def test_a_canceled_message_batch_ends_with_canceled_results(claude):
    batch = claude.messages.batches.create(requests=[{"custom_id": "a", "params": message("one")}], extra_headers=SLOW)
    with pytest.raises(anthropic.BadRequestError, match="still processing"):
        claude.messages.batches.delete(batch.id)
    canceling = claude.messages.batches.cancel(batch.id, extra_headers=FAST)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at
    ended = wait_for(lambda: claude.messages.batches.retrieve(batch.id), lambda b: b.processing_status == "ended")
    assert ended.request_counts.canceled == 1 and ended.request_counts.succeeded == 0
    assert [r.result.type for r in claude.messages.batches.results(batch.id)] == ["canceled"]
    assert claude.messages.batches.delete(batch.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.batches.retrieve(batch.id)


def test_message_batches_are_listed_in_pages_both_ways(claude):
    created = [claude.messages.batches.create(requests=[{"custom_id": "a", "params": message("x")}], extra_headers=FAST).id for _ in range(3)]
    first = claude.messages.batches.list(limit=2)
    assert [b.id for b in first.data] == [created[2], created[1]] and first.has_more and first.last_id == created[1]
    listed = [b.id for b in claude.messages.batches.list(limit=2)]
    assert listed[:3] == created[::-1] and len(listed) == len(set(listed))
    newer = claude.messages.batches.list(before_id=created[0], limit=1)
    assert [b.id for b in newer.data] == [created[1]] and newer.has_more


def test_message_batch_requests_are_checked_as_anthropic_checks_them(claude, port):
    for requests, wording in [
        ([], "at least 1 item"),
        ([{"custom_id": "bad id!", "params": message("x")}], "custom_id: String should match pattern"),
        ([{"custom_id": "a", "params": message("x")}, {"custom_id": "a", "params": message("y")}], "Duplicate custom_id"),
        ([{"custom_id": "a"}], "requests.0.params: Field required"),
    ]:
        with pytest.raises(anthropic.BadRequestError, match=wording) as caught:
            claude.messages.batches.create(requests=requests)
        assert caught.value.body["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.batches.retrieve("msgbatch_mock999999")
    unversioned = urllib.request.Request(f"http://127.0.0.1:{port}/v1/messages/batches")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unversioned)
    assert refused.value.code == 400 and b"anthropic-version" in refused.value.read()
