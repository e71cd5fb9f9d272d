"""The processes a benchmark run measures: the mock upstream, Switchyard, nginx and LiteLLM,
each started pinned to its CPU, with the pid(s) whose CPU time and memory are read."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RELEASE = os.path.join(ROOT, ".build", "release")
GATEWAY_CPU = "1"
CLIENT_CPU = "0"   # the mock and the load generator share it, as the protocol says


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(port, path="/health", timeout=60.0, method="GET"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
            with urllib.request.urlopen(request, timeout=1) as response:
                if response.status < 500:
                    return
        except Exception:
            time.sleep(0.005)
    raise RuntimeError(f"nothing answered on port {port}{path} within {timeout}s")


class Process:
    def __init__(self, name, args, cpu, env=None, port=None, ready_path="/health", output=None):
        """`output`: a file for the process's stdout and stderr (the gateway's access log), else
        both are discarded."""
        self.name = name
        self.port = port
        sink = open(output, "wb") if output else subprocess.DEVNULL
        self.process = subprocess.Popen(
            ["taskset", "-c", cpu, *args], stdout=sink, stderr=sink, env=env, start_new_session=True,
        )
        if output:
            sink.close()
        self.ready_path = ready_path

    def pids(self):
        """The process and its children (nginx and LiteLLM fork workers)."""
        pids = [self.process.pid]
        try:
            out = subprocess.run(["pgrep", "-g", str(os.getpgid(self.process.pid))], capture_output=True, text=True).stdout
            pids = sorted({int(p) for p in out.split()} | set(pids))
        except ProcessLookupError:
            pass
        return pids

    def cpu_seconds(self):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    def memory_kib(self, field):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as status:
                    for line in status:
                        if line.startswith(field + ":"):
                            total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total

    def reset_peak_memory(self):
        """Starts VmHWM over from the current RSS (clear_refs 5, Linux ≥ 4.0), so the next reading
        of it is the peak of what ran since."""
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as refs:
                    refs.write("5")
            except FileNotFoundError:
                pass

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_mock(chunk_delay_ms=0, batch_delay_ms=None):
    port = free_port()
    args = [os.path.join(RELEASE, "switchyard-mock"), "--port", str(port), "--loops", "1"]
    if chunk_delay_ms:
        args += ["--chunk-delay-ms", str(chunk_delay_ms)]
    if batch_delay_ms is not None:
        args += ["--batch-delay-ms", str(batch_delay_ms)]
    mock = Process("mock", args, CLIENT_CPU, port=port, ready_path="/v1/models")
    wait_for_http(port, "/v1/models")
    return mock


def switchyard_config(mock_port, stream_mock_port, port, plugins=1, extra_plugins=(), guardrails=(), passthrough=False,
                      enrichers=(), extra=""):
    """The gateway's YAML: the two mock providers, `plugins - 1` echo plugins (for cold start),
    then `extra_plugins` ({"name", "path", "config" optional}), a `guardrails:` section with
    `guardrails` and an `enrichers:` section with `enrichers` (mappings as in
    docs/configuration.md), written in YAML's JSON-compatible flow style; `passthrough` opens both
    providers to `/p/{provider}/...` (docs/passthrough.md); `extra` is YAML text appended as it is
    (more top-level sections: the governance figure's). Without them the text is byte for byte
    what it always was, so the other figures measure the same gateway."""
    entries = "".join(
        f"""
          - name: echo{i}
            path: {RELEASE}/libProviderEcho.so""" for i in range(max(0, plugins - 1)))
    for entry in extra_plugins:
        entries += f"""
          - name: {entry['name']}
            path: {entry['path']}"""
        if "config" in entry:
            entries += f"""
            config: {json.dumps(entry['config'])}"""
    opened = """
            passthrough: true""" if passthrough else ""
    text = textwrap.dedent(f"""
        server:
          port: {port}
          loops: 1
        plugins:
          - name: mock
            path: {RELEASE}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{mock_port}/v1
              api_key_env: null
          - name: mock-stream
            path: {RELEASE}/libProviderOpenAI.so
            config:
              base_url: http://127.0.0.1:{stream_mock_port}/v1
              api_key_env: null
              headers:
                x-mock-chunks: "20"{entries}
        providers:
          - name: mock
            plugin: mock
            models: [gpt-4o-mini]{opened}
          - name: mock-stream
            plugin: mock-stream
            models: [stream-model]{opened}
        """)
    if guardrails:
        text += "guardrails:\n" + "".join(f"  - {json.dumps(entry)}\n" for entry in guardrails)
    if enrichers:
        text += "enrichers:\n" + "".join(f"  - {json.dumps(entry)}\n" for entry in enrichers)
    return text + extra


def start_switchyard(mock_port, stream_mock_port, workdir, plugins=1, extra_plugins=(), guardrails=(), passthrough=False,
                     enrichers=(), output=None, extra=None):
    """`extra`, when given, is called with the gateway's port and returns the YAML text appended to
    its config (`switchyard_config`)."""
    port = free_port()
    config = os.path.join(workdir, f"switchyard-{port}.yaml")
    with open(config, "w") as handle:
        handle.write(switchyard_config(mock_port, stream_mock_port, port, plugins, extra_plugins, guardrails, passthrough,
                                       enrichers, extra(port) if extra else ""))
    gateway = Process("switchyard", [os.path.join(RELEASE, "switchyard"), "serve", "--config", config], GATEWAY_CPU, port=port,
                      output=output)
    wait_for_http(port)
    return gateway


def build_noop_guardrail(workdir):
    """Compiles bench/noop_guardrail.c into `workdir` with the flags every C plugin uses
    (plugin-sdk/examples/c/provider-static/Makefile) and returns the library's path."""
    sdk = os.path.join(ROOT, "plugin-sdk")
    library = os.path.join(workdir, "libnoop_guardrail.so")
    subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-fPIC",
                    "-fvisibility=hidden", f"-I{sdk}/include", "-shared", "-Wl,-z,defs",
                    f"-Wl,--version-script={sdk}/template/plugin.version", "-o", library,
                    os.path.join(ROOT, "bench", "noop_guardrail.c")], check=True)
    return library


def start_nginx(mock_port, stream_mock_port, workdir):
    port = free_port()
    folder = tempfile.mkdtemp(dir=workdir, prefix="nginx-")
    config = os.path.join(folder, "nginx.conf")
    with open(config, "w") as handle:
        handle.write(textwrap.dedent(f"""
            worker_processes 1;
            daemon off;
            pid {folder}/nginx.pid;
            error_log {folder}/error.log crit;
            events {{ worker_connections 8192; }}
            http {{
              access_log off;
              keepalive_requests 1000000;
              keepalive_timeout 300s;
              client_body_temp_path {folder}/body;
              proxy_temp_path {folder}/proxy;
              upstream mock {{ server 127.0.0.1:{mock_port}; keepalive 256; }}
              upstream mock_stream {{ server 127.0.0.1:{stream_mock_port}; keepalive 256; }}
              server {{
                listen 127.0.0.1:{port} reuseport;
                location = /health {{ return 200 'ok'; }}
                location /stream/ {{
                  proxy_pass http://mock_stream/;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_buffering off;
                }}
                location / {{
                  proxy_pass http://mock;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                  proxy_buffering off;
                }}
              }}
            }}
            """))
    nginx = Process("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-c", config, "-p", folder], GATEWAY_CPU, port=port)
    wait_for_http(port)
    return nginx


def start_litellm(mock_port, workdir, venv):
    port = free_port()
    config = os.path.join(workdir, "litellm.yaml")
    with open(config, "w") as handle:
        handle.write(textwrap.dedent(f"""
            model_list:
              - model_name: gpt-4o-mini
                litellm_params:
                  model: openai/gpt-4o-mini
                  api_base: http://127.0.0.1:{mock_port}/v1
                  api_key: sk-bench
            litellm_settings:
              num_retries: 0
              request_timeout: 30
              telemetry: false
            """))
    env = dict(os.environ, LITELLM_LOG="ERROR", LITELLM_TELEMETRY="False", DISABLE_ADMIN_UI="True")
    litellm = Process("litellm", [os.path.join(venv, "bin", "litellm"), "--config", config, "--port", str(port),
                                  "--num_workers", "1"], GATEWAY_CPU, env=env, port=port)
    wait_for_http(port, "/health/liveliness", timeout=180)
    return litellm
