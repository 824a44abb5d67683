#!/usr/bin/env python3
"""Per-variation figures of `identify` (the HUD found by default) on rendered footage (docs/footage.md).

usage: eval-footage.py IDENTIFY.jsonl MODEL_DIR

IDENTIFY.jsonl: `hero-id identify --json` over clips rendered by sample-maker (each
clip's sidecar CLIP.json beside it names the hero and the footage style). A clip is "known" when
its hero is one of the model's classes (MODEL_DIR/labels.txt). Prints, per style: clips, known
clips named right, known clips wrongly rejected, known clips given another hero, clips of heroes
absent from training answered "unknown", HUD scale error; then the totals.
"""
import json
import os
import sys
from collections import defaultdict


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    labels = {l.strip() for l in open(os.path.join(sys.argv[2], "labels.txt")) if l.strip()}
    per = defaultdict(lambda: defaultdict(int))
    worst_scale = defaultdict(float)
    for r in rows:
        sidecar = json.load(open(os.path.splitext(r["video"])[0] + ".json"))
        style = sidecar["footage"]["style"]
        truth = sidecar["hero"]
        s = per[style]
        s["clips"] += 1
        if "error" in r:
            s["errors"] += 1
            continue
        hud = (r.get("geometry") or {}).get("hud")
        if hud is None:
            s["no_hud"] += 1
        else:
            worst_scale[style] = max(
                worst_scale[style], abs(hud["scale"] - sidecar["footage"]["hud_scale"]))
        if truth in labels:
            s["known"] += 1
            if r.get("hero") == truth:
                s["right"] += 1
            elif r.get("hero") is None:
                s["rejected"] += 1
            else:
                s["wrong"] += 1
        else:
            s["absent"] += 1
            s["absent_unknown"] += r.get("hero") is None
    cols = ["clips", "known", "right", "rejected", "wrong", "absent", "absent_unknown", "no_hud"]
    print("%-40s %s %s" % ("style", " ".join("%8s" % c[:8] for c in cols), "scale err"))
    total = defaultdict(int)
    for style in sorted(per):
        s = per[style]
        for c in cols:
            total[c] += s[c]
        print("%-40s %s %9.3f" % (style, " ".join("%8d" % s[c] for c in cols), worst_scale[style]))
    print("%-40s %s" % ("all", " ".join("%8d" % total[c] for c in cols)))
    k = max(total["known"], 1)
    a = max(total["absent"], 1)
    print(
        "known clips named right %.3f (%d/%d), wrongly rejected %.3f, named as another hero %d;"
        " absent heroes answered unknown %.3f (%d/%d)"
        % (total["right"] / k, total["right"], total["known"], total["rejected"] / k,
           total["wrong"], total["absent_unknown"] / a, total["absent_unknown"], total["absent"]))


if __name__ == "__main__":
    main()
