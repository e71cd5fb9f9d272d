"""The call services through the real gateway (plugins/call_services_provider.c, whose `prepare`
uses them and whose transformer's `end` reports what came of it): every hook of a request gets a
live sy_call; call_metadata tells the plan's facts; http_send reaches an upstream or, with a path,
the gateway itself, marked internal (its access-log line says internal=true; the plugin's forged
marker is dropped); a client cannot mark its own request internal."""

import json
import os
import re
import subprocess
import textwrap

import openai
import pytest

from conftest import BIN_DIR, start_process, stop_process

HERE = os.path.dirname(__file__)
SDK_INCLUDE = os.path.join(HERE, "..", "..", "plugin-sdk", "include")
VERSION_SCRIPT = os.path.join(HERE, "..", "..", "plugin-sdk", "template", "plugin.version")


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    path = tmp_path_factory.mktemp("calls") / "libcalls.so"
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden",
         "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}",
         "-o", str(path), os.path.join(HERE, "plugins", "call_services_provider.c")],
        check=True, timeout=120,
    )
    return str(path)


@pytest.fixture()
def gateway(plugin, mock_port, tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text(textwrap.dedent(f"""
        server:
          host: 0.0.0.0
          port: 0
          loops: 1
        plugins:
          - name: calls
            path: {plugin}
            config:
              upstream: http://127.0.0.1:{mock_port}/v1/chat/completions
          - name: mock
            path: {os.path.abspath(os.path.join(BIN_DIR, "libProviderOpenAI.so"))}
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
        providers:
          - name: calls
            plugin: calls
            models: [calls-1]
          - name: mock
            plugin: mock
            models: [mock-model]
            passthrough: true
        aliases:
          calls-alias: calls-1
        """))
    log_path = tmp_path / "gateway.log"
    log_file = open(log_path, "w")
    process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", str(config)], stderr=log_file)

    class Gateway:
        pid = process.pid
        public_port = port
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)

        def ask(self, content, model="calls-1", **extra):
            reply = self.client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": content}], **extra)
            return json.loads(reply.choices[0].message.content)

        def stop_and_read_log(self):
            stop_process(process)
            log_file.close()
            return log_path.read_text()

    gateway = Gateway()
    yield gateway
    stop_process(process)
    log_file.close()


def access_lines(log):
    return [line for line in log.splitlines() if line.startswith('level=info msg=request ')]


def test_metadata_tells_the_plan_as_the_hook_sees_it(gateway):
    answer = gateway.ask("metadata", model="calls-alias", extra_headers={"X-Request-ID": "req-meta-1"})
    assert answer == {"metadata": {
        "request_id": "req-meta-1", "endpoint": "chat_completions", "mode": "translated", "model": "calls-1",
        "requested_model": "calls-alias", "provider": "calls", "attempt": 0, "stream": False,
    }, "cancelled": 0}


def test_a_path_reaches_the_gateway_itself_as_an_internal_request(gateway):
    report = gateway.ask("send /v1/chat/completions")
    assert report["send"] == 0 and report["done"] == 1
    assert report["result"] == 0 and report["status"] == 200
    assert report["provider"] == "mock" and report["choices"] == 1
    lines = access_lines(gateway.stop_and_read_log())
    internal = [line for line in lines if "internal=true" in line]
    assert len(internal) == 1 and re.search(r'\bmodel="?mock-model', internal[0]), lines
    assert all("internal=true" not in line for line in lines if "calls" in line)


def test_a_passthrough_path_reaches_the_provider_with_the_plugins_body(gateway):
    report = gateway.ask("send /p/mock/v1/chat/completions")
    assert report["send"] == 0 and report["result"] == 0 and report["status"] == 200
    assert report["provider"] == "mock" and report["choices"] == 1  # the mock answered the plugin's chat body
    internal = [line for line in access_lines(gateway.stop_and_read_log()) if "internal=true" in line]
    assert len(internal) == 1 and "mode=passthrough" in internal[0] and "path=/v1/chat/completions" in internal[0]


def listening_ports(pid):
    """The TCP ports process `pid` listens on (its socket inodes matched in /proc/net/tcp)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:] + open("/proc/net/tcp6").read().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_the_internal_listener_refuses_what_is_not_a_plugins_request(gateway):
    internal = listening_ports(gateway.pid) - {gateway.public_port}
    assert len(internal) == 1, internal
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{internal.pop()}/v1", api_key="x", max_retries=0, timeout=15)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "hi"}])
    assert refused.value.body["code"] == "internal_listener"


def test_an_absolute_url_is_an_ordinary_request(gateway, mock_port):
    report = gateway.ask(f"send http://127.0.0.1:{mock_port}/v1/chat/completions")
    assert report["send"] == 0 and report["done"] == 1
    assert report["result"] == 0 and report["status"] == 200 and report["choices"] == 1
    assert report["provider"] == ""  # the mock itself answered, not the gateway


def test_a_client_cannot_mark_its_request_internal(gateway):
    reply = gateway.client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "hi"}],
        extra_headers={"X-Switchyard-Internal": "guessed"})
    assert reply.choices[0].message.content
    lines = access_lines(gateway.stop_and_read_log())
    assert lines and all("internal=true" not in line for line in lines)


def test_an_unreachable_url_ends_with_an_upstream_error(gateway):
    report = gateway.ask("send http://127.0.0.1:9/x")
    assert report == {"send": 0, "status": 0, "provider": "", "choices": 0, "done": 1, "result": -6}
