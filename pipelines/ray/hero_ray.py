#!/usr/bin/env python3
"""Run `hero-id batch extract` / `batch identify` over a video tree on a Ray cluster.

    hero_ray.py extract  TREE --work DIR --out CROPS        [--shards N] [options]
    hero_ray.py identify TREE --work DIR --report FILE.csv --model DIR [--shards N] [options]

One Ray task per shard: task K runs `hero-id batch extract TREE --out WORK/shards/K-of-N
--shard K/N --jobs 1` (or `batch identify ... --report WORK/shards/K-of-N/report.csv`) on
whichever node Ray picks, with one CPU. The hero-id binary, the tree, the model and WORK must
be at the same paths on every node (a shared file system; see docs/scale-out.md). When the
shards are through, one more task runs `hero-id batch merge WORK/shards/* --out CROPS` (for
identify the driver joins the shard reports into FILE.csv).

Resumable: hero-id's journals are the state. Re-submitting the same command skips the shards
whose journals settle every video of the shard, and the others resume where their journals
stopped (hero-id rolls back a half-committed video); merging again adds only what is new.
Progress (videos settled, per second, ETA) comes from the driver, read off the journals.

Exit status: 0 every shard ran and the merge finished; 1 a shard task failed (node lost,
hero-id crashed) or some video failed in hero-id (named in the shard reports): submit again
to finish; 2 bad usage.

Python and Ray run only here, around the product: the work is done by the hero-id binary.
"""

import argparse
import csv
import ctypes
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata

VIDEO_EXTENSIONS = {
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "flv", "ts", "mts", "m2ts", "mpg", "mpeg",
    "wmv", "3gp",
}
TERMINAL = {"done", "failed", "duplicate"}


# MARK: - The tree and the shards (as hero-id: HeroCore/VideoTree.swift, Shard.swift)


def videos_under(root):
    """Relative paths of the videos under root, as `hero-id batch` finds them."""
    if os.path.isfile(root):
        return [os.path.basename(root)]
    out = []

    def walk(folder, rel, depth):
        for name in os.listdir(folder):
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            r = name if not rel else rel + "/" + name
            if os.path.isdir(full):
                if depth < 32:
                    walk(full, r, depth + 1)
            elif os.path.exists(full) and name.rsplit(".", 1)[-1].lower() in VIDEO_EXTENSIONS \
                    and "." in name:
                out.append(r)

    walk(root, "", 0)
    out.sort(key=lambda p: p.encode("utf-8"))
    return out


def shard_of(relative_path, count):
    """1-based shard: first 8 bytes of SHA-1(NFC path) big-endian, modulo count, plus 1."""
    p = relative_path.replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    p = p.lstrip("/")
    digest = hashlib.sha1(unicodedata.normalize("NFC", p).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def read_journal(path):
    """The videos a journal settles (done, failed, duplicate): {video: kind}."""
    settled = {}
    try:
        with open(path, "rb") as f:
            for raw in f:
                try:
                    r = json.loads(raw)
                except ValueError:
                    continue  # a torn last line
                kind, video = r.get("kind"), r.get("video")
                if video is None:
                    continue
                if kind in TERMINAL:
                    settled[video] = kind
                elif kind in ("begin", "abort"):
                    settled.pop(video, None)
    except FileNotFoundError:
        pass
    return settled


# MARK: - Tasks (run on the nodes)


def _die_with_parent():
    """In the child: SIGKILL when the Ray worker that started it dies (a lost node must not
    leave a hero-id writing into a shard that another node then takes over)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_hero_id(argv):
    """Runs one hero-id command on this node; returns its status and the tail of stderr."""
    import socket

    start = time.time()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       preexec_fn=_die_with_parent)
    return {
        "argv": argv,
        "node": socket.gethostname() + ":" + os.environ.get("RAY_NODE_NAME", ""),
        "pid": os.getpid(),
        "returncode": p.returncode,
        "stderr": p.stderr.decode("utf-8", "replace")[-2000:],
        "seconds": time.time() - start,
    }


# MARK: - The driver


class Job:
    def __init__(self, args):
        self.args = args
        self.tree = os.path.abspath(args.tree)
        self.work = os.path.abspath(args.work)
        self.hero_id = os.path.abspath(args.hero_id)
        self.n = args.shards
        self.shard_root = os.path.join(self.work, "shards")

    def shard_dir(self, k):
        return os.path.join(self.shard_root, f"{k}-of-{self.n}")

    def journal(self, k):
        if self.args.command == "extract":
            return os.path.join(self.shard_dir(k), ".batch", "journal.jsonl")
        return os.path.join(self.shard_dir(k), "report.csv.journal.jsonl")

    def shard_argv(self, k):
        a = self.args
        if a.command == "extract":
            argv = [self.hero_id, "batch", "extract", self.tree, "--out", self.shard_dir(k)]
        else:
            argv = [self.hero_id, "batch", "identify", self.tree, "--model",
                    os.path.abspath(a.model), "--report",
                    os.path.join(self.shard_dir(k), "report.csv")]
        argv += ["--shard", f"{k}/{self.n}", "--jobs", "1", "--quiet"]
        if a.every is not None:
            argv += ["--every", str(a.every)]
        if a.retry_failed:
            argv += ["--retry-failed"]
        return argv + a.hero_id_args

    def check_config(self):
        """The job's shape (tree, shard count, command, options) is fixed by its first
        submission: a later one with other values is refused, since its shard folders would
        not line up with the journals."""
        path = os.path.join(self.work, "job.json")
        a = self.args
        config = {"command": a.command, "tree": self.tree, "shards": self.n, "every": a.every,
                  "model": os.path.abspath(a.model) if a.command == "identify" else None}
        os.makedirs(self.work, exist_ok=True)
        if os.path.exists(path):
            with open(path) as f:
                old = json.load(f)
            if old != config:
                sys.exit(f"hero_ray: {path}: this work folder was started with {old}; "
                         f"now {config}: use another --work")
        else:
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(config, f, indent=2, sort_keys=True)
            os.replace(tmp, path)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(
        description="hero-id batch extract / identify on a Ray cluster (docs/scale-out.md)")
    ap.add_argument("command", choices=["extract", "identify"])
    ap.add_argument("tree", help="video tree (same path on every node)")
    ap.add_argument("--work", required=True, help="shared folder for the shard outputs")
    ap.add_argument("--out", help="extract: merged crop folder")
    ap.add_argument("--report", help="identify: joined report CSV")
    ap.add_argument("--model", help="identify: model directory")
    ap.add_argument("--shards", type=int, default=0,
                    help="number of shards (default: 4 per CPU of the cluster, fixed by the "
                         "first submission)")
    ap.add_argument("--address", default="auto", help="Ray cluster address (ray.init)")
    ap.add_argument("--hero-id", default=os.environ.get("HERO_ID", "hero-id"),
                    help="hero-id binary, same path on every node ($HERO_ID)")
    ap.add_argument("--every", type=float, default=None, help="passed to hero-id batch")
    ap.add_argument("--retry-failed", action="store_true", help="passed to hero-id batch")
    ap.add_argument("--max-retries", type=int, default=3,
                    help="Ray retries of a shard task whose node dies (default 3)")
    ap.add_argument("--progress-seconds", type=float, default=5.0)
    ap.add_argument("--summary", help="also write the closing JSON summary to this file")
    ap.add_argument("hero_id_args", nargs="*", help="after --: more hero-id batch options")
    args = ap.parse_args()
    if args.command == "extract" and not args.out:
        ap.error("extract needs --out")
    if args.command == "identify" and not (args.report and args.model):
        ap.error("identify needs --report and --model")
    if not os.path.exists(args.tree):
        print(f"hero_ray: {args.tree}: no such tree", file=sys.stderr)
        return 1

    import shutil

    if os.sep not in args.hero_id:
        found = shutil.which(args.hero_id)
        if not found:
            print(f"hero_ray: {args.hero_id}: not found (set --hero-id or $HERO_ID)",
                  file=sys.stderr)
            return 1
        args.hero_id = found

    import ray

    ray.init(address=args.address, logging_level="ERROR", log_to_driver=False)
    if args.shards <= 0:
        existing = os.path.join(os.path.abspath(args.work), "job.json")
        if os.path.exists(existing):
            with open(existing) as f:
                args.shards = json.load(f)["shards"]
        else:
            args.shards = max(1, 4 * int(ray.cluster_resources().get("CPU", 1)))
    job = Job(args)
    job.check_config()

    videos = videos_under(job.tree)
    by_shard = {k: [] for k in range(1, job.n + 1)}
    for v in videos:
        by_shard[shard_of(v, job.n)].append(v)

    def settled_counts():
        per = {}
        for k in by_shard:
            s = read_journal(job.journal(k))
            per[k] = sum(1 for v in by_shard[k] if v in s)
        return per

    start_counts = settled_counts()
    todo = [k for k in by_shard if by_shard[k] and start_counts[k] < len(by_shard[k])]
    already = sum(start_counts.values())
    log(f"hero_ray {args.command}: {len(videos)} videos in {job.n} shards; "
        f"{already} already settled; {len(todo)} shard tasks to run on "
        f"{int(ray.cluster_resources().get('CPU', 0))} CPUs")

    for k in todo:
        os.makedirs(job.shard_dir(k), exist_ok=True)
    task = ray.remote(num_cpus=1, max_retries=args.max_retries)(run_hero_id)
    pending = {task.remote(job.shard_argv(k)): k for k in todo}
    results, failures = {}, []
    t0 = time.time()
    last = 0.0
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
        for ref in ready:
            k = pending.pop(ref)
            try:
                r = ray.get(ref)
            except Exception as e:  # the node or the worker died (after Ray's retries)
                failures.append(f"shard {k}/{job.n}: task lost ({type(e).__name__})")
                log(f"hero_ray: shard {k}/{job.n} lost: {type(e).__name__}: "
                    f"{str(e).splitlines()[0] if str(e) else ''}")
                continue
            results[k] = r
            if r["returncode"] not in (0, 1):
                failures.append(f"shard {k}/{job.n}: hero-id exited {r['returncode']}: "
                                f"{r['stderr'].strip().splitlines()[-1:] }")
            elif r["returncode"] == 1:
                failures.append(f"shard {k}/{job.n}: some video failed (see its report)")
        now = time.time()
        if now - last >= args.progress_seconds or not pending:
            last = now
            counts = settled_counts()
            done = sum(counts.values())
            rate = (done - already) / max(now - t0, 1e-9)
            eta = f"{(len(videos) - done) / rate:.0f}s" if rate > 0 else "?"
            log(f"hero_ray {args.command}: {done}/{len(videos)} videos settled, "
                f"{len(todo) - len(pending)}/{len(todo)} shard tasks finished, "
                f"{rate * 60:.1f} videos/min, ETA {eta}")

    # Merge whatever the shards hold (merging again later adds only what is new).
    shard_dirs = [job.shard_dir(k) for k in sorted(by_shard) if os.path.exists(job.journal(k))]
    merged_ok = True
    if args.command == "extract" and shard_dirs:
        merge = ray.remote(num_cpus=1, max_retries=args.max_retries)(run_hero_id)
        argv = [job.hero_id, "batch", "merge", *shard_dirs, "--out", os.path.abspath(args.out),
                "--quiet"]
        try:
            r = ray.get(merge.remote(argv))
            if r["returncode"] not in (0, 1):
                merged_ok = False
                failures.append(f"merge: hero-id exited {r['returncode']}: {r['stderr'][-500:]}")
        except Exception as e:
            merged_ok = False
            failures.append(f"merge: task lost ({type(e).__name__})")
    elif args.command == "identify":
        join_reports(job, sorted(by_shard), os.path.abspath(args.report))

    counts = settled_counts()
    log(f"hero_ray {args.command}: {sum(counts.values())}/{len(videos)} videos settled in "
        f"{time.time() - t0:.1f}s; "
        + (f"merged into {args.out}" if args.command == "extract" and merged_ok else
           f"report {args.report}" if args.command == "identify" else "not merged"))
    for f in failures:
        log(f"  {f}")
    summary = {"videos": len(videos), "settled": sum(counts.values()), "shards": job.n,
               "tasks_run": len(todo), "failures": failures,
               "seconds": round(time.time() - t0, 3)}
    print(json.dumps(summary, ensure_ascii=False))
    if args.summary:
        tmp = args.summary + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False)
        os.replace(tmp, args.summary)
    return 0 if not failures and sum(counts.values()) == len(videos) else 1


def join_reports(job, shards, out):
    """Joins the shard reports of `batch identify` into one CSV, rows sorted by video."""
    header, rows = None, []
    for k in shards:
        path = os.path.join(job.shard_dir(k), "report.csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="", encoding="utf-8") as f:
            r = list(csv.reader(f))
        if r:
            header = header or r[0]
            rows.extend(r[1:])
    if header is None:
        return
    rows.sort(key=lambda row: row[0].encode("utf-8"))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(buf.getvalue())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)


if __name__ == "__main__":
    sys.exit(main())
