#!/usr/bin/env python3
"""A fake of Gemini's Batch and Files API for make bench: resumable upload, batchGenerateContent
with a file, batches.get (the job succeeds at its first poll, its results written then), list,
results download and file delete. Each line is answered exactly as bench/baselines/fake_gemini.py
answers the same generateContent request (same text, same token counts), so a batch run and a
synchronous run of the same photos are billed the same tokens. GET /stats reports the bytes
uploaded and the requests seen. Standard library only; loopback use only.

usage: fake_gemini_batch.py --port N [--api-key KEY]
"""
import argparse
import base64
import hashlib
import json
import os
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "baselines"))
from fake_gemini import annotation_text  # noqa: E402  (the synchronous fake's answers)


def answer(request):
    """fake_gemini.py's answer to one generateContent request."""
    digest, nbytes, mime, n_images, text_chars = None, 0, None, 0, 0
    h = hashlib.sha256()
    for content in request.get("contents") or []:
        for part in content.get("parts") or []:
            if "text" in part:
                text_chars += len(part["text"] or "")
            blob = part.get("inline_data") or part.get("inlineData")
            if blob:
                data = base64.b64decode(blob.get("data") or "")
                h.update(data)
                nbytes += len(data)
                n_images += 1
                mime = blob.get("mime_type") or blob.get("mimeType")
    if n_images:
        digest = h.hexdigest()
    gen = request.get("generationConfig") or {}
    text = annotation_text(digest, nbytes, mime, gen.get("responseMimeType") == "application/json", 1)
    prompt_tokens = 258 * n_images + max(1, text_chars // 4)
    out_tokens = max(1, len(text) // 4)
    return {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": out_tokens,
                              "totalTokenCount": prompt_tokens + out_tokens}}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.uploads, self.files, self.jobs = {}, {}, {}
        self.next = 0
        self.uploaded_bytes, self.requests = 0, 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def reply(self, code, obj=None, headers=None, raw=None):
        body = raw if raw is not None else json.dumps(obj or {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if raw is None else "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def authorized(self):
        if self.headers.get("x-goog-api-key") == self.server.api_key:
            return True
        self.reply(403, {"error": {"code": 403, "message": "API key missing or wrong", "status": "PERMISSION_DENIED"}})
        return False

    def operation(self, job):
        meta = {"name": job["name"], "displayName": job["displayName"], "state": job["state"],
                "batchStats": {"requestCount": str(len(job["keys"]))}}
        op = {"name": job["name"], "metadata": meta, "done": job["state"] != "BATCH_STATE_PENDING"}
        if job.get("output"):
            meta["output"] = {"responsesFile": job["output"]}
            meta["batchStats"]["successfulRequestCount"] = str(len(job["keys"]))
            op["response"] = {"responsesFile": job["output"]}
        return op

    def do_GET(self):
        url = urlsplit(self.path)
        st = self.server.state
        if url.path == "/stats":
            with st.lock:
                return self.reply(200, {"uploaded_bytes": st.uploaded_bytes, "requests": st.requests, "jobs": len(st.jobs)})
        if not self.authorized():
            return
        if url.path == "/v1beta/batches":
            with st.lock:
                ops = [self.operation(j) for j in reversed(list(st.jobs.values()))]
            return self.reply(200, {"operations": ops})
        if url.path.startswith("/v1beta/batches/"):
            name = url.path[len("/v1beta/"):]
            with st.lock:
                job = st.jobs.get(name)
                if job is None:
                    return self.reply(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
                if not job.get("output"):
                    # Finished at the first poll; results in no particular order, as the real API.
                    lines = [json.dumps({"key": key, "response": answer(request)}) for key, request in job.pop("requests")]
                    random.shuffle(lines)
                    st.next += 1
                    job["output"] = "files/batch-out-%d" % st.next
                    st.files[job["output"]] = "\n".join(lines).encode()
                    job["state"] = "BATCH_STATE_SUCCEEDED"
                return self.reply(200, self.operation(job))
        if url.path.endswith(":download"):
            name = url.path.replace("/download/v1beta/", "").replace("/v1beta/", "").replace(":download", "")
            with st.lock:
                data = st.files.get(name)
            return self.reply(200, raw=data) if data is not None else self.reply(404, {"error": {"code": 404}})
        self.reply(404, {"error": {"code": 404, "message": "unknown path", "status": "NOT_FOUND"}})

    def do_DELETE(self):
        if self.authorized():
            with self.server.state.lock:
                self.server.state.files.pop(urlsplit(self.path).path[len("/v1beta/"):], None)
            self.reply(200, {})

    def do_POST(self):
        url = urlsplit(self.path)
        st = self.server.state
        body = self.body()
        if url.path == "/upload/v1beta/files" and url.query:
            upload_id = parse_qs(url.query)["upload_id"][0]
            with st.lock:
                st.uploads[upload_id] += body
                st.uploaded_bytes += len(body)
                if self.headers.get("X-Goog-Upload-Command") != "upload, finalize":
                    return self.reply(200, {}, {"x-goog-upload-status": "active"})
                st.next += 1
                name = "files/in-%d" % st.next
                st.files[name] = st.uploads.pop(upload_id)
            return self.reply(200, {"file": {"name": name, "state": "ACTIVE"}}, {"x-goog-upload-status": "final"})
        if not self.authorized():
            return
        if url.path == "/upload/v1beta/files":
            with st.lock:
                st.next += 1
                upload_id = "u%d" % st.next
                st.uploads[upload_id] = b""
            port = self.server.server_address[1]
            return self.reply(200, {}, {"x-goog-upload-url": "http://127.0.0.1:%d/upload/v1beta/files?upload_id=%s" % (port, upload_id)})
        if url.path.endswith(":batchGenerateContent"):
            batch = json.loads(body)["batch"]
            with st.lock:
                data = st.files[batch["inputConfig"]["fileName"]]
                requests = [(line["key"], line["request"]) for line in map(json.loads, data.splitlines()) if line]
                st.requests += len(requests)
                st.next += 1
                job = {"name": "batches/job-%d" % st.next, "displayName": batch["displayName"], "state": "BATCH_STATE_PENDING",
                       "keys": [k for k, _ in requests], "requests": requests}
                st.jobs[job["name"]] = job
                op = self.operation(job)
            return self.reply(200, op)
        self.reply(404, {"error": {"code": 404, "message": "unknown path", "status": "NOT_FOUND"}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default="bench-key")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.state, server.api_key = State(), args.api_key
    server.serve_forever()


if __name__ == "__main__":
    main()
