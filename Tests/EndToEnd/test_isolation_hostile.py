"""Process isolation against a runner that misbehaves at the boundary (docs/plugin-isolation.md,
"Supervision"): whatever an isolated plugin does in its runner, the gateway neither crashes,
hangs nor spins, and other requests are not affected. The plugin is
plugins/misbehaving_provider.c (its faults happen on requests that carry the word MISBEHAVE)."""

import time

from test_isolation import MISBEHAVE, answer, error_of, eventually, isolated, misbehaving, plain_crashes_under_asan, runners_of  # noqa: F401 - fixtures
from test_slow_hooks import ECHO, gateway, in_background  # noqa: F401 - fixture


def test_a_runner_whose_child_holds_its_socket_still_ends_at_once(gateway, misbehaving):
    """The plugin forks a child that keeps the runner's socket open for 8 s, then crashes or
    hangs: the runner's exit (not the socket's end) fails the call and restarts the runner."""
    served = gateway(f"""
        server: {{port: 0, loops: 2, plugin_workers: 4}}
        plugins:
        {isolated("iso-forksegv", misbehaving, {"fault": "segfault", "linger_ms": 8000})}
        {isolated("iso-forkhang", misbehaving, {"fault": "hang", "linger_ms": 8000}, hook_timeout="1s")}
        providers:
          - {{name: iso-forksegv, plugin: iso-forksegv, models: [iso-forksegv]}}
          - {{name: iso-forkhang, plugin: iso-forkhang, models: [iso-forkhang]}}
        """)
    client = served.client()
    started = time.monotonic()
    status, message = error_of(lambda: answer(client, "iso-forksegv", MISBEHAVE))
    assert status == 502, message
    assert 'plugin "iso-forksegv" (isolated) crashed: Segmentation fault (signal 11)' in message
    assert time.monotonic() - started < 7  # well before the 8 s the lingering child holds the socket
    assert eventually(lambda: answer(client, "iso-forksegv")) == "all good"

    started = time.monotonic()
    status, message = error_of(lambda: answer(client, "iso-forkhang", MISBEHAVE))
    assert status == 504, message
    assert 'plugin "iso-forkhang" (isolated) did not return from generate within 1s' in message
    assert time.monotonic() - started < 7  # well before the 8 s the lingering child holds the socket
    assert eventually(lambda: answer(client, "iso-forkhang")) == "all good"


def test_a_runner_flooding_logs_and_output_is_still_timed_out_and_suppressed(gateway, misbehaving):
    """The plugin logs and prints without end from two threads and hangs: the supervisor still
    sees the deadline (the runner is killed at its hook timeout), and the log gets at most the
    budget per second plus a line saying how many were suppressed."""
    served = gateway(f"""
        server: {{port: 0, loops: 2, plugin_workers: 4}}
        plugins:
          - {{name: echo, path: {ECHO}}}
        {isolated("iso-flood", misbehaving, {"fault": "hang", "flood": 1}, hook_timeout="1s")}
        providers:
          - {{name: echo, plugin: echo, models: [echo-1]}}
          - {{name: iso-flood, plugin: iso-flood, models: [iso-flood]}}
        """)
    client = served.client()
    started = time.monotonic()
    status, message = error_of(lambda: answer(client, "iso-flood", MISBEHAVE))
    assert status == 504, message
    assert 'plugin "iso-flood" (isolated) did not return from generate within 1s' in message
    assert time.monotonic() - started < 10
    assert answer(client, "echo-1", [{"role": "user", "content": "still here"}]) == "still here"
    served.wait_for_log(r'isolated plugin runner: \d+ log and output line\(s\) suppressed \(more than 200 per second\).*plugin="iso-flood"')
    assert eventually(lambda: answer(client, "iso-flood")) == "all good"


def test_more_slow_calls_than_the_runner_has_threads_wait_instead_of_killing_it(gateway, misbehaving):
    """24 calls of 2 s each against a runner of 16 threads with a 3 s hook timeout: the 8
    beyond its pool wait for a slot in the gateway (their deadline starts with the slot), so
    all answer and the runner is never killed for load. (Timed from when they were sent, the
    8 would take 4 s, past the timeout: a 1 s margin either way.)"""
    served = gateway(f"""
        server: {{port: 0, loops: 2, plugin_workers: 32}}
        plugins:
        {isolated("iso-slow", misbehaving, {"sleep_ms": 2000}, hook_timeout="3s")}
        providers:
          - {{name: iso-slow, plugin: iso-slow, models: [iso-slow]}}
        """)
    client = served.client()
    runners = runners_of(served.process.pid)
    calls = [in_background(answer, served.client(), "iso-slow") for _ in range(24)]
    for thread, result in calls:
        thread.join(30)
        assert result.get("value") == "all good", result
    assert runners_of(served.process.pid) == runners
    assert answer(client, "iso-slow") == "all good"


def test_a_restart_after_the_executable_was_replaced_runs_the_running_build(gateway, misbehaving, tmp_path, monkeypatch):
    """The gateway's file is replaced in place (an upgrade) while it runs; a runner that
    crashes afterwards restarts from the running image (/proc/self/exe), not the new file."""
    import os
    import shutil

    import test_slow_hooks
    copy = tmp_path / "bin"
    copy.mkdir()
    shutil.copy2(os.path.join(test_slow_hooks.BIN_DIR, "switchyard"), copy / "switchyard")
    for name in os.listdir(test_slow_hooks.BIN_DIR):  # the built-in plugins it loads from beside it
        if name.endswith(".so"):
            os.symlink(os.path.join(test_slow_hooks.BIN_DIR, name), copy / name)
    monkeypatch.setattr(test_slow_hooks, "BIN_DIR", str(copy))
    served = gateway(f"""
        server: {{port: 0, loops: 1}}
        plugins:
        {isolated("iso-upgraded", misbehaving, {"fault": "segfault"})}
        providers:
          - {{name: iso-upgraded, plugin: iso-upgraded, models: [iso-upgraded]}}
        """)
    client = served.client()
    assert answer(client, "iso-upgraded") == "all good"
    replacement = copy / "switchyard.new"
    replacement.write_text("#!/bin/sh\nexit 7\n")
    replacement.chmod(0o755)
    os.replace(replacement, copy / "switchyard")
    status, message = error_of(lambda: answer(client, "iso-upgraded", MISBEHAVE))
    assert status == 502, message
    assert eventually(lambda: answer(client, "iso-upgraded")) == "all good"
    assert "exited with status 7" not in served.log()
