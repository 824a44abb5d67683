#!/usr/bin/env python3
"""Compilations (issue 27, docs/training.md): 24 renders of 12 s (8 trained heroes x 2, two
heroes never trained x 4; seeds BASE+1 to BASE+24), 10 compilations of 2 to 4 parts of
different heroes (ffmpeg concat), identified with MODEL; a wanted segment (consecutive parts of
one hero, or of unknown heroes, merged) is right when a segment has its hero (or unknown) with
both ends within 3 s of its parts' gameplay (sidecar spans). Also: single renders split.

    scripts/eval-compilations.py MODEL [BASE] [WORKDIR]     (BASE 9700: the figures' fresh set)
Needs `make build` (hero-id, sample-maker) and ffmpeg. Not part of `make test` (minutes)."""
import json, os, random, subprocess, sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SM = os.path.join(ROOT, ".build/release/sample-maker")
B = os.path.join(ROOT, ".build/release/hero-id")
model = sys.argv[1]
seed0 = int(sys.argv[2]) if len(sys.argv) > 2 else 9700
WORK = sys.argv[3] if len(sys.argv) > 3 else "compilations-out"
PD = os.path.join(WORK, "parts" + str(seed0))
CD = os.path.join(WORK, "comps" + str(seed0))
trained = ["亚瑟", "后羿", "妲己", "孙悟空", "李白", "貂蝉", "韩信", "鲁班七号"]
untrained = ["诸葛亮", "王昭君"]
os.makedirs(PD, exist_ok=True); os.makedirs(CD, exist_ok=True)
parts = []
seed = seed0
for h in trained:
    for k in range(2):
        seed += 1; parts.append((h, seed))
for h in untrained:
    for k in range(4):
        seed += 1; parts.append((h, seed))
files = []
for h, s in parts:
    f = f"{PD}/{h}_{s}.mp4"
    if not os.path.exists(f):
        subprocess.run([SM, "clip", "--hero", h, "--seed", str(s), "--duration", "12", "--out", f],
                       check=True, capture_output=True)
    files.append((f, h if h in trained else None))
rng = random.Random(seed)
comps = []
comp_files = {}
for c in range(10):
    n = rng.randint(2, 4)
    chosen = []
    while len(chosen) < n:
        f = rng.choice(files)
        if chosen and chosen[-1][0].split("_")[0] == f[0].split("_")[0]:
            continue
        if f in chosen: continue
        chosen.append(f)
    out = f"{CD}/comp_{c}.mp4"
    if not os.path.exists(out):
        args = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
        for f, _ in chosen: args += ["-i", f]
        fc = "".join(f"[{i}]scale=1280:720,setsar=1,fps=30[v{i}];" for i in range(n))
        fc += "".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0"
        args += ["-filter_complex", fc, "-c:v", "libx264", "-preset", "veryfast", "-g", "30", out]
        subprocess.run(args, check=True)
    comps.append((out, [h for _, h in chosen]))
    comp_files[out] = chosen
def identify(paths):
    r = subprocess.run([B, "identify", *paths, "--model", model, "--json"], capture_output=True, text=True)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
right = wanted_total = 0
for (out, heroes), res in zip(comps, identify([c for c, _ in comps])):
    wanted = []
    chosen_files = comp_files[out]
    for i, (f, h) in enumerate(chosen_files):
        side = json.load(open(f[:-4] + ".json"))
        g = [sp for sp in side["spans"] if sp["screen"] == "gameplay"]
        start, end = i * 12 + g[0]["start"], i * 12 + g[-1]["end"]
        if wanted and wanted[-1][2] == h:
            wanted[-1][1] = end
        else:
            wanted.append([start, end, h])
    segs = res.get("segments", [])
    got = [(s["start"], s["end"], s["hero"]) for s in segs]
    ok = [any(g[2] == w[2] and abs(g[0] - w[0]) <= 3 and abs(g[1] - w[1]) <= 3 for g in got) for w in wanted]
    right += sum(ok); wanted_total += len(wanted)
    print(out, [(round(w[0],1), round(w[1],1), w[2]) for w in wanted], [(round(g[0],1), round(g[1],1), g[2]) for g in got], sum(ok), "/", len(wanted))
split = sum(1 for r in identify([f for f, _ in files]) if len(r.get("segments", [])) > 1)
print(f"segments right: {right}/{wanted_total} = {right/wanted_total:.2f}; single renders split: {split}/{len(files)}")
