#!/usr/bin/env python3
"""make bench: thumbnail throughput and memory against the named baselines, measured in one run.

Corpus: bench/baselines/make-bench-corpus.sh (about 220 camera-size photos, generated once into
$BENCH_CORPUS, default /tmp/annotate-bench-corpus; never committed).

Measured, each with 2 parallel workers over the same files, warm page cache:
  vipsthumbnail   bench/baselines/thumb_vips.sh OUT DIR 2
  pillow          bench/baselines/thumb_pillow.py OUT DIR --workers 2   (the original deployment's way)
  annotate        annotate upload DIR && annotate process --only thumbnail --jobs 2   (fresh home)
Each contender runs $BENCH_REPEAT times (default 3), alternating, and keeps its fastest run: the
same treatment for all three, so a noisy neighbour on a shared machine skews no ratio.
Prints the three throughputs (images/s), both ratios, and the peak RSS of annotate process.
Targets (issue 2): annotate >= 0.8x vipsthumbnail, >= 1.8x pillow, process peak RSS < 300 MB.

Annotation (issue 3), against bench/baselines/fake_gemini.py on loopback:
  - 256 sample-size photos (the bundled JPEGs repeated with distinct bytes), fake latency 800 ms,
    process --annotation-jobs 32 with thumbnails alongside: >= 85% of the ideal 32 / 0.8 s = 40 images/s;
    the seed-style reference (pipeline_ref.py, 16 threads) on the same files for comparison;
  - the 12 MP corpus with both tasks, fake latency 0 ms: >= 0.7x vipsthumbnail alone;
  - the largest request body for a 12 MP photo: <= 150 KB.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The baselines live in the repository (bench/baselines), so make bench needs nothing beside it.
BASELINES = os.environ.get("ANNOTATE_BASELINES", os.path.join(ROOT, "bench", "baselines"))
CORPUS = os.environ.get("BENCH_CORPUS", "/tmp/annotate-bench-corpus")
BINARY = os.environ.get("ANNOTATE_BIN", os.path.join(ROOT, ".build", "release", "annotate"))
EXTS = (".jpg", ".jpeg", ".png", ".webp")
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))


def ensure_corpus():
    if os.path.exists(os.path.join(CORPUS, "MANIFEST.tsv")):
        return
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "Pillow", "numpy"], check=True)
    print("bench: generating the bench corpus in %s (a few minutes, once)" % CORPUS, file=sys.stderr)
    subprocess.run([os.path.join(BASELINES, "make-bench-corpus.sh"), CORPUS], check=True)


def images():
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.lower().endswith(EXTS))


def run(label, argv, env=None):
    """Runs argv, returns (seconds, peak RSS in MB of that process tree's largest member)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit("bench: %s failed with %d:\n%s" % (label, code, stderr[-2000:]))
    return seconds, usage.ru_maxrss / 1024


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeGemini:
    """fake_gemini.py on a free loopback port, stopped on exit."""

    def __init__(self, latency_ms):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, os.path.join(BASELINES, "fake_gemini.py"), "--port", str(self.port),
                                      "--api-key", "bench-key", "--latency-ms", str(latency_ms)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import urllib.request
        for _ in range(100):
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/health" % self.port, timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        sys.exit("bench: fake_gemini.py did not start")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.proc.terminate()
        self.proc.wait()


def gemini_env(work, name, fake):
    env = dict(os.environ, ANNOTATE_HOME=os.path.join(work, name), ANNOTATE_ANNOTATOR="gemini",
               GEMINI_API_KEY="bench-key", GEMINI_BASE_URL=fake.url)
    for key in ("ANNOTATE_DB", "ANNOTATE_STORE", "ANNOTATE_THUMBNAIL_STORE", "ANNOTATE_CONFIG", "GEMINI_MODEL_NAME"):
        env.pop(key, None)
    return env


def sample_size_corpus(directory, count=256):
    """The bundled JPEGs repeated with distinct trailing bytes (each a new image to the pipeline)."""
    sources = sorted(os.path.join(ROOT, "demo", f) for f in os.listdir(os.path.join(ROOT, "demo")) if f.endswith(".jpg"))
    os.makedirs(directory, exist_ok=True)
    for i in range(count):
        with open(sources[i % len(sources)], "rb") as f:
            data = f.read()
        with open(os.path.join(directory, "s-%04d.jpg" % i), "wb") as f:
            f.write(data + b"bench copy %d" % i)
    return count


def annotation_bench(work, vips_rate, n_camera):
    small = os.path.join(work, "sample-size")
    n_small = sample_size_corpus(small)
    with FakeGemini(800) as fake:
        env = gemini_env(work, "ai-home", fake)
        run("annotate upload", [BINARY, "upload", "--quiet", small], env)
        seconds, _ = run("annotate process (gemini, 800 ms)",
                         [BINARY, "process", "--quiet", "--annotation-jobs", "32", "--jobs", "2"], env)
        ref = subprocess.run([sys.executable, os.path.join(BASELINES, "pipeline_ref.py"), small, "--n", "64", "--workers", "16",
                              "--server", fake.url, "--api-key", "bench-key", "--model", "gemini-2.5-flash-lite",
                              "--out", os.path.join(work, "ref-thumbs")], capture_output=True, text=True)
    ai_rate = n_small / seconds
    ref_line = ref.stdout.strip().splitlines()[-1] if ref.stdout.strip() else "failed: " + ref.stderr[-200:]
    ref_rate = next((float(p.split("=")[1]) for p in ref_line.split() if p.startswith("images_per_s=")), float("nan"))

    with FakeGemini(0) as fake:
        env = gemini_env(work, "camera-home", fake)
        run("annotate upload", [BINARY, "upload", "--quiet", CORPUS], env)
        start = time.perf_counter()
        proc = subprocess.run([BINARY, "process", "--verbose", "--jobs", "2", "--annotation-jobs", "8"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        both_s = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit("bench: process with both tasks failed:\n" + proc.stderr[-2000:])
    sizes = [int(part.split("=")[1]) for line in proc.stderr.splitlines() if "calling the Gemini API" in line
             for part in line.split() if part.startswith("request.bytes=")]
    both_rate = n_camera / both_s
    print()
    print("annotation against fake_gemini.py (loopback)")
    print("%-44s %7.2f s  %6.1f images/s  = %3.0f%% of the ideal 40/s (target >= 85%%) %s"
          % ("%d sample-size photos, 800 ms, 32 jobs" % n_small, seconds, ai_rate, ai_rate / 40 * 100,
             "ok" if ai_rate >= 34 else "BELOW TARGET"))
    print("%-44s %17.1f images/s  (%s)" % ("seed-style pipeline_ref.py, 16 threads", ref_rate, "64 photos"))
    print("%-44s %7.2f s  %6.1f images/s  = %.2fx vipsthumbnail alone (target >= 0.70x) %s"
          % ("12 MP photos, both tasks, 0 ms", both_s, both_rate, both_rate / vips_rate,
             "ok" if both_rate / vips_rate >= 0.7 else "BELOW TARGET"))
    if sizes:
        print("request body for a 12 MP photo: largest %.0f KB, median %.0f KB (target <= 150 KB) %s"
              % (max(sizes) / 1024, sorted(sizes)[len(sizes) // 2] / 1024, "ok" if max(sizes) <= 150 * 1024 else "OVER TARGET"))


def warm(files):
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


def main():
    if not os.path.exists(BINARY):
        sys.exit("bench: %s is missing; run make release" % BINARY)
    ensure_corpus()
    files = images()
    n = len(files)
    warm(files)
    work = tempfile.mkdtemp(prefix="annotate-bench-")
    best = {}
    peak = {"upload": 0.0, "process": 0.0}  # memory is reported worst-case over every run

    def keep(label, result):
        if label not in best or result[0] < best[label][0]:
            best[label] = result

    try:
        for round_number in range(REPEAT):
            out = os.path.join(work, "round-%d" % round_number)
            keep("vips", run("vipsthumbnail", [os.path.join(BASELINES, "thumb_vips.sh"), os.path.join(out, "vips"), CORPUS, "2"]))
            keep("pillow", run("pillow", [sys.executable, os.path.join(BASELINES, "thumb_pillow.py"), os.path.join(out, "pillow"),
                                          CORPUS, "--workers", "2"]))
            env = dict(os.environ, ANNOTATE_HOME=os.path.join(out, "home"))
            for key in ("ANNOTATE_DB", "ANNOTATE_STORE", "ANNOTATE_THUMBNAIL_STORE", "ANNOTATE_CONFIG"):
                env.pop(key, None)
            upload = run("annotate upload", [BINARY, "upload", "--quiet", "--jobs", "2", CORPUS], env)
            process = run("annotate process", [BINARY, "process", "--quiet", "--only", "thumbnail", "--jobs", "2"], env)
            check = subprocess.run([BINARY, "status", "--json"], env=env, capture_output=True, text=True, check=True).stdout
            if '"completed":%d' % n not in check.replace(" ", ""):
                sys.exit("bench: annotate did not complete %d thumbnails: %s" % (n, check))
            keep("annotate", (upload[0] + process[0], upload[0], process[0]))
            peak["upload"] = max(peak["upload"], upload[1])
            peak["process"] = max(peak["process"], process[1])
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    vips_s, pillow_s = best["vips"][0], best["pillow"][0]
    _, upload_s, process_s = best["annotate"]
    upload_rss, process_rss = peak["upload"], peak["process"]
    annotate_s = upload_s + process_s
    vips_rate, pillow_rate, annotate_rate = n / vips_s, n / pillow_s, n / annotate_s
    print("bench corpus: %d images in %s; best of %d runs each" % (n, CORPUS, REPEAT))
    print("%-44s %7.2f s  %6.1f images/s" % ("vipsthumbnail -s 128x128 (2 workers)", vips_s, vips_rate))
    print("%-44s %7.2f s  %6.1f images/s" % ("pillow thumbnailer, original (2 workers)", pillow_s, pillow_rate))
    print("%-44s %7.2f s  %6.1f images/s  (upload %.2f s + process %.2f s)"
          % ("annotate upload + process --only thumbnail", annotate_s, annotate_rate, upload_s, process_s))
    ratio_vips, ratio_pillow = annotate_rate / vips_rate, annotate_rate / pillow_rate
    print("ratio annotate/vipsthumbnail: %.2fx  (target >= 0.80x) %s" % (ratio_vips, "ok" if ratio_vips >= 0.8 else "BELOW TARGET"))
    print("ratio annotate/pillow:        %.2fx  (target >= 1.80x) %s" % (ratio_pillow, "ok" if ratio_pillow >= 1.8 else "BELOW TARGET"))
    print("peak RSS over all runs: annotate process %.0f MB (target < 300 MB) %s; annotate upload %.0f MB"
          % (process_rss, "ok" if process_rss < 300 else "OVER TARGET", upload_rss))
    if os.environ.get("BENCH_SKIP_ANNOTATION") != "1":
        work = tempfile.mkdtemp(prefix="annotate-bench-ai-")
        try:
            annotation_bench(work, vips_rate, n)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
