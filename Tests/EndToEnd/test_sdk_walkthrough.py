"""plugin-sdk/README.md is the test: its code blocks, as written, are the files of a working
provider (```c file=my_provider.c, ```make file=Makefile ...). They are extracted into a temp
dir, built with the README's own Makefile, loaded by the real gateway from the README's own
config (only the library path and the mock's port swapped in, an echo provider added behind it),
and driven whole and streamed with the official openai SDK against switchyard-mock, errors
included. The provider's C keeps the walkthrough's promise: at most 150 lines (blank lines
aside), none wider than 100 columns."""

import http.server
import os
import re
import subprocess
import time

import openai
import pytest

from conftest import BIN_DIR, ROOT, json_call, loopback_server, start_process, stop_process
from walkthrough_support import README, build_walkthrough, readme_files

UPSTREAM_KEY = "sk-walkthrough-key"


def test_the_providers_c_fits_in_150_lines_of_at_most_100_columns():
    # The promise is about the provider's C (every ```c file=my_provider.c block, joined), not
    # the prose around it; blank lines between functions are not counted.
    lines = readme_files()["my_provider.c"].splitlines()
    code = [line for line in lines if line.strip()]
    assert len(code) <= 150, f"the walkthrough's provider has {len(code)} lines of C; it promises at most 150"
    wide = [line for line in lines if len(line) > 100]
    assert not wide, f"C lines wider than 100 columns: {wide}"


def test_the_steps_announced_are_the_steps_that_follow_and_the_canonical_format_is_linked():
    text = open(README).read()
    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
    announced = re.search(r"in (\w+) steps", text).group(1)
    steps = re.findall(r"^\*\*(\d+)\. ", text, re.M)
    assert [int(n) for n in steps] == list(range(1, words[announced] + 1)), (announced, steps)
    assert "../docs/canonical.md" in text  # the chunk format and the mandatory usage record


def test_the_readme_names_every_file_the_build_needs():
    assert set(readme_files()) == {"my_provider.c", "Makefile", "switchyard.yaml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The README's files in a fresh directory, built by its Makefile: the path of the library."""
    return build_walkthrough(tmp_path_factory.mktemp("walkthrough"))


def test_the_library_exports_only_its_entry(built):
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(built)], capture_output=True, text=True, check=True).stdout
    assert [line.split()[-1] for line in symbols.splitlines() if line.split()[1].isupper()] == ["sy_plugin_entry"]


def test_the_makefile_turns_a_missing_declaration_into_an_error(tmp_path):
    # What a newcomer met: -std=c11 hides glibc's memmem unless _GNU_SOURCE is defined, and
    # without -Werror the undeclared call compiled to an int that truncated the pointer. The
    # README's Makefile builds a provider that calls memmem; without -D_GNU_SOURCE it must not.
    files = readme_files()
    probe = "\nvoid *find_probe(const void *text, size_t length) { return memmem(text, length, \"x\", 1); }\n"
    sdk = f"SDK={os.path.join(ROOT, 'plugin-sdk')}"
    for flags, directory in [("-D_GNU_SOURCE", tmp_path / "with"), ("-U_GNU_SOURCE", tmp_path / "without")]:
        directory.mkdir()
        for name, text in files.items():
            (directory / name).write_text(text)
        (directory / "my_provider.c").write_text(files["my_provider.c"] + probe)
        (directory / "Makefile").write_text(files["Makefile"].replace("-D_GNU_SOURCE", flags))
    built = subprocess.run(["make", "-s", "-C", str(tmp_path / "with"), sdk], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    refused = subprocess.run(["make", "-s", "-C", str(tmp_path / "without"), sdk], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "memmem" in refused.stderr


@pytest.fixture(scope="module")
def upstream():
    """A mock upstream of this module's own: the fault scripts below must not reach other tests."""
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])
    yield port
    stop_process(process)


class StreamWithoutDone(http.server.BaseHTTPRequestHandler):
    """An upstream whose stream ends cleanly (its whole Content-Length sent) after one chunk,
    without `data: [DONE]`: the transport sees nothing wrong, only the provider can tell."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'data: {"id":"u","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"half"}}]}\n\n'
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def upstream_without_done():
    with loopback_server(StreamWithoutDone) as port:
        yield port


@pytest.fixture(scope="module")
def gateway(built, upstream, upstream_without_done, tmp_path_factory):
    """The README's switchyard.yaml, with the built library and this mock. Entries are added: an
    echo provider behind `mine` for mock-model, so a retryable upstream error fails over; and a
    second instance of the README's plugin for `eof-model`, whose upstream never sends [DONE]."""
    config = readme_files()["switchyard.yaml"]
    assert "/abs/path/libmy_provider.so" in config and "127.0.0.1:8081" in config
    config = config.replace("/abs/path/libmy_provider.so", str(built)).replace("127.0.0.1:8081", f"127.0.0.1:{upstream}")
    assert config.startswith("plugins:\n") and config.rstrip().splitlines()[-2] == "providers:"
    config = config.replace("plugins:\n", f"plugins:\n  - {{ name: echo, path: {os.path.abspath(BIN_DIR)}/libProviderEcho.so }}\n"
                            f"  - {{ name: eof, path: {built}, config: {{ base_url: 'http://127.0.0.1:{upstream_without_done}' }} }}\n")
    config += "  - { name: backup, plugin: echo, models: [mock-model] }\n"
    config += "  - { name: eof, plugin: eof, models: [eof-model] }\n"
    directory = tmp_path_factory.mktemp("walkthrough-gateway")
    (directory / "switchyard.yaml").write_text("server: { port: 0 }\n" + config)
    log = directory / "gateway.log"
    with open(log, "w") as stderr:
        process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(directory / "switchyard.yaml")],
                                      env=dict(os.environ, MY_KEY=UPSTREAM_KEY), stderr=stderr)
    yield port, log
    stop_process(process)


@pytest.fixture()
def client(gateway):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{gateway[0]}/v1", api_key="x", max_retries=0, timeout=15)


def faults(port, body):
    status, answer = json_call(port, "POST" if body else "DELETE", "/_mock/faults", body)
    assert status < 300, answer


def last_upstream_request(port):
    status, journal = json_call(port, "GET", "/_mock/requests")
    assert status == 200
    return journal["requests"][-1] if isinstance(journal, dict) else journal[-1]


def test_a_whole_answer_comes_back_with_its_usage(client, upstream):
    reply = client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hello there"}])
    assert reply.choices[0].message.content == "mock: hello there"
    assert reply.usage.prompt_tokens == 2 and reply.usage.completion_tokens == 3
    seen = last_upstream_request(upstream)
    assert seen["path"] == "/v1/chat/completions"
    headers = {k.lower(): v for k, v in (seen["headers"].items() if isinstance(seen["headers"], dict) else seen["headers"])}
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}"  # secret_get's two calls, then the builder


def test_a_stream_arrives_chunk_by_chunk_with_usage(client):
    chunks = list(client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "one two three four"}],
        stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "mock: one two three four"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 4  # one chunk per word
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 5


def test_a_stream_without_usage_asked_has_no_usage_chunk_but_the_gateway_meters_it(client, upstream, gateway):
    chunks = list(client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "quiet please"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "mock: quiet please"
    assert all(c.usage is None and c.choices for c in chunks)
    # The plugin asked the upstream for usage all the same: the mandatory record (docs/canonical.md).
    assert last_upstream_request(upstream)["body"]["stream_options"] == {"include_usage": True}


def test_a_non_retryable_upstream_error_reaches_the_client_as_the_upstream_said_it(client, upstream):
    faults(upstream, {"faults": [{"status": 404}]})
    try:
        with pytest.raises(openai.NotFoundError) as raised:
            client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "x"}])
    finally:
        faults(upstream, None)
    assert raised.value.status_code == 404
    # The mock's own error object, passed on as it is (the table would have said not_found_error).
    assert raised.value.body["type"] == "invalid_request_error" and raised.value.body["message"]


def test_a_retryable_upstream_error_fails_over_to_the_next_provider(client, upstream):
    # 429 is retryable by the SDK's rule (switchyard_upstream_error.h), so the router tries the
    # echo provider configured behind `mine`; a 404 above was not, so the client got it.
    faults(upstream, {"faults": [{"status": 429}]})
    try:
        reply = client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "again"}])
    finally:
        faults(upstream, None)
    assert reply.choices[0].message.content == "again"


def test_a_stream_cut_before_done_ends_with_an_error(client, upstream):
    faults(upstream, {"faults": [{"cut_after": 2}]})
    try:
        with pytest.raises(openai.APIError):
            for _ in client.chat.completions.create(
                    model="mock-model", messages=[{"role": "user", "content": "a b c d e f"}], stream=True):
                pass
    finally:
        faults(upstream, None)


def test_a_stream_that_ends_without_done_ends_with_an_error(client, gateway):
    # The connection closed cleanly, so only the provider's own [DONE] check can tell the
    # stream was cut: the chunk before it arrives, then the error, never a clean end.
    received = []
    with pytest.raises(openai.APIError):
        for chunk in client.chat.completions.create(
                model="eof-model", messages=[{"role": "user", "content": "hi"}], stream=True):
            received.append(chunk.choices[0].delta.content)
    assert received == ["half"]
    deadline = time.monotonic() + 5  # the access log line follows the response
    while 'error="cut before [DONE]"' not in gateway[1].read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 'provider=eof' in gateway[1].read_text() and 'error="cut before [DONE]"' in gateway[1].read_text()


def test_the_plugin_logs_through_the_host(gateway, upstream):
    # instance_new's host->log line: the host adds the level and the entry's name.
    _, log = gateway
    lines = [line for line in log.read_text().splitlines() if f'msg="http://127.0.0.1:{upstream}/v1/chat/completions"' in line]
    assert len(lines) == 1 and lines[0].startswith("level=info ") and 'plugin="mine"' in lines[0], lines
