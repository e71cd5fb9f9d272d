"""The guardrail chain through the real gateway, with a configurable C guardrail built here
(plugins/test_guardrail.c) in front of the echo provider: order and concurrent groups, pauses,
on_error, deadlines, scoping, the three phases, the client's error shape on every route, the
access log and call_end. The built-in guardrails have their own tests (test_guardrails.py)."""

import json
import os
import re
import subprocess
import time

import anthropic
import openai
import pytest

from test_slow_hooks import ECHO, HERE, SDK_INCLUDE, VERSION_SCRIPT, gateway  # noqa: F401 - fixture


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    path = tmp_path_factory.mktemp("test-guardrail") / "libtest_guardrail.so"
    subprocess.run(
        ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-fvisibility=hidden", "-pthread",
         "-I", SDK_INCLUDE, "-shared", "-Wl,-z,defs", f"-Wl,--version-script={VERSION_SCRIPT}",
         "-o", str(path), os.path.join(HERE, "plugins", "test_guardrail.c")],
        check=True, timeout=120,
    )
    return str(path)


def config(plugin, guardrails, entries, models='["*"]'):
    """A one-loop gateway with the echo provider and test guardrail instances:
    entries = {name: config dict}; guardrails = the `guardrails:` YAML list."""
    plugins = "\n".join(f"  - {{name: {name}, path: {plugin}, config: {json.dumps(value)}}}" for name, value in entries.items())
    return f"""
server: {{port: 0, loops: 1}}
plugins:
  - {{name: echo, path: {ECHO}}}
{plugins}
providers:
  - {{name: echo, plugin: echo, models: {models}}}
  - {{name: other, plugin: echo, models: [other-1]}}
guardrails:
{guardrails}
"""


def ask(gw, text="hello", model="echo-1"):
    reply = gw.client().chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    return reply.choices[0].message.content


def test_groups_run_in_order_and_members_of_a_group_concurrently(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: first, order: 1}
  - {plugin: slow_b, order: 2}
  - {plugin: slow_c, order: 2}
  - {plugin: last, order: 3}
""", {"first": {"tag": "a", "phases": 1}, "slow_b": {"tag": "b", "pause_ms": 600, "phases": 1},
      "slow_c": {"pause_ms": 600, "phases": 1}, "last": {"tag": "d", "phases": 1}}))
    started = time.monotonic()
    assert ask(gw) == "hello [a] [b] [d]"
    seconds = time.monotonic() - started
    # Two 600 ms pauses in one group overlap: one wait (not 1.2 s).
    assert 0.58 < seconds < 1.1, seconds
    line = gw.wait_for_log(r"msg=request .*guardrails=\"([^\"]*)\"")
    assert line.group(1) == "first/request:patch slow_b/request:patch slow_c/request:allow last/request:patch"


def test_a_pause_does_not_block_the_loop(plugin, gateway):
    gw = gateway(config(plugin, "  - {plugin: slow}", {"slow": {"tag": "s", "pause_ms": 800, "phases": 1}}))
    from test_slow_hooks import in_background
    thread, result = in_background(ask, gw)
    time.sleep(0.2)
    status, _, _, seconds = gw.request("GET", "/health")
    assert status == 200 and seconds < 0.2
    thread.join(5)
    assert result["value"] == "hello [s]"


def test_rejections_reach_each_client_in_its_own_error_shape(plugin, gateway):
    gw = gateway(config(plugin, "  - {plugin: no}", {"no": {"reject": "topic not allowed", "status": 403, "phases": 1}}))
    with pytest.raises(openai.PermissionDeniedError) as chat:
        ask(gw)
    assert chat.value.status_code == 403
    assert "Rejected by guardrail 'no': topic not allowed" in chat.value.message
    assert chat.value.body["code"] == "test_rejected"

    client = gw.client()
    with pytest.raises(openai.PermissionDeniedError) as responses:
        client.responses.create(model="echo-1", input="hello")
    assert "guardrail 'no'" in responses.value.message

    messages = anthropic.Anthropic(base_url=f"http://127.0.0.1:{gw.port}", api_key="x", max_retries=0)
    with pytest.raises(anthropic.PermissionDeniedError) as native:
        messages.messages.create(model="echo-1", max_tokens=16, messages=[{"role": "user", "content": "hello"}])
    assert native.value.body["type"] == "error"
    assert native.value.body["error"]["type"] == "permission_error"
    assert "guardrail 'no'" in native.value.body["error"]["message"]
    gw.wait_for_log(r'(?s)(guardrails="no/request:reject".*){3}')


def test_on_error_fail_open_allows_and_fail_closed_refuses(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: broken_open, on_error: fail_open, models: [open-1]}
  - {plugin: broken_closed, models: [closed-1]}
  - {plugin: bad_resume, on_error: fail_closed, models: [resume-1]}
""".replace("models: [", "applies_to: {models: [").replace("]}", "]}}"),
        {"broken_open": {"fail": True}, "broken_closed": {"fail": True},
         "bad_resume": {"pause_ms": 50, "resume_status": -7}}))
    assert ask(gw, model="open-1") == "hello"
    gw.wait_for_log(r'msg="guardrail failed, request allowed \(on_error: fail_open\)" request_id=\S+ guardrail=broken_open '
                    r'phase=request error="SY_E_INTERNAL: deliberate failure"')
    with pytest.raises(openai.InternalServerError) as closed:
        ask(gw, model="closed-1")
    assert closed.value.status_code == 503
    assert "Guardrail 'broken_closed' failed" in closed.value.message
    assert "deliberate failure" not in closed.value.message  # the plugin's words stay in the log
    gw.wait_for_log(r'status=503 .*guardrails="broken_closed/request:error" error="guardrail broken_closed SY_E_INTERNAL: deliberate failure"')
    with pytest.raises(openai.InternalServerError) as resumed:
        ask(gw, model="resume-1")
    assert "Guardrail 'bad_resume' failed" in resumed.value.message
    gw.wait_for_log(r'error="guardrail bad_resume resumed with SY_E_TIMEOUT"')


def test_a_guardrail_past_its_deadline_is_cut_off(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: late_closed, deadline: 200ms, applies_to: {models: [closed-1]}}
  - {plugin: late_open, deadline: 200ms, on_error: fail_open, applies_to: {models: [open-1]}}
""", {"late_closed": {"reject": "too late to matter", "pause_ms": 1500}, "late_open": {"reject": "too late", "pause_ms": 1500}}))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as late:
        ask(gw, model="closed-1")
    assert late.value.status_code == 504
    assert "did not decide in time" in late.value.message
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    assert ask(gw, model="open-1") == "hello"  # its rejection came after the deadline: not used
    assert time.monotonic() - started < 1.0
    # The plugins resume after the request is over: refused (SY_E_HANDLE), logged, no crash.
    gw.wait_for_log(r'msg="verdict_reject refused \(SY_E_HANDLE\): a verdict used after its inspect returned, or after resume\(\)" plugin="late_open"', timeout=5)
    assert ask(gw, model="other-1") == "hello"


def test_an_inspect_that_blocks_the_loop_is_reported_and_past_its_deadline_fails(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: blocker, deadline: 100ms}
""", {"blocker": {"tag": "late", "block_ms": 400, "phases": 1}}).replace("loops: 1}", "loops: 1, slow_hook_threshold: 50ms}"))
    with pytest.raises(openai.APIStatusError) as late:
        ask(gw)
    assert late.value.status_code == 504
    gw.wait_for_log(r'msg="plugin hook is blocking its event loop" plugin=blocker hook=inspect loop=0 running_ms=\d+')
    gw.wait_for_log(r'msg="slow plugin hook returned" request_id=\S+ plugin=blocker hook=inspect elapsed_ms=\d+ outcome=timeout')


def test_scoping_by_model_route_and_provider(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: only_one, applies_to: {models: [scoped-1]}}
  - {plugin: only_messages, applies_to: {routes: [messages]}}
  - {plugin: only_other, applies_to: {providers: [other]}}
""", {"only_one": {"tag": "one", "phases": 1}, "only_messages": {"tag": "msg", "phases": 1},
      "only_other": {"tag": "oth", "phases": 1}}))
    assert ask(gw, model="scoped-1") == "hello [one]"
    assert ask(gw, model="unscoped-1") == "hello"
    assert ask(gw, model="other-1") == "hello [oth]"
    messages = anthropic.Anthropic(base_url=f"http://127.0.0.1:{gw.port}", api_key="x", max_retries=0)
    reply = messages.messages.create(model="unscoped-1", max_tokens=16, messages=[{"role": "user", "content": "hello"}])
    assert reply.content[0].text == "hello [msg]"


def test_response_phase_patches_and_rejects_whole_answers(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: tagger, phases: [response], applies_to: {models: [tag-1]}}
  - {plugin: refuser, phases: [response], applies_to: {models: [refuse-1]}}
""", {"tagger": {"tag": "checked"}, "refuser": {"reject": "answer withheld", "status": 422}}))
    assert ask(gw, model="tag-1") == "hello [checked]"
    reply = gw.client().responses.create(model="tag-1", input="hello")
    assert reply.output_text == "hello [checked]"
    with pytest.raises(openai.UnprocessableEntityError) as refused:
        ask(gw, model="refuse-1")
    assert "answer withheld" in refused.value.message
    # The request phase is not theirs: only the response phase ran.
    gw.wait_for_log(r'guardrails="tagger/response:patch"')


def test_stream_text_split_over_chunks_is_redacted_and_a_stop_ends_with_an_error_event(plugin, gateway):
    gw = gateway(config(plugin, """
  - {plugin: redact, applies_to: {models: [redact-1]}}
  - {plugin: stopper, applies_to: {models: [stop-1]}}
""", {"redact": {"redact": "is hunter2", "phases": 4}, "stopper": {"stop": "forbidden", "phases": 4, "pause_ms": 20}}))
    client = gw.client()
    chunks = client.chat.completions.create(
        model="redact-1", stream=True, messages=[{"role": "user", "content": "my password is hunter2 ok"}])
    pieces = [chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices]
    # The echo streams word by word: "is" and "hunter2" arrive apart, and are still caught.
    assert "".join(pieces) == "my password ***ok".replace("***ok", "*** ok")
    assert not any("hunter2" in piece or piece.endswith("is") for piece in pieces), pieces
    gw.wait_for_log(r'guardrails="redact/stream:patch"')

    # n=2: every chunk carries text in two choices, which the byte-level fast path cannot read;
    # such a chunk must still be inspected, choice by choice, never let through.
    texts = {0: "", 1: ""}
    for chunk in client.chat.completions.create(
            model="redact-1", stream=True, n=2, messages=[{"role": "user", "content": "my password is hunter2 ok"}]):
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    assert texts == {0: "my password *** ok", 1: "my password *** ok"}, texts

    seen = []
    with pytest.raises(openai.APIError) as stopped:
        for chunk in client.chat.completions.create(
                model="stop-1", stream=True, messages=[{"role": "user", "content": "say the forbidden thing"}]):
            seen.extend(choice.delta.content or "" for choice in chunk.choices)
    assert "guardrail 'stopper'" in str(stopped.value)
    assert "forbidden" not in "".join(seen)
    assert "".join(seen) == "say the"

    messages = anthropic.Anthropic(base_url=f"http://127.0.0.1:{gw.port}", api_key="x", max_retries=0)
    with messages.messages.stream(model="redact-1", max_tokens=32,
                                  messages=[{"role": "user", "content": "my password is hunter2 ok"}]) as stream:
        assert "".join(stream.text_stream) == "my password *** ok"


def test_call_end_once_per_inspected_call_and_the_log_names_the_request(plugin, gateway):
    gw = gateway(config(plugin, "  - {plugin: watcher}", {"watcher": {"tag": "w"}}))
    client = gw.client()
    reply = client.chat.completions.with_raw_response.create(model="echo-1", messages=[{"role": "user", "content": "hi"}])
    request_id = reply.headers["x-request-id"]
    assert reply.parse().choices[0].message.content == "hi [w] [w]"  # request and response phase
    gw.wait_for_log(rf'msg="call_end" plugin="watcher" request_id="{request_id}"')
    log = gw.log()
    assert len(re.findall(rf'msg="inspect \d" plugin="watcher" request_id="{request_id}"', log)) == 2
    assert len(re.findall(rf'msg="call_end" plugin="watcher" request_id="{request_id}"', log)) == 1


def test_a_guardrail_entry_its_plugin_cannot_serve_is_a_clear_config_error(plugin, tmp_path):
    from conftest import BIN_DIR

    def validate(guardrails, entries):
        path = tmp_path / "g.yaml"
        path.write_text(config(plugin, guardrails, entries))
        return subprocess.run([os.path.join(BIN_DIR, "switchyard"), "validate", str(path)], capture_output=True, text=True, timeout=60)

    not_a_guardrail = validate("  - {name: g, plugin: echo}", {})
    assert not_a_guardrail.returncode == 1
    assert re.search(r"g\.yaml:\d+:\d+: guardrails\[g\]: plugin \"echo\" does not implement switchyard\.guardrail/1", not_a_guardrail.stderr)
    wrong_phase = validate("  - {plugin: req_only, phases: [stream]}", {"req_only": {"phases": 1}})
    assert wrong_phase.returncode == 1
    assert ('guardrails[req_only]: plugin "req_only" cannot inspect the stream phase (it declares request)'
            in wrong_phase.stderr), wrong_phase.stderr
    good = validate("  - {plugin: fine}", {"fine": {"tag": "x"}})
    assert good.returncode == 0 and "ok (2 plugins, 2 providers, 1 guardrails, 0 aliases)" in good.stdout, good.stdout + good.stderr


def test_provider_output_queued_behind_a_paused_stream_guardrail_is_bounded(plugin, gateway):
    # The echo answers in-process (it cannot be paused): while the guardrail decides about the
    # first chunk, the rest queues, up to server.max_upstream_response_bytes, then the stream
    # ends with an error instead of the gateway buffering without bound.
    gw = gateway(config(plugin, "  - {plugin: slow_stream, deadline: 5s}", {"slow_stream": {"stop": "never-said", "phases": 4, "pause_ms": 300}})
                 .replace("loops: 1}", "loops: 1, max_upstream_response_bytes: 16KiB}"))
    with pytest.raises(openai.APIError) as cut:
        for _ in gw.client().chat.completions.create(
                model="echo-1", stream=True, messages=[{"role": "user", "content": "word " * 20000}]):
            pass
    assert "while a guardrail was deciding" in str(cut.value)
    gw.wait_for_log(r"error=\"provider output queued behind a paused guardrail passed server.max_upstream_response_bytes \(16384 bytes\)\"")
    assert ask(gw, "still fine") == "still fine"


def test_a_client_that_leaves_while_a_guardrail_is_paused_ends_the_call_once(plugin, gateway):
    import http.client
    import socket
    gw = gateway(config(plugin, "  - {plugin: slow, deadline: 5s}", {"slow": {"tag": "s", "pause_ms": 1000, "phases": 1}}))
    connection = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=0.3)
    body = json.dumps({"model": "echo-1", "messages": [{"role": "user", "content": "hi"}]})
    connection.request("POST", "/v1/chat/completions", body=body,
                       headers={"Content-Type": "application/json", "X-Request-ID": "leaving-client-1"})
    with pytest.raises(socket.timeout):
        connection.getresponse()
    connection.close()
    gw.wait_for_log(r'status=499 .*request_id=leaving-client-1|request_id=leaving-client-1 .*status=499')
    # The guardrail hears the end of a call it was still deciding about, and its late resume is
    # refused without harm.
    gw.wait_for_log(r'msg="call_end" plugin="slow" request_id="leaving-client-1"')
    gw.wait_for_log(r'resume refused \(SY_E_HANDLE\)|verdict_patch refused \(SY_E_HANDLE\)', timeout=5)
    assert len(re.findall(r'msg="call_end" plugin="slow" request_id="leaving-client-1"', gw.log())) == 1
    assert ask(gw) == "hello [s]"


def test_a_request_that_repeats_a_key_is_refused_where_guardrails_check_it(plugin, gateway):
    # Guardrails read the first "messages", most upstreams the last: a repeated key could carry
    # text past every guardrail, so a guarded request may not repeat one (at any depth).
    import http.client
    gw = gateway(config(plugin, "  - {plugin: no, applies_to: {models: [guarded-1]}}",
                        {"no": {"tag": "g", "phases": 1}}))

    def post(body):
        connection = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
        connection.request("POST", "/v1/chat/completions", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    repeated = '{"model":"%s","messages":[{"role":"user","content":"clean"}],"messages":[{"role":"user","content":"dirty"}]}'
    status, body = post(repeated % "guarded-1")
    assert status == 400 and body["error"]["code"] == "duplicate_key"
    assert "at /messages" in body["error"]["message"]
    nested = '{"model":"guarded-1","messages":[{"role":"user","content":"a","content":"b"}]}'
    status, body = post(nested)
    assert status == 400 and "at /messages/0/content" in body["error"]["message"]
    # Where no guardrail applies, the gateway forwards the body as before.
    status, _ = post(repeated % "other-1")
    assert status == 200
