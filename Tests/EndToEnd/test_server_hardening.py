"""The HTTP server against hostile clients and a hostile machine, through the real gateway binary
on the echo plugin: connections reset the instant their request is sent, the connection and
file-descriptor limits, bodies that are too slow or too many, a port already in use, and
listening on IPv6 and on host names."""

import json
import os
import resource
import socket
import struct
import subprocess
import textwrap
import threading
import time

import pytest

from conftest import BIN_DIR, start_process, stop_process

SWITCHYARD = os.path.join(BIN_DIR, "switchyard")
CHAT = b'{"model":"echo-1","messages":[{"role":"user","content":"hi"}]}'


def echo_config(tmp_path, server="", name="switchyard.yaml"):
    """An echo-only config; `server` adds lines to the server section."""
    plugin_dir = os.path.abspath(BIN_DIR)
    config = tmp_path / name
    config.write_text(
        "server:\n  host: 127.0.0.1\n  port: 0\n  loops: 2\n"
        + textwrap.indent(textwrap.dedent(server).strip() + "\n", "  ")
        + textwrap.dedent(
            f"""
            plugins:
              - name: echo
                path: {plugin_dir}/libProviderEcho.so
            providers:
              - name: echo
                plugin: echo
                models: [echo-1]
            """
        )
    )
    return config


def serve(config, preexec_fn=None):
    """Starts the gateway with its log in a file beside the config (a pipe nobody reads would
    fill up and stall it); returns (process, port). `process.log()` reads the log so far."""
    log_path = config.with_suffix(".log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [SWITCHYARD, "serve", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1, preexec_fn=preexec_fn,
    )
    log.close()
    process.log = lambda: log_path.read_text()
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.wait(timeout=10)
        raise RuntimeError(f"gateway did not start: {line!r} {process.log()}")
    return process, int(line.strip().rsplit(":", 1)[1])


def chat_request(body=CHAT, extra=b""):
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def exchange(port, raw, host="127.0.0.1", family=socket.AF_INET, timeout=5):
    """Sends raw bytes on a new connection and reads until the server closes or the response ends."""
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect((host, port))
        sock.sendall(raw)
        return read_response(sock)


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + body


def status_of(response):
    return int(response.split(b" ", 2)[1])


def healthy(port):
    return status_of(exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200


def reset_after_sending(port, raw):
    """Sends `raw` and closes with SO_LINGER 0 at once: the kernel answers anything further with RST."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(raw)
    sock.close()


def test_a_storm_of_reset_connections_beside_normal_traffic_leaves_the_gateway_alive(tmp_path):
    # The idle timeout is what a freed connection's leftover timer used to fire on: keep it short
    # so that a regression crashes within the test, not a minute later.
    process, port = serve(echo_config(tmp_path, "idle_timeout: 300ms\nheader_timeout: 500ms"))
    try:
        stop = threading.Event()
        normal = {"ok": 0, "bad": 0}

        def steady_traffic():
            while not stop.is_set():
                response = exchange(port, chat_request())
                normal["ok" if status_of(response) == 200 else "bad"] += 1

        worker = threading.Thread(target=steady_traffic)
        worker.start()
        try:
            for round in range(10):
                for _ in range(100):
                    reset_after_sending(port, chat_request())
                # Also mid-head, mid-body and pipelined requests cut by a reset.
                for raw in (chat_request()[:30], chat_request()[:-5], chat_request() * 3):
                    reset_after_sending(port, raw)
                time.sleep(0.05)
        finally:
            stop.set()
            worker.join()
        # Every timer armed during the storm fires well within this wait.
        time.sleep(1.5)
        assert process.poll() is None, process.log()[-3000:]
        assert healthy(port)
        assert normal["ok"] > 0 and normal["bad"] == 0, normal
    finally:
        stop_process(process)
    assert process.returncode == 0
