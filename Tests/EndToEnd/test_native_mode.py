"""The plan and the access log say how each request was served: `mode=native` when the provider
took the client's own format (Anthropic messages on the anthropic provider, Responses on openai),
`translated` when the host translated it to the canonical chat form, and always `translated` on
a guarded request (guardrails see the canonical form: decision 0012)."""

import re


from test_guardrails import BLOCKLIST, config, library, native
from test_slow_hooks import gateway  # noqa: F401 - fixture


def modes(gw, count):
    gw.wait_for_log(rf"(?s)(msg=request .*){{{count}}}")
    return [(m.group(1), m.group(2)) for m in re.finditer(r"msg=request .*? model=(\S+) .*? mode=(\w+) ", gw.log())]


def test_the_access_log_says_whether_the_provider_took_the_clients_format(gateway, mock_port):
    claude = {"base_url": f"http://127.0.0.1:{mock_port}/v1", "api_key_env": None}
    providers = [{"name": "oai", "plugin": "mock", "models": ["gpt-mock"]},
                 {"name": "claude", "plugin": "claude", "models": ["claude-mock", "claude-guarded"]}]
    gw = gateway(config([{"plugin": "blocklist", "applies_to": {"models": ["claude-guarded"]}}],
                        {"claude": ("ProviderAnthropic", claude), "blocklist": BLOCKLIST}, providers, mock_port))
    hello = [{"role": "user", "content": "hello"}]
    native(gw).messages.create(model="claude-mock", max_tokens=16, messages=hello)
    native(gw).messages.create(model="gpt-mock", max_tokens=16, messages=hello)
    gw.client().responses.create(model="gpt-mock", input="hello")
    gw.client().chat.completions.create(model="claude-mock", messages=hello)
    native(gw).messages.create(model="claude-guarded", max_tokens=16, messages=hello)
    assert modes(gw, 5) == [("claude-mock", "native"), ("gpt-mock", "translated"), ("gpt-mock", "native"),
                            ("claude-mock", "translated"), ("claude-guarded", "translated")]
