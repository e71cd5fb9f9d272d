#!/usr/bin/env python3
"""The bulk-bytes client of the passthrough figure: one large download from, or upload to, the
mock's `/_mock/download` and `/_mock/upload` (docs/mock-upstream.md), straight or through the
gateway. run.py starts it pinned to the client's CPU, as it does the load generator.

    bench/bulk.py download PORT PATH BYTES    # GET PATH?bytes=BYTES
    bench/bulk.py upload PORT PATH BYTES      # POST PATH with a Content-Length body of BYTES

Prints one JSON object: status, bytes, seconds (request sent to last byte read), and for an
upload the mock's answer. Every downloaded byte is checked against the mock's pattern (byte i is
i % 251) as it arrives, without a copy; the upload sends the same pattern, so its `fnv1a64` is
the same straight and through the gateway, which run.py checks. A short or wrong body fails
(exit 1) rather than becoming a figure.
"""

import http.client
import json
import sys
import time

PERIOD = 251
# One piece is a whole number of periods, so consecutive pieces continue the pattern.
PIECE = PERIOD * 4096
PATTERN = bytes(range(PERIOD)) * (PIECE // PERIOD + 1)


def download(port, path, size):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    buffer = bytearray(PIECE)
    view = memoryview(buffer)
    started = time.monotonic()
    connection.request("GET", f"{path}?bytes={size}")
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"download: status {response.status}: {response.read()[:500]!r}")
    received = 0
    while True:
        count = response.readinto(buffer)
        if not count:
            break
        # bytes.startswith at an offset compares in place (memcmp), so checking costs no copy.
        if not PATTERN.startswith(view[:count], received % PERIOD):
            raise SystemExit(f"byte {received}..{received + count} differs from the mock's pattern")
        received += count
    seconds = time.monotonic() - started
    connection.close()
    if received != size:
        raise SystemExit(f"download: {received} of {size} bytes")
    return {"status": response.status, "bytes": received, "seconds": seconds}


def upload(port, path, size):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    piece = memoryview(PATTERN)[:PIECE]
    started = time.monotonic()
    connection.putrequest("POST", path, skip_accept_encoding=True)
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    sent = 0
    while sent < size:
        count = min(PIECE, size - sent)
        connection.send(piece[:count])
        sent += count
    response = connection.getresponse()
    body = response.read()
    seconds = time.monotonic() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"upload: status {response.status}: {body[:500]!r}")
    answer = json.loads(body)
    if answer.get("bytes") != size:
        raise SystemExit(f"upload: the mock counted {answer.get('bytes')} of {size} bytes")
    return {"status": response.status, "bytes": size, "seconds": seconds, "fnv1a64": answer["fnv1a64"]}


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("download", "upload"):
        raise SystemExit(__doc__)
    direction, port, path, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    result = (download if direction == "download" else upload)(port, path, size)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
