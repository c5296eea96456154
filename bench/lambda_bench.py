#!/usr/bin/env python3
"""annotate lambda, as AWS's emulator runs it: the bundle's size (directory and zipped), the cold
start (the bootstrap process starting → its first /next, RIE's "INIT REPORT"), the time to the
first answer for one 12 MP photo with --annotator metadata (both tasks), and a warm invocation.

Needs `make lambda-bundle` (.build/lambda) and scripts/aws-tools.sh rie; the photo comes from the
bench corpus (bench/baselines/make-bench-corpus.sh). Median of 5 fresh functions.
"""
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE = os.environ.get("LAMBDA_BUNDLE", os.path.join(ROOT, ".build", "lambda"))
CORPUS = os.environ.get("BENCH_CORPUS", "/tmp/annotate-bench-corpus")
ROUNDS = 5


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def twelve_megapixel_photos():
    photos = sorted(f for f in os.listdir(CORPUS) if f.startswith("img-") and f.endswith(".jpg"))
    if len(photos) < 2:
        sys.exit("lambda_bench: no 12 MP photos in %s; run make bench (it makes the corpus)" % CORPUS)
    return [os.path.join(CORPUS, p) for p in photos[:2]]


def invoke(port, key):
    event = {"detail-type": "Object Created", "source": "aws.s3",
             "detail": {"bucket": {"name": "b"}, "object": {"key": key}}}
    request = urllib.request.Request("http://127.0.0.1:%d/2015-03-31/functions/function/invocations" % port,
                                     data=json.dumps(event).encode(), method="POST")
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.loads(response.read())
    return time.perf_counter() - start, body


def one_round(rie, photos):
    home = tempfile.mkdtemp(prefix="annotate-lambda-bench-")
    uploads = os.path.join(home, "objects", "uploads")
    os.makedirs(uploads)
    for index, photo in enumerate(photos):
        shutil.copy(photo, os.path.join(uploads, "photo-%d.jpg" % index))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_") and k != "LD_LIBRARY_PATH"}
    env.update({"ANNOTATE_HOME": home, "ANNOTATE_ANNOTATOR": "metadata", "AWS_LAMBDA_FUNCTION_NAME": "annotate",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "AWS_LAMBDA_FUNCTION_TIMEOUT": "60", "AWS_REGION": "us-east-1"})
    log = open(os.path.join(home, "rie.log"), "w+")
    proc = subprocess.Popen([rie, "--runtime-interface-emulator-address", "127.0.0.1:%d" % port,
                             "--runtime-api-address", "127.0.0.1:%d" % free_port(), os.path.join(BUNDLE, "bootstrap")],
                            env=env, stdout=log, stderr=log, cwd=BUNDLE)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        first, body = invoke(port, "uploads/photo-0.jpg")
        statuses = [(i["annotation"], i["thumbnail"]) for i in body.get("images", [])]
        if statuses != [("completed", "completed")]:
            sys.exit("lambda_bench: unexpected answer %s" % body)
        warm, _ = invoke(port, "uploads/photo-1.jpg")
    finally:
        proc.terminate()
        proc.wait()
    log.seek(0)
    init = re.search(r"INIT REPORT\(durationMs: ([0-9.]+)\)", log.read())
    shutil.rmtree(home, ignore_errors=True)
    return float(init.group(1)) if init else float("nan"), first * 1000, warm * 1000


def main():
    if not os.path.exists(os.path.join(BUNDLE, "bootstrap")):
        sys.exit("lambda_bench: no bundle at %s; run make lambda-bundle" % BUNDLE)
    rie = subprocess.run([os.path.join(ROOT, "scripts", "aws-tools.sh"), "rie"], capture_output=True, text=True, check=True).stdout.strip()
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(BUNDLE) for f in fs)
    with tempfile.TemporaryDirectory() as tmp:
        archive = os.path.join(tmp, "annotate-lambda.zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            for d, _, fs in os.walk(BUNDLE):
                for f in fs:
                    z.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), BUNDLE))
        zipped = os.path.getsize(archive)
    libraries = len([f for f in os.listdir(os.path.join(BUNDLE, "lib")) if ".so" in f])
    photos = twelve_megapixel_photos()
    rounds = [one_round(rie, photos) for _ in range(ROUNDS)]
    init, first, warm = (statistics.median(r[i] for r in rounds) for i in range(3))
    print("lambda bundle: %.1f MB unzipped (limit 250), %.1f MB zipped (direct upload limit 50), %d libraries"
          % (size / 1e6, zipped / 1e6, libraries))
    print("lambda cold start (process start -> first /next, RIE's INIT REPORT): %.0f ms" % init)
    print("lambda first answer, one 12 MP photo, --annotator metadata, both tasks (cold, from the invoke): %.0f ms" % first)
    print("lambda warm invocation, another 12 MP photo: %.0f ms   (median of %d fresh functions)" % (warm, ROUNDS))


if __name__ == "__main__":
    main()
