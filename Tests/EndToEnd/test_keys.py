"""Virtual keys (docs/governance.md, decision 0024) through the real gateway and both official
SDKs: an open gateway by default; with keys.required every client route needs a key made
through /admin/keys (the master key), refusals in each route's error shape, keys kept in the
store (only their hash) across a restart."""

import glob
import http.client
import json
import os
import subprocess
import textwrap
import time

import anthropic
import openai
import pytest

from conformance_support import Upstream
from conftest import BIN_DIR, UPSTREAM_KEY, json_call, start_process, stop_process

PLUGINS = os.path.abspath(BIN_DIR)
MASTER = "master-key-0123456789abcdef"


def config_text(mock_port, required=True, admin=""):
    return textwrap.dedent(f"""
        server:
          port: 0
          loops: 2
          shutdown_grace: 5s
        plugins:
          - name: echo
            path: {PLUGINS}/libProviderEcho.so
          - name: openai
            path: {PLUGINS}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: SWITCHYARD_E2E_UPSTREAM_KEY
        providers:
          - name: echo
            plugin: echo
            models: [echo-1, echo-2]
          - name: openai
            plugin: openai
            models: [gpt-4.1-mini]
            passthrough: true
        aliases:
          fast: echo-1
        batch_preparers: []
        keys:
          required: {"true" if required else "false"}
        """) + admin


class Gateway:
    """`switchyard serve` on a config in `folder` (its store beside it), the master key in the
    environment, the log in a file."""

    def __init__(self, folder, text, master=MASTER):
        self.folder = folder
        self.config = folder / "switchyard.yaml"
        self.config.write_text(text)
        self.log_path = folder / "gateway.log"
        env = dict(os.environ, SWITCHYARD_E2E_UPSTREAM_KEY=UPSTREAM_KEY)
        env.pop("SWITCHYARD_MASTER_KEY", None)
        if master is not None:
            env["SWITCHYARD_MASTER_KEY"] = master
        with open(self.log_path, "a") as log:
            self.process, self.port = start_process(
                [os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(self.config)], env=env, stderr=log)

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        stop_process(self.process)

    def call(self, method, path, body=None, key=MASTER, headers=None):
        """(status, parsed JSON) of a plain request; `key` as a bearer token (None: no header)."""
        return json_call(self.port, method, path, body, bearer=key, headers=headers)

    def create(self, **fields):
        status, body = self.call("POST", "/admin/keys", fields)
        assert status == 201, body
        return body

    def openai(self, key):
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key=key, max_retries=0, timeout=15)

    def anthropic(self, key):
        return anthropic.Anthropic(base_url=f"http://127.0.0.1:{self.port}", api_key=key, max_retries=0, timeout=15)


def chat(gateway, key, model="echo-1"):
    return gateway.openai(key).chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])


def message(gateway, key, model="echo-1"):
    return gateway.anthropic(key).messages.create(model=model, max_tokens=16, messages=[{"role": "user", "content": "hi"}])


def openai_refusal(gateway, key, model="echo-1", kind=openai.AuthenticationError):
    with pytest.raises(kind) as raised:
        chat(gateway, key, model)
    return raised.value


def anthropic_refusal(gateway, key, model="echo-1", kind=anthropic.AuthenticationError):
    with pytest.raises(kind) as raised:
        message(gateway, key, model)
    return raised.value


def assert_unauthorized(gateway, key, words):
    """401 in OpenAI's shape on chat and in Anthropic's on messages, the message holding `words`."""
    error = openai_refusal(gateway, key)
    assert error.status_code == 401
    assert error.body["type"] == "invalid_request_error" and error.body["code"] == "invalid_api_key", error.body
    assert words in error.body["message"], error.body
    error = anthropic_refusal(gateway, key)
    assert error.status_code == 401
    assert error.body["type"] == "error" and error.body["error"]["type"] == "authentication_error", error.body
    assert words in error.body["error"]["message"]


@pytest.fixture(scope="module")
def closed(mock_port, tmp_path_factory):
    gateway = Gateway(tmp_path_factory.mktemp("keys"), config_text(mock_port))
    yield gateway
    gateway.stop()


def test_an_open_gateway_takes_requests_without_a_key_and_says_so(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, required=False), master=None)
    try:
        assert chat(gateway, "anything").choices[0].message.content
        assert message(gateway, "anything").content[0].text
        assert gateway.call("GET", "/v1/models", key=None)[0] == 200
        assert 'level=warn msg="open gateway: no keys required"' in gateway.log()
        assert gateway.call("GET", "/admin/keys", key=None)[0] == 404  # no master key: no admin on this listener
    finally:
        gateway.stop()


def test_keys_required_without_a_master_key_warns_at_start(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port), master=None)
    try:
        log = gateway.log()
        assert 'msg="keys required" active_keys=0' in log
        assert "no key can be created" in log and "requests get 401 until keys exist in the store" in log
        assert_unauthorized(gateway, "sk-sy-0123456789abcdefghijklmnopqrstuv", "Incorrect API key provided: sk-sy-0123…")
    finally:
        gateway.stop()


def test_the_start_line_counts_active_keys(closed):
    assert 'msg="keys required" active_keys=' in closed.log()


def test_health_and_metrics_stay_open(closed):
    assert closed.call("GET", "/health", key=None)[0] == 200
    connection = http.client.HTTPConnection("127.0.0.1", closed.port, timeout=10)
    connection.request("GET", "/metrics")
    assert connection.getresponse().status == 200
    connection.close()


def test_missing_and_wrong_keys_get_401_in_each_routes_shape(closed):
    status, body = closed.call("POST", "/v1/chat/completions", {"model": "echo-1", "messages": []}, key=None)
    assert status == 401 and body["error"]["code"] == "invalid_api_key"
    assert body["error"]["message"].startswith("You didn't provide an API key.")
    status, body = closed.call("POST", "/v1/messages", {"model": "echo-1", "max_tokens": 5, "messages": []}, key=None)
    assert status == 401 and body["type"] == "error" and body["error"]["type"] == "authentication_error"
    for path in ["/v1/models", "/v1/embeddings", "/v1/responses", "/v1/files", "/v1/batches", "/v1/messages/count_tokens", "/p/openai/v1/models"]:
        method = "GET" if path in ("/v1/models", "/v1/files", "/v1/batches", "/p/openai/v1/models") else "POST"
        status, body = closed.call(method, path, {} if method == "POST" else None, key=None)
        assert status == 401, (path, body)
    wrong = "sk-sy-WrongWrongWrongWrongWrongWrong00"
    assert_unauthorized(closed, wrong, "Incorrect API key provided: sk-sy-Wron…")
    error = openai_refusal(closed, wrong)
    assert wrong not in error.body["message"]


def test_the_admin_api_needs_the_master_key(closed):
    assert closed.call("GET", "/admin/keys", key=None)[0] == 401
    assert closed.call("GET", "/admin/keys", key="not-the-master-key-at-all")[0] == 401
    created = closed.create(name="not-admin")
    status, body = closed.call("GET", "/admin/keys", key=created["key"])
    assert status == 401 and body["error"]["code"] == "invalid_admin_key"
    assert closed.call("DELETE", f"/admin/keys/{created['id']}")[0] == 200


def test_create_list_get_patch_and_delete(closed):
    created = closed.create(name="ci", user="alice", team="research", models=["echo-1"], metadata={"env": "ci"},
                            budget={"limit": 12.5, "period": "monthly"}, limits={"rpm": 600}, expires_in="30d")
    secret = created["key"]
    assert secret.startswith("sk-sy-") and len(secret) == 38
    assert created["id"].startswith("key_") and len(created["id"]) == 20
    assert created["prefix"] == secret[:10]
    assert created["budget"] == {"limit": 12.5, "period": "monthly"}
    assert created["limits"] == {"rpm": 600, "tpm": None, "concurrency": None}
    assert created["expires_at"] - time.time() > 29 * 86400
    status, listed = closed.call("GET", "/admin/keys?user=alice")
    assert status == 200 and [key["id"] for key in listed["data"]] == [created["id"]]
    assert closed.call("GET", "/admin/keys?team=nobody")[1]["data"] == []
    status, got = closed.call("GET", f"/admin/keys/{created['id']}")
    assert status == 200 and got["name"] == "ci" and got["metadata"] == {"env": "ci"}
    # No budgets: section, but the key's own budget holds (and shows) with keys required.
    assert [(entry["scope"], entry["limit"], entry["period"], entry["spent"]) for entry in got["spend"]] == [
        (f"key:{created['id']}", 12.5, "monthly", 0)]
    for shown in (json.dumps(listed), json.dumps(got)):
        assert secret not in shown and '"key":' not in shown and "hash" not in shown
    status, patched = closed.call("PATCH", f"/admin/keys/{created['id']}", {"name": "ci-2", "budget": None, "models": ["echo-1", "echo-2"]})
    assert status == 200 and patched["name"] == "ci-2" and patched["budget"] is None and patched["models"] == ["echo-1", "echo-2"]
    assert "key" not in patched
    assert chat(closed, secret, "echo-2").choices  # the patch took effect on the next request
    status, deleted = closed.call("DELETE", f"/admin/keys/{created['id']}")
    assert status == 200 and deleted == {"id": created["id"], "object": "virtual_key.deleted", "deleted": True}
    assert closed.call("GET", f"/admin/keys/{created['id']}")[0] == 404
    assert_unauthorized(closed, secret, "Incorrect API key provided: " + secret[:10])


@pytest.mark.parametrize("body, words", [
    (b"{", "The body is not valid JSON"),
    (b'{"nmae": "x"}', "Unknown field 'nmae'"),
    (b'{"budget": {"limit": 5, "period": "weekly"}}', "budget.period must be daily, monthly or total."),
    (b'{"expires_in": "soon"}', "expires_in must be a duration"),
    (b'{"limits": {"rpm": -1}}', "limits.rpm must be a whole number"),
])
def test_bad_bodies_get_400(closed, body, words):
    status, answer = closed.call("POST", "/admin/keys", body)
    assert status == 400 and words in answer["error"]["message"], answer


def test_unknown_ids_get_404(closed):
    for method, path in [("GET", "/admin/keys/key_0000000000000000"), ("PATCH", "/admin/keys/key_0000000000000000"),
                         ("DELETE", "/admin/keys/key_0000000000000000"), ("POST", "/admin/keys/key_0000000000000000/rotate")]:
        status, body = closed.call(method, path, {} if method in ("PATCH", "POST") else None)
        assert status == 404 and body["error"]["code"] == "key_not_found", (method, body)


def test_a_valid_key_works_through_both_sdks_and_the_master_key_too(closed):
    secret = closed.create(name="both")["key"]
    assert chat(closed, secret).choices[0].message.content
    assert message(closed, secret).content[0].text
    assert chat(closed, MASTER).choices
    assert message(closed, MASTER).content


def test_a_disabled_key_gets_401_until_enabled_again(closed):
    created = closed.create(name="flip")
    assert chat(closed, created["key"]).choices
    assert closed.call("PATCH", f"/admin/keys/{created['id']}", {"disabled": True})[0] == 200
    assert_unauthorized(closed, created["key"], f"The API key {created['prefix']}… is disabled.")
    assert closed.call("PATCH", f"/admin/keys/{created['id']}", {"disabled": False})[0] == 200
    assert chat(closed, created["key"]).choices


def test_an_expired_key_gets_401(closed):
    created = closed.create(name="short", expires_in="1s")
    time.sleep(2.1)
    assert_unauthorized(closed, created["key"], f"The API key {created['prefix']}… has expired.")


def test_rotation_invalidates_the_old_secret_at_once(closed):
    created = closed.create(name="rotating")
    status, rotated = closed.call("POST", f"/admin/keys/{created['id']}/rotate")
    assert status == 200 and rotated["id"] == created["id"] and rotated["key"] != created["key"]
    assert rotated["rotated_at"] is not None
    assert_unauthorized(closed, created["key"], "Incorrect API key provided")
    assert chat(closed, rotated["key"]).choices


def test_a_model_outside_the_keys_list_gets_403_in_both_shapes(closed):
    secret = closed.create(name="narrow", models=["echo-1"])["key"]
    assert chat(closed, secret, "echo-1").choices
    assert chat(closed, secret, "fast").choices  # an alias of an allowed model
    error = openai_refusal(closed, secret, "echo-2", openai.PermissionDeniedError)
    assert error.status_code == 403 and error.body["code"] == "model_not_allowed" and error.body["type"] == "permission_error"
    assert "may not use the model 'echo-2'" in error.body["message"]
    error = anthropic_refusal(closed, secret, "echo-2", anthropic.PermissionDeniedError)
    assert error.body["error"]["type"] == "permission_error"
    models = [model.id for model in closed.openai(secret).models.list()]
    assert sorted(models) == ["echo-1", "fast"]
    assert {"echo-1", "echo-2", "fast", "gpt-4.1-mini"} <= {model.id for model in closed.openai(MASTER).models.list()}


def test_an_alias_only_key_does_not_reach_the_model_by_name(closed):
    secret = closed.create(name="alias", models=["fast"])["key"]
    assert chat(closed, secret, "fast").choices
    assert openai_refusal(closed, secret, "echo-1", openai.PermissionDeniedError).status_code == 403


def test_a_route_outside_the_keys_list_gets_403(closed):
    secret = closed.create(name="messages-only", routes=["/v1/messages"])["key"]
    assert message(closed, secret).content
    error = openai_refusal(closed, secret, kind=openai.PermissionDeniedError)
    assert error.body["code"] == "route_not_allowed"


def test_a_model_restricted_key_reaches_passthrough_and_batches_only_when_its_routes_list_them(closed):
    narrow = closed.create(name="narrow-blind", models=["echo-1"])["key"]
    for method, path in [("GET", "/p/openai/v1/models"), ("GET", "/v1/batches")]:
        status, body = closed.call(method, path, key=narrow)
        assert status == 403 and body["error"]["code"] == "model_not_allowed", (path, body)
    listed = closed.create(name="narrow-listed", models=["echo-1"], routes=["/v1/chat/completions", "/p/openai/"])["key"]
    assert closed.call("GET", "/p/openai/v1/models", key=listed)[0] == 200
    assert chat(closed, listed).choices


def test_a_reload_applies_keys_required(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, required=False))
    try:
        assert chat(gateway, "anything").choices
        gateway.config.write_text(config_text(mock_port, required=True))
        status, body = gateway.call("POST", "/admin/reload")
        assert status == 200 and body["reloaded"], body
        assert_unauthorized(gateway, "anything-at-all-long-enough", "Incorrect API key provided: anything-a…")
        assert chat(gateway, MASTER).choices
    finally:
        gateway.stop()


def test_passthrough_never_forwards_the_gateway_key(closed, mock_port):
    secret = closed.create(name="passthrough", routes=["/p/openai/"])["key"]
    upstream = Upstream(mock_port)
    upstream.clear()
    status, _ = closed.call("GET", "/p/openai/v1/models", key=secret, headers={"x-api-key": secret})
    assert status == 200
    seen = upstream.only_request()
    headers = [(name.lower(), value) for name, value in seen["header_list"]]
    assert ("authorization", f"Bearer {UPSTREAM_KEY}") in headers
    assert all(secret not in value for _, value in headers)


def test_keys_survive_a_restart_and_only_their_hash_is_stored(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port))
    try:
        kept = gateway.create(name="kept", team="ops")
        revoked = gateway.create(name="revoked")
        assert gateway.call("PATCH", f"/admin/keys/{revoked['id']}", {"disabled": True})[0] == 200
    finally:
        gateway.stop()
    stored = b""
    for path in glob.glob(str(tmp_path / "switchyard-data" / "switchyard.db*")):
        data = open(path, "rb").read()
        assert kept["key"].encode() not in data and revoked["key"].encode() not in data, path
        stored += data
    assert kept["id"].encode() in stored and kept["prefix"].encode() in stored  # the records are there, their secrets not
    assert glob.glob(str(tmp_path / "switchyard-data" / "switchyard.db"))
    gateway = Gateway(tmp_path, config_text(mock_port))
    try:
        assert 'msg="keys required" active_keys=1' in gateway.log()
        assert chat(gateway, kept["key"]).choices
        assert_unauthorized(gateway, revoked["key"], "is disabled")
        assert gateway.call("GET", f"/admin/keys/{kept['id']}")[1]["team"] == "ops"
    finally:
        gateway.stop()
