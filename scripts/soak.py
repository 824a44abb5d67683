#!/usr/bin/env python3
"""The soak test (issue 29): `batch extract` + `batch identify` over a tree of sample-derived
clips, once clean and once with faults injected, and `serve` under a stalled upload; the final
outputs must equal the clean run's and nothing may be left behind.

    make soak            (scripts/soak.py [--copies K] [--work DIR])

Faults, each placed without a timing window (HERO_ID_STOP_AT stops hero-id at a named point,
docs/hostile-inputs.md):
  1. a full disk for a while: the crop folder is a small tmpfs that fills during the run (exit
     75, nothing settled as the videos' fault), then grows (remount), and the same command
     goes on (needs root and mount; skipped with a note otherwise);
  2. SIGTERM to `batch extract` and to `batch identify` (each stopped after a few videos, then
     terminated); the same command then goes on;
  3. a video vanishes after the walk, before its turn (deleted while the last run is stopped
     after its 2nd video): it is reported failed, the rest done;
  4. a stalled upload to `serve` (idle time-out 2 s): the stalled client gets 408, a client that
     follows Retry-After gets the clip's answer, equal to `batch identify`'s, and the server's
     temporary folder is empty once it stops.
The clean reference runs on the same tree less the vanished video. Crops compare by (video,
time, slot, content hash), identification rows as they are. Exit 0 when all holds.
"""
import argparse, csv, hashlib, json, os, shutil, signal, socket, subprocess, sys, time
import urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/hero-id")
SAMPLES = os.path.join(ROOT, "samples/train")
failures = []


def check(ok, what, detail=""):
    """Prints the check; `detail` (a command's stderr) only when it fails."""
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else " " + detail[-300:]), flush=True)
    if not ok:
        failures.append(what)


def run(args, env=None, **kw):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([BIN] + args, env=e, capture_output=True, text=True, **kw)


def stopped(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def run_stopping(args, point, then):
    """Runs hero-id until it stops at `point`, calls then(pid), and waits for it to end."""
    e = dict(os.environ, HERO_ID_STOP_AT=point)
    p = subprocess.Popen([BIN] + args, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    deadline = time.monotonic() + 900  # a guard against a hang, not a timing window
    while p.poll() is None and not stopped(p.pid):
        if time.monotonic() > deadline:
            p.kill()
            raise SystemExit(f"soak: {point} never reached")
        time.sleep(0.01)
    reached = p.poll() is None
    if reached:
        then(p.pid)
    err = p.communicate()[1]
    return reached, p.returncode, err


def crops_of(folder):
    """{(video, pts, slot): sha1 of the crop} from the folder's index.csv."""
    out = {}
    with open(os.path.join(folder, "index.csv"), newline="") as f:
        for row in csv.DictReader(f):
            name = os.path.basename(row["file"])
            slot = name.rsplit("-", 1)[1][:-4] if "-skill" in name else "skill2"
            with open(os.path.join(folder, row["file"]), "rb") as c:
                out[(row["video"], row["pts_seconds"], slot)] = hashlib.sha1(c.read()).hexdigest()
    return out


def report_rows(path):
    with open(path, newline="") as f:
        return sorted(tuple(r) for r in list(csv.reader(f))[1:])


def leftovers(folder):
    """Files that a finished run must not leave: staging entries, temporary files."""
    bad = []
    for dirpath, dirs, files in os.walk(folder):
        rel = os.path.relpath(dirpath, folder)
        if rel.startswith(os.path.join(".batch", "staging")) and (files or dirs):
            bad.append(rel)
        bad += [os.path.join(rel, f) for f in files if ".tmp" in f or f.startswith(".saving")]
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=10, help="copies of each training sample")
    ap.add_argument("--work", default=os.path.join(ROOT, ".soak"))
    a = ap.parse_args()
    started = time.monotonic()
    work = os.path.abspath(a.work)
    if os.path.ismount(os.path.join(work, "disk")):
        subprocess.run(["umount", os.path.join(work, "disk")])
    shutil.rmtree(work, ignore_errors=True)
    tree = os.path.join(work, "tree")
    # The tree: each sample training clip remuxed `copies` times with its own metadata (distinct
    # content, the same frames), one folder per hero.
    for hero in sorted(os.listdir(SAMPLES)):
        src = os.path.join(SAMPLES, hero)
        if not os.path.isdir(src):
            continue
        os.makedirs(os.path.join(tree, hero))
        for clip in sorted(c for c in os.listdir(src) if c.endswith(".mp4")):
            for k in range(a.copies):
                dst = os.path.join(tree, hero, f"{clip[:-4]}-{k:02d}.mp4")
                subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", os.path.join(src, clip),
                                "-c", "copy", "-metadata", f"comment=soak {k}", dst], check=True)
    videos = sorted(os.path.relpath(os.path.join(d, f), tree)
                    for d, _, fs in os.walk(tree) for f in fs if f.endswith(".mp4"))
    vanished = videos[-1]
    print(f"soak: {len(videos)} videos in {tree}", flush=True)

    # The clean reference: the same tree less the video that will vanish.
    clean_tree = os.path.join(work, "clean-tree")
    shutil.copytree(tree, clean_tree, copy_function=os.link)
    os.remove(os.path.join(clean_tree, vanished))
    clean = os.path.join(work, "clean-crops")
    r = run(["batch", "extract", clean_tree, "--out", clean, "--quiet"])
    check(r.returncode == 0, f"clean batch extract: exit {r.returncode}", r.stderr)
    model = os.path.join(work, "model")
    r = run(["train", clean, "--model", model, "--steps", "1000", "--review", "0"])
    check(r.returncode == 0, f"train: exit {r.returncode}", r.stderr)
    clean_report = os.path.join(work, "clean.csv")
    r = run(["batch", "identify", clean_tree, "--model", model, "--report", clean_report, "--quiet"])
    check(r.returncode == 0, f"clean batch identify: exit {r.returncode}", r.stderr)

    # The faulty run. The crop folder on a small tmpfs when this machine lets us mount one.
    disk = os.path.join(work, "disk")
    os.makedirs(disk)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk],
                             capture_output=True).returncode == 0
    print(f"soak: full-disk fault {'on (a 1 MB tmpfs)' if mounted else 'skipped (cannot mount)'}",
          flush=True)
    crops = os.path.join(disk, "crops")
    args = ["batch", "extract", tree, "--out", crops, "--quiet"]
    faults = []
    try:
        # 1. A full disk: the run stops (exit 75), nothing settled as the videos' fault; then
        # the disk grows.
        if mounted:
            r = run(args)
            check(r.returncode == 75, f"a full disk exits 75 (got {r.returncode}):", r.stderr)
            faults.append("a full disk (1 MB), then room")
            subprocess.run(["mount", "-o", "remount,size=256m", disk], check=True)

        # 2. SIGTERM after 3 more videos.
        def term(pid):
            os.kill(pid, signal.SIGTERM)
            os.kill(pid, signal.SIGCONT)
        reached, code, err = run_stopping(args, "video-done:3", term)
        check(reached and code == -signal.SIGTERM, f"batch extract terminated (exit {code})")
        faults.append("SIGTERM to batch extract")

        # 3. A video vanishes after the walk, before its turn (the last in the walk's order,
        # deleted while the run is stopped after its 2nd video); the run finishes the rest.
        def vanish(pid):
            os.remove(os.path.join(tree, vanished))
            os.kill(pid, signal.SIGCONT)
        reached, code, err = run_stopping(args, "video-done:2", vanish)
        check(reached, "the last batch extract reached its 2nd video")
        check(code == 1, f"the last batch extract exits 1 (the vanished video): {code}", err)
        faults.append("a video deleted mid-run")
        report = [json.loads(l) for l in open(os.path.join(crops, "batch-report.jsonl"))]
        failed = [x.get("video") for x in report if x.get("status") == "failed"]
        check(len(failed) == 1 and failed[0].endswith(vanished), f"only the vanished video failed: {failed}")
        check(crops_of(crops) == crops_of(clean), "crops equal the clean run's (video, time, slot, content)")
        check(not leftovers(crops), f"nothing left behind in the crop folder: {leftovers(crops)}")

        # 3. batch identify, terminated after 4 clips, then finished.
        ident = os.path.join(work, "faulty.csv")
        iargs = ["batch", "identify", tree, "--model", model, "--report", ident, "--quiet"]
        reached, code, err = run_stopping(iargs, "video-done:4", term)
        check(reached and code == -signal.SIGTERM, f"batch identify terminated (exit {code})")
        faults.append("SIGTERM to batch identify")
        r = run(iargs)
        check(r.returncode == 0, f"batch identify finishes: exit {r.returncode}", r.stderr)
        check(report_rows(ident) == report_rows(clean_report), "identify rows equal the clean run's")
    finally:
        if mounted:
            subprocess.run(["umount", disk])

    # 4. serve with a stalled upload.
    tmp = os.path.join(work, "serve-tmp")
    os.makedirs(tmp)
    serve = subprocess.Popen([BIN, "serve", "--model", model, "--port", "0", "--jobs", "1",
                              "--idle-timeout", "2"], env=dict(os.environ, TMPDIR=tmp),
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = ""
        for line in serve.stdout:
            if "http://" in line:
                url = line[line.index("http://"):].split()[0].rstrip("/")
                break
        check(url != "", f"serve listens: {url}")
        host, port = url[len("http://"):].split(":")
        clip = os.path.join(tree, videos[0])
        body = open(clip, "rb").read()
        stall = socket.create_connection((host, int(port)))
        stall.sendall(f"POST /identify?name=stall.mp4 HTTP/1.1\r\nHost: x\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:1000])
        faults.append("a stalled upload to serve")
        answer = None
        for _ in range(30):  # each wait is the server's Retry-After
            req = urllib.request.Request(f"{url}/identify?name=clip.mp4", data=body, method="POST")
            try:
                answer = json.loads(urllib.request.urlopen(req, timeout=600).read())
                break
            except urllib.error.HTTPError as e:
                if e.code != 503:
                    raise
                time.sleep(int(e.headers.get("Retry-After", "1")))
        stall.settimeout(600)
        status = stall.recv(64).decode(errors="replace")
        stall.close()
        check(" 408 " in status, f"the stalled upload got 408: {status.splitlines()[:1]}")
        expected = {r[0]: r[2] for r in report_rows(clean_report)}
        check(answer is not None and answer.get("hero") == (expected.get(videos[0]) or None),
              f"serve's answer equals batch identify's: {answer and answer.get('hero')} "
              f"vs {expected.get(videos[0])}")
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=600)
    check(os.listdir(tmp) == [], f"serve's temporary folder is empty: {os.listdir(tmp)}")

    seconds = time.monotonic() - started
    print(f"soak: {len(videos)} videos, faults injected: {'; '.join(faults)}; "
          f"outputs equal to the clean run's: {'yes' if not failures else 'NO'}; {seconds:.0f} s")
    if failures:
        print("soak: FAILED: " + "; ".join(failures))
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
