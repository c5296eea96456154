#!/usr/bin/env python3
"""make bench, batch part (issue 17): 256 sample-size photos annotated by the Batch API against
bench/fake_gemini_batch.py (jobs finish at their first poll) vs the synchronous path against
bench/baselines/fake_gemini.py (0 ms latency), the two fakes billing the same tokens per photo.

Prints and checks, all measured in this run:
  - the cost `status --json` prints after each run: batch <= 50% of sync;
  - the batch run's submit + collect wall time (`process --batch --wait`) and the sync run's;
  - the request file's bytes per photo: <= 150 KB;
  - `process --dry-run --json`'s estimate before the sync run vs the tokens it then recorded.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (corpus, fakes and environment shared with the other benches)


class FakeBatch(bench.FakeGemini):
    """fake_gemini_batch.py on a free loopback port."""

    def __init__(self):
        self.port = bench.free_port()
        self.proc = subprocess.Popen([sys.executable, os.path.join(bench.ROOT, "bench", "fake_gemini_batch.py"), "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import urllib.request
        for _ in range(100):
            try:
                self.stats = lambda: json.loads(urllib.request.urlopen("%s/stats" % self.url, timeout=5).read())
                self.stats()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("bench: fake_gemini_batch.py did not start")


def annotate(env, *args):
    out = subprocess.run([bench.BINARY, *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("bench: annotate %s failed with %d:\n%s" % (" ".join(args), out.returncode, out.stderr[-2000:]))
    return out.stdout


def summary(env):
    return json.loads(annotate(env, "status", "--json"))


def main():
    work = tempfile.mkdtemp(prefix="annotate-bench-batch-")
    try:
        photos = os.path.join(work, "photos")
        n = bench.sample_size_corpus(photos)
        with bench.FakeGemini(0) as fake:
            env = bench.gemini_env(work, "sync-home", fake)
            annotate(env, "upload", "--quiet", photos)
            estimate = json.loads(annotate(env, "process", "--dry-run", "--json", "--only", "annotation"))
            start = time.perf_counter()
            annotate(env, "process", "--quiet", "--only", "annotation", "--annotation-jobs", "32")
            sync_s = time.perf_counter() - start
            sync = summary(env)
        with FakeBatch() as fake:
            env = bench.gemini_env(work, "batch-home", fake)
            annotate(env, "upload", "--quiet", photos)
            start = time.perf_counter()
            annotate(env, "process", "--batch", "--quiet", "--only", "annotation", "--wait", "--batch-poll", "200ms")
            batch_s = time.perf_counter() - start
            batch = summary(env)
            stats = fake.stats()
        done = batch["annotation"]["completed"]
        if done != n or sync["annotation"]["completed"] != n:
            sys.exit("bench: %d of %d batch and %d of %d sync annotations completed" % (done, n, sync["annotation"]["completed"], n))
        ratio = batch["cost_usd"] / sync["cost_usd"]
        per_photo = stats["uploaded_bytes"] / n / 1024
        actual_in = sum(line["input_tokens"] for line in sync["cost_by_model"])
        actual_out = sum(line["output_tokens"] for line in sync["cost_by_model"])
        print("batch vs synchronous annotation, %d sample-size photos (gemini-2.5-flash-lite prices)" % n)
        print("  synchronous: %7.2f s  cost $%.6f  (%d in + %d out tokens)" % (sync_s, sync["cost_usd"], actual_in, actual_out))
        print("  batch:       %7.2f s  cost $%.6f  (submit + collect, %d job%s)" % (batch_s, batch["cost_usd"], stats["jobs"], "" if stats["jobs"] == 1 else "s"))
        # Both costs are printed to the micro-dollar: allow for that rounding.
        within = batch["cost_usd"] <= 0.5 * sync["cost_usd"] + 1e-6
        print("  cost ratio batch/sync: %.3f  (target <= 0.50) %s" % (ratio, "ok" if within else "OVER TARGET"))
        print("  request file: %.1f KB per photo  (target <= 150 KB) %s" % (per_photo, "ok" if per_photo <= 150 else "OVER TARGET"))
        print("  dry-run estimate: %d in + %d out tokens, $%.6f standard; recorded %d in + %d out, $%.6f (estimate/actual %.2f)"
              % (estimate["estimated_input_tokens"], estimate["estimated_output_tokens"], estimate["estimated_cost_usd"]["standard"],
                 actual_in, actual_out, sync["cost_usd"], estimate["estimated_cost_usd"]["standard"] / sync["cost_usd"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
