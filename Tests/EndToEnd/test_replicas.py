"""Two replicas sharing keys, rate limits and budgets through one real redis-server
(docs/governance.md#redis-replicas): two real gateway processes, each with its own data folder,
the same Redis and the same master key, the official SDKs with a virtual key as clients. A key
made on one replica works on the other; a limit or a budget holds across both combined; a key
revoked on one is refused by the other within `redis.key_cache`; Redis killed mid-run follows
`on_unavailable` (fail_open: each replica's own counters; fail_closed: 503 in both error
shapes), and once Redis is back the replicas share again."""

import time
import urllib.request

import anthropic
import openai
import pytest

from conftest import log_line, mock_port  # noqa: F401 (the session's mock upstream)
from governance_support import MASTER_KEY as MASTER, INPUT_PRICE, OUTPUT_PRICE, clear_mock, governance_config, mock_faults
from test_keys import Gateway as KeysGateway

KEY_CACHE = 2.0


def config_text(folder, mock_port, redis_address, policy):
    """The budgets tests' gateway (the mock upstream, its prices, the master key) with `redis:`."""
    return governance_config(mock_port, f"""
        store:
          path: {folder}/switchyard.db
        redis:
          address: {redis_address}
          timeout: 250ms
          on_unavailable: {policy}
          key_cache: {int(KEY_CACHE)}s
        budgets:
          default_output_tokens: 5
          users: {{bob: {{limit: 0.2, period: daily}}}}
        rate_limits:
          models: {{mock-model: {{rpm: 100000}}}}
        """)


class Replica(KeysGateway):
    """`switchyard serve` with its own folder (config, store, log), the master key in the
    environment (test_keys.py's gateway), the mock's model."""

    def __init__(self, folder, mock_port, redis_address, policy="fail_open"):
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(folder, config_text(folder, mock_port, redis_address, policy), master=MASTER)

    def call(self, method, path, body=None, key=MASTER, headers=None):
        return super().call(method, path, body, key, headers)

    def chat(self, key, content="hi", max_tokens=5):
        return self.openai(key).chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": content}], max_tokens=max_tokens)

    def message(self, key):
        return self.anthropic(key).messages.create(model="mock-model", max_tokens=5, messages=[{"role": "user", "content": "hi"}])

    def metric(self, name):
        """The sum of every series of `name` (0 when none)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            lines = response.read().decode().splitlines()
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith((name + " ", name + "{")))

    def budget(self, scope):
        status, body = self.call("GET", f"/admin/budgets?scope={scope}")
        assert status == 200, body
        return body["budgets"][0]


def works(replica, key):
    try:
        replica.chat(key)
        return True
    except (openai.AuthenticationError, openai.APIStatusError):
        return False


def wait_until(predicate, bound, step=0.05):
    """Seconds until `predicate()` held; fails past `bound` seconds."""
    started = time.monotonic()
    while time.monotonic() - started <= bound:
        if predicate():
            return time.monotonic() - started
        time.sleep(step)
    raise AssertionError(f"not within {bound} s")


def wait_shared(replica):
    """Until the replica has read the shared keys from Redis (its copy is trusted)."""
    log_line(replica.log_path, "keys: shared through redis", timeout=10)


@pytest.fixture()
def pair(tmp_path, redis_server, mock_port):
    clear_mock(mock_port)
    replicas = [Replica(tmp_path / name, mock_port, redis_server.address) for name in ("a", "b")]
    for replica in replicas:
        wait_shared(replica)
    yield replicas
    for replica in replicas:
        replica.stop()
    clear_mock(mock_port)


def test_a_key_made_on_one_replica_works_on_the_other_and_both_admin_apis_show_it(pair, redis_server):
    a, b = pair
    created = a.create(name="shared", user="alice", team="research", limits={"rpm": 100})
    assert a.chat(created["key"]).choices  # at once where it was made
    waited = wait_until(lambda: works(b, created["key"]), KEY_CACHE + 1)
    print(f"seen on the other replica after {waited:.2f} s")
    assert b.message(created["key"]).content
    status, shown = b.call("GET", f"/admin/keys/{created['id']}")
    assert status == 200 and shown["user"] == "alice" and shown["team"] == "research" and shown["limits"]["rpm"] == 100
    status, listed = b.call("GET", "/admin/keys")
    assert [key["id"] for key in listed["data"]] == [created["id"]]
    assert "key" not in shown and created["key"] not in redis_server.command("HGETALL", "sy:keys")  # never the secret
    assert "governance: keys, budgets and rate limits shared through redis" in a.log_path.read_text()


def test_a_change_made_on_the_other_replica_is_stored_there_too(pair):
    a, b = pair
    created = a.create(name="x")
    wait_until(lambda: works(b, created["key"]), KEY_CACHE + 1)
    status, changed = b.call("PATCH", f"/admin/keys/{created['id']}", {"name": "renamed"})
    assert status == 200 and changed["name"] == "renamed", changed
    wait_until(lambda: a.call("GET", f"/admin/keys/{created['id']}")[1]["name"] == "renamed", KEY_CACHE + 1)


def test_a_rate_limit_holds_across_both_replicas_combined(pair):
    a, b = pair
    limit = 6
    key = a.create(limits={"rpm": limit})["key"]
    wait_until(lambda: works(b, key), KEY_CACHE + 1)  # the probe counts: one of the six
    admitted, refused = 1, 0
    for index in range(limit + 4 - 1):
        replica = (a, b)[index % 2]
        try:
            replica.chat(key)
            admitted += 1
        except openai.RateLimitError as error:
            assert error.body["code"] == "rate_limit_exceeded" and f"{limit} requests per minute" in error.body["message"]
            refused += 1
    assert (admitted, refused) == (limit, 4)
    with pytest.raises(anthropic.RateLimitError):
        b.message(key)


def test_a_budget_holds_across_both_replicas_and_both_show_the_same_spend(pair):
    a, b = pair
    key = a.create(user="bob")["key"]  # bob: 0.20 USD a day (budgets.users)
    wait_until(lambda: works(b, key), KEY_CACHE + 1)
    scope = "user:bob"
    # works() spent a request; it settles just after its last bytes reach the client, so the
    # spend is read once nothing is reserved (read at once, it could still be the hold).
    wait_until(lambda: a.budget(scope)["reserved_micros"] == 0 == b.budget(scope)["reserved_micros"], 10)
    spent = a.budget(scope)["spent_micros"]
    answered, refusal = 0, None
    for index in range(200):
        replica = (a, b)[index % 2]
        try:
            response = replica.chat(key, content="four words of prompt", max_tokens=5)
            spent += response.usage.prompt_tokens * INPUT_PRICE + response.usage.completion_tokens * OUTPUT_PRICE
            answered += 1
        except openai.RateLimitError as error:
            refusal = error
            break
    assert refusal is not None and refusal.body["code"] == "budget_exceeded", refusal and refusal.body
    assert answered >= 10  # requests on both replicas counted against one budget
    for replica in (a, b):
        with pytest.raises(openai.RateLimitError) as refused:
            replica.chat(key)
        assert refused.value.response.headers["x-should-retry"] == "false"
    shown_a, shown_b = a.budget(scope), b.budget(scope)
    assert shown_a["spent_micros"] == shown_b["spent_micros"] == spent
    assert shown_a["reserved_micros"] == shown_b["reserved_micros"] == 0
    assert spent <= 200_000


def test_concurrency_holds_across_both_replicas(pair, mock_port):
    a, b = pair
    key = a.create(limits={"concurrency": 2})["key"]
    wait_until(lambda: works(b, key), KEY_CACHE + 1)
    mock_faults(mock_port, [{"chunk_delay_ms": 300}, {"chunk_delay_ms": 300}])
    streams = [replica.openai(key).chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "one two three four five"}], stream=True) for replica in (a, b)]
    for stream in streams:
        next(iter(stream))  # one in flight on each replica
    for replica in (a, b):
        with pytest.raises(openai.RateLimitError) as refused:
            replica.chat(key)
        assert "2 requests in flight" in refused.value.body["message"]
    for stream in streams:
        for _ in stream:
            pass
    a.chat(key)
    b.chat(key)


def test_a_key_revoked_on_one_replica_is_refused_by_the_other_within_key_cache(pair):
    a, b = pair
    created = a.create(name="revoked")
    key = created["key"]
    wait_until(lambda: works(b, key), KEY_CACHE + 1)
    timings = {}

    status, _ = a.call("PATCH", f"/admin/keys/{created['id']}", {"disabled": True})
    assert status == 200
    timings["disable"] = wait_until(lambda: not works(b, key), KEY_CACHE + 1)
    with pytest.raises(openai.AuthenticationError) as refused:
        b.chat(key)
    assert "disabled" in refused.value.body["message"]
    a.call("PATCH", f"/admin/keys/{created['id']}", {"disabled": False})
    wait_until(lambda: works(b, key), KEY_CACHE + 1)

    status, rotated = a.call("POST", f"/admin/keys/{created['id']}/rotate")
    assert status == 200
    timings["rotate"] = wait_until(lambda: not works(b, key), KEY_CACHE + 1)
    wait_until(lambda: works(b, rotated["key"]), KEY_CACHE + 1)

    status, _ = a.call("DELETE", f"/admin/keys/{created['id']}")
    assert status == 200
    timings["delete"] = wait_until(lambda: not works(b, rotated["key"]), KEY_CACHE + 1)
    assert b.call("GET", f"/admin/keys/{created['id']}")[0] == 404
    print("refused on the other replica after", {name: round(seconds, 2) for name, seconds in timings.items()})
    assert all(seconds <= KEY_CACHE + 1 for seconds in timings.values())


def test_redis_killed_fail_open_counts_per_replica_then_shares_again(pair, redis_server):
    a, b = pair
    limit = 3
    created = a.create(limits={"rpm": limit})
    key = created["key"]
    wait_until(lambda: works(b, key), KEY_CACHE + 1)  # one of the three, in Redis
    redis_server.stop()
    time.sleep(KEY_CACHE + 0.5)  # past key_cache: each replica answers from its own store
    # The key was made on A; B wrote it into its store when it read it from Redis: both answer
    # for it, each counting on its own from 0.
    for replica in (a, b):
        admitted = 0
        for _ in range(limit + 2):
            try:
                replica.chat(key)
                admitted += 1
            except openai.RateLimitError:
                pass
        assert admitted == limit
    assert a.metric("switchyard_redis_up") == 0
    assert a.metric("switchyard_governance_unavailable_total") >= limit + 2
    assert "governance: redis unavailable" in a.log_path.read_text()

    redis_server.start()  # empty: the replicas put their keys back before changes are taken again
    for replica in (a, b):
        wait_until(lambda replica=replica: replica.metric("switchyard_redis_up") == 1, 10)
    wait_until(lambda: redis_server.command("EXISTS", "sy:keys:version") == "1", KEY_CACHE + 1)
    assert redis_server.command("HEXISTS", "sy:keys", created["id"]) == "1"  # the key is back in Redis
    fresh = a.create(limits={"rpm": limit})["key"]
    wait_until(lambda: works(b, fresh), KEY_CACHE + 1)
    admitted = 1
    for index in range(limit + 2):
        try:
            (a, b)[index % 2].chat(fresh)
            admitted += 1
        except openai.RateLimitError:
            pass
    assert admitted == limit  # shared again


def test_redis_killed_fail_closed_answers_503_in_both_shapes(tmp_path, redis_server, mock_port):
    a = Replica(tmp_path / "a", mock_port, redis_server.address, policy="fail_closed")
    try:
        wait_shared(a)
        key = a.create(name="closed")["key"]
        a.chat(key)
        redis_server.stop()
        with pytest.raises(openai.APIStatusError) as refused:
            a.chat(key)
        assert refused.value.status_code == 503
        assert refused.value.body["code"] == "governance_unavailable", refused.value.body
        assert refused.value.response.headers["retry-after"] == "1"
        with pytest.raises(anthropic.APIStatusError) as refused:
            a.message(key)
        assert refused.value.status_code == 503
        assert refused.value.body["type"] == "error" and "Redis" in refused.value.body["error"]["message"], refused.value.body
        time.sleep(KEY_CACHE + 0.5)  # the keys themselves are no longer trusted either
        with pytest.raises(openai.APIStatusError) as refused:
            a.chat(key)
        assert refused.value.status_code == 503 and "API keys cannot be checked" in refused.value.body["message"]
        assert a.metric("switchyard_governance_unavailable_total") >= 1
        status, body = a.call("POST", "/admin/keys", {"name": "while-down"})
        assert status == 503 and "The key was not changed" in body["error"]["message"], body
        redis_server.start()  # empty (no persistence): the replica puts its keys back
        wait_until(lambda: works(a, key), 10)
        time.sleep(KEY_CACHE + 0.5)  # and keeps trusting what it reads from Redis
        assert works(a, key)
        assert "keys: redis had none; published this replica's" in a.log_path.read_text()
        # The create Redis refused made no key, here or anywhere (a repeat makes exactly one).
        assert [k["name"] for k in a.call("GET", "/admin/keys")[1]["data"]] == ["closed"]
    finally:
        a.stop()


def test_a_replica_stops_cleanly_closing_its_redis_connections(pair, redis_server):
    a, b = pair
    key = a.create()["key"]
    a.chat(key)
    clients_before = int(redis_server.command("INFO", "clients").split("connected_clients:")[1].split()[0])
    a.stop()
    assert a.process.returncode == 0
    log = a.log_path.read_text()
    assert "redis down" not in log and "redis unavailable" not in log, log[-2000:]
    clients_after = int(redis_server.command("INFO", "clients").split("connected_clients:")[1].split()[0])
    assert clients_after == clients_before - 3  # its two public loops' connections and the internal loop's
    wait_until(lambda: works(b, key), KEY_CACHE + 1)  # the other replica goes on
