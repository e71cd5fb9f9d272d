"""The built-in guardrails through the real gateway, driven by the official SDKs: blocklist,
size limits, system prompt, PII and the LLM judge, on chat completions, Responses and Messages,
whole and streamed. The echo provider answers with the last user message and streams it word by
word (so a phrase or a card number arrives split over chunks); the mock upstream journals the
body it received (docs/mock-upstream.md), which shows what a request-phase guardrail changed.
The chain itself (order, groups, pauses, deadlines, on_error) has its own tests with a C
fixture: test_guardrail_chain.py."""

import json
import os
import re
import time

import anthropic
import openai
import pytest

from conformance_support import Upstream
from conftest import BIN_DIR, ROOT, closed_loopback_port, start_process, stop_process
from test_slow_hooks import ECHO, gateway, in_background, timed  # noqa: F401 - fixture

ALL_TRAFFIC = [{"name": "echo", "plugin": "echo", "models": ["*"]}]


def library(name):
    return os.path.abspath(os.path.join(BIN_DIR, f"lib{name}.so"))


def config(guardrails, plugins, providers=ALL_TRAFFIC, mock_port=None):
    """A one-loop gateway: the echo plugin, the openai plugin against the mock (as plugin `mock`)
    when `mock_port` is given, then `plugins` = {name: (library, config)}. Lists of dicts are
    written as JSON, which YAML reads as flow collections."""
    lines = ["server: {port: 0, loops: 1}", "plugins:", f"  - {{name: echo, path: {ECHO}}}"]
    if mock_port:
        mock = {"base_url": f"http://127.0.0.1:{mock_port}/v1", "api_key_env": None}
        lines.append(f"  - {{name: mock, path: {library('ProviderOpenAI')}, config: {json.dumps(mock)}}}")
    lines += [f"  - {{name: {name}, path: {library(lib)}, config: {json.dumps(value)}}}" for name, (lib, value) in plugins.items()]
    lines += ["providers:"] + [f"  - {json.dumps(provider)}" for provider in providers]
    lines += ["guardrails:"] + [f"  - {json.dumps(entry)}" for entry in guardrails]
    return "\n".join(lines) + "\n"


def scoped(plugin, *models, **keys):
    """A guardrails entry for `plugin` applying to `models` only."""
    return {"plugin": plugin, "applies_to": {"models": list(models)}, **keys}


def native(gw):
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{gw.port}", api_key="x", max_retries=0, timeout=30)


# What each client reads back, whole and streamed (a stream's text deltas joined).

def chat(gw, model, text, stream=False):
    client = gw.client()
    if not stream:
        return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}]).choices[0].message.content
    chunks = client.chat.completions.create(model=model, stream=True, messages=[{"role": "user", "content": text}])
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


def responses(gw, model, text, stream=False):
    client = gw.client()
    if not stream:
        return client.responses.create(model=model, input=text).output_text
    events = list(client.responses.create(model=model, input=text, stream=True))
    assert events[-1].type == "response.completed", [event.type for event in events]
    return "".join(event.delta for event in events if event.type == "response.output_text.delta")


def messages(gw, model, text, stream=False):
    request = {"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": text}]}
    if not stream:
        return native(gw).messages.create(**request).content[0].text
    with native(gw).messages.stream(**request) as answer:
        return "".join(answer.text_stream)


ROUTES = {"chat_completions": chat, "responses": responses, "messages": messages}


def chat_pieces(gw, model, text):
    """A chat stream's text deltas, one per chunk, as the client received them."""
    chunks = gw.client().chat.completions.create(model=model, stream=True, messages=[{"role": "user", "content": text}])
    return [choice.delta.content or "" for chunk in chunks for choice in chunk.choices]


def refusal(route, gw, model, text, stream=False):
    """The error a route's client gets for a request refused before any answer: (status, the
    client's error object: OpenAI's `error`, or Anthropic's whole body)."""
    expected = anthropic.APIStatusError if route == "messages" else openai.APIStatusError
    with pytest.raises(expected) as refused:
        ROUTES[route](gw, model, text, stream)
    return refused.value.status_code, refused.value.body


def verdicts(gw, model, count=1):
    """The `guardrails=` field of the access-log lines for `model`, in order, once there are
    `count` of them; "" for a line without a verdict (no guardrail ran)."""
    pattern = rf"msg=request .* model={re.escape(model)} .*"
    deadline = time.monotonic() + 10
    while True:
        lines = re.findall(pattern, gw.log())
        if len(lines) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) >= count, f"{len(lines)} access-log lines for {model}, expected {count}:\n{gw.log()}"
    fields = [re.search(r' guardrails=(?:"([^"]*)"|(\S+))', line) for line in lines]
    return [(field.group(2) or field.group(1) or "") if field else "" for field in fields]


@pytest.fixture()
def upstream(mock_port):
    journal = Upstream(mock_port)
    journal.clear()
    return journal


def upstream_bodies(upstream):
    return [entry["body"] for entry in upstream.requests()]


# ---------------------------------------------------------------------------------------------
# blocklist


BLOCKLIST = ("GuardrailBlocklist", {"words": ["forbidden-word"]})


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_blocklist_rejects_a_request_in_each_clients_error_shape(gateway, stream):
    gw = gateway(config([{"plugin": "blocklist"}], {"blocklist": BLOCKLIST}))
    message = "Rejected by guardrail 'blocklist': message 0 contains a blocked term"
    for route in ("chat_completions", "responses"):
        # A streamed request is refused before its stream starts: a plain 400, no events.
        status, error = refusal(route, gw, "echo-1", "say Forbidden-Word now", stream)
        assert status == 400, route
        assert error["message"] == message
        assert error["type"] == "invalid_request_error" and error["code"] == "content_blocked"
    status, body = refusal("messages", gw, "echo-1", "say forbidden-word now", stream)
    assert status == 400
    assert body["type"] == "error"
    assert body["error"] == {"type": "invalid_request_error", "message": message}
    assert verdicts(gw, "echo-1", 3) == ["blocklist/request:reject"] * 3
    # A word on a boundary only: "forbidden-words" is another word.
    assert chat(gw, "echo-1", "forbidden-words are fine", stream) == "forbidden-words are fine"


def test_blocklist_rejects_an_answer_whole_and_ends_a_stream_with_an_error_event(gateway):
    # Only the answer is inspected: the request goes through, the echo repeats the word.
    gw = gateway(config([{"plugin": "blocklist", "phases": ["response", "stream"]}], {"blocklist": BLOCKLIST}))
    text = "please say forbidden-word now"
    message = "Rejected by guardrail 'blocklist': the response (choice 0) contains a blocked term"
    for route in ("chat_completions", "responses"):
        status, error = refusal(route, gw, "echo-1", text)
        assert (status, error["message"], error["code"]) == (400, message, "content_blocked"), route
    status, body = refusal("messages", gw, "echo-1", text)
    assert (status, body["error"]["message"]) == (400, message)

    # Streams have started: each ends with its format's error event, after the words before
    # the term, and never with the term or a clean end.
    seen = []
    with pytest.raises(openai.APIError) as stopped:
        for chunk in gw.client().chat.completions.create(model="echo-1", stream=True, messages=[{"role": "user", "content": text}]):
            seen += [choice.delta.content or "" for choice in chunk.choices]
    assert stopped.value.message == message
    assert stopped.value.body["code"] == "content_blocked"
    assert "".join(seen) == "please say "

    events = list(gw.client().responses.create(model="echo-1", input=text, stream=True))
    types = [event.type for event in events]
    assert types[-2:] == ["error", "response.failed"], types
    assert "response.completed" not in types
    assert events[-2].message == message and events[-2].code == "content_blocked"
    assert events[-1].response.error.message == message
    assert "".join(event.delta for event in events if event.type == "response.output_text.delta") == "please say "

    seen = []
    with pytest.raises(anthropic.APIStatusError) as stopped:
        with native(gw).messages.stream(model="echo-1", max_tokens=64, messages=[{"role": "user", "content": text}]) as answer:
            for piece in answer.text_stream:
                seen.append(piece)
    assert stopped.value.body == {"type": "error", "error": {"type": "invalid_request_error", "message": message}}
    assert "".join(seen) == "please say "
    assert verdicts(gw, "echo-1", 6) == ["blocklist/response:reject"] * 3 + ["blocklist/stream:reject"] * 3


def test_blocklist_redacts_requests_answers_and_phrases_split_over_stream_chunks(gateway):
    redact = ("GuardrailBlocklist", {"words": ["secret plan", "hunter2"], "action": "redact"})
    gw = gateway(config([
        scoped("in", "request-1", phases=["request"]),
        scoped("out", "response-1", phases=["response"]),
        scoped("live", "stream-1", phases=["stream"]),
    ], {"in": redact, "out": redact, "live": redact}))
    text = "the Secret Plan is hunter2 ok"
    redacted = "the [redacted] is [redacted] ok"
    # Request phase: the echo repeats what the provider was sent, so its answer shows the patch.
    for route, ask in ROUTES.items():
        assert ask(gw, "request-1", text) == redacted, route
        assert ask(gw, "request-1", text, True) == redacted, route
    # Response phase: the whole answer; a stream is not its business.
    for route, ask in ROUTES.items():
        assert ask(gw, "response-1", text) == redacted, route
    assert chat(gw, "response-1", text, stream=True) == text
    # Stream phase: "Secret" and " Plan" arrive in separate chunks; the first is held back
    # until the second decides it, so neither word ever reaches the client.
    for route, ask in ROUTES.items():
        assert ask(gw, "stream-1", text, True) == redacted, route
    pieces = chat_pieces(gw, "stream-1", text)
    assert "".join(pieces) == redacted
    assert not any(re.search(r"secret|plan|hunter", piece, re.I) for piece in pieces), pieces
    assert chat(gw, "stream-1", text) == text  # a whole answer: not the stream phase's
    assert verdicts(gw, "request-1", 6) == ["in/request:patch"] * 6
    assert verdicts(gw, "response-1", 4) == ["out/response:patch"] * 3 + [""]
    assert verdicts(gw, "stream-1", 5) == ["live/stream:patch"] * 4 + [""]


def test_a_guardrail_scoped_to_one_model_does_not_run_on_another(gateway):
    gw = gateway(config([scoped("blocklist", "guarded-1")], {"blocklist": BLOCKLIST}) + "aliases: {safe: guarded-1}\n")
    assert refusal("chat_completions", gw, "guarded-1", "forbidden-word")[0] == 400
    # An alias of the scoped model is the scoped model.
    assert refusal("messages", gw, "safe", "forbidden-word")[0] == 400
    for route, ask in ROUTES.items():
        assert ask(gw, "open-1", "forbidden-word") == "forbidden-word", route
        assert ask(gw, "open-1", "forbidden-word", True) == "forbidden-word", route
    assert verdicts(gw, "open-1", 6) == [""] * 6
    assert verdicts(gw, "safe")[0] == "blocklist/request:reject"


def test_provider_scoped_guardrails_run_per_attempt_across_a_failover(gateway, mock_port, upstream):
    dead = {"base_url": f"http://127.0.0.1:{closed_loopback_port()}/v1", "api_key_env": None}
    gw = gateway(config(
        [{"plugin": "dead_policy", "applies_to": {"providers": ["dead"]}},
         {"plugin": "redact", "phases": ["request"], "applies_to": {"providers": ["mock"]}}],
        {"dead": ("ProviderOpenAI", dead), "dead_policy": ("GuardrailSystemPrompt", {"text": "dead policy"}),
         "redact": ("GuardrailBlocklist", {"words": ["hunter2"], "action": "redact"})},
        [{"name": "dead", "plugin": "dead", "models": ["mock-model"]}, {"name": "mock", "plugin": "mock", "models": ["mock-model"]}],
        mock_port))
    reply = gw.client().chat.completions.with_raw_response.create(
        model="mock-model", messages=[{"role": "user", "content": "pw hunter2"}])
    assert reply.headers["x-switchyard-attempts"] == "2"
    assert reply.parse().choices[0].message.content == "mock: pw [redacted]"
    # The second attempt got the client's request with its own provider's guardrails applied,
    # not the first provider's system prompt.
    assert upstream_bodies(upstream) == [{"model": "mock-model", "messages": [{"role": "user", "content": "pw [redacted]"}]}]
    assert verdicts(gw, "mock-model") == ["dead_policy/request:patch redact/request:patch"]


def test_a_cheap_guardrail_in_an_earlier_group_spares_the_later_ones(gateway):
    pii = ("GuardrailPII", {"detectors": ["email"]})
    gw = gateway(config([{"plugin": "blocklist", "order": 1}, {"plugin": "pii", "order": 2}], {"blocklist": BLOCKLIST, "pii": pii}))
    assert refusal("chat_completions", gw, "first-1", "forbidden-word to a@b.io")[0] == 400
    assert chat(gw, "second-1", "write to a@b.io") == "write to [REDACTED:email]"
    assert verdicts(gw, "first-1") == ["blocklist/request:reject"]
    # Both inspect every phase they declare: the answer too.
    assert verdicts(gw, "second-1") == ["blocklist/request:allow pii/request:patch blocklist/response:allow pii/response:allow"]


# ---------------------------------------------------------------------------------------------
# size limits


def test_size_limits_reject_requests_over_a_limit_with_the_numbers(gateway):
    limits = ("GuardrailSizeLimits", {"max_messages": 3, "max_input_characters": 40})
    gw = gateway(config([{"plugin": "limits"}], {"limits": limits}))
    turns = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}] * 2
    with pytest.raises(openai.BadRequestError) as many:
        gw.client().chat.completions.create(model="echo-1", messages=turns)
    assert many.value.body["message"] == "Rejected by guardrail 'limits': the request has 4 messages; this route allows 3"
    assert many.value.body["code"] == "request_too_large"
    with pytest.raises(anthropic.BadRequestError) as many:
        native(gw).messages.create(model="echo-1", max_tokens=16, messages=turns)
    assert many.value.body["error"]["message"].endswith("the request has 4 messages; this route allows 3")

    long = "x" * 41
    for route in ROUTES:
        for stream in (False, True):
            status, error = refusal(route, gw, "echo-1", long, stream)
            error = error["error"] if route == "messages" else error
            assert status == 400
            assert error["message"] == "Rejected by guardrail 'limits': the request has 41 characters of input; this route allows 40"
    assert chat(gw, "echo-1", "x" * 40) == "x" * 40
    assert verdicts(gw, "echo-1", 9) == ["limits/request:reject"] * 8 + ["limits/request:allow"]


def test_size_limits_force_max_tokens_onto_what_the_upstream_receives(gateway, mock_port, upstream):
    limits = ("GuardrailSizeLimits", {"max_output_tokens": 5})
    gw = gateway(config([{"plugin": "limits"}], {"limits": limits}, [{"name": "mock", "plugin": "mock", "models": ["mock-model"]}], mock_port))
    client = gw.client()
    hello = [{"role": "user", "content": "hello there"}]
    assert client.chat.completions.create(model="mock-model", messages=hello).choices[0].message.content == "mock: hello there"
    client.chat.completions.create(model="mock-model", messages=hello, max_tokens=100)
    client.chat.completions.create(model="mock-model", messages=hello, max_tokens=2)
    client.chat.completions.create(model="mock-model", messages=hello, max_completion_tokens=50)
    assert "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="mock-model", messages=hello, stream=True) if c.choices) == "mock: hello there"
    native(gw).messages.create(model="mock-model", max_tokens=1000, messages=hello)
    client.responses.create(model="mock-model", input="hello there", max_output_tokens=300)
    sent = upstream_bodies(upstream)
    assert [body.get("max_tokens") for body in sent] == [5, 5, 2, None, 5, 5, 5]
    assert sent[3]["max_completion_tokens"] == 5  # never turned into max_tokens
    assert verdicts(gw, "mock-model", 7) == ["limits/request:patch", "limits/request:patch", "limits/request:allow",
                                             "limits/request:patch", "limits/request:patch", "limits/request:patch",
                                             "limits/request:patch"]


def test_embeddings_inputs_are_guarded_in_the_request_phase_only(gateway, mock_port, upstream):
    # Embeddings have no chat answer: a guardrail declared for request and response phases runs
    # on the request (the inputs) and nowhere else.
    pii = ("GuardrailPII", {"detectors": ["email"]})
    gw = gateway(config([{"plugin": "pii"}, {"plugin": "blocklist"}], {"pii": pii, "blocklist": BLOCKLIST},
                        [{"name": "mock", "plugin": "mock", "models": ["mock-model"]}], mock_port))
    client = gw.client()
    vectors = client.embeddings.create(model="mock-model", input=["mail ann@example.com", "plain text"])
    assert len(vectors.data) == 2
    assert upstream_bodies(upstream)[-1]["input"] == ["mail [REDACTED:email]", "plain text"]
    with pytest.raises(openai.BadRequestError) as refused:
        client.embeddings.create(model="mock-model", input="say forbidden-word")
    assert "Rejected by guardrail 'blocklist'" in refused.value.message
    assert verdicts(gw, "mock-model", 2) == ["pii/request:patch blocklist/request:allow",
                                             "pii/request:allow blocklist/request:reject"]


# ---------------------------------------------------------------------------------------------
# system prompt


def test_system_prompt_prepends_appends_or_replaces_what_the_upstream_receives(gateway, mock_port, upstream):
    policy = "Answer in French."
    gw = gateway(config(
        [scoped(mode, f"{mode}-model") for mode in ("prepend", "append", "replace")],
        {mode: ("GuardrailSystemPrompt", {"text": policy, "mode": mode}) for mode in ("prepend", "append", "replace")},
        [{"name": "mock", "plugin": "mock", "models": ["prepend-model", "append-model", "replace-model", "plain-model"]}],
        mock_port))
    conversation = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hello"}]
    for model in ("prepend-model", "append-model", "replace-model", "plain-model"):
        reply = gw.client().chat.completions.create(model=model, messages=conversation)
        assert reply.choices[0].message.content == "mock: hello"  # the model answers the user
    ours, theirs, user = {"role": "system", "content": policy}, conversation[0], conversation[1]
    assert [body["messages"] for body in upstream_bodies(upstream)] == [
        [ours, theirs, user], [theirs, ours, user], [ours, user], [theirs, user]]

    # Anthropic's top-level `system` is a system message in the canonical form, so it is
    # replaced too; a Responses request's `instructions` likewise; streamed the same.
    upstream.clear()
    native(gw).messages.create(model="replace-model", max_tokens=16, system="Be terse.", messages=[user])
    gw.client().responses.create(model="replace-model", instructions="Be terse.", input="hello")
    list(gw.client().chat.completions.create(model="append-model", messages=conversation, stream=True))
    sent = [body["messages"] for body in upstream_bodies(upstream)]
    assert sent[0] == [ours, user]
    assert [message["content"] for message in sent[1]] == [policy, "hello"]
    assert sent[2] == [theirs, ours, user]
    assert verdicts(gw, "replace-model", 3) == ["replace/request:patch"] * 3
    assert verdicts(gw, "plain-model") == [""]


# ---------------------------------------------------------------------------------------------
# PII

CARD = "4111 1111 1111 1111"


def test_pii_redacts_emails_cards_ibans_and_keys_in_requests_and_answers(gateway):
    pii = ("GuardrailPII", {})
    gw = gateway(config([
        scoped("pii", "request-1", phases=["request"]),
        scoped("pii", "response-1", name="pii_out", phases=["response"]),
    ], {"pii": pii}))
    text = (f"mail john.doe@example.com, card {CARD}, iban DE89 3704 0044 0532 0130 00, "
            "key sk-proj-abcdefghijklmnopqrstuvwx and AKIAIOSFODNN7EXAMPLE, call +44 20 7946 0958")
    redacted = ("mail [REDACTED:email], card [REDACTED:card], iban [REDACTED:iban], "
                "key [REDACTED:openai_key] and [REDACTED:aws_access_key], call [REDACTED:phone]")
    for route, ask in ROUTES.items():
        assert ask(gw, "request-1", text) == redacted, route
        assert ask(gw, "request-1", text, True) == redacted, route
        assert ask(gw, "response-1", text) == redacted, route
    # Anthropic text blocks are canonical text parts: the part is patched where it is, and the
    # echo repeats the parts joined.
    reply = native(gw).messages.create(model="request-1", max_tokens=64, messages=[
        {"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "mail a@b.io"}]}])
    assert reply.content[0].text == "first mail [REDACTED:email]"
    # Not PII: a card number that fails Luhn, an order id, a date.
    harmless = "order 4111 1111 1111 1112 of 2024-03-15, id 123456789012"
    assert chat(gw, "request-1", harmless) == harmless
    assert verdicts(gw, "request-1", 8) == ["pii/request:patch"] * 7 + ["pii/request:allow"]
    assert verdicts(gw, "response-1", 3) == ["pii_out/response:patch"] * 3


def test_pii_a_card_number_split_over_stream_chunks_never_reaches_the_client(gateway):
    gw = gateway(config([{"plugin": "pii", "phases": ["stream"]}], {"pii": ("GuardrailPII", {})}))
    text = f"my card is {CARD} thanks, mail me at jane@example.org"
    redacted = "my card is [REDACTED:card] thanks, mail me at [REDACTED:email]"
    # The echo sends "4111", " 1111", " 1111", " 1111" as four chunks: the guardrail holds the
    # digits until the number is whole, and the client only ever gets the placeholder.
    pieces = chat_pieces(gw, "echo-1", text)
    assert "".join(pieces) == redacted
    assert not any(re.search(r"\d{4}|jane|example", piece) for piece in pieces), pieces
    assert len(pieces) > 6  # still streamed, not gathered into one answer
    for route, ask in ROUTES.items():
        assert ask(gw, "echo-1", text, True) == redacted, route
    assert verdicts(gw, "echo-1", 4) == ["pii/stream:patch"] * 4


def test_pii_reject_mode_refuses_requests_and_stops_streams(gateway):
    reject = ("GuardrailPII", {"action": "reject"})
    gw = gateway(config([
        scoped("pii", "request-1", phases=["request"]),
        scoped("pii", "stream-1", name="pii_live", phases=["stream"]),
    ], {"pii": reject}))
    message = "Rejected by guardrail 'pii': PII detected in the request: email, card"
    for route in ROUTES:
        status, error = refusal(route, gw, "request-1", f"a@b.io paid with {CARD}")
        error = error["error"] if route == "messages" else error
        assert (status, error["message"]) == (400, message), route
    assert refusal("chat_completions", gw, "request-1", "a@b.io")[1]["code"] == "pii_detected"

    seen = []
    with pytest.raises(openai.APIError) as stopped:
        for chunk in gw.client().chat.completions.create(
                model="stream-1", stream=True, messages=[{"role": "user", "content": f"paid with {CARD} today"}]):
            seen += [choice.delta.content or "" for choice in chunk.choices]
    assert stopped.value.message == "Rejected by guardrail 'pii_live': PII detected in the streamed response: card"
    assert "".join(seen) == "paid with "
    with pytest.raises(anthropic.APIStatusError) as stopped:
        messages(gw, "stream-1", f"paid with {CARD} today", stream=True)
    assert stopped.value.body["error"]["message"].endswith("PII detected in the streamed response: card")
    assert chat(gw, "stream-1", "nothing personal here", stream=True) == "nothing personal here"
    assert verdicts(gw, "request-1", 4) == ["pii/request:reject"] * 4
    # The clean stream still had text held back (a trailing word may begin an e-mail address):
    # a stream's entry is its strongest verdict.
    assert verdicts(gw, "stream-1", 3) == ["pii_live/stream:reject"] * 2 + ["pii_live/stream:hold"]


def test_pii_a_runaway_custom_pattern_fails_the_guardrail_and_on_error_decides(gateway):
    # (a+)+$ backtracks catastrophically on "aaa...a!": PCRE2's match limit ends it, the
    # inspect fails, and the entry's on_error decides, never a rejection.
    runaway = ("GuardrailPII", {"detectors": ["email"], "custom": [{"name": "runaway", "pattern": "(a+)+$"}]})
    gw = gateway(config([
        scoped("pii", "closed-1"),
        scoped("pii", "open-1", name="pii_open", on_error="fail_open"),
    ], {"pii": runaway}))
    text = "a" * 40 + "!"
    status, error = refusal("chat_completions", gw, "closed-1", text)
    assert status == 503
    assert error == {"message": "Guardrail 'pii' failed; the request was not processed (on_error: fail_closed).",
                     "type": "guardrail_error", "param": None, "code": "guardrail_failed"}
    status, body = refusal("messages", gw, "closed-1", text)
    assert status == 503 and body["error"]["message"].startswith("Guardrail 'pii' failed")
    assert chat(gw, "open-1", text) == text
    # The plugin's words stay in the log.
    gw.wait_for_log(r'msg="guardrail failed, request allowed \(on_error: fail_open\)" request_id=\S+ guardrail=pii_open '
                    r'phase=request error="SY_E_INTERNAL: pattern runaway failed: match limit exceeded"')
    assert verdicts(gw, "closed-1", 2) == ["pii/request:error"] * 2
    assert verdicts(gw, "open-1") == ["pii_open/request:error_open pii_open/response:error_open"]


# ---------------------------------------------------------------------------------------------
# LLM judge
#
# The judge is a model of this gateway. Echo-served judges answer with a fixed verdict before
# the echoed transcript (Plugins/guardrail-llm-judge/README.md: the first fenced block holds the
# JSON verdict); a plain echo answers the transcript alone ("user: ..."), which reads as no
# verdict at all; the mock, slowed by its delay knob, answers "mock: user: <text>", so a fenced
# verdict in the client's own text is the judge's answer.

ALLOW = '```{"allow": true}```\n'
BLOCK = '```json\n{"allow": false, "reason": "asks for trouble"}\n```\n'
# What the plain echo serves: the judged models, and the judge without a verdict.
JUDGED = ["judge-mute", "echo-1", "other-1", "allowed-1", "blocked-1", "answer-1", "slow-1", "late-1", "closed-1", "open-1", "down-1"]


def judges(mock_port, guardrails, extra_plugins=None, extra_providers=()):
    slow = {"base_url": f"http://127.0.0.1:{mock_port}/v1", "api_key_env": None, "headers": {"x-mock-delay-ms": "600"}}
    plugins = {
        "allow_echo": ("ProviderEcho", {"prefix": ALLOW}), "block_echo": ("ProviderEcho", {"prefix": BLOCK}),
        "slow_mock": ("ProviderOpenAI", slow),
        "j_allow": ("GuardrailLLMJudge", {"model": "judge-allow"}),
        "j_block": ("GuardrailLLMJudge", {"model": "judge-block", "show_reason": True}),
        "j_mute": ("GuardrailLLMJudge", {"model": "judge-mute"}),
        "j_slow": ("GuardrailLLMJudge", {"model": "judge-slow"}),
        **(extra_plugins or {}),
    }
    providers = [
        {"name": "allow_judge", "plugin": "allow_echo", "models": ["judge-allow"]},
        {"name": "block_judge", "plugin": "block_echo", "models": ["judge-block"]},
        {"name": "slow_judge", "plugin": "slow_mock", "models": ["judge-slow"]},
        *extra_providers,
        {"name": "echo", "plugin": "echo", "models": JUDGED},
    ]
    return config(guardrails, plugins, providers)


def test_llm_judge_allows_and_blocks_requests_and_answers(gateway, mock_port):
    gw = gateway(judges(mock_port, [
        scoped("j_allow", "allowed-1", deadline="5s"),
        scoped("j_block", "blocked-1", deadline="5s"),
        scoped("j_block", "answer-1", name="j_answer", phases=["response"], deadline="5s"),
    ]))
    for route, ask in ROUTES.items():
        assert ask(gw, "allowed-1", "hello there") == "hello there", route
        assert ask(gw, "allowed-1", "hello there", True) == "hello there", route
    message = "Rejected by guardrail 'j_block': The request was blocked by policy. Reason: asks for trouble"
    for route in ROUTES:
        status, error = refusal(route, gw, "blocked-1", "hello there")
        error = error["error"] if route == "messages" else error
        assert (status, error["message"]) == (400, message), route
    assert refusal("chat_completions", gw, "blocked-1", "hi", stream=True)[1]["code"] == "content_policy_violation"
    # The response phase: the judge reads the answer, and the client never sees it.
    status, error = refusal("chat_completions", gw, "answer-1", "hello there")
    assert (status, error["message"]) == (400, message.replace("'j_block'", "'j_answer'"))
    gw.wait_for_log(r'msg="judge blocked the response: asks for trouble" plugin="j_block"')
    # A whole answer is judged too (the plugin declares both phases); a stream only its request.
    assert verdicts(gw, "allowed-1", 6) == ["j_allow/request:allow j_allow/response:allow", "j_allow/request:allow"] * 3
    assert verdicts(gw, "blocked-1", 4) == ["j_block/request:reject"] * 4
    assert verdicts(gw, "answer-1") == ["j_answer/response:reject"]
    # Every judgement is a request of its own through the gateway, unguarded.
    assert verdicts(gw, "judge-allow", 9) == [""] * 9


def test_llm_judge_pauses_the_request_without_blocking_the_loop(gateway, mock_port):
    gw = gateway(judges(mock_port, [
        scoped("j_slow", "slow-1", deadline="5s"),
        scoped("j_slow", "late-1", name="j_late", deadline="200ms"),
    ]))
    verdict = 'please ```{"allow": true}``` answer'
    thread, result = in_background(timed, chat, gw, "slow-1", verdict)
    time.sleep(0.2)
    status, _, _, seconds = gw.request("GET", "/health")  # while the judge thinks
    assert status == 200 and seconds < 0.2
    assert chat(gw, "other-1", "meanwhile") == "meanwhile"  # other requests go on too
    thread.join(10)
    answer, seconds = result["value"]
    assert answer == verdict
    assert seconds > 1.2  # two judgements of 600 ms each: the request's and the answer's
    started = time.monotonic()
    status, error = refusal("chat_completions", gw, "late-1", verdict)
    assert time.monotonic() - started < 0.5
    assert (status, error["code"]) == (504, "guardrail_timeout")
    assert error["message"] == "Guardrail 'j_late' did not decide in time; the request was not processed (on_error: fail_closed)."
    assert verdicts(gw, "late-1") == ["j_late/request:timeout"]


def test_llm_judge_failures_follow_on_error(gateway, mock_port, tmp_path):
    gw = gateway(judges(mock_port, [
        scoped("j_mute", "closed-1", deadline="5s"),
        scoped("j_mute", "open-1", name="j_mute_open", on_error="fail_open", deadline="5s"),
        scoped("j_down", "down-1", deadline="5s"),
    ], {"j_down": ("GuardrailLLMJudge", {"model": "judge-down", "timeout_ms": 2000}),
        "down": ("ProviderOpenAI", {"base_url": f"http://127.0.0.1:{closed_loopback_port()}/v1", "api_key_env": None})},
        [{"name": "down", "plugin": "down", "models": ["judge-down"]}]))
    # The plain echo answers "user: hello": no verdict, a failure, never an allow.
    status, error = refusal("chat_completions", gw, "closed-1", "hello")
    assert (status, error["code"]) == (503, "guardrail_failed")
    assert error["message"] == "Guardrail 'j_mute' failed; the request was not processed (on_error: fail_closed)."
    assert chat(gw, "open-1", "hello") == "hello"
    gw.wait_for_log(r'msg="guardrail failed, request allowed \(on_error: fail_open\)" request_id=\S+ guardrail=j_mute_open phase=request')
    # A judge whose provider is unreachable fails the same way.
    status, body = refusal("messages", gw, "down-1", "hello")
    assert status == 503 and body["error"]["message"].startswith("Guardrail 'j_down' failed")
    assert verdicts(gw, "closed-1") == ["j_mute/request:error"]
    assert verdicts(gw, "open-1") == ["j_mute_open/request:error_open j_mute_open/response:error_open"]
    assert verdicts(gw, "down-1") == ["j_down/request:error"]


def test_llm_judge_requests_do_not_run_guardrails(gateway, mock_port):
    # The judge and a blocklist apply to all traffic, the judge's own model included, and the
    # blocklist refuses a word only the judge's instructions contain. Were the judge's request
    # guarded, the blocklist would refuse it (and the judge would judge its own request).
    instructions = 'Policy zebra-7. Answer {"allow": true} or {"allow": false, "reason": "..."}.'
    gw = gateway(judges(mock_port, [
        {"plugin": "blocklist", "order": 1},
        {"plugin": "j_house", "order": 2, "deadline": "5s"},
    ], {"blocklist": ("GuardrailBlocklist", {"words": ["zebra-7"]}),
        "j_house": ("GuardrailLLMJudge", {"model": "judge-allow", "instructions": instructions})}))
    assert chat(gw, "echo-1", "hello") == "hello"
    assert refusal("chat_completions", gw, "echo-1", "zebra-7")[0] == 400  # the blocklist does work
    assert verdicts(gw, "echo-1", 2) == ["blocklist/request:allow j_house/request:allow blocklist/response:allow j_house/response:allow",
                                         "blocklist/request:reject"]
    # Two judgements (request, answer) of the first request, nothing guarded in them, each an
    # internal request with a line of its own.
    assert verdicts(gw, "judge-allow", 2) == ["", ""]
    assert len(re.findall(r"msg=request .* model=judge-allow .* internal=true", gw.log())) == 2


def test_llm_judge_requests_get_through_at_the_connection_limit(gateway, mock_port):
    # One connection allowed: the client's. The judge's own request goes to the gateway's
    # internal listener, which has limits of its own, so it does not wait for that slot.
    judged = judges(mock_port, [scoped("j_allow", "allowed-1", phases=["request"], deadline="5s")])
    gw = gateway(judged.replace("server: {port: 0, loops: 1}", "server: {port: 0, loops: 1, max_connections: 1}").replace(
        '{"model": "judge-allow"}', '{"model": "judge-allow", "timeout_ms": 1000}'))
    assert chat(gw, "allowed-1", "hello") == "hello"


# ---------------------------------------------------------------------------------------------
# the shipped example


def test_the_guardrails_example_serves_as_its_header_says():
    path = os.path.abspath(os.path.join(ROOT, "config", "examples", "guardrails.yaml"))
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    process, port = start_process([os.path.join(BIN_DIR, "switchyard"), "serve", "--config", path], env=dict(env, PORT="0"))
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0, timeout=15)
        reply = client.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "write to ann@example.com"}])
        assert reply.choices[0].message.content == "write to [REDACTED:email]"
        with pytest.raises(openai.BadRequestError) as blocked:
            client.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "say forbidden-word"}])
        assert blocked.value.body["message"].startswith("Rejected by guardrail 'blocklist': ")
    finally:
        stop_process(process)
