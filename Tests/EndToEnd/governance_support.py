"""Shared by test_budgets.py and test_rate_limits.py: a gateway in front of the mock upstream
with budgets, rate limits and prices, keys required (callers are virtual keys made through
POST /admin/keys with the master key), restartable on the same store, with the test clock
(SWITCHYARD_TEST_CLOCK_FILE)."""

import os
import textwrap

import anthropic
import httpx2 as httpx
import openai

from conftest import BIN_DIR, UPSTREAM_KEY, json_call, start_process, stop_process

MASTER_KEY = "e2e-master-key-0123456789"
# Per million tokens: one prompt token costs 1000 micros, one completion token 2000.
INPUT_PRICE = 1000
OUTPUT_PRICE = 2000


def cost_micros(prompt_tokens, completion_tokens):
    return prompt_tokens * INPUT_PRICE + completion_tokens * OUTPUT_PRICE


def governance_config(mock_port, extra, grace="5s", keys_required=True):
    plugin_dir = os.path.abspath(BIN_DIR)
    return textwrap.dedent(
        f"""
        server:
          host: 127.0.0.1
          port: 0
          loops: 2
          shutdown_grace: {grace}
          upstream_timeout: 10s
        keys:
          required: {"true" if keys_required else "false"}
        plugins:
          - name: mock
            path: {plugin_dir}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: SWITCHYARD_E2E_UPSTREAM_KEY
        providers:
          - name: mock
            plugin: mock
            models: [mock-model, rpm-model, rpm-model-2, tpm-model, conc-model, unpriced-model]
            breaker: off
            passthrough: true
        pricing:
          currency: USD
          models:
            mock-model: {{input: {INPUT_PRICE}, output: {OUTPUT_PRICE}}}
            rpm-model: {{input: 1, output: 1}}
            rpm-model-2: {{input: 1, output: 1}}
            tpm-model: {{input: 1, output: 1}}
            conc-model: {{input: 1, output: 1}}
        """
    ) + textwrap.dedent(extra)


class Gateway:
    """The real gateway binary on loopback, logging to a file; `restart` keeps its store."""

    def __init__(self, directory, mock_port, extra, grace="5s", keys_required=True):
        self.directory = directory
        self.config = directory / "switchyard.yaml"
        self.config.write_text(governance_config(mock_port, extra, grace, keys_required) + f"store:\n  path: {directory / 'store.db'}\n")
        self.clock_file = directory / "clock-offset"
        self.clock_file.write_text("0")
        self.log_path = directory / "gateway.log"
        self.process = None
        self.start()

    def start(self):
        env = dict(
            os.environ,
            SWITCHYARD_E2E_UPSTREAM_KEY=UPSTREAM_KEY,
            SWITCHYARD_TEST_CLOCK_FILE=str(self.clock_file),
            SWITCHYARD_MASTER_KEY=MASTER_KEY,
        )
        with open(self.log_path, "a") as log:
            self.process, self.port = start_process(
                [os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(self.config)], env=env, stderr=log
            )

    def stop(self):
        stop_process(self.process)

    def restart(self):
        self.stop()
        self.start()

    def move_clock(self, seconds):
        """Moves the gateway's ledger clock `seconds` ahead of the wall clock (from now on)."""
        self.clock_file.write_text(str(int(seconds)))

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def admin(self, method, path, body=None):
        """(status, parsed JSON) of an admin API call with the master key."""
        return json_call(self.port, method, path, body, bearer=MASTER_KEY)

    def create_key(self, **fields):
        """A new virtual key (POST /admin/keys): its record, the secret in "key"."""
        status, body = self.admin("POST", "/admin/keys", fields)
        assert status == 201, body
        return body

    def openai(self, key, hooks=None, max_retries=2):
        """The OpenAI SDK with the virtual key `key` (a created record or its secret)."""
        http_client = httpx.Client(event_hooks={"request": hooks or []})
        return openai.OpenAI(base_url=self.base + "/v1", api_key=secret(key),
                             max_retries=max_retries, timeout=15, http_client=http_client)

    def anthropic(self, key, hooks=None, max_retries=2):
        http_client = httpx.Client(event_hooks={"request": hooks or []})
        return anthropic.Anthropic(base_url=self.base, api_key=secret(key),
                                   max_retries=max_retries, timeout=15, http_client=http_client)

    def budgets(self, scope):
        status, body = self.admin("GET", f"/admin/budgets?scope={scope_id(scope)}")
        assert status == 200, body
        return body

    def spend(self, scope):
        """(spent, reserved) in micros of the scope's first budget."""
        budgets = self.budgets(scope)["budgets"]
        assert budgets, f"no budget for {scope}"
        return budgets[0]["spent_micros"], budgets[0]["reserved_micros"]


def secret(key):
    return key["key"] if isinstance(key, dict) else key


def scope_id(scope):
    """`key:ID`, `user:NAME`, `team:NAME`; a created key's record stands for `key:<its id>`."""
    return f"key:{scope['id']}" if isinstance(scope, dict) else scope


def mock_request(mock_port, method, path, body=None):
    """The mock's control API (conftest.json_call); a refusal fails the test at once."""
    status, answer = json_call(mock_port, method, path, body)
    assert status < 300, (method, path, status, answer)
    return answer


def mock_faults(mock_port, faults, then=None):
    body = {"faults": faults}
    if then is not None:
        body["then"] = then
    mock_request(mock_port, "POST", "/_mock/faults", body)


def clear_mock(mock_port):
    mock_request(mock_port, "DELETE", "/_mock/faults")
    mock_request(mock_port, "DELETE", "/_mock/requests")


def mock_journal(mock_port):
    return mock_request(mock_port, "GET", "/_mock/requests")
