"""Config reload through the real binary: POST /admin/reload and SIGHUP re-read the config file,
build the new generation off the event loops and swap it in; requests in flight finish on the
old one, which is released (its plugin instances freed) once they end. A reload that fails (bad
YAML, a plugin that does not load, a setting only a restart changes) changes nothing and says
why. /admin/* is reachable only with the admin key on the main listener, or on admin.listen."""

import json
import os
import signal
import subprocess
import textwrap
import threading
import time
import urllib.error
import urllib.request

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import BIN_DIR, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
PLUGINS = os.path.abspath(BIN_DIR)
KEY = "admin-key-0123456789abcdef"


def config_text(mock_port, alias_target="model-a", admin="", extra_plugin="", port=0):
    """Two plugin instances (the mock's OpenAI provider and echo); `fast` names alias_target."""
    return textwrap.dedent(f"""
        server:
          port: {port}
          loops: 2
          shutdown_grace: 5s
        plugins:
          - name: up
            path: {PLUGINS}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
          - name: echo
            path: {PLUGINS}/libProviderEcho.so
        """) + extra_plugin + textwrap.dedent(f"""
        providers:
          - name: up
            plugin: up
            models: [model-a, model-b]
          - name: echo
            plugin: echo
            models: [echo-1]
        aliases:
          fast: {alias_target}
        batch_preparers: []
        """) + admin


def admin_section(key=True, listen=False):
    lines = ["admin:"]
    if listen:
        lines.append("  listen: 127.0.0.1:0")
    if key:
        lines.append(f"  key: {KEY}")
    return "\n".join(lines) + "\n"


def write_config(path, text):
    """Atomically: a reload never reads a half-written file."""
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    os.replace(partial, path)


class Gateway:
    """`switchyard serve` on a config file, its log kept in a file, the admin port read from
    its 'admin listening on' line."""

    def __init__(self, tmp_path, text):
        self.config = tmp_path / "reload.yaml"
        write_config(self.config, text)
        self.log_path = tmp_path / "gateway.log"
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [SWITCHYARD, "serve", "--config", str(self.config)],
            stdout=subprocess.PIPE, stderr=self.log_file, text=True, bufsize=1)
        self.admin_port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("admin listening on "):
                self.admin_port = int(line.strip().rsplit(":", 1)[1])
            if line.startswith("listening on "):
                self.port = int(line.strip().rsplit(":", 1)[1])
                return
            if not line and self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log()}")
        raise RuntimeError("gateway did not start")

    def log(self):
        return self.log_path.read_text()

    def client(self):
        return openai.OpenAI(base_url=f"http://127.0.0.1:{self.port}/v1", api_key="x", max_retries=0, timeout=15)

    def stop(self):
        stop_process(self.process)
        self.log_file.close()


def call(port, method, path, key=None, timeout=30):
    """(status, parsed JSON body) of a plain HTTP request."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"" if method == "POST" else None)
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def reload(gateway, expect=200):
    status, body = call(gateway.port, "POST", "/admin/reload", key=KEY)
    assert status == expect, body
    return body


def served_model(gateway, model="fast"):
    reply = gateway.client().chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    return reply.model


@pytest.fixture(scope="module")
def second_mock():
    process, port = start_process([os.path.join(BIN_DIR, "switchyard-mock"), "--port", "0", "--loops", "1"])
    yield port
    stop_process(process)


def mock_requests(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_mock/requests", timeout=5) as response:
        return len(json.loads(response.read()))


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_reload_under_continuous_load_fails_no_request_and_leaks_no_instance(mock_port, second_mock, tmp_path):
    mocks = [mock_port, second_mock]
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    try:
        status, before = call(gateway.port, "GET", "/admin/status", key=KEY)
        assert status == 200 and before["generation"] == 1 and before["live_generations"] == 1, before
        per_generation = before["generation_plugin_instances"]
        assert per_generation == 2 and before["plugin_instances"] == 2, before
        for port in mocks:
            call(port, "DELETE", "/_mock/requests")

        stop = threading.Event()
        failures, served, counts = [], set(), [0] * 6

        def load(index):
            client = gateway.client()
            while not stop.is_set():
                try:
                    if counts[index] % 2 == 0:
                        reply = client.chat.completions.create(model="fast", messages=[{"role": "user", "content": f"n{index}"}])
                        assert reply.choices[0].message.content == f"mock: n{index}"
                        served.add(reply.model)
                    else:
                        chunks = list(client.chat.completions.create(
                            model="fast", messages=[{"role": "user", "content": f"s{index}"}], stream=True))
                        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
                        assert text == f"mock: s{index}", text
                        served.add(chunks[0].model)
                    counts[index] += 1
                except Exception as error:  # every failure is reported below
                    failures.append(repr(error))

        threads = [threading.Thread(target=load, args=(n,)) for n in range(len(counts))]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        for n in range(10):
            time.sleep(0.9)
            target = ["model-a", "model-b"][(n + 1) % 2]
            write_config(gateway.config, config_text(mocks[(n + 1) % 2], target, admin_section()))
            body = reload(gateway)
            assert body == {"reloaded": True, "generation": n + 2}, body
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.monotonic() - started

        assert failures == [], failures[:5]
        assert sum(counts) > 100 and elapsed >= 9, (counts, elapsed)
        assert served == {"model-a", "model-b"}
        assert all(mock_requests(port) > 0 for port in mocks)
        # Every replaced generation is released once its last request ends: one generation
        # and its two instances are left.
        status = wait_for(lambda: (lambda s: s if s["live_generations"] == 1 else None)(call(gateway.port, "GET", "/admin/status", key=KEY)[1]))
        assert status and status["generation"] == 11 and status["plugin_instances"] == per_generation, status
        assert status["reloads"] == {"succeeded": 10, "failed": 0, "running": False, "last_error": None}, status
    finally:
        gateway.stop()
    assert gateway.process.returncode == 0
    log = gateway.log()
    assert log.count('msg="config generation released"') >= 10, log[-3000:]
    assert log.count('msg="config reloaded" trigger="POST /admin/reload"') == 10


def test_a_config_edit_takes_effect_by_post_and_by_sighup(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    try:
        assert served_model(gateway) == "model-a"
        with pytest.raises(openai.NotFoundError):
            served_model(gateway, "newer")
        write_config(gateway.config, config_text(mock_port, "model-b", admin_section()).replace(
            "aliases:\n  fast: model-b", "aliases:\n  fast: model-b\n  newer: model-a"))
        reload(gateway)
        assert served_model(gateway) == "model-b"
        assert served_model(gateway, "newer") == "model-a"
        models = [m.id for m in gateway.client().models.list()]
        assert "newer" in models

        write_config(gateway.config, config_text(mock_port, "model-a", admin_section()))
        gateway.process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: call(gateway.port, "GET", "/admin/status", key=KEY)[1]["generation"] == 3)
        assert gateway.process.poll() is None, "SIGHUP ended the gateway"
        assert served_model(gateway) == "model-a"
    finally:
        gateway.stop()
    assert gateway.process.returncode == 0
    assert 'msg="config reloaded" trigger=SIGHUP generation=3' in gateway.log()


def assert_unchanged(gateway, generation=1):
    assert served_model(gateway) == "model-a"
    status = call(gateway.port, "GET", "/admin/status", key=KEY)[1]
    assert status["generation"] == generation and status["live_generations"] == 1, status
    assert status["plugin_instances"] == status["generation_plugin_instances"], status
    return status


def test_bad_yaml_changes_nothing_and_names_file_and_line(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    try:
        good = gateway.config.read_text()
        write_config(gateway.config, good.replace("aliases:\n  fast: model-a", "aliases:\n  fast: [model-a\n"))
        body = reload(gateway, expect=400)
        assert body["error"]["code"] == "invalid_config", body
        message = body["error"]["message"]
        assert f"{gateway.config}:" in message, message
        status = assert_unchanged(gateway)
        assert status["reloads"]["failed"] == 1 and status["reloads"]["last_error"] == message

        # A key no section knows, reported at its line.
        write_config(gateway.config, good + "unknown_section: 1\n")
        body = reload(gateway, expect=400)
        line = good.count("\n") + 1
        assert body["error"]["message"].startswith(f"{gateway.config}:{line}:"), body
        assert_unchanged(gateway)
    finally:
        gateway.stop()
    log = gateway.log()
    assert 'msg="config reload failed; the running config keeps serving" trigger="POST /admin/reload" code=invalid_config' in log
    assert f"{gateway.config}:{line}:" in log


def test_a_plugin_that_fails_to_load_changes_nothing(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    missing = tmp_path / "libMissing.so"
    broken = tmp_path / "libBroken.so"
    broken.write_text("not a shared library")
    try:
        for path, words in [(missing, "libMissing.so"), (broken, "cannot load as a shared library")]:
            extra = f"  - name: extra\n    path: {path}\n"
            write_config(gateway.config, config_text(mock_port, "model-b", admin_section(), extra_plugin=extra))
            body = reload(gateway, expect=422)
            assert body["error"]["code"] == "load_failed", body
            assert words in body["error"]["message"] and "extra" in body["error"]["message"], body
            assert_unchanged(gateway)
        # A plugin that refuses its config (instance_new fails after the others were created):
        # the instances made so far are freed, nothing leaks.
        extra = f"  - name: extra\n    path: {PLUGINS}/libProviderOpenAI.so\n    config:\n      base_url: 12\n"
        write_config(gateway.config, config_text(mock_port, "model-b", admin_section(), extra_plugin=extra))
        body = reload(gateway, expect=422)
        assert "extra" in body["error"]["message"], body
        assert_unchanged(gateway)
    finally:
        gateway.stop()
    assert "cannot load as a shared library" in gateway.log()


def test_a_setting_only_a_restart_changes_is_refused_by_name(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    try:
        text = config_text(mock_port, "model-b", admin_section(), port=1).replace("loops: 2", "loops: 3")
        write_config(gateway.config, text)
        body = reload(gateway, expect=409)
        assert body["error"]["code"] == "restart_required", body
        assert "server.port, server.loops" in body["error"]["message"], body
        assert_unchanged(gateway)
        # SIGHUP with the same file: logged, still serving.
        gateway.process.send_signal(signal.SIGHUP)
        assert wait_for(lambda: call(gateway.port, "GET", "/admin/status", key=KEY)[1]["reloads"]["failed"] == 2)
        assert gateway.process.poll() is None
        assert_unchanged(gateway)
    finally:
        gateway.stop()
    assert 'trigger=SIGHUP code=restart_required reason="these settings only change with a restart: server.port, server.loops' in gateway.log()


def test_admin_on_the_main_listener_needs_the_key(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    try:
        for key in [None, "wrong-key-0123456789", KEY[:-1], KEY + "x", ""]:
            for method, path in [("GET", "/admin/status"), ("POST", "/admin/reload")]:
                status, body = call(gateway.port, method, path, key=key)
                assert status == 401, (key, path, body)
                assert body["error"]["code"] == "invalid_admin_key" and body["error"]["type"] == "invalid_request_error"
        status, body = call(gateway.port, "GET", "/admin/status", key=KEY)
        assert status == 200 and body["generation"] == 1
        # The SDK reads the 401 as an authentication error.
        admin_client = openai.OpenAI(base_url=f"http://127.0.0.1:{gateway.port}/admin", api_key="wrong-key-0123456789", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            admin_client.get("/status", cast_to=object)
        assert call(gateway.port, "GET", "/admin/nothing", key=KEY)[0] == 404
        assert call(gateway.port, "GET", "/admin/reload", key=KEY)[0] == 405
    finally:
        gateway.stop()
    assert "msg=\"admin access\" main_listener=\"with admin.key\" admin_listener=off" in gateway.log()


def test_without_a_key_admin_does_not_exist_on_the_main_listener(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a"))
    try:
        for key in [None, KEY]:
            for method, path in [("GET", "/admin/status"), ("POST", "/admin/reload")]:
                status, body = call(gateway.port, method, path, key=key)
                assert status == 404 and body["error"]["code"] == "unknown_url", body
        gateway.process.send_signal(signal.SIGHUP)  # the operator's way in without admin access
        assert wait_for(lambda: 'msg="config reloaded" trigger=SIGHUP generation=2' in gateway.log())
    finally:
        gateway.stop()
    assert 'msg="admin access" main_listener="off (no master key: neither admin.key nor $SWITCHYARD_MASTER_KEY is set)" admin_listener=off' in gateway.log()


def test_the_admin_listener_serves_admin_only(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section(key=False, listen=True)))
    try:
        assert gateway.admin_port and gateway.admin_port != gateway.port
        status, body = call(gateway.admin_port, "GET", "/admin/status")
        assert status == 200 and body["generation"] == 1, body
        assert call(gateway.admin_port, "GET", "/v1/models")[0] == 404
        assert call(gateway.port, "GET", "/admin/status")[0] == 404
        write_config(gateway.config, config_text(mock_port, "model-b", admin_section(key=False, listen=True)))
        status, body = call(gateway.admin_port, "POST", "/admin/reload")
        assert status == 200 and body["generation"] == 2, body
        assert served_model(gateway) == "model-b"
        # admin.listen itself only changes with a restart.
        write_config(gateway.config, config_text(mock_port, "model-a"))
        status, body = call(gateway.admin_port, "POST", "/admin/reload")
        assert status == 409 and "admin.listen" in body["error"]["message"], body
    finally:
        gateway.stop()
    assert f'admin_listener="127.0.0.1:{gateway.admin_port} without a key"' in gateway.log()


def test_the_admin_listener_asks_for_the_key_when_one_is_set(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section(key=True, listen=True)))
    try:
        assert call(gateway.admin_port, "GET", "/admin/status")[0] == 401
        assert call(gateway.admin_port, "GET", "/admin/status", key="wrong-key-0123456789")[0] == 401
        assert call(gateway.admin_port, "GET", "/admin/status", key=KEY)[0] == 200
        assert call(gateway.port, "GET", "/admin/status", key=KEY)[0] == 200
    finally:
        gateway.stop()


def test_a_short_admin_key_is_refused_at_start(tmp_path, mock_port):
    config = tmp_path / "short.yaml"
    config.write_text(config_text(mock_port, admin="admin:\n  key: short\n"))
    result = subprocess.run([SWITCHYARD, "serve", "--config", str(config)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert "admin.key" in result.stderr or "key: must be at least 16 characters" in result.stderr, result.stderr


# --- target state across reloads -----------------------------------------------------------------


def breaker_config(flaky_port, steady_base, alias_target):
    """`model-a` on a flaky mock whose breaker opens after two failures; the alias changes
    between reloads (the target does not); `steady_base` moves the flaky provider elsewhere."""
    return textwrap.dedent(f"""
        server:
          port: 0
          loops: 2
        plugins:
          - name: flaky
            path: {PLUGINS}/libProviderOpenAI.so
            config:
              base_url: {steady_base or f"http://127.0.0.1:{flaky_port}/v1"}
              api_key_env: null
          - name: echo
            path: {PLUGINS}/libProviderEcho.so
        providers:
          - name: flaky
            plugin: flaky
            models: [model-a]
            breaker: {{consecutive_failures: 2, cool_down: 60s}}
          - name: echo
            plugin: echo
            models: [echo-1]
        aliases:
          fast: {alias_target}
        batch_preparers: []
        """) + admin_section()


def test_a_reload_keeps_an_open_breaker_for_an_unchanged_target_and_forgets_a_changed_one(mock_port, second_mock, tmp_path):
    fault = urllib.request.Request(f"http://127.0.0.1:{second_mock}/_mock/faults", method="POST",
                                   data=json.dumps({"then": {"status": 503}}).encode())
    urllib.request.urlopen(fault, timeout=5).read()
    gateway = Gateway(tmp_path, breaker_config(second_mock, None, "model-a"))
    try:
        client = gateway.client()
        for _ in range(2):
            with pytest.raises(openai.APIStatusError) as failed:
                client.chat.completions.create(model="model-a", messages=[{"role": "user", "content": "hi"}])
            assert failed.value.status_code == 503 and failed.value.body.get("code") != "circuit_open"
        seen = mock_requests(second_mock)

        def refused_as_open():
            with pytest.raises(openai.APIStatusError) as refused:
                client.chat.completions.create(model="model-a", messages=[{"role": "user", "content": "hi"}])
            assert refused.value.status_code == 503 and refused.value.body["code"] == "circuit_open"

        refused_as_open()
        # An unrelated edit (the alias): the target is the same, so its breaker stays open.
        write_config(gateway.config, breaker_config(second_mock, None, "echo-1"))
        assert reload(gateway)["generation"] == 2
        assert served_model(gateway) == "echo-1"
        refused_as_open()
        assert mock_requests(second_mock) == seen  # skipped without a request
        # The provider now points elsewhere: a new target, with a closed breaker of its own.
        write_config(gateway.config, breaker_config(second_mock, f"http://127.0.0.1:{mock_port}/v1", "echo-1"))
        reload(gateway)
        assert served_model(gateway, "model-a") == "model-a"
        assert mock_requests(second_mock) == seen
    finally:
        gateway.stop()
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{second_mock}/_mock/faults", method="DELETE"), timeout=5).read()


GROUP = textwrap.dedent("""
    model_groups:
      team-chat:
        strategy: fallback
        targets:
          - {provider: up, model: model-b}
    """)


def scrape(gateway):
    """GET /metrics parsed by prometheus_client: {family name: family}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{gateway.port}/metrics", timeout=10) as response:
        return {family.name: family for family in text_string_to_metric_families(response.read().decode())}


def plugin_calls(families):
    """{(plugin, hook): calls}, checking that no (plugin, hook) has two samples."""
    rows = [(s.labels["plugin"], s.labels["hook"], s.value)
            for s in families["switchyard_plugin_calls"].samples if s.name == "switchyard_plugin_calls_total"]
    keys = [(plugin, hook) for plugin, hook, _ in rows]
    assert len(keys) == len(set(keys)), rows
    return {(plugin, hook): calls for plugin, hook, calls in rows}


def group_requests(families):
    return sum(s.value for s in families["switchyard_requests"].samples
               if s.name == "switchyard_requests_total" and s.labels["model"] == "team-chat"
               and s.labels["provider"] == "up" and s.labels["status"] == "200")


def test_metrics_across_reloads_keep_one_series_per_plugin_hook_and_never_go_back(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()) + GROUP)
    try:
        seen = {}
        for round, reload_by in enumerate([None, "POST", "SIGHUP", "SIGHUP"], start=1):
            if reload_by == "POST":
                reload(gateway)
            elif reload_by == "SIGHUP":
                gateway.process.send_signal(signal.SIGHUP)
                assert wait_for(lambda: call(gateway.port, "GET", "/admin/status", key=KEY)[1]["generation"] == round)
            assert served_model(gateway, "model-a") == "model-a"
            assert served_model(gateway, "team-chat") == "model-b"
            assert served_model(gateway, "echo-1") == "echo-1"
            families = scrape(gateway)
            calls = plugin_calls(families)
            # Each round: up's prepare for model-a and the group, echo's generate once.
            assert calls[("up", "prepare")] == 2 * round and calls[("echo", "generate")] == round, calls
            assert all(calls.get(key, 0) >= count for key, count in seen.items()), (seen, calls)
            seen = calls
            # A group request is labelled with the group, not "other".
            assert group_requests(families) == round
    finally:
        gateway.stop()


def test_a_failed_reload_leaves_no_phantom_target_in_the_breaker_gauge(mock_port, tmp_path):
    gateway = Gateway(tmp_path, config_text(mock_port, "model-a", admin_section()))
    try:
        good = gateway.config.read_text()
        # A new provider (its targets enter the book as the routing table is built), then a
        # failure further on: echo does not take files.
        extra = "providers:\n  - name: extra\n    plugin: up\n    models: [model-z]\n"
        write_config(gateway.config, good.replace("providers:\n", extra, 1) + "files:\n  default_provider: echo\n")
        body = reload(gateway, expect=422)
        assert "does not take files" in body["error"]["message"], body
        assert_unchanged(gateway)
        gauge = scrape(gateway)["switchyard_circuit_breaker_state"].samples
        providers = {s.labels["provider"] for s in gauge}
        assert providers == {"up", "echo"}, gauge
    finally:
        gateway.stop()
