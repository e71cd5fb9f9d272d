"""Chat completions through the gateway with the official openai SDK: in-process (echo plugin)
and through the openai provider plugin to the mock upstream, whole and streamed."""

import json
import urllib.request

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_echo_answers_with_the_last_user_message(client):
    completion = client.chat.completions.create(
        model="echo-1",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "hello from the sdk"},
        ],
    )
    assert completion.choices[0].message.content == "hello from the sdk"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "echo-1"
    assert completion.usage.completion_tokens == 4


def test_echo_streams_word_by_word_with_usage(client):
    stream = client.chat.completions.create(
        model="echo-1",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert pieces == ["one", " two", " three"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in chunks)


def test_openai_plugin_forwards_to_the_upstream(client):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello upstream"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "mock: hello upstream"
    assert completion.usage.total_tokens > 0
    assert raw.headers["x-switchyard-provider"] == "mock"
    assert raw.headers["x-switchyard-model"] == "gpt-4o-mini"
    assert raw.headers["x-request-id"]
    assert int(raw.headers["x-switchyard-overhead-us"]) >= 0


def test_upstream_sees_the_plugin_configured_credentials(client, mock_port):
    client.chat.completions.create(model="mock-model", messages=[{"role": "user", "content": "who am i"}])
    with urllib.request.urlopen(f"http://127.0.0.1:{mock_port}/_mock/requests", timeout=5) as response:
        seen = json.loads(response.read())
    assert any(r.get("authorization") == "Bearer sk-e2e-upstream-key" for r in seen)


def test_alias_resolves_to_a_served_model(client):
    raw = client.chat.completions.with_raw_response.create(
        model="fast", messages=[{"role": "user", "content": "via alias"}]
    )
    assert raw.headers["x-switchyard-model"] == "gpt-4o-mini"
    assert raw.parse().choices[0].message.content == "mock: via alias"


def test_stream_through_the_upstream_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "stream me please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "mock: stream me please"
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens > 0


def test_stream_helper_reassembles_content(client):
    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "assembled by the sdk"}]
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "mock: assembled by the sdk"


def test_tool_calls_whole(client):
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "what is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_tool_calls_streamed_and_reassembled_by_the_sdk(client):
    with client.chat.completions.stream(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "weather in Paris please"}],
        tools=[WEATHER_TOOL],
    ) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert final.choices[0].finish_reason == "tool_calls"


def test_n_choices_and_response_format_pass_through(client):
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "twice"}],
        n=2,
        response_format={"type": "json_object"},
    )
    assert [c.index for c in completion.choices] == [0, 1]
    assert all(c.message.content == "mock: twice" for c in completion.choices)


def test_failover_to_the_next_provider_when_the_first_is_unreachable(client):
    raw = client.chat.completions.with_raw_response.create(
        model="failover-model", messages=[{"role": "user", "content": "survive"}]
    )
    assert raw.parse().choices[0].message.content == "mock: survive"
    assert raw.headers["x-switchyard-provider"] == "mock"
    assert raw.headers["x-switchyard-attempts"] == "2"


def test_models_lists_served_models_and_aliases(client):
    ids = {model.id for model in client.models.list()}
    assert {"echo-1", "gpt-4o-mini", "mock-model", "fast"} <= ids


def test_request_id_is_echoed(client):
    raw = client.chat.completions.with_raw_response.create(
        model="echo-1", messages=[{"role": "user", "content": "id"}], extra_headers={"X-Request-ID": "e2e-req-42"}
    )
    assert raw.headers["x-request-id"] == "e2e-req-42"
