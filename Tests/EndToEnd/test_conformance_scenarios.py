"""Cross-provider conformance: the same conversations through every ingress (chat completions,
Anthropic messages, OpenAI responses) to every provider (openai, anthropic and gemini plugins,
all against the mock), whole and streamed, through the official SDKs and their stream helpers.

The mock answers every wire format alike ("mock: " + the last user text, tokens = words), so
each cell must give the same content and the same counts; the mock's journal tells which wire
format the gateway spoke upstream, and the prompt token count tells what reached it."""

import pytest

from conformance_support import (
    FINISH,
    FOLLOW_UP,
    NATIVE,
    TOOL_CALL_TOKENS,
    TOOL_NAME,
    TOOL_RESULT,
    WEATHER_QUESTION,
    answer_text,
    assert_reached_upstream,
    matrix,
    png_data_url,
    user,
    words,
)


def assert_text_answer(conformance, ingress, model, stream, answer, *, last_user, prompt_words):
    """The answer is the mock's text for `last_user`, with usage matching the word counts, and
    exactly one request reached the mock, in the provider's wire format."""
    driver = conformance.driver(ingress)
    assert answer.text == answer_text(last_user)
    assert answer.tool_calls == []
    assert answer.finish == FINISH[ingress]["text"]
    assert driver.usage_numbers(answer.usage) == (prompt_words, words(answer_text(last_user)), 0)
    return assert_reached_upstream(conformance.upstream, ingress, model, stream)


@matrix()
def test_plain_text(conformance, ingress, model, stream):
    text = "hello conformance world"
    answer = conformance.driver(ingress).ask(model, [user(text)], stream=stream)
    assert_text_answer(conformance, ingress, model, stream, answer, last_user=text, prompt_words=words(text))


@matrix()
def test_system_prompt_reaches_the_upstream(conformance, ingress, model, stream):
    # The mock counts the system text's words into the prompt tokens: a system prompt dropped
    # (or duplicated) on the way shows in the count.
    system, text = "You are terse and precise today.", "say hello"
    answer = conformance.driver(ingress).ask(model, [user(text)], system=system, stream=stream)
    assert_text_answer(conformance, ingress, model, stream, answer, last_user=text, prompt_words=words(system) + words(text))


@matrix()
def test_multi_turn(conformance, ingress, model, stream):
    turns = [user("my name is Ann"), {"role": "assistant", "text": "hello Ann nice to meet you"}, user("what is my name?")]
    answer = conformance.driver(ingress).ask(model, turns, stream=stream)
    prompt = sum(words(turn["text"]) for turn in turns)
    assert_text_answer(conformance, ingress, model, stream, answer, last_user="what is my name?", prompt_words=prompt)


@matrix()
def test_tool_call_then_tool_result(conformance, ingress, model, stream):
    driver = conformance.driver(ingress)
    first = driver.ask(model, [user(WEATHER_QUESTION)], weather_tool=True, stream=stream)
    assert [(c.name, c.arguments) for c in first.tool_calls] == [(TOOL_NAME, {"city": "Paris"})]
    assert first.tool_calls[0].id
    assert first.text == ""
    assert first.finish == FINISH[ingress]["tool"]
    assert driver.usage_numbers(first.usage) == (words(WEATHER_QUESTION), TOOL_CALL_TOKENS, 0)
    assert_reached_upstream(conformance.upstream, ingress, model, stream)

    # Second turn: the call and its result go back with a follow-up question. The mock checks
    # the pairing in its own format (Anthropic tool_use/tool_result ids, Gemini functionResponse
    # names, Responses call_ids) and counts the result's words into the prompt.
    conformance.upstream.clear()
    turns = [
        user(WEATHER_QUESTION),
        {"role": "assistant", "tool_call": first.tool_calls[0]},
        {"role": "tool", "call_id": first.tool_calls[0].id, "content": TOOL_RESULT},
        user(FOLLOW_UP),
    ]
    second = driver.ask(model, turns, weather_tool=True, stream=stream)
    prompt = words(WEATHER_QUESTION) + words(TOOL_RESULT) + words(FOLLOW_UP)
    assert_text_answer(conformance, ingress, model, stream, second, last_user=FOLLOW_UP, prompt_words=prompt)


@matrix()
def test_image_part_reaches_the_upstream(conformance, ingress, model, stream):
    image = png_data_url()
    text = "what is in this picture?"
    answer = conformance.driver(ingress).ask(model, [user(text, image=image)], stream=stream)
    entry = assert_text_answer(conformance, ingress, model, stream, answer, last_user=text, prompt_words=words(text))
    # The journal keeps the body's size, not the body: the image's base64 must be in there.
    assert entry["body_bytes"] > len(image.split(",", 1)[1])


@matrix()
def test_stop_sequences(conformance, ingress, model, stream):
    text = "alpha beta STOP gamma"
    driver = conformance.driver(ingress)
    if ingress == "responses" and (ingress, model) not in NATIVE:
        # The Responses API has no stop sequences: a translated route refuses the unknown field.
        with pytest.raises(driver.BadRequestError) as raised:
            driver.ask(model, [user(text)], stop=["STOP"], stream=stream)
        _, message = driver.error_message(raised.value.response.json())
        assert message.startswith("stop: unknown field"), message
        assert conformance.upstream.requests() == []
        return
    answer = driver.ask(model, [user(text)], stop=["STOP"], stream=stream)
    assert_reached_upstream(conformance.upstream, ingress, model, stream)
    if model == "gpt-mock":
        # Forwarded to the OpenAI-format upstream, which decides; the mock's chat and
        # responses routes ignore stop sequences.
        assert answer.text == answer_text(text)
        return
    assert answer.text == "mock: alpha beta"
    assert driver.usage_numbers(answer.usage)[1] == words("mock: alpha beta")
    if ingress == "messages":
        if (ingress, model) in NATIVE:
            assert (answer.finish, answer.raw.stop_sequence) == ("stop_sequence", "STOP")
        else:  # documented approximation: the canonical finish does not say which sequence matched
            assert (answer.finish, answer.raw.stop_sequence) == ("end_turn", None)
    else:
        assert answer.finish == FINISH[ingress]["text"]


@matrix(ingresses=["chat"], modes=["stream"])
def test_chat_stream_without_include_usage_has_no_usage(conformance, ingress, model, stream):
    answer = conformance.driver(ingress).ask(model, [user("no usage please")], stream=True, include_usage=False)
    assert answer.text == answer_text("no usage please")
    assert answer.usage is None


@matrix(models=["claude-mock-cache", "gemini-mock-cache"])
def test_cache_read_tokens_show_as_cached(conformance, ingress, model, stream):
    # x-mock-cache-read: 3 on the provider instance; 5 prompt words, 3 of them read from cache.
    text = "one two three four five"
    driver = conformance.driver(ingress)
    answer = driver.ask(model, [user(text)], stream=stream)
    assert answer.text == answer_text(text)
    assert driver.usage_numbers(answer.usage) == (5, words(answer_text(text)), 3)
    if ingress == "messages":  # Anthropic's shape counts cache reads apart from input_tokens
        assert (answer.usage.input_tokens, answer.usage.cache_read_input_tokens) == (2, 3)
    elif ingress == "chat":
        assert (answer.usage.prompt_tokens, answer.usage.prompt_tokens_details.cached_tokens) == (5, 3)
    else:
        assert (answer.usage.input_tokens, answer.usage.input_tokens_details.cached_tokens) == (5, 3)
