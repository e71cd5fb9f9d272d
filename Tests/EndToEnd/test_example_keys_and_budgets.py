"""config/examples/keys-and-budgets.yaml served as shipped (copied into a fresh folder, so its
store lands beside the copy): keys required in both error shapes, a key made through the admin
API with the master key from the environment, both official SDKs with that key, its spend shown
by GET /admin/keys/{id} priced by the example's catalog, and the database next to the config."""

import math
import os
import shutil

import anthropic
import openai
import pytest

from conftest import BIN_DIR, ROOT, json_call, start_process, stop_process

EXAMPLE = os.path.join(os.path.abspath(ROOT), "config", "examples", "keys-and-budgets.yaml")
MASTER = "example-master-key-0123456789"
# The example's prices per million tokens for echo-1, in micros per token.
INPUT, OUTPUT = 2.5, 10.0


def micros(prompt, completion):
    """What the gateway charges one request: tokens × price, rounded half away from zero."""
    return math.floor(prompt * INPUT + completion * OUTPUT + 0.5)


class Served:
    def __init__(self, folder):
        self.config = folder / "keys-and-budgets.yaml"
        shutil.copy(EXAMPLE, self.config)
        env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR", "ASAN_OPTIONS", "SWIFT_BACKTRACE") if name in os.environ}
        env.update(PORT="0", SWITCHYARD_MASTER_KEY=MASTER)
        self.log_path = folder / "gateway.log"
        with open(self.log_path, "w") as log:
            # The working directory is the checkout: the store must still land beside the copy.
            self.process, self.port = start_process(
                [os.path.abspath(os.path.join(BIN_DIR, "switchyard")), "serve", "--config", str(self.config)],
                env=env, stderr=log)

    def call(self, method, path, body=None, key=MASTER):
        return json_call(self.port, method, path, body, bearer=key)


@pytest.fixture
def served(tmp_path):
    gateway = Served(tmp_path)
    yield gateway
    stop_process(gateway.process)


def test_the_keys_and_budgets_example_serves_keys_spend_and_its_store(served, tmp_path):
    chat = {"model": "echo-1", "messages": [{"role": "user", "content": "hi"}]}
    status, body = served.call("POST", "/v1/chat/completions", chat, key=None)
    assert status == 401 and body["error"]["code"] == "invalid_api_key", body
    status, body = served.call("POST", "/v1/messages", dict(chat, max_tokens=5), key=None)
    assert status == 401 and body["type"] == "error" and body["error"]["type"] == "authentication_error", body

    status, key = served.call("POST", "/admin/keys", {"user": "alice", "team": "research", "models": ["echo-1"],
                                                      "budget": {"limit": 1.00, "period": "daily"}})
    assert status == 201, key
    assert key["key"].startswith("sk-sy-")

    base = f"http://127.0.0.1:{served.port}"
    reply = openai.OpenAI(base_url=base + "/v1", api_key=key["key"], max_retries=0, timeout=15).chat.completions.create(
        model="echo-1", messages=[{"role": "user", "content": "hello from the example"}])
    assert reply.choices[0].message.content == "hello from the example"
    message = anthropic.Anthropic(base_url=base, api_key=key["key"], max_retries=0, timeout=15).messages.create(
        model="echo-1", max_tokens=64, messages=[{"role": "user", "content": "and from anthropic"}])
    assert message.content[0].text == "and from anthropic"
    expected = micros(reply.usage.prompt_tokens, reply.usage.completion_tokens) + \
        micros(message.usage.input_tokens, message.usage.output_tokens)
    assert expected > 0

    status, detail = served.call("GET", f"/admin/keys/{key['id']}")
    assert status == 200, detail
    spend = {entry["scope"]: entry for entry in detail["spend"]}
    # The key's own budget (not keys.default's 5.00 a month) and the team's default; alice has none.
    assert set(spend) == {f"key:{key['id']}", "team:research"}
    assert (spend[f"key:{key['id']}"]["limit"], spend[f"key:{key['id']}"]["period"]) == (1, "daily")
    assert (spend["team:research"]["limit"], spend["team:research"]["period"]) == (100, "monthly")
    for entry in spend.values():
        assert entry["spent_micros"] == expected and entry["reserved_micros"] == 0 and entry["currency"] == "USD"

    # The database is beside the config (store.path is relative), not in the working directory.
    assert (tmp_path / "switchyard-data" / "switchyard.db").is_file()
