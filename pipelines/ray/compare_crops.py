#!/usr/bin/env python3
"""Do two `hero-id batch` crop folders hold the same crops and rows, as sets?

    compare_crops.py EXPECTED ACTUAL [--journals SHARDS_DIR]

Crop names depend on the order videos finish, so they are compared by content: per hero
folder, the multiset of SHA-1s of the crop files; and the `index.csv` rows with the `file`
column replaced by the SHA-1 of the file it names. With --journals, every video must be
`done` at most once across the shard journals below SHARDS_DIR (nothing processed twice).
Exits 1 with the differences when they differ.
"""

import argparse
import collections
import csv
import glob
import hashlib
import json
import os
import sys


def sha1(path):
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()


def crops(folder):
    per_hero = collections.defaultdict(collections.Counter)
    for name in sorted(os.listdir(folder)):
        sub = os.path.join(folder, name)
        if name.startswith(".") or not os.path.isdir(sub):
            continue
        for f in os.listdir(sub):
            if f.endswith(".jpg"):
                per_hero[name][sha1(os.path.join(sub, f))] += 1
    return per_hero


def rows(folder):
    out = collections.Counter()
    with open(os.path.join(folder, "index.csv"), newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        for row in r:
            h = sha1(os.path.join(folder, row["file"]))
            out[(h, row["video"], row["pts_seconds"], row["screen"], row["hero"])] += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expected")
    ap.add_argument("actual")
    ap.add_argument("--journals")
    a = ap.parse_args()
    problems = []
    ce, ca = crops(a.expected), crops(a.actual)
    for hero in sorted(set(ce) | set(ca)):
        if ce[hero] != ca[hero]:
            missing = sum((ce[hero] - ca[hero]).values())
            extra = sum((ca[hero] - ce[hero]).values())
            problems.append(f"{hero}: {missing} crops missing, {extra} extra or doubled")
    re_, ra = rows(a.expected), rows(a.actual)
    if re_ != ra:
        problems.append(f"index.csv: {sum((re_ - ra).values())} rows missing, "
                        f"{sum((ra - re_).values())} extra or doubled")
    n_files = sum(sum(c.values()) for c in ca.values())
    if n_files != sum(ra.values()):
        problems.append(f"{n_files} crop files but {sum(ra.values())} index rows")
    if a.journals:
        done = collections.Counter()
        for j in glob.glob(os.path.join(a.journals, "*", ".batch", "journal.jsonl")):
            with open(j, "rb") as f:
                for line in f:
                    try:
                        r = json.loads(line)
                    except ValueError:
                        continue
                    if r.get("kind") == "done":
                        done[r["video"]] += 1
        twice = [v for v, n in done.items() if n > 1]
        if twice:
            problems.append(f"done more than once in the shard journals: {twice}")
    heroes = len(ca)
    print(f"compare: {a.actual}: {n_files} crops of {heroes} heroes, {sum(ra.values())} rows; "
          f"expected {sum(sum(c.values()) for c in ce.values())} crops, {sum(re_.values())} rows")
    for p in problems:
        print("compare: " + p, file=sys.stderr)
    if problems:
        return 1
    print("compare: same crops and rows as sets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
