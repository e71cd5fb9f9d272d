"""Cross-provider conformance, errors: an upstream 429 reaches the client of every ingress as a
429 in that ingress's error shape (with Retry-After when the upstream sent one), and a field a
route cannot carry is a 400 that names it, before any upstream is called; where the route is
native or the provider can carry the field, the request goes through instead."""

import anthropic
import openai
import pytest

from conformance_support import answer_text, assert_reached_upstream, matrix, user

@matrix(models=["gpt-mock-429", "claude-mock-429", "gemini-mock-429"])
def test_upstream_429_is_a_429_in_the_ingress_shape(conformance, ingress, model, stream):
    driver = conformance.driver(ingress)
    with pytest.raises(driver.RateLimitError) as raised:
        driver.ask(model, [user("slow down")], stream=stream)
    response = raised.value.response
    assert response.status_code == 429
    error_type, message = driver.error_message(response.json())
    assert error_type == "rate_limit_error"
    assert message
    # The mock sends Retry-After: 1 in the OpenAI and Anthropic formats; Gemini puts a RetryInfo
    # detail (retryDelay "1s") in the body, which the gemini plugin reports for the header.
    assert response.headers.get("retry-after") == "1"
    assert len(conformance.upstream.requests()) == 1


# What the mock says when it breaks a stream (x-mock-stream-error), per upstream format.
OVERLOADED = {"claude": "Overloaded", "gemini": "The model is overloaded. Please try again later."}


@matrix(models=["claude-mock-streamerr", "gemini-mock-streamerr"], modes=["stream"])
def test_mid_stream_error_reaches_the_client(conformance, ingress, model, stream):
    # The upstream sends one word, then its format's in-stream error: the client must see the
    # failure in its own ingress's stream shape, not a truncated success.
    message = OVERLOADED[model.split("-")[0]]
    driver = conformance.driver(ingress)
    if ingress == "responses":
        with driver.client.responses.stream(model=model, input="one two three four") as events:
            seen = list(events)
        types = [event.type for event in seen]
        assert "response.output_text.delta" in types
        assert types[-2:] == ["error", "response.failed"], types
        assert seen[-2].message == message
        assert (seen[-1].response.status, seen[-1].response.error.message) == ("failed", message)
    else:
        error = openai.APIError if ingress == "chat" else anthropic.APIError
        with pytest.raises(error) as raised:
            driver.ask(model, [user("one two three four")], stream=True)
        assert message in str(raised.value)
    assert len(conformance.upstream.requests()) == 1, "a stream that already started is not retried"


# One field per ingress that some route cannot carry. For each model: None when the request
# must go through (native route, or a provider that maps the field), else the start of the
# 400's message.
PDF = "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK"
UNSUPPORTED = {
    "chat": {
        # n=2 for every provider: Anthropic has one choice per request, Gemini maps it to
        # candidateCount, OpenAI passes it through.
        "extra": {"n": 2},
        "expect": {
            "gpt-mock": None,
            "claude-mock": "n=2 is not supported by the anthropic provider",
            "gemini-mock": None,
        },
    },
    "chat-logit-bias": {
        "ingress": "chat",
        "extra": {"logit_bias": {"50256": -100}},
        "expect": {
            "gpt-mock": None,
            "claude-mock": "logit_bias is not supported by the anthropic provider",
            "gemini-mock": "logit_bias: Gemini has no per-token bias (not supported by the gemini provider)",
        },
    },
    "messages": {
        # A PDF document block: only the native Anthropic route can carry it.
        "turns": [{"role": "user", "raw": [
            {"type": "text", "text": "summarize this"},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}},
        ]}],
        "expect": {
            "gpt-mock": "messages[0].content[1].type: a document block",
            "claude-mock": None,
            "gemini-mock": "messages[0].content[1].type: a document block",
        },
    },
    "responses": {
        # A built-in tool: only the native OpenAI route can carry it.
        "extra": {"tools": [{"type": "web_search"}]},
        "expect": {
            "gpt-mock": None,
            "claude-mock": 'tools[0].type: the built-in tool "web_search" is not supported through a translated route',
            "gemini-mock": 'tools[0].type: the built-in tool "web_search" is not supported through a translated route',
        },
    },
}


def unsupported_cases():
    cases = []
    for case, spec in UNSUPPORTED.items():
        for model, expected in spec["expect"].items():
            for stream in (False, True):
                cases.append(pytest.param(spec.get("ingress", case), spec, model, stream, expected,
                                          id=f"{case}-{model}-{'stream' if stream else 'whole'}"))
    return cases


def send_unsupported(driver, spec, model, stream):
    if "turns" in spec:  # raw Anthropic content blocks, sent as written
        kwargs = dict(model=model, max_tokens=64, messages=[{"role": "user", "content": spec["turns"][0]["raw"]}])
        if stream:
            with driver.client.messages.stream(**kwargs) as events:
                message = events.get_final_message()
        else:
            message = driver.client.messages.create(**kwargs)
        return "".join(block.text for block in message.content if block.type == "text")
    extra = spec.get("extra", {})
    answer = driver.ask(model, [user("summarize this")], stream=stream, **extra)
    if driver.name == "chat" and "n" in extra and not stream:
        assert len(answer.raw.choices) == 2
    return answer.text


@pytest.mark.parametrize("ingress,spec,model,stream,expected", unsupported_cases())
def test_unsupported_field_is_a_400_naming_it(conformance, ingress, spec, model, stream, expected):
    driver = conformance.driver(ingress)
    if expected is None:
        assert send_unsupported(driver, spec, model, stream) == answer_text("summarize this")
        assert_reached_upstream(conformance.upstream, ingress, model, stream)
        return
    with pytest.raises(driver.BadRequestError) as raised:
        send_unsupported(driver, spec, model, stream)
    assert raised.value.response.status_code == 400
    error_type, message = driver.error_message(raised.value.response.json())
    assert error_type == "invalid_request_error"
    assert expected in message, message
    assert conformance.upstream.requests() == [], "a request no route can carry must not reach the upstream"
