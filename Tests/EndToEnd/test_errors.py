"""Every bad input gets a clear OpenAI-shaped error with the right status, through the SDK where
the SDK can send it, and as raw HTTP where it cannot (malformed JSON, bad UTF-8)."""

import http.client
import json

import openai
import pytest


def raw_post(port, body: bytes, content_type="application/json", path="/v1/chat/completions"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", path, body=body, headers={"Content-Type": content_type})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), payload


def assert_openai_error(payload: bytes, code: str):
    error = json.loads(payload)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code, error
    assert error["message"]
    return error


def test_unknown_model_is_404_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert raised.value.status_code == 404
    assert raised.value.code == "model_not_found"
    assert "no-such-model" in raised.value.message


def test_malformed_json_is_400(gateway_port):
    status, _, payload = raw_post(gateway_port, b'{"model": "echo-1", "messages": [')
    assert status == 400
    error = assert_openai_error(payload, "invalid_json")
    assert error["type"] == "invalid_request_error"


def test_invalid_utf8_is_400(gateway_port):
    body = b'{"model": "echo-1", "messages": [{"role": "user", "content": "caf\xe9"}]}'
    status, _, payload = raw_post(gateway_port, body)
    assert status == 400
    assert_openai_error(payload, "invalid_utf8")


def test_wrong_types_are_400_naming_the_parameter(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="echo-1", messages="not a list")
    assert raised.value.param == "messages"


def test_oversize_body_is_413(client):
    with pytest.raises(openai.APIStatusError) as raised:
        client.chat.completions.create(model="echo-1", messages=[{"role": "user", "content": "x" * 100_000}])
    assert raised.value.status_code == 413


def test_upstream_rate_limit_keeps_status_and_retry_after(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model="ratelimited-model", messages=[{"role": "user", "content": "x"}])
    assert raised.value.status_code == 429
    assert raised.value.response.headers.get("retry-after") == "1"


def test_upstream_cut_mid_stream_reaches_the_client_as_an_error(client):
    stream = client.chat.completions.create(
        model="cut-model", messages=[{"role": "user", "content": "one two three four five six"}], stream=True
    )
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


def test_unknown_route_is_404_and_wrong_method_405(gateway_port):
    status, _, payload = raw_post(gateway_port, b"{}", path="/v1/nothing-here")
    assert status == 404
    assert_openai_error(payload, "unknown_url")
    status, headers, payload = raw_post(gateway_port, b"{}", path="/v1/models")
    assert status == 405
    assert headers.get("Allow") == "GET"
    assert_openai_error(payload, "method_not_allowed")


def assert_anthropic_error(payload: bytes, error_type: str):
    body = json.loads(payload)
    assert body["type"] == "error", body
    assert body["error"]["type"] == error_type, body
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_messages_routes_answer_bad_input_in_anthropics_shape(gateway_port, path):
    status, _, payload = raw_post(gateway_port, b'{"model": "echo-1", "messages": [', path=path)
    assert status == 400
    assert_anthropic_error(payload, "invalid_request_error")
    status, _, payload = raw_post(gateway_port, json.dumps({"model": "no-such-model", "max_tokens": 5, "messages": []}).encode(), path=path)
    assert status == 404
    assert "no-such-model" in assert_anthropic_error(payload, "not_found_error")["message"]
    status, _, payload = raw_post(gateway_port, b'{"model": "echo-1", "max_tokens": 5, "messages": [{"role": "user", "content": "\xff"}]}', path=path)
    assert status == 400
    assert_anthropic_error(payload, "invalid_request_error")


def test_messages_without_max_tokens_names_the_field(gateway_port):
    status, _, payload = raw_post(gateway_port, json.dumps({"model": "echo-1", "messages": [{"role": "user", "content": "x"}]}).encode(), path="/v1/messages")
    assert status == 400
    assert "max_tokens" in assert_anthropic_error(payload, "invalid_request_error")["message"]


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/embeddings"])
def test_openai_routes_answer_bad_input_in_openais_shape(gateway_port, path):
    status, _, payload = raw_post(gateway_port, b'{"model": ', path=path)
    assert status == 400
    assert_openai_error(payload, "invalid_json")
    status, _, payload = raw_post(gateway_port, json.dumps({"input": "x"}).encode(), path=path)
    assert status == 400
    assert_openai_error(payload, "missing_required_parameter")


def test_embeddings_need_an_input_and_a_provider_that_embeds(gateway_port):
    status, _, payload = raw_post(gateway_port, json.dumps({"model": "echo-1"}).encode(), path="/v1/embeddings")
    assert status == 400
    assert assert_openai_error(payload, "missing_required_parameter")["param"] == "input"
    status, _, payload = raw_post(gateway_port, json.dumps({"model": "echo-1", "input": "x"}).encode(), path="/v1/embeddings")
    assert status == 400
    assert "embeddings" in assert_openai_error(payload, "unsupported_model_operation")["message"]


def test_unknown_stored_response_is_404(gateway_port):
    for method in ("GET", "DELETE"):
        connection = http.client.HTTPConnection("127.0.0.1", gateway_port, timeout=10)
        connection.request(method, "/v1/responses/resp_nope")
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        assert response.status == 404
        assert_openai_error(payload, "not_found")


def test_oversize_body_on_messages_is_a_413_in_anthropics_shape(gateway_port):
    # The server refuses it from the Content-Length alone, before any route runs; the answer
    # still takes the shape of the route the client called.
    body = json.dumps({"model": "echo-1", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 70000}]}).encode()
    status, _, payload = raw_post(gateway_port, body, path="/v1/messages")
    assert status == 413
    assert "larger than the limit" in assert_anthropic_error(payload, "request_too_large")["message"]
    status, _, payload = raw_post(gateway_port, body, path="/v1/chat/completions")
    assert status == 413
    assert_openai_error(payload, "body_too_large")
