#!/usr/bin/env python3
"""Browser and server tests of `hero-id report` and `hero-id serve` (run by BrowserTests.swift).

Trains a small model on three heroes of samples/train, identifies three sample clips, writes
a report and opens it in headless Chromium; starts `hero-id serve` on a free loopback port,
uploads a clip through the page, and tries the API with bad and concurrent uploads. Asserts on
the rendered DOM and the answers; screenshots go to the artefacts folder. The last line on
stdout is a JSON summary; the exit status is 0 only if every check passed.

usage: browser_tests.py --bin .build/release/hero-id --artefacts test-artefacts/browser
"""
import argparse
import glob
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEROES = ["妲己", "李白", "貂蝉"]
CLIPS = {"clip_03.mp4": "妲己", "clip_08.mp4": "李白", "clip_02.mp4": None}
failures = []
facts = {}
DOCS = None  # --docs-screenshots: also write the README's small screenshots here


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, file=sys.stderr)
    if not condition:
        failures.append(what)
    return condition


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
    return r


def http(method, url, body=None, timeout=300, headers=None):
    """(status, body); with headers=dict also fills it with the answer's headers."""
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/octet-stream")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            if headers is not None:
                headers.update(r.headers.items())
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        if headers is not None:
            headers.update(e.headers.items())
        return e.code, e.read().decode()


def make_model(bin_, work):
    crops = os.path.join(work, "crops")
    clips = [c for h in HEROES for c in sorted(glob.glob(os.path.join(ROOT, "samples/train", h, "*.mp4")))]
    r = run([bin_, "extract", *clips, "--out", crops, "--all-frames", "--every", "1"])
    if not check(r.returncode == 0, "extract the training crops of 3 heroes"):
        return None, None
    model = os.path.join(work, "model")
    cache = os.path.join(os.environ.get("HERO_ID_HOME", os.path.expanduser("~/.cache/hero-id")),
                         "browser-test-bottlenecks")
    # A larger test split than the default, so the confusion matrix has something to show.
    r = run([bin_, "train", crops, "--model", model, "--steps", "300", "--eval-step-interval", "50",
             "--validation-percentage", "20", "--testing-percentage", "30",
             "--bottleneck-dir", cache, "--json"])
    if not check(r.returncode == 0, "train a 3-hero model"):
        return None, None
    return model, crops


def report_checks(bin_, work, model, crops, artefacts):
    clip_crops = os.path.join(work, "clip-crops")
    clips = [os.path.join(ROOT, "samples/test", c) for c in CLIPS]
    r = run([bin_, "identify", *clips, "--model", model, "--json", "--crops-dir", clip_crops])
    check(r.returncode == 0, "identify 3 sample clips with --crops-dir")
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    with open(os.path.join(work, "identify.jsonl"), "w") as f:
        f.write(r.stdout)
    info = json.load(open(os.path.join(model, "model.json")))
    training = info["trained_with"]["training"]
    check(len(training.get("curve", [])) == 6, "model.json records 6 curve points (300 steps / 50)")
    check("test_confusion" in training and "images_per_hero" in training,
          "model.json records the test confusion matrix and images per hero")
    out = os.path.join(work, "report.html")
    r = run([bin_, "report", "--model", model, "--identify", os.path.join(work, "identify.jsonl"),
             "--clip-crops", clip_crops, "--crops", crops, "--out", out])
    check(r.returncode == 0 and os.path.exists(out), "hero-id report writes report.html")
    html = open(out, encoding="utf-8").read()
    check("http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
          and "https://" not in html, "the report names no network address")
    with Browser(width=1100, height=900) as b:
        b.navigate("file://" + out)
        dom = b.eval("""(() => ({
          title: document.title,
          curves: document.querySelectorAll('svg.curves polyline.series').length,
          cmCells: document.querySelectorAll('svg.confusion rect.cm-cell').length,
          cmTotal: [...document.querySelectorAll('svg.confusion rect.cm-cell')]
                     .reduce((s, r) => s + Number(r.dataset.count), 0),
          countRows: document.querySelectorAll('table.counts tr').length - 1,
          external: [...document.querySelectorAll('img, script[src], link[href]')]
                     .filter(e => !(e.src || e.href || '').startsWith('data:')).length,
          clips: [...document.querySelectorAll('article.clip')].map(a => ({
            video: a.dataset.video,
            answer: a.querySelector('.answer').textContent,
            cells: a.querySelectorAll('svg.timeline g.cell').length,
            crops: a.querySelectorAll('.crops img').length,
            loaded: [...a.querySelectorAll('.crops img')].filter(i => i.complete && i.naturalWidth > 0).length,
          })),
          sheets: document.querySelectorAll('.hero-sheet').length,
          sheetImages: [...document.querySelectorAll('.hero-sheet img')].filter(i => i.naturalWidth > 0).length,
        }))()""")
        b.screenshot(os.path.join(artefacts, "report.png"))
        if DOCS:
            b.screenshot(os.path.join(DOCS, "report.png"), full_page=False, scale=0.6, height=1500)
    check(dom["curves"] == 3, f"report: 3 training curves drawn (got {dom['curves']})")
    check(dom["cmCells"] == len(HEROES) ** 2, f"report: {len(HEROES)}x{len(HEROES)} confusion cells")
    check(dom["cmTotal"] == training["images"]["testing"],
          f"report: confusion counts sum to the {training['images']['testing']} test images")
    check(dom["countRows"] == len(HEROES), "report: a count row per hero")
    check(dom["external"] == 0, "report: every image is a data: URI, no external script or style")
    check(len(dom["clips"]) == len(lines), f"report: {len(lines)} clips shown")
    for line, shown in zip(lines, dom["clips"]):
        name = os.path.basename(line["video"])
        check(shown["answer"] == (line["hero"] or "unknown"),
              f"report: {name} answer '{shown['answer']}' is identify's")
        check(shown["cells"] == len(line["timeline"]),
              f"report: {name} has {len(line['timeline'])} timeline cells (got {shown['cells']})")
        gameplay = sum(1 for e in line["timeline"] if e["screen"] == "gameplay")
        check(shown["crops"] == gameplay and shown["loaded"] == gameplay,
              f"report: {name} shows and loads its {gameplay} crops (shown {shown['crops']}, loaded {shown['loaded']})")
    check(dom["sheets"] == len(HEROES) and dom["sheetImages"] > 0, "report: a contact sheet per hero")
    facts["report"] = {"clips": dom["clips"], "confusion_cells": dom["cmCells"]}
    return {os.path.basename(l["video"]): l for l in lines}


def start_server(bin_, model, jobs, queue, max_mb, idle):
    proc = subprocess.Popen([bin_, "serve", "--model", model, "--port", "0", "--jobs", str(jobs),
                             "--queue", str(queue), "--max-upload-mb", str(max_mb),
                             "--idle-timeout", str(idle)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = None
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if "listening on " in line:
            url = line.strip().split("listening on ", 1)[1]
            break
    return proc, url


def serve_checks(bin_, model, expected, artefacts):
    idle = 20
    proc, url = start_server(bin_, model, jobs=1, queue=2, max_mb=2, idle=idle)
    if not check(url is not None and url.startswith("http://127.0.0.1:"),
                 f"serve binds loopback and announces its address ({url})"):
        proc.kill()
        return
    try:
        status, body = http("GET", url + "healthz")
        check(status == 200 and json.loads(body)["status"] == "ok", "GET /healthz answers ok")

        # The page: upload a clip through the file input, watch it finish.
        clip = os.path.join(ROOT, "samples/test/clip_03.mp4")
        want = expected["clip_03.mp4"]
        with Browser(width=1100, height=900) as b:
            b.navigate(url)
            b.set_files("#clips", [clip])
            b.eval("document.getElementById('identify').click()")
            saw_progress = False
            deadline = time.time() + 300
            while time.time() < deadline:
                state = b.eval("""(() => { const j = document.querySelector('.job');
                  return j ? {status: j.dataset.status || '', text: (j.querySelector('.status') || {}).textContent || ''} : null })()""")
                if state and "key frames read" in state["text"]:
                    saw_progress = True
                if state and state["status"]:
                    break
                time.sleep(0.1)
            dom = b.eval("""(() => { const j = document.querySelector('.job');
              return { status: j.dataset.status, answer: (j.querySelector('.answer') || {}).textContent,
                cells: j.querySelectorAll('svg.timeline g.cell').length,
                loaded: [...j.querySelectorAll('.crops img')].filter(i => i.complete && i.naturalWidth > 0).length } })()""")
            b.screenshot(os.path.join(artefacts, "serve.png"))
            if DOCS:
                b.screenshot(os.path.join(DOCS, "serve.png"), full_page=False, scale=0.6, height=900)
        check(dom["status"] == "done", f"page: the upload finished ({dom['status']})")
        check(dom["answer"] == (want["hero"] or "unknown"),
              f"page: answer '{dom['answer']}' is identify's for clip_03")
        check(dom["cells"] == len(want["timeline"]),
              f"page: {len(want['timeline'])} timeline cells (got {dom['cells']})")
        check(dom["loaded"] > 0, f"page: crop images loaded ({dom['loaded']})")
        facts["page_progress_seen"] = saw_progress
        facts["page"] = dom

        # The API, a good upload: the contract's object, as identify --json gives it.
        status, body = http("POST", url + "identify?name=clip_08.mp4",
                            open(os.path.join(ROOT, "samples/test/clip_08.mp4"), "rb").read())
        got = json.loads(body) if status == 200 else {}
        ref = expected["clip_08.mp4"]
        check(status == 200 and got.get("video") == "clip_08.mp4"
              and {k: v for k, v in got.items() if k != "video"}
              == {k: v for k, v in ref.items() if k != "video"},
              "POST /identify returns identify --json's object for clip_08")

        # Bad uploads.
        status, body = http("POST", url + "identify?name=notes.txt", b"hello, this is not a video\n" * 40)
        err = json.loads(body).get("error", "")
        check(status == 422 and err.startswith("notes.txt:") and "hero-id-serve-" not in err,
              f"not a video: 422 naming the upload, not the server's folder ({status} {err})")
        status, body = http("POST", url + "identify?name=empty.mp4", b"")
        check(status == 400 and "empty" in json.loads(body).get("error", ""), f"empty upload: 400 ({status})")
        status, body = http("POST", url + "identify?name=big.mp4", os.urandom(3 * 1024 * 1024))
        check(status == 413, f"3 MB upload over the 2 MB limit: 413 ({status})")
        evil = f"evil-{secrets.token_hex(4)}.mp4"
        status, body = http("POST", url + "identify?name=" + urllib.parse.quote(f"../../../../tmp/{evil}"),
                            open(clip, "rb").read())
        got = json.loads(body) if status == 200 else {}
        check(status == 200 and got.get("video") == evil,
              f"path-like name: identified under its last component ({status}, {got.get('video')})")
        check(not os.path.exists(f"/tmp/{evil}") and not os.path.exists(os.path.join(ROOT, evil)),
              "path-like name: nothing written outside the server's folder")
        status, body = http("GET", url + "jobs/nonesuch")
        check(status == 404, "GET /jobs/unknown-id: 404")

        # Ten uploads at once, with 1 running and 2 waiting allowed.
        data = open(clip, "rb").read()
        results = [None] * 10
        barrier = threading.Barrier(10)

        def upload(i):
            barrier.wait()
            t0 = time.time()
            results[i] = (*http("POST", url + f"identify?name=c{i}.mp4", data), time.time() - t0)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(10)]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.time() - t0
        codes = [r[0] for r in results if r]
        ok = [json.loads(r[1]) for r in results if r and r[0] == 200]
        busy = [json.loads(r[1]) for r in results if r and r[0] == 503]
        check(len(codes) == 10, "10 concurrent uploads: 10 answers, none lost")
        check(all(c in (200, 503) for c in codes), f"10 concurrent uploads: each 200 or 503 ({codes})")
        check(len(ok) >= 1 and all(o["hero"] == want["hero"] for o in ok),
              f"10 concurrent uploads: {len(ok)} identified, all with identify's answer")
        check(all(b_["error"].startswith("busy") for b_ in busy), "the refused ones are told busy")
        facts["concurrent"] = {"codes": codes, "identified": len(ok), "busy": len(busy),
                               "seconds": round(wall, 1),
                               "answer_seconds": [round(r[2], 1) for r in results if r]}
        status, body = http("GET", url + "healthz")
        h = json.loads(body)
        check(h["running"] == 0 and h["queued"] == 0 and h["uploading"] == 0 and h["uploads_on_disk"] == 0,
              f"afterwards: nothing running or waiting, no upload left on disk ({h})")

        # The limit holds: three uploads that stall take every admission (1 running + 2
        # waiting); the next is refused with 503 and a Retry-After no later than the stalled
        # ones' idle time-out; a client that follows it gets in; the stalled ones get 408.
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        stalls = []
        for i in range(3):
            s = socket.create_connection(("127.0.0.1", port), timeout=300)
            s.sendall(f"POST /identify?name=stall{i}.mp4 HTTP/1.1\r\nHost: x\r\n"
                      f"Content-Length: 1000000\r\n\r\n".encode() + b"\0" * 1000)
            stalls.append(s)
        deadline = time.time() + 120
        while time.time() < deadline and json.loads(http("GET", url + "healthz")[1])["uploading"] < 3:
            time.sleep(0.05)
        answers, retries = [], []
        while len(answers) < 30:
            hdrs = {}
            status, body = http("POST", url + "identify?name=polite.mp4", data, headers=hdrs)
            answers.append(status)
            if status != 503:
                break
            retries.append(int(hdrs.get("Retry-After", "-1")))
            time.sleep(max(retries[-1], 1))
        check(answers[0] == 503 and 1 <= retries[0] <= idle + 1,
              f"stalled uploads fill the queue: 503 with Retry-After <= {idle + 1} ({answers}, {retries})")
        check(answers[-1] == 200, f"a client that follows Retry-After gets in ({answers}, {retries})")
        stalled = []
        for s in stalls:
            stalled.append(s.recv(65536).decode(errors="replace").split("\r\n", 1)[0])
            s.close()
        check(all(" 408 " in line for line in stalled), f"the stalled uploads get 408 ({stalled})")
        h = json.loads(http("GET", url + "healthz")[1])
        check(h["uploading"] == 0 and h["uploads_on_disk"] == 0,
              f"the stalled uploads' files are gone ({h})")
        facts["stalled"] = {"answers": answers, "retry_after": retries}
    finally:
        pid = proc.pid
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        left = glob.glob(os.path.join(tempfile.gettempdir(), f"hero-id-serve-{pid}-*"))
        check(proc.returncode == 0 and not left,
              f"SIGTERM stops the server (status {proc.returncode}) and removes its folder ({left})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--artefacts", required=True)
    p.add_argument("--only", choices=["report", "serve"])
    p.add_argument("--docs-screenshots", metavar="DIR", help="also write docs/img-sized PNGs")
    a = p.parse_args()
    global DOCS
    DOCS = a.docs_screenshots
    if DOCS:
        os.makedirs(DOCS, exist_ok=True)
    os.makedirs(a.artefacts, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hero-id-browser-") as work:
        model, crops = make_model(a.bin, work)
        if model:
            expected = report_checks(a.bin, work, model, crops, a.artefacts)
            if a.only != "report":
                serve_checks(a.bin, model, expected, a.artefacts)
    facts["failures"] = failures
    facts["screenshots"] = sorted(glob.glob(os.path.join(a.artefacts, "*.png")))
    print(json.dumps(facts, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
