"""The gateway's Files API (`/v1/files…`) through the real gateway, the OpenAI plugin and two
mock upstreams (two providers, `alpha` and `beta`), with the official openai SDK as the client:
uploads land at the provider the form names, or the one serving the batch file's first model, or
`files.default_provider`; clients only see gateway ids; retrieve, content and delete reach the
right provider; the listing pages over both providers from the store; bad forms get clear 400s;
a 100 MB upload streams in flat memory and arrives intact."""

import hashlib
import io
import json
import os
import time

import httpx2
import openai
import pytest

from conftest import ASAN, BIN_DIR, start_process, stop_process
from test_passthrough import Gateway, field
from test_server_hardening import rss_bytes

# The openai SDK's own HTTP client, for what the SDK does not send (raw forms, the mocks).
http = httpx2.Client(timeout=300)


@pytest.fixture(scope="module")
def mocks():
    """Two mock upstreams: (alpha's port, beta's port)."""
    started = [start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"]) for _ in range(2)]
    yield tuple(port for _, port in started)
    for process, _ in started:
        stop_process(process)


def write_config(folder, mocks, files=""):
    plugins = os.path.abspath(BIN_DIR)
    config = folder / "files.yaml"
    config.write_text(f"""server: {{port: 0, loops: 2}}
plugins:
  - {{name: alpha, path: {plugins}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{mocks[0]}/v1", api_key_env: null}}}}
  - {{name: beta, path: {plugins}/libProviderOpenAI.so, config: {{base_url: "http://127.0.0.1:{mocks[1]}/v1", api_key_env: null}}}}
  - {{name: echo, path: {plugins}/libProviderEcho.so}}
providers:
  - {{name: alpha, plugin: alpha, models: [model-a]}}
  - {{name: beta, plugin: beta, models: [model-b]}}
  - {{name: echo, plugin: echo, models: [echo-1]}}
aliases:
  b-alias: model-b
{files}""")
    return config


@pytest.fixture(scope="module")
def gateway(mocks, tmp_path_factory):
    """No default provider: an upload must name one, or be a batch file whose model chooses."""
    started = Gateway(tmp_path_factory.mktemp("files"), write_config(tmp_path_factory.mktemp("files-config"), mocks))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def defaulted(mocks, tmp_path_factory):
    """files.default_provider: beta."""
    folder = tmp_path_factory.mktemp("files-default")
    started = Gateway(folder, write_config(folder, mocks, "files:\n  default_provider: beta\n"))
    yield started
    started.stop()


def client(gateway):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/v1", api_key="sk-client", max_retries=0, timeout=60)


def mock_files(port):
    """The mock's own listing: {upstream id: object}."""
    answer = http.get(f"http://127.0.0.1:{port}/v1/files", timeout=10).json()
    return {item["id"]: item for item in answer["data"]}


def batch_line(model, custom_id="one"):
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                       "body": {"model": model, "messages": [{"role": "user", "content": "hi"}]}}) + "\n"


def upload(gateway, content, purpose="batch", filename="input.jsonl", request_id=None, **fields):
    """A raw multipart upload with httpx2 (fields first, then the file): (status, JSON)."""
    headers = {"X-Request-ID": request_id} if request_id else {}
    answer = http.post(f"http://127.0.0.1:{gateway.port}/v1/files", data={"purpose": purpose, **fields},
                        files={"file": (filename, content, "application/jsonl")}, headers=headers, timeout=60)
    return answer.status_code, answer.json()


# ---------------------------------------------------------------------------------------------
# Which provider gets the upload


def test_the_provider_field_chooses_and_is_not_forwarded_and_the_client_sees_only_gateway_ids(gateway, mocks):
    sdk = client(gateway)
    before = set(mock_files(mocks[1]))
    created = sdk.files.create(file=("named.jsonl", batch_line("model-a").encode()), purpose="batch",
                               extra_body={"provider": "beta"}, extra_headers={"X-Request-ID": "files-named"})
    assert created.id.startswith("file-sy") and created.filename == "named.jsonl" and created.purpose == "batch"
    assert created.bytes == len(batch_line("model-a"))
    new = set(mock_files(mocks[1])) - before
    assert len(new) == 1 and created.id not in new  # at beta (not alpha, which the line's model names)
    upstream = mock_files(mocks[1])[new.pop()]
    assert upstream["filename"] == "named.jsonl" and upstream["bytes"] == created.bytes
    line = gateway.line_for("files-named")
    assert field(line, "mode") == "native_file" and field(line, "provider") == "beta" and field(line, "status") == "200"
    assert field(line, "endpoint") == "files" and field(line, "method") == "POST" and field(line, "path") == "/v1/files"


@pytest.mark.parametrize("model, port_index", [("model-a", 0), ("model-b", 1), ("b-alias", 1)])
def test_a_batch_file_goes_to_the_provider_serving_its_first_lines_model(gateway, mocks, model, port_index):
    before = set(mock_files(mocks[port_index]))
    content = batch_line(model) + batch_line("model-a", "two")
    created = client(gateway).files.create(file=("batch.jsonl", content.encode()), purpose="batch")
    assert created.bytes == len(content)
    assert len(set(mock_files(mocks[port_index])) - before) == 1


def test_the_default_provider_takes_what_nothing_else_chooses(defaulted, mocks):
    before = set(mock_files(mocks[1]))
    created = client(defaulted).files.create(file=("notes.txt", b"plain text"), purpose="user_data")
    assert created.purpose == "user_data" and len(set(mock_files(mocks[1])) - before) == 1
    # A batch line whose model no provider serves falls back to the default too.
    created = client(defaulted).files.create(file=("b.jsonl", batch_line("unknown-model").encode()), purpose="batch")
    assert created.bytes > 0 and len(set(mock_files(mocks[1])) - before) == 2


def test_an_upload_nothing_chooses_a_provider_for_is_refused_asking_to_name_one(gateway):
    with pytest.raises(openai.BadRequestError) as caught:
        client(gateway).files.create(file=("notes.txt", b"plain text"), purpose="user_data")
    error = caught.value.body
    assert error["code"] == "provider_required" and error["param"] == "provider"
    assert "alpha, beta" in error["message"] and "'provider'" in error["message"]
    status, answer = upload(gateway, batch_line("unknown-model"))
    assert status == 400 and "'unknown-model'" in answer["error"]["message"]


@pytest.mark.parametrize("name, code", [("nobody", "unknown_provider"), ("echo", "provider_without_files")])
def test_a_named_provider_that_does_not_exist_or_take_files_is_refused(gateway, name, code):
    status, answer = upload(gateway, b"x\n", provider=name)
    assert status == 400 and answer["error"]["code"] == code and f"'{name}'" in answer["error"]["message"]


# ---------------------------------------------------------------------------------------------
# Retrieve, content, delete


def test_retrieve_download_and_delete_reach_the_provider_holding_the_file(gateway, mocks):
    sdk = client(gateway)
    content = os.urandom(300_000)
    created = sdk.files.create(file=("blob.bin", content), purpose="user_data", extra_body={"provider": "alpha"})
    upstream_ids = set(mock_files(mocks[0]))
    fetched = sdk.files.retrieve(created.id)
    assert fetched.id == created.id and fetched.bytes == len(content) and fetched.status == "processed"
    assert sdk.files.content(created.id).read() == content
    deleted = sdk.files.delete(created.id)
    assert deleted.id == created.id and deleted.deleted is True
    assert len(upstream_ids - set(mock_files(mocks[0]))) == 1  # gone at the provider too
    with pytest.raises(openai.NotFoundError) as caught:
        sdk.files.retrieve(created.id)
    assert caught.value.body["message"] == f"No such File object: {created.id}"
    assert created.id not in [item.id for item in sdk.files.list()]


def test_a_file_the_provider_lost_is_a_404_and_deleting_it_removes_the_record(gateway, mocks):
    sdk = client(gateway)
    before = set(mock_files(mocks[0]))
    created = sdk.files.create(file=("lost.txt", b"soon gone"), purpose="user_data", extra_body={"provider": "alpha"})
    (upstream_id,) = set(mock_files(mocks[0])) - before
    assert http.delete(f"http://127.0.0.1:{mocks[0]}/v1/files/{upstream_id}", timeout=10).status_code == 200
    with pytest.raises(openai.NotFoundError):
        sdk.files.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        sdk.files.content(created.id)
    assert sdk.files.delete(created.id).deleted is True
    assert created.id not in [item.id for item in sdk.files.list()]


def test_unknown_ids_are_404_in_openais_shape(gateway):
    sdk = client(gateway)
    for call in (sdk.files.retrieve, sdk.files.content, sdk.files.delete):
        with pytest.raises(openai.NotFoundError) as caught:
            call("file-sy000000000000000000000000")
        assert caught.value.body == {"message": "No such File object: file-sy000000000000000000000000",
                                     "type": "invalid_request_error", "param": "id", "code": None}


def test_wrong_methods_are_405_with_allow(gateway):
    for method, path, allowed in [("PUT", "/v1/files", "GET, POST"), ("POST", "/v1/files/file-x", "GET, DELETE"),
                                  ("DELETE", "/v1/files/file-x/content", "GET")]:
        status, headers, body = gateway.raw(method, path)
        assert status == 405 and dict(headers)["Allow"] == allowed
        assert json.loads(body)["error"]["code"] == "method_not_allowed"
    status, _, body = gateway.raw("GET", "/v1/files/file-x/other")
    assert status == 404 and json.loads(body)["error"]["code"] == "unknown_url"


# ---------------------------------------------------------------------------------------------
# Listing


def test_the_listing_pages_over_both_providers_each_file_once_in_order(mocks, tmp_path):
    listing = Gateway(tmp_path, write_config(tmp_path, mocks))
    try:
        sdk = client(listing)
        ids = []
        for index in range(7):
            provider = "alpha" if index % 2 else "beta"
            ids.append(sdk.files.create(file=(f"f{index}.txt", b"x" * (index + 1)), purpose="user_data",
                                        extra_body={"provider": provider}).id)
        seen = [item.id for item in sdk.files.list(limit=2)]  # the SDK follows `after` page by page
        assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
        records = {item.id: item for item in sdk.files.list()}
        # Newest first: by created_at, then by the order the gateway recorded them (ids are random).
        newest_first = sorted(ids, key=lambda id: (records[id].created_at, ids.index(id)), reverse=True)
        assert seen == newest_first
        ascending = [item.id for item in sdk.files.list(limit=3, order="asc")]
        assert ascending == list(reversed(newest_first))

        # A file added between pages is not seen twice, and no old one is skipped.
        first = sdk.files.list(limit=3)
        sdk.files.create(file=("late.txt", b"late"), purpose="user_data", extra_body={"provider": "alpha"})
        rest = [item.id for item in sdk.files.list(limit=3, after=first.data[-1].id)]
        assert [item.id for item in first.data] + rest == newest_first
        assert first.has_more is True and first.first_id == first.data[0].id and first.last_id == first.data[-1].id

        batch = sdk.files.create(file=("b.jsonl", batch_line("model-a").encode()), purpose="batch")
        assert [item.id for item in sdk.files.list(purpose="batch")] == [batch.id]
        item = records[ids[3]]
        assert (item.object, item.filename, item.bytes, item.purpose, item.status) == ("file", "f3.txt", 4, "user_data", "processed")
    finally:
        listing.stop()


@pytest.mark.parametrize("query, param", [
    ("after=file-synothing", "after"), ("limit=0", "limit"), ("limit=10001", "limit"), ("limit=x", "limit"), ("order=up", "order")])
def test_bad_listing_parameters_are_400_naming_them(gateway, query, param):
    status, _, body = gateway.raw("GET", f"/v1/files?{query}")
    error = json.loads(body)["error"]
    assert status == 400 and error["param"] == param and error["type"] == "invalid_request_error"


# ---------------------------------------------------------------------------------------------
# Bad forms


def raw_form(gateway, body, content_type="multipart/form-data; boundary=XyZ"):
    status, _, answer = gateway.raw("POST", "/v1/files", body=body, headers={"Content-Type": content_type})
    return status, json.loads(answer)["error"]


def part(name, value, filename=None):
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--XyZ\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n"


@pytest.mark.parametrize("body, content_type, code, words", [
    (part("file", "x", "a.jsonl") + "--XyZ--\r\n", None, "missing_required_parameter", "'purpose'"),
    (part("purpose", "batch") + "--XyZ--\r\n", None, "missing_required_parameter", "'file'"),
    (part("purpose", "batch") + part("provider", "alpha") + part("file", "x", "a.jsonl"), None, "invalid_multipart", "closing boundary"),
    ("no boundary in here at all", None, "invalid_multipart", "boundary"),
    ("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--\r\n", None, "invalid_multipart", "Content-Disposition"),
    ("--XyZgarbage\r\n", None, "invalid_multipart", "garbled"),
    (part("purpose", "batch"), "application/json", "invalid_multipart", "multipart/form-data"),
    (part("purpose", "batch"), "multipart/form-data", "invalid_multipart", "no boundary"),
    (part("purpose", "batch") + part("colour", "blue") + "--XyZ--\r\n", None, "unknown_field", "'colour'"),
    (part("purpose", "batch") + part("purpose", "batch") + "--XyZ--\r\n", None, "invalid_field", "twice"),
    (part("purpose", "x" * 5000) + "--XyZ--\r\n", None, "invalid_multipart", "longer than"),
])
def test_bad_forms_are_400_saying_what_is_wrong(gateway, body, content_type, code, words):
    status, error = raw_form(gateway, body.encode(), content_type or "multipart/form-data; boundary=XyZ")
    assert status == 400 and error["code"] == code and words in error["message"], error


@pytest.mark.parametrize("late", [part("expires_after[anchor]", "created_at"), part("purpose", "batch"), part("file", "again", "b.txt")])
def test_a_field_or_file_after_the_file_is_refused_and_leaves_nothing_upstream(gateway, mocks, late):
    before = [set(mock_files(port)) for port in mocks]
    body = part("purpose", "user_data") + part("provider", "alpha") + part("file", "content", "a.txt") + late + "--XyZ--\r\n"
    status, error = raw_form(gateway, body.encode())
    assert status == 400 and error["code"] in ("field_after_file", "invalid_multipart"), error
    assert "after the file" in error["message"] or "more than one file" in error["message"]
    assert [set(mock_files(port)) for port in mocks] == before


def test_an_upstream_refusal_comes_back_with_its_status_and_error(gateway):
    status, answer = upload(gateway, b"x", purpose="nonsense", provider="alpha")
    assert status == 400 and "purpose" in answer["error"]["message"]


def test_a_field_with_the_boundary_split_across_reads_and_odd_spacing_is_read(gateway, mocks):
    """A slow client: the body arrives a few bytes at a time, so every delimiter is split."""
    body = ("preamble\r\n" + part("purpose", "user_data") + part("provider", "alpha")
            + part("file", "a --XyZ is not a boundary: no line end before it\r\n-", "odd.txt") + "--XyZ--  \r\nepilogue").encode()

    def dribble():
        for index in range(0, len(body), 7):
            yield body[index:index + 7]
            time.sleep(0.001)

    answer = http.post(f"http://127.0.0.1:{gateway.port}/v1/files", content=dribble(),
                        headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, timeout=30)
    assert answer.status_code == 200, answer.text
    file = answer.json()
    content = http.get(f"http://127.0.0.1:{gateway.port}/v1/files/{file['id']}/content", timeout=10).content
    assert content == b"a --XyZ is not a boundary: no line end before it\r\n-"


# ---------------------------------------------------------------------------------------------
# A large upload streams


SIZE = 100 << 20
PIECE = 1 << 20


def test_a_100mb_upload_streams_in_flat_memory_and_arrives_intact(mocks, tmp_path):
    big = Gateway(tmp_path, write_config(tmp_path, mocks))
    try:
        seed = os.urandom(PIECE)
        expected = hashlib.sha256()
        boundary = "big-boundary-7d1c"
        head = (part("purpose", "user_data").replace("XyZ", boundary) + part("provider", "beta").replace("XyZ", boundary)
                + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
                  "Content-Type: application/octet-stream\r\n\r\n").encode()

        def body():
            yield head
            for index in range(SIZE // PIECE):
                piece = bytes([index % 256]) + seed[1:]
                expected.update(piece)
                yield piece
            yield f"\r\n--{boundary}--\r\n".encode()

        baseline = rss_bytes(big.process.pid, "VmHWM")
        answer = http.post(f"http://127.0.0.1:{big.port}/v1/files", content=body(),
                            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Request-ID": "files-big"},
                            timeout=300)
        assert answer.status_code == 200, answer.text
        peak = rss_bytes(big.process.pid, "VmHWM")
        print(f"\ngateway VmHWM: {baseline >> 20} MiB before, {peak >> 20} MiB after a {SIZE >> 20} MiB upload")
        if not ASAN:
            assert peak - baseline < 48 << 20, f"peak memory grew by {(peak - baseline) >> 20} MiB"
            assert peak < 60 << 20, f"peak memory {peak >> 20} MiB"
        file = answer.json()
        assert file["bytes"] == SIZE
        # The bytes at the provider hash the same as what the client sent.
        (upstream_id,) = [id for id, item in mock_files(mocks[1]).items() if item["filename"] == "big.bin"]
        received = hashlib.sha256()
        with http.stream("GET", f"http://127.0.0.1:{mocks[1]}/v1/files/{upstream_id}/content", timeout=120) as stream:
            for chunk in stream.iter_bytes(PIECE):
                received.update(chunk)
        assert received.hexdigest() == expected.hexdigest()
        # Back through the gateway, too.
        through = hashlib.sha256()
        with http.stream("GET", f"http://127.0.0.1:{big.port}/v1/files/{file['id']}/content", timeout=120) as stream:
            assert stream.headers["content-length"] == str(SIZE)
            for chunk in stream.iter_bytes(PIECE):
                through.update(chunk)
        assert through.hexdigest() == expected.hexdigest()
        if not ASAN:
            after_download = rss_bytes(big.process.pid, "VmHWM")
            assert after_download - baseline < 48 << 20, f"peak memory grew by {(after_download - baseline) >> 20} MiB with the download"
        assert client(big).files.delete(file["id"]).deleted
    finally:
        big.stop()


def test_a_default_provider_that_does_not_take_files_fails_the_start_naming_the_line(mocks, tmp_path):
    config = write_config(tmp_path, mocks, "files:\n  default_provider: echo\n")
    with pytest.raises(RuntimeError) as caught:
        start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)])
    assert "files.default_provider" in str(caught.value) and "echo" in str(caught.value) and "files.yaml:" in str(caught.value)


def test_an_unknown_default_provider_is_a_config_error_with_its_place(mocks, tmp_path):
    config = write_config(tmp_path, mocks, "files:\n  default_provider: gamma\n")
    with pytest.raises(RuntimeError) as caught:
        start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)])
    assert 'unknown provider "gamma"' in str(caught.value) and "files.yaml:" in str(caught.value)


def test_an_upload_the_store_cannot_record_is_deleted_at_the_provider_and_answered_503(mocks, tmp_path):
    import sqlite3

    refusing = Gateway(tmp_path, write_config(tmp_path, mocks))
    try:
        # A trigger makes the record's insert fail, as a full disk or a broken file would.
        database = sqlite3.connect(tmp_path / "switchyard-data" / "switchyard.db", timeout=10)
        database.execute("CREATE TRIGGER refuse_files BEFORE INSERT ON files WHEN NEW.filename = 'refused.txt' "
                         "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        database.commit()
        database.close()
        before = set(mock_files(mocks[0]))
        status, answer = upload(refusing, b"never kept", purpose="user_data", filename="refused.txt", provider="alpha", request_id="files-refused")
        assert status == 503 and "could not record the upload" in answer["error"]["message"], answer
        assert set(mock_files(mocks[0])) == before  # uploaded, then deleted again
        line = refusing.line_for("files-refused")
        assert field(line, "status") == "503" and field(line, "provider") == "alpha" and "refused by the test" in line
        # Others still upload.
        status, answer = upload(refusing, b"kept", purpose="user_data", filename="kept.txt", provider="alpha")
        assert status == 200 and answer["id"].startswith("file-sy")
    finally:
        refusing.stop()
