"""What usage recording adds per request (docs/decisions/0026-usage-records-and-audit.md):
callgrind instructions per chat request of the bench's default gateway with `usage.record` off
and on (every thread counted: the loop's record and buffer, and the store writer's batched
insert), and the throughput of each at a fixed concurrency (`switchyard-load` open loop offered 50,000/s, best of 3).

    bench/usage_cost.py [--requests 1000] [--seconds 5] [--concurrency 32] [--no-throughput] [--off-only]

Needs the release build (swift build -c release) and valgrind."""

import argparse
import json
import os
import tempfile

import run
import targets


def config_of(mock_port, stream_port, workdir, usage):
    def text(port):
        config = targets.switchyard_config(mock_port, stream_port, port)
        config += f"store:\n  path: {workdir}/store-{port}.db\n"
        if usage:
            config += "usage:\n  record: true\npricing:\n  models:\n    gpt-4o-mini: {input: 0.15, output: 0.60}\n"
        return config
    return text


def throughput(config_text, workdir, seconds, concurrency):
    port = targets.free_port()
    path = os.path.join(workdir, f"throughput-{port}.yaml")
    with open(path, "w") as handle:
        handle.write(config_text(port))
    gateway = targets.Process("switchyard", [os.path.join(targets.RELEASE, "switchyard"), "serve", "--config", path],
                              targets.GATEWAY_CPU, port=port)
    try:
        targets.wait_for_http(port)
        best = 0.0
        for _ in range(3):
            # Open loop, offered far past what one loop serves: the achieved rate is the ceiling.
            result = run.load(f"http://127.0.0.1:{port}/v1/chat/completions", "--body", run.BODY, "--rate", "50000",
                              "--duration", str(seconds), "--connections", str(concurrency))
            best = max(best, result["achieved_rps"])
        return best
    finally:
        gateway.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--off-only", action="store_true", help="only usage off (to measure a build without usage recording)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="switchyard-usage-bench-")
    mock = targets.start_mock()
    stream_mock = targets.start_mock(chunk_delay_ms=5)
    try:
        figure = {}
        for name, usage in (("usage_off", False),) + ((("usage_on", True),) if not args.off_only else ()):
            config = config_of(mock.port, stream_mock.port, workdir, usage)
            figure[name] = {"instructions": run.callgrind_instructions(config, workdir, run.BODY, args.requests)}
            if not args.no_throughput:
                figure[name]["requests_per_second"] = throughput(config, workdir, args.seconds, args.concurrency)
        if "usage_on" in figure:
            figure["added_instructions"] = figure["usage_on"]["instructions"] - figure["usage_off"]["instructions"]
        print(json.dumps(figure, indent=2))
    finally:
        mock.stop()
        stream_mock.stop()


if __name__ == "__main__":
    main()
