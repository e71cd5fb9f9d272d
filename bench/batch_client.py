#!/usr/bin/env python3
"""The client of the batches figure: a batch input file uploaded as OpenAI's Files API takes it
(`multipart/form-data`, streamed from disk with a Content-Length, so the client holds one piece
of it), and a batch created on it, straight to the mock or through the gateway. run.py starts it
pinned to the client's CPU, as it does the load generator.

    bench/batch_client.py upload PORT FILE [PROVIDER]   # POST /v1/files, purpose batch
    bench/batch_client.py create PORT FILE_ID           # POST /v1/batches on that file

Prints one JSON object: status, seconds (request sent to last byte of the answer read) and the
answer (the file or batch object). Anything but a 200 fails (exit 1) rather than becoming a
figure. Raw HTTP (http.client) rather than the openai SDK: the SDK builds the whole form in
memory, which would measure the client.
"""

import http.client
import json
import os
import sys
import time

PIECE = 1 << 20
BOUNDARY = "switchyard-bench-batch-boundary"


def field(name, value):
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()


def upload(port, path, provider):
    head = field("purpose", "batch")
    if provider:
        head += field("provider", provider)
    head += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(path)}\"\r\n"
             "Content-Type: application/jsonl\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    size = os.path.getsize(path)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    connection.putrequest("POST", "/v1/files", skip_accept_encoding=True)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with open(path, "rb") as source:
        while piece := source.read(PIECE):
            connection.send(piece)
    connection.send(tail)
    return answer(connection, started, "upload")


def create(port, file_id):
    body = json.dumps({"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    connection.request("POST", "/v1/batches", body=body, headers={"Content-Type": "application/json"})
    return answer(connection, started, "create")


def answer(connection, started, what):
    response = connection.getresponse()
    body = response.read()
    seconds = time.monotonic() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{what}: status {response.status}: {body[:1000]!r}")
    return {"status": response.status, "seconds": seconds, "answer": json.loads(body)}


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("upload", "create"):
        raise SystemExit(__doc__)
    port = int(sys.argv[2])
    if sys.argv[1] == "upload":
        result = upload(port, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        result = create(port, sys.argv[3])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
