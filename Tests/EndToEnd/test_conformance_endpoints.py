"""Cross-provider conformance, the endpoints beside generation: /v1/messages/count_tokens,
/v1/embeddings, and the Responses API's stored responses (GET / DELETE /v1/responses/{id},
previous_response_id), on every provider that serves them and as a clear 400 on those that
do not."""

import base64
import math
import struct

import anthropic
import openai
import pytest

from conformance_support import answer_text, assert_reached_upstream, user, words

SYSTEM = "count these words too"
TURNS = [
    {"role": "user", "content": "my name is Ann"},
    {"role": "assistant", "content": "hello Ann"},
    {"role": "user", "content": "what is my name?"},
]
TURN_WORDS = words(SYSTEM) + sum(words(t["content"]) for t in TURNS)


# --- count_tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["claude-mock", "gemini-mock"])
def test_count_tokens(conformance, model):
    client = conformance.driver("messages").client
    counted = client.messages.count_tokens(model=model, system=SYSTEM, messages=TURNS)
    assert counted.input_tokens == TURN_WORDS
    path = conformance.upstream.only_request()["path"]
    assert path == ("/v1/messages/count_tokens" if model == "claude-mock" else f"/v1beta/models/{model}:countTokens")


def test_count_tokens_on_a_provider_without_a_counter_is_a_400(conformance):
    client = conformance.driver("messages").client
    with pytest.raises(anthropic.BadRequestError) as raised:
        client.messages.count_tokens(model="gpt-mock", messages=TURNS)
    body = raised.value.response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "cannot serve count_tokens requests" in body["error"]["message"]
    assert conformance.upstream.requests() == []


# --- embeddings -------------------------------------------------------------------------------

EMBED_TEXTS = ["the quick brown fox", "jumps over"]


def embed(conformance, model, encoding_format, texts=EMBED_TEXTS):
    client = conformance.driver("chat").client
    kwargs = {} if encoding_format == "sdk-default" else {"encoding_format": encoding_format}
    return client.embeddings.create(model=model, input=texts, **kwargs)


def as_floats(embedding):
    """A float list, or the base64 of little-endian float32s, as floats."""
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding)
        return list(struct.unpack(f"<{len(raw) // 4}f", raw))
    return list(embedding)


@pytest.mark.parametrize("encoding_format", ["float", "base64", "sdk-default"])
@pytest.mark.parametrize("model", ["gpt-mock", "gemini-mock"])
def test_embeddings(conformance, model, encoding_format):
    # sdk-default: the openai SDK asks for base64 and decodes it to floats itself.
    result = embed(conformance, model, encoding_format)
    assert [item.index for item in result.data] == [0, 1]
    for item in result.data:
        vector = as_floats(item.embedding)
        assert len(vector) == 8
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-5)
        if encoding_format == "base64":
            assert isinstance(item.embedding, str)
    expected_prompt = sum(words(t) for t in EMBED_TEXTS) if model == "gpt-mock" else 0  # Gemini reports no counts
    assert result.usage.prompt_tokens == expected_prompt
    path = conformance.upstream.only_request()["path"]
    assert path == ("/v1/embeddings" if model == "gpt-mock" else f"/v1beta/models/{model}:batchEmbedContents")


def test_embeddings_agree_across_providers_and_formats(conformance):
    # The mock's vector is a function of the text only: every provider and encoding must
    # deliver the same numbers (up to float32).
    vectors = [
        [as_floats(item.embedding) for item in embed(conformance, model, fmt).data]
        for model in ("gpt-mock", "gemini-mock")
        for fmt in ("float", "base64")
    ]
    for other in vectors[1:]:
        for a, b in zip(vectors[0], other):
            assert all(math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-7) for x, y in zip(a, b))


@pytest.mark.parametrize("model", ["gpt-mock", "gemini-mock"])
def test_single_string_embedding_with_dimensions(conformance, model):
    client = conformance.driver("chat").client
    result = client.embeddings.create(model=model, input="one text", dimensions=16, encoding_format="float")
    assert len(result.data) == 1 and len(result.data[0].embedding) == 16
    path = conformance.upstream.only_request()["path"]
    assert path == ("/v1/embeddings" if model == "gpt-mock" else f"/v1beta/models/{model}:embedContent")


def test_embeddings_on_a_provider_without_them_is_a_400(conformance):
    with pytest.raises(openai.BadRequestError) as raised:
        embed(conformance, "claude-mock", "float")
    assert "cannot serve embeddings requests" in raised.value.message
    assert conformance.upstream.requests() == []


# --- stored responses -------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("model", ["gpt-mock", "claude-mock", "gemini-mock"])
def test_stored_response_get_and_delete(conformance, model, stream):
    driver = conformance.driver("responses")
    created = driver.ask(model, [user("remember this")], stream=stream).raw
    fetched = driver.client.responses.retrieve(created.id)
    assert fetched.id == created.id
    assert fetched.output_text == answer_text("remember this")
    assert fetched.usage.input_tokens == created.usage.input_tokens

    deleted = driver.client.responses.with_raw_response.delete(created.id)
    assert deleted.http_response.json() == {"id": created.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        driver.client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        driver.client.responses.delete(created.id)


@pytest.mark.parametrize("model", ["gpt-mock", "claude-mock"])
def test_store_false_is_not_stored(conformance, model):
    driver = conformance.driver("responses")
    created = driver.ask(model, [user("forget this")], store=False).raw
    with pytest.raises(openai.NotFoundError):
        driver.client.responses.retrieve(created.id)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("model", ["claude-mock", "gemini-mock"])
def test_previous_response_id_continues_the_conversation(conformance, model, stream):
    # Translated route: the gateway keeps the conversation and sends it all upstream again,
    # so the second prompt counts the first question, the first answer and the new question.
    driver = conformance.driver("responses")
    first = driver.ask(model, [user("my name is Ann")], stream=stream).raw
    conformance.upstream.clear()
    second = driver.ask(model, [user("what is my name?")], previous_response_id=first.id, stream=stream)
    assert second.text == answer_text("what is my name?")
    assert second.raw.previous_response_id == first.id
    prompt = words("my name is Ann") + words(answer_text("my name is Ann")) + words("what is my name?")
    assert driver.usage_numbers(second.usage)[0] == prompt
    assert_reached_upstream(conformance.upstream, "responses", model, stream)
    # And the chain goes on from the second response.
    third = driver.ask(model, [user("and again?")], previous_response_id=second.raw.id)
    assert driver.usage_numbers(third.usage)[0] == prompt + words(answer_text("what is my name?")) + words("and again?")


def test_previous_response_id_native_is_forwarded(conformance):
    # Native route (gpt-mock speaks the Responses API): the id goes upstream as is.
    driver = conformance.driver("responses")
    first = driver.ask("gpt-mock", [user("my name is Ann")]).raw
    second = driver.ask("gpt-mock", [user("what is my name?")], previous_response_id=first.id)
    assert second.text == answer_text("what is my name?")
    assert second.raw.previous_response_id == first.id


def test_native_response_cannot_be_continued_on_a_translated_route(conformance):
    driver = conformance.driver("responses")
    first = driver.ask("gpt-mock", [user("my name is Ann")]).raw
    conformance.upstream.clear()
    with pytest.raises(openai.BadRequestError) as raised:
        driver.ask("claude-mock", [user("what is my name?")], previous_response_id=first.id)
    assert "can only be continued there" in raised.value.message
    assert raised.value.param == "previous_response_id"
    assert conformance.upstream.requests() == []


def test_unknown_previous_response_id_is_a_400(conformance):
    driver = conformance.driver("responses")
    with pytest.raises(openai.BadRequestError) as raised:
        driver.ask("claude-mock", [user("hi")], previous_response_id="resp_does_not_exist")
    assert "not found" in raised.value.message
    assert conformance.upstream.requests() == []
