"""Stored responses live in the embedded store (docs/decisions/0015-stored-responses-in-the-store.md):
a response created before a restart is found after it, on the same store file, and can be
continued with previous_response_id (the continued request the mock receives carries the earlier
turns); a delete survives a restart; retention (store.responses.max_age) hides an old response.
Each test runs its own gateway (official openai SDK), against the session's mock."""
import os
import sqlite3
import textwrap
import time

import openai
import pytest

from conformance_support import Upstream, answer_text, words
from conftest import BIN_DIR, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")


class Gateway:
    """One gateway process on a config file with its store beside it; `restart` stops it
    (SIGTERM, a clean shutdown) and starts another on the same file."""

    def __init__(self, tmp_path, mock_port, retention=""):
        plugin_dir = os.path.abspath(BIN_DIR)
        self.config = tmp_path / "gateway.yaml"
        self.database = tmp_path / "data" / "gw.db"
        self.config.write_text(textwrap.dedent(f"""
            server:
              host: 127.0.0.1
              port: 0
              loops: 2
              upstream_timeout: 10s
            plugins:
              - name: claude
                path: {plugin_dir}/libProviderAnthropic.so
                config:
                  base_url: http://127.0.0.1:{mock_port}/v1
                  api_key_env: null
            providers:
              - name: claude
                plugin: claude
                models: [claude-mock]
            store:
              path: data/gw.db
            """) + retention)
        self.process = None
        self.start()

    def start(self):
        self.process, port = start_process([SWITCHYARD, "serve", "--config", str(self.config)])
        self.client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="client-key", max_retries=0, timeout=15)

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        stop_process(self.process)
        # Written by the previous process: its log must not say a stored response was lost.
        log = self.process.stderr.read()
        assert "stored response not written" not in log, log


@pytest.fixture()
def gateway(tmp_path, mock_port):
    running = Gateway(tmp_path, mock_port)
    yield running
    running.stop()


def user(text):
    return [{"role": "user", "content": text}]


def last_messages_request(upstream):
    seen = [entry for entry in upstream.requests() if entry["path"] == "/v1/messages"]
    assert len(seen) == 1, seen
    return seen[0]["body"]


def test_a_response_survives_a_restart_and_is_continued_with_its_earlier_turns(gateway, mock_port):
    upstream = Upstream(mock_port)
    first = gateway.client.responses.create(model="claude-mock", input=user("my name is Ann"))
    streamed_request = dict(model="claude-mock", input=user("remember the stream"))
    with gateway.client.responses.stream(**streamed_request) as events:
        streamed = events.get_final_response()
    gateway.restart()

    fetched = gateway.client.responses.retrieve(first.id)
    assert fetched.id == first.id
    assert fetched.output_text == answer_text("my name is Ann")
    assert fetched.usage.input_tokens == first.usage.input_tokens
    assert gateway.client.responses.retrieve(streamed.id).output_text == answer_text("remember the stream")

    upstream.clear()
    second = gateway.client.responses.create(model="claude-mock", input=user("what is my name?"), previous_response_id=first.id)
    assert second.output_text == answer_text("what is my name?")
    assert second.previous_response_id == first.id
    sent = last_messages_request(upstream)["messages"]
    assert [message["role"] for message in sent] == ["user", "assistant", "user"]
    assert "my name is Ann" in str(sent[0]["content"])
    assert answer_text("my name is Ann") in str(sent[1]["content"])
    assert "what is my name?" in str(sent[2]["content"])
    assert second.usage.input_tokens == words("my name is Ann") + words(answer_text("my name is Ann")) + words("what is my name?")

    # The continuation is stored too, and the chain goes on from it after another restart.
    gateway.restart()
    upstream.clear()
    third = gateway.client.responses.create(model="claude-mock", input=user("and again?"), previous_response_id=second.id)
    assert third.output_text == answer_text("and again?")
    assert len(last_messages_request(upstream)["messages"]) == 5


def test_a_response_is_found_and_continued_the_moment_its_id_is_known(gateway):
    # No pause between create and use: the entry may not be committed yet (the in-memory table).
    for round in range(20):
        created = gateway.client.responses.create(model="claude-mock", input=user(f"round {round}"))
        assert gateway.client.responses.retrieve(created.id).id == created.id
        follow = gateway.client.responses.create(model="claude-mock", input=user("next"), previous_response_id=created.id)
        assert follow.usage.input_tokens == words(f"round {round}") + words(answer_text(f"round {round}")) + words("next")


def test_a_delete_survives_a_restart(gateway):
    kept = gateway.client.responses.create(model="claude-mock", input=user("keep me"))
    dropped = gateway.client.responses.create(model="claude-mock", input=user("drop me"))
    deleted = gateway.client.responses.with_raw_response.delete(dropped.id)
    assert deleted.http_response.json() == {"id": dropped.id, "object": "response", "deleted": True}
    gateway.restart()
    with pytest.raises(openai.NotFoundError):
        gateway.client.responses.retrieve(dropped.id)
    with pytest.raises(openai.NotFoundError):
        gateway.client.responses.delete(dropped.id)
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.client.responses.create(model="claude-mock", input=user("hi"), previous_response_id=dropped.id)
    assert "not found" in raised.value.message
    assert gateway.client.responses.retrieve(kept.id).output_text == answer_text("keep me")
    with sqlite3.connect(gateway.database) as connection:
        ids = {row[0] for row in connection.execute("SELECT id FROM stored_responses")}
    assert kept.id in ids and dropped.id not in ids


def test_store_false_writes_nothing(gateway):
    created = gateway.client.responses.create(model="claude-mock", input=user("forget this"), store=False)
    gateway.restart()
    with pytest.raises(openai.NotFoundError):
        gateway.client.responses.retrieve(created.id)
    with sqlite3.connect(gateway.database) as connection:
        assert connection.execute("SELECT count(*) FROM stored_responses WHERE id = ?", (created.id,)).fetchone()[0] == 0


def test_a_response_older_than_max_age_is_gone(tmp_path, mock_port):
    gateway = Gateway(tmp_path, mock_port, retention="  responses:\n    max_age: 2s\n")
    try:
        created = gateway.client.responses.create(model="claude-mock", input=user("short lived"))
        assert gateway.client.responses.retrieve(created.id).id == created.id
        time.sleep(2.5)
        with pytest.raises(openai.NotFoundError):
            gateway.client.responses.retrieve(created.id)
        # A restart runs a retention pass: the row itself is deleted.
        gateway.restart()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with sqlite3.connect(gateway.database) as connection:
                if connection.execute("SELECT count(*) FROM stored_responses").fetchone()[0] == 0:
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the expired row was not deleted at start")
    finally:
        gateway.stop()
