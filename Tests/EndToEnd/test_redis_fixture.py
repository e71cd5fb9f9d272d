"""The `redis_server` fixture the Redis end-to-end tests start from: a real redis-server on a
free loopback port, without persistence, that a test can kill and bring back on the same port."""


def test_redis_server_answers_dies_and_comes_back(redis_server):
    assert redis_server.command("PING") == "PONG"
    assert redis_server.command("CONFIG", "GET", "save") == "save"  # an empty value: no snapshots
    assert redis_server.command("CONFIG", "GET", "appendonly").splitlines() == ["appendonly", "no"]
    assert redis_server.command("SET", "sy:probe", "1") == "OK"
    redis_server.stop()
    assert "refused" in redis_server.command("PING").lower() or redis_server.command("PING") == ""
    redis_server.start()
    # Killed without persistence: nothing survives the restart.
    assert redis_server.command("PING") == "PONG"
    assert redis_server.command("EXISTS", "sy:probe") == "0"
