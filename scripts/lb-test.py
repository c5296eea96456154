#!/usr/bin/env python3
"""make lb-test: annotate serve behind a real load balancer (Debian's haproxy) while it scales.

The original design's load test, on loopback: instances of `annotate serve` sharing one database
and store behind haproxy (health checks GET /health every 500 ms), wrk with 16 connections for
20 s over /gallery, /api/images, /images/1 and /health; one instance is sent SIGTERM at 5 s, a new
one started at 9 s, another sent SIGTERM at 13 s. Every request must succeed: no non-2xx answer,
no socket error. Then the throughput through the balancer with 1, 2 and 3 instances.

What makes it lossless: on SIGTERM an instance goes lame duck (--drain-delay): /health answers 503
so haproxy takes it out after its `fall` checks, every other route keeps serving with
`Connection: close`, and only then does it stop accepting. haproxy is configured as a careful
operator would: `retry-on 503 conn-failure empty-response` with `option redispatch` (a request the
draining instance answered 503 — its own /health — is sent to another server; GETs are safe to
retry) and `fall 2` (out after 1 s; the drain delay is 3 s).

usage: lb-test.py ANNOTATE_BINARY
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = sorted(os.path.join(ROOT, "demo", f) for f in os.listdir(os.path.join(ROOT, "demo")) if f.lower().endswith((".jpg", ".png", ".webp")))
WRK_SCRIPT = """
local paths = {"/gallery", "/api/images", "/images/1", "/health"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""


def fail(message):
    print("lb-test: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    def __init__(self, binary, env, port):
        self.port = port
        self.proc = subprocess.Popen([binary, "serve", "--port", str(port), "--drain-delay", "3s", "--grace", "5s"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                fail("serve on port %d exited: %s" % (port, self.proc.stderr.read()))
        fail("serve on port %d did not become healthy" % port)

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)

    def wait(self):
        status = self.proc.wait(timeout=60)
        if status != 0:
            fail("serve on port %d exited %d after SIGTERM: %s" % (self.port, status, self.proc.stderr.read()))


def haproxy_config(listen, ports):
    servers = "\n".join("  server s%d 127.0.0.1:%d check inter 500ms fall 2 rise 2" % (i, p) for i, p in enumerate(ports))
    return f"""
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
  retry-on 503 conn-failure empty-response
frontend web
  bind 127.0.0.1:{listen}
  default_backend annotate
backend annotate
  balance roundrobin
  option httpchk GET /health
  http-check expect status 200
{servers}
"""


def wrk(url, seconds, script):
    out = subprocess.run(["wrk", "-t2", "-c16", "-d%ds" % seconds, "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = sum(int(x) for x in m.groups()) if (m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)) else 0
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    return requests, rate, non2xx, errors, p99


def balancer(work, listen, ports):
    config = os.path.join(work, "haproxy-%d.cfg" % listen)
    with open(config, "w") as f:
        f.write(haproxy_config(listen, ports))
    proc = subprocess.Popen(["haproxy", "-f", config], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/health" % listen, timeout=2) as answer:
                if answer.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    fail("haproxy did not start: %s" % proc.stderr.read())


def main():
    if len(sys.argv) != 2:
        fail("usage: lb-test.py ANNOTATE_BINARY")
    binary = os.path.abspath(sys.argv[1])
    for tool in ("haproxy", "wrk"):
        if not shutil.which(tool):
            fail("%s is not installed (make lb-test installs it)" % tool)
    work = tempfile.mkdtemp(prefix="annotate-lb-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNOTATE_", "GEMINI_", "DB_"))}
    env.update({"ANNOTATE_HOME": work, "ANNOTATE_ANNOTATOR": "metadata"})
    subprocess.run([binary, "upload", "--process", "--quiet"] + SAMPLES, env=env, check=True, stdout=subprocess.DEVNULL)
    script = os.path.join(work, "paths.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)

    ports = [free_port() for _ in range(4)]
    instances = [Instance(binary, env, port) for port in ports[:3]]
    listen = free_port()
    lb = balancer(work, listen, ports)
    try:
        # The scale-in / scale-out sequence, under load.
        load = subprocess.Popen(["wrk", "-t2", "-c16", "-d20s", "--latency", "-s", script, "http://127.0.0.1:%d" % listen],
                                stdout=subprocess.PIPE, text=True)
        started = time.time()
        time.sleep(5)
        instances[0].terminate()
        time.sleep(max(0, 9 - (time.time() - started)))
        instances.append(Instance(binary, env, ports[3]))
        time.sleep(max(0, 13 - (time.time() - started)))
        instances[1].terminate()
        out = load.communicate()[0]
        for instance in instances[:2]:
            instance.wait()
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
        socket_errors = re.search(r"Socket errors: (.*)", out)
        print("lb-test: scale-in at 5 s and 13 s, scale-out at 9 s: %d requests, %d non-2xx, socket errors: %s"
              % (requests, non2xx, socket_errors.group(1) if socket_errors else "none"))
        if non2xx or socket_errors or requests < 1000:
            fail("requests failed while scaling:\n" + out)
    finally:
        for instance in instances:
            if instance.proc.poll() is None:
                instance.proc.kill()
        lb.terminate()
        lb.wait()

    # Throughput through the balancer with 1, 2 and 3 instances (no scaling).
    ports = [free_port() for _ in range(3)]
    instances = [Instance(binary, env, port) for port in ports]
    try:
        for count in (1, 2, 3):
            listen = free_port()
            lb = balancer(work, listen, ports[:count])
            try:
                requests, rate, non2xx, errors, p99 = wrk("http://127.0.0.1:%d" % listen, 8, script)
            finally:
                lb.terminate()
                lb.wait()
            print("lb-test: %d instance%s behind haproxy: %.0f requests/s, p99 %s, %d non-2xx, %d socket errors"
                  % (count, "" if count == 1 else "s", rate, p99, non2xx, errors))
    finally:
        for instance in instances:
            instance.proc.kill()
    shutil.rmtree(work, ignore_errors=True)
    print("lb-test: PASS")


if __name__ == "__main__":
    main()
