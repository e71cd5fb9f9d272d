"""Signals through the real binary: SIGHUP reloads the config and never kills, SIGTERM lets 50
open streams finish and exits 0, a second SIGTERM (or SIGINT) during the drain exits at once, and what is still open when the shutdown grace runs out is
ended in each client's own error shape, logged as a shutdown rather than a client leaving."""

import os
import signal
import textwrap
import threading
import time

import anthropic
import openai
import pytest

from conftest import BIN_DIR, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
WORDS = " ".join(f"w{n}" for n in range(40))  # 40 stream chunks: 8 s at 200 ms each


def start_gateway(mock_port, tmp_path, grace):
    """Two loops; `slow` streams one chunk per 200 ms, `stalled` answers after 10 s."""
    config = tmp_path / "signals.yaml"
    plugin = os.path.join(os.path.abspath(BIN_DIR), "libProviderOpenAI.so")
    config.write_text(textwrap.dedent(f"""
        server:
          port: 0
          loops: 2
          shutdown_grace: {grace}
        plugins:
          - name: slow
            path: {plugin}
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
              headers:
                x-mock-chunk-delay-ms: "200"
          - name: stalled
            path: {plugin}
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
              headers:
                x-mock-delay-ms: "10000"
        providers:
          - name: slow
            plugin: slow
            models: [slow-model]
          - name: stalled
            plugin: stalled
            models: [stalled-model]
        """))
    return start_process([SWITCHYARD, "serve", "--config", str(config)])


def openai_client(port):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)


def anthropic_client(port):
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="x", max_retries=0, timeout=15)


def ask(port, text):
    reply = openai_client(port).chat.completions.create(model="slow-model", messages=[{"role": "user", "content": text}])
    assert reply.choices[0].message.content == f"mock: {text}"


def access_lines(stderr):
    return [line for line in stderr.splitlines() if " msg=request " in line]


def test_sighup_reloads_never_kills_and_no_access_line_is_lost(mock_port, tmp_path):
    process, port = start_gateway(mock_port, tmp_path, "5s")
    try:
        for n in range(20):
            ask(port, f"before {n}")
        process.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert process.poll() is None, "SIGHUP ended the gateway"
        ask(port, "after the hangup")
    finally:
        stop_process(process)
    assert process.returncode == 0
    stderr = process.stderr.read()
    assert 'level=info msg="config reloaded" trigger=SIGHUP generation=2' in stderr
    lines = access_lines(stderr)
    assert len(lines) == 21 and all(" status=200 " in line for line in lines), stderr


def test_sigterm_lets_50_open_streams_finish_then_exits_0(mock_port, tmp_path):
    process, port = start_gateway(mock_port, tmp_path, "30s")
    text = " ".join(f"t{n}" for n in range(10))  # 10 chunks, 2 s each stream
    results, errors = [], []
    first_chunks = threading.Barrier(51, timeout=20)

    def stream():
        try:
            chunks = iter(openai_client(port).chat.completions.create(
                model="slow-model", messages=[{"role": "user", "content": text}], stream=True))
            received = [next(chunks)]
            first_chunks.wait()
            received.extend(chunks)
            results.append("".join(c.choices[0].delta.content or "" for c in received if c.choices))
        except Exception as error:  # reported below
            errors.append(repr(error))
            first_chunks.abort()

    threads = [threading.Thread(target=stream) for _ in range(50)]
    try:
        for thread in threads:
            thread.start()
        first_chunks.wait()  # all 50 are open and streaming
        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        for thread in threads:
            thread.join(timeout=20)
        assert process.wait(timeout=20) == 0
        assert time.monotonic() - sent < 10
    finally:
        stop_process(process)
    assert errors == [], errors[:3]
    assert results == [f"mock: {text}"] * 50
    stderr = process.stderr.read()
    lines = access_lines(stderr)
    assert len(lines) == 50 and all(" status=200 " in line for line in lines), stderr[-2000:]


@pytest.mark.parametrize("second, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_second_signal_during_the_drain_exits_at_once(mock_port, tmp_path, second, status):
    process, port = start_gateway(mock_port, tmp_path, "30s")
    try:
        for n in range(5):
            ask(port, f"done {n}")  # their lines are still batched when the drain starts
        stream = openai_client(port).chat.completions.create(
            model="slow-model", messages=[{"role": "user", "content": WORDS}], stream=True)
        chunks = iter(stream)
        next(chunks)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert process.poll() is None, "the first SIGTERM must wait for the open stream"
        sent = time.monotonic()
        process.send_signal(second)
        assert process.wait(timeout=5) == status
        assert time.monotonic() - sent < 1
        with pytest.raises(openai.APIConnectionError):
            list(chunks)
    finally:
        stop_process(process)
    stderr = process.stderr.read()
    assert f'msg="second signal during the drain, exiting at once" signal={signal.Signals(second).name}' in stderr
    assert len(access_lines(stderr)) == 5, stderr


def test_what_is_open_when_the_grace_runs_out_gets_an_error_in_its_clients_shape(mock_port, tmp_path):
    process, port = start_gateway(mock_port, tmp_path, "1.5s")
    try:
        chat = openai_client(port).chat.completions.create(
            model="slow-model", messages=[{"role": "user", "content": WORDS}], stream=True)
        chat_chunks = iter(chat)
        next(chat_chunks)
        messages = anthropic_client(port).messages.create(
            model="slow-model", max_tokens=100, messages=[{"role": "user", "content": WORDS}], stream=True)
        message_events = iter(messages)
        next(message_events)
        responses = openai_client(port).responses.create(model="slow-model", input=WORDS, stream=True)
        response_events = iter(responses)
        next(response_events)
        stalled = {}

        def ask_stalled():
            try:
                openai_client(port).chat.completions.create(model="stalled-model", messages=[{"role": "user", "content": "hi"}])
            except openai.APIStatusError as error:
                stalled["error"] = error

        waiter = threading.Thread(target=ask_stalled)
        waiter.start()
        time.sleep(0.3)  # the stalled request has reached the gateway

        process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        with pytest.raises(openai.APIError) as chat_error:
            list(chat_chunks)
        chat_cut = time.monotonic() - sent
        with pytest.raises(anthropic.APIError) as messages_error:
            list(message_events)
        with pytest.raises(openai.APIError) as responses_error:
            list(response_events)
        waiter.join(timeout=5)
        assert process.wait(timeout=5) == 0
    finally:
        stop_process(process)

    # The cut comes at 1.5 s, not at 1 s (a grace rounded down to whole seconds).
    assert 1.4 < chat_cut < 2.4, chat_cut
    assert "shutting down" in str(chat_error.value)
    assert "shutting down" in str(messages_error.value)
    assert "shutting down" in str(responses_error.value)
    assert stalled["error"].status_code == 503
    assert stalled["error"].body["message"] == "The gateway is shutting down; retry the request."
    stderr = process.stderr.read()
    lines = access_lines(stderr)
    assert len(lines) == 4, stderr
    assert all(' status=503 ' in line and ' error="gateway shutting down"' in line for line in lines), stderr
    assert "status=499" not in stderr
