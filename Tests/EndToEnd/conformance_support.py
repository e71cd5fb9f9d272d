"""Shared pieces of the cross-provider conformance suite (test_conformance_*.py): the gateway
config, one driver per ingress that speaks through that ingress's official SDK and reduces the
answer to the same neutral shape, the mock's request journal, and the word arithmetic the mock
answers by (docs/mock-upstream.md: content = "mock: " + last user text, tokens = words).

Conversations are written once, in a neutral form, and each driver renders them in its
ingress's wire format:
    {"role": "user", "text": str, "image": data_url?}
    {"role": "assistant", "text": str}
    {"role": "assistant", "tool_call": ToolCall}
    {"role": "tool", "call_id": str, "content": str}
"""

import base64
import json
import os
import random
import struct
import textwrap
import urllib.request
import zlib
from dataclasses import dataclass, field

import anthropic
import openai
import pytest

INGRESSES = ["chat", "messages", "responses"]
MODELS = ["gpt-mock", "claude-mock", "gemini-mock"]
PROVIDER_OF = {"gpt-mock": "oai", "claude-mock": "claude", "gemini-mock": "gem"}
# Providers that declare an ingress natively: the body is forwarded, not translated.
NATIVE = {("messages", "claude-mock"), ("responses", "gpt-mock")}

# Knob variants: the same plugin, with mock headers turned on (docs/mock-upstream.md, Knobs).
KNOB_VARIANTS = {
    "429": {"x-mock-status": "429"},
    "cache": {"x-mock-cache-read": "3"},
    "streamerr": {"x-mock-stream-error": "1"},
}


def conformance_config(mock_port, bin_dir):
    """Three provider plugins (openai, anthropic, gemini) all pointed at the one mock, each with
    a plain instance and knob variants; model `<family>-mock[-<knob>]`."""
    plugin_dir = os.path.abspath(bin_dir)
    base = f"http://127.0.0.1:{mock_port}"
    plugins = {
        "oai": ("libProviderOpenAI.so", f"{base}/v1"),
        "claude": ("libProviderAnthropic.so", f"{base}/v1"),
        "gem": ("libProviderGemini.so", f"{base}/v1beta"),
    }
    model_of = {"oai": "gpt-mock", "claude": "claude-mock", "gem": "gemini-mock"}
    plugin_lines, provider_lines = [], []
    for name, (library, url) in plugins.items():
        for knob, headers in [("", {})] + list(KNOB_VARIANTS.items()):
            if knob in ("cache", "streamerr") and name == "oai":
                continue  # the mock's chat route reads neither knob
            instance = f"{name}-{knob}" if knob else name
            plugin_lines += [
                f"  - name: {instance}",
                f"    path: {plugin_dir}/{library}",
                "    config:",
                f"      base_url: {url}",
                "      api_key_env: null",
            ]
            if headers:
                plugin_lines.append("      headers:")
                plugin_lines += [f'        {key}: "{value}"' for key, value in headers.items()]
            model = f"{model_of[name]}-{knob}" if knob else model_of[name]
            provider_lines += [f"  - name: {instance}", f"    plugin: {instance}", f"    models: [{model}]"]
    return (
        textwrap.dedent(
            """\
            server:
              host: 127.0.0.1
              port: 0
              loops: 2
              max_body_bytes: 1MiB
              shutdown_grace: 5s
              upstream_connect_timeout: 2s
              upstream_timeout: 10s
            """
        )
        + "plugins:\n"
        + "\n".join(plugin_lines)
        + "\nproviders:\n"
        + "\n".join(provider_lines)
        + "\n"
    )


# ---------------------------------------------------------------------------------------------
# The mock's arithmetic


def words(text):
    """The mock's token count: runs of non-spaces."""
    return len(text.split())


def answer_text(user_text):
    return "mock: " + user_text


TOOL_CALL_TOKENS = 8  # what the mock charges for a tool call
WEATHER_QUESTION = "what is the weather in Paris?"
TOOL_RESULT = "sunny"  # one word in every format (Gemini wraps it as {"result":"sunny"})
FOLLOW_UP = "and tomorrow?"  # no "weather": the answer is text even with tools offered

TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather for a city"
TOOL_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def png_data_url(side=48, seed=7):
    """A real PNG of noise (so it does not compress away), as a base64 data URL."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(side * 3)) for _ in range(side))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


# ---------------------------------------------------------------------------------------------
# The upstream journal


class Upstream:
    """The mock's request journal (GET/DELETE /_mock/requests). Tests run one at a time, so
    clearing it before a request leaves exactly what the gateway sent for that request."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}/_mock/requests"

    def clear(self):
        urllib.request.urlopen(urllib.request.Request(self.base, method="DELETE"), timeout=5).read()

    def requests(self):
        with urllib.request.urlopen(self.base, timeout=5) as response:
            return json.loads(response.read())

    def only_request(self):
        seen = self.requests()
        assert len(seen) == 1, f"expected one upstream request, got {[(r['method'], r['path']) for r in seen]}"
        return seen[0]


def upstream_path(ingress, model, stream):
    """Where the mock must have been called, i.e. which wire format the gateway spoke."""
    family = model.split("-")[0]
    if family == "gpt":
        return "/v1/responses" if ingress == "responses" else "/v1/chat/completions"
    if family == "claude":
        return "/v1/messages"
    return f"/v1beta/models/{model}:" + ("streamGenerateContent" if stream else "generateContent")


def assert_reached_upstream(upstream, ingress, model, stream):
    entry = upstream.only_request()
    assert entry["method"] == "POST"
    assert entry["path"].split("?")[0] == upstream_path(ingress, model, stream), entry["path"]
    assert entry["model"] == model
    if model.startswith("claude"):
        assert entry["headers"].get("anthropic-version"), entry["headers"]
    return entry


# ---------------------------------------------------------------------------------------------
# One neutral answer


@dataclass
class ToolCall:
    name: str
    arguments: dict
    id: str


@dataclass
class Answer:
    text: str  # "" when the answer has no text
    tool_calls: list = field(default_factory=list)
    finish: str = ""  # finish_reason / stop_reason / status, as the ingress says it
    usage: object = None  # the ingress's own usage object (None when absent)
    raw: object = None


# ---------------------------------------------------------------------------------------------
# Drivers: one per ingress, each through its official SDK and the SDK's stream helpers


class ChatDriver:
    """POST /v1/chat/completions with openai.OpenAI; streams reassembled by
    client.chat.completions.stream(...).get_final_completion()."""

    name = "chat"
    RateLimitError = openai.RateLimitError
    BadRequestError = openai.BadRequestError

    def __init__(self, port):
        self.client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="client-key", max_retries=0, timeout=15)

    @staticmethod
    def messages(turns, system=None):
        out = [{"role": "system", "content": system}] if system else []
        for turn in turns:
            if turn["role"] == "user":
                content = turn["text"]
                if turn.get("image"):
                    content = [{"type": "text", "text": turn["text"]}, {"type": "image_url", "image_url": {"url": turn["image"]}}]
                out.append({"role": "user", "content": content})
            elif turn["role"] == "assistant" and "tool_call" in turn:
                call = turn["tool_call"]
                out.append({
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": call.id, "type": "function",
                                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}],
                })
            elif turn["role"] == "assistant":
                out.append({"role": "assistant", "content": turn["text"]})
            else:
                out.append({"role": "tool", "tool_call_id": turn["call_id"], "content": turn["content"]})
        return out

    def ask(self, model, turns, *, system=None, weather_tool=False, stop=None, stream=False, include_usage=True, **extra):
        kwargs = dict(model=model, messages=self.messages(turns, system), **extra)
        if weather_tool:
            kwargs["tools"] = [{"type": "function", "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA}}]
        if stop:
            kwargs["stop"] = stop
        if stream:
            if include_usage:
                kwargs["stream_options"] = {"include_usage": True}
            with self.client.chat.completions.stream(**kwargs) as events:
                completion = events.get_final_completion()
        else:
            completion = self.client.chat.completions.create(**kwargs)
        choice = completion.choices[0]
        calls = [ToolCall(c.function.name, json.loads(c.function.arguments), c.id) for c in choice.message.tool_calls or []]
        return Answer(choice.message.content or "", calls, choice.finish_reason, completion.usage, completion)

    @staticmethod
    def usage_numbers(usage):
        """(input incl. cached, output, cached) from a chat usage object."""
        details = usage.prompt_tokens_details
        cached = (details.cached_tokens or 0) if details else 0
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
        return usage.prompt_tokens, usage.completion_tokens, cached

    @staticmethod
    def error_message(body):
        assert set(body) == {"error"} and {"message", "type"} <= set(body["error"]), body
        return body["error"]["type"], body["error"]["message"]


class MessagesDriver:
    """POST /v1/messages with anthropic.Anthropic; streams reassembled by
    client.messages.stream(...).get_final_message()."""

    name = "messages"
    RateLimitError = anthropic.RateLimitError
    BadRequestError = anthropic.BadRequestError
    MAX_TOKENS = 256

    def __init__(self, port):
        self.client = anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="client-key", max_retries=0, timeout=15)

    @staticmethod
    def messages(turns):
        out = []
        for turn in turns:
            if turn["role"] == "user":
                content = turn["text"]
                if turn.get("image"):
                    media_type, data = turn["image"][len("data:"):].split(";base64,")
                    content = [{"type": "text", "text": turn["text"]},
                               {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}]
                # A tool result and the user text after it share one user turn (Anthropic's rule).
                if out and out[-1]["role"] == "user" and any(
                    isinstance(block, dict) and block.get("type") == "tool_result" for block in out[-1]["content"]
                ):
                    out[-1]["content"] += [{"type": "text", "text": content}] if isinstance(content, str) else content
                else:
                    out.append({"role": "user", "content": content})
            elif turn["role"] == "assistant" and "tool_call" in turn:
                call = turn["tool_call"]
                out.append({"role": "assistant", "content": [{"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}]})
            elif turn["role"] == "assistant":
                out.append({"role": "assistant", "content": turn["text"]})
            else:
                out.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": turn["call_id"], "content": turn["content"]}]})
        return out

    def ask(self, model, turns, *, system=None, weather_tool=False, stop=None, stream=False, include_usage=True, **extra):
        kwargs = dict(model=model, max_tokens=self.MAX_TOKENS, messages=self.messages(turns), **extra)
        if system:
            kwargs["system"] = system
        if weather_tool:
            kwargs["tools"] = [{"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": TOOL_SCHEMA}]
        if stop:
            kwargs["stop_sequences"] = stop
        if stream:
            with self.client.messages.stream(**kwargs) as events:
                message = events.get_final_message()
        else:
            message = self.client.messages.create(**kwargs)
        text = "".join(block.text for block in message.content if block.type == "text")
        calls = [ToolCall(block.name, block.input, block.id) for block in message.content if block.type == "tool_use"]
        return Answer(text, calls, message.stop_reason, message.usage, message)

    @staticmethod
    def usage_numbers(usage):
        """(input incl. cached, output, cached): Anthropic reports cache reads apart."""
        cached = usage.cache_read_input_tokens or 0
        return usage.input_tokens + cached + (usage.cache_creation_input_tokens or 0), usage.output_tokens, cached

    @staticmethod
    def error_message(body):
        assert body.get("type") == "error" and {"type", "message"} <= set(body["error"]), body
        return body["error"]["type"], body["error"]["message"]


class ResponsesDriver:
    """POST /v1/responses with openai.OpenAI; streams reassembled by
    client.responses.stream(...).get_final_response()."""

    name = "responses"
    RateLimitError = openai.RateLimitError
    BadRequestError = openai.BadRequestError

    def __init__(self, port):
        self.client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="client-key", max_retries=0, timeout=15)

    @staticmethod
    def items(turns):
        out = []
        for turn in turns:
            if turn["role"] == "user":
                content = turn["text"]
                if turn.get("image"):
                    content = [{"type": "input_text", "text": turn["text"]},
                               {"type": "input_image", "image_url": turn["image"], "detail": "auto"}]
                out.append({"role": "user", "content": content})
            elif turn["role"] == "assistant" and "tool_call" in turn:
                call = turn["tool_call"]
                out.append({"type": "function_call", "call_id": call.id, "name": call.name, "arguments": json.dumps(call.arguments)})
            elif turn["role"] == "assistant":
                out.append({"role": "assistant", "content": turn["text"]})
            else:
                out.append({"type": "function_call_output", "call_id": turn["call_id"], "output": turn["content"]})
        return out

    def ask(self, model, turns, *, system=None, weather_tool=False, stop=None, stream=False, include_usage=True, **extra):
        kwargs = dict(model=model, input=self.items(turns), **extra)
        if system:
            kwargs["instructions"] = system
        if weather_tool:
            kwargs["tools"] = [{"type": "function", "name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA}]
        if stop:  # the Responses API has no stop sequences: sent as an extra field
            kwargs["extra_body"] = {**kwargs.get("extra_body", {}), "stop": stop}
        if stream:
            with self.client.responses.stream(**kwargs) as events:
                response = events.get_final_response()
        else:
            response = self.client.responses.create(**kwargs)
        calls = [ToolCall(item.name, json.loads(item.arguments), item.call_id) for item in response.output if item.type == "function_call"]
        return Answer(response.output_text or "", calls, response.status, response.usage, response)

    @staticmethod
    def usage_numbers(usage):
        details = usage.input_tokens_details
        cached = (details.cached_tokens or 0) if details else 0
        assert usage.total_tokens == usage.input_tokens + usage.output_tokens
        return usage.input_tokens, usage.output_tokens, cached

    error_message = staticmethod(ChatDriver.error_message)


DRIVERS = {"chat": ChatDriver, "messages": MessagesDriver, "responses": ResponsesDriver}

# What each ingress calls a plain finish, a tool-call finish and a stop-sequence finish.
FINISH = {
    "chat": {"text": "stop", "tool": "tool_calls"},
    "messages": {"text": "end_turn", "tool": "tool_use"},
    "responses": {"text": "completed", "tool": "completed"},
}


class Conformance:
    """What a conformance test gets: a driver per ingress, the mock's journal (cleared), and
    the gateway's port for raw HTTP."""

    def __init__(self, gateway_port, mock_port):
        self.port = gateway_port
        self.upstream = Upstream(mock_port)
        self.drivers = {name: cls(gateway_port) for name, cls in DRIVERS.items()}

    def driver(self, ingress):
        return self.drivers[ingress]


def matrix(*, modes=("whole", "stream"), ingresses=INGRESSES, models=MODELS):
    """parametrize ingress × model × mode, with readable ids (chat-claude-mock-stream)."""
    cases = [(i, m, mode == "stream") for i in ingresses for m in models for mode in modes]
    return pytest.mark.parametrize(
        "ingress,model,stream", cases, ids=[f"{i}-{m}-{'stream' if s else 'whole'}" for i, m, s in cases]
    )


def user(text, image=None):
    turn = {"role": "user", "text": text}
    if image:
        turn["image"] = image
    return turn
