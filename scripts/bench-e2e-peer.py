"""The pipeline a user would write instead of hero-id, for scripts/bench-e2e.sh: the `ffmpeg`
CLI for key frames, Pillow for the crop, ONNX Runtime for the Inception v3 bottlenecks, numpy
for a softmax layer. Runs in the throw-away bench venv, never in the product.

  bench-e2e-peer.py ONNX TRAIN_DIR TEST_DIR WORK_DIR

TRAIN_DIR holds one folder per hero of training clips (*.mp4); TEST_DIR holds clips with a
sidecar CLIP.json naming the hero. Steps, each timed:
  extract   key frames of every training clip (`ffmpeg -skip_frame nokey`, scaled to 1280x720),
            the skill-2 square (x 980..1083, y 447..550) cropped with Pillow and saved as JPEG;
  train     the bottleneck of every crop (ONNX Runtime, 2 threads, batches of 16), then a
            softmax layer by full-batch gradient descent (numpy);
  identify  per test clip: key frames, crops, bottlenecks, the mean of the softmax rows, argmax.
No screen sorting: loading, shop and menu frames are cropped too (a plain script has no sorter),
and no "unknown": every clip gets a hero. Prints one JSON line: seconds per step and in total,
and the accuracy on the test clips whose hero is among the training heroes.
"""

import glob
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

CROP = (980, 447, 1084, 551)  # left, top, right, bottom (exclusive): the default skill-2 crop


def key_frames(video, out_dir):
    """Key frames of `video` scaled to 1280x720, as JPEG files in out_dir (sorted)."""
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-skip_frame", "nokey", "-i", video,
         "-vsync", "vfr", "-s", "1280x720", "-q:v", "2", os.path.join(out_dir, "%06d.jpg")],
        check=True)
    return sorted(glob.glob(os.path.join(out_dir, "*.jpg")))


def crops_of(video, work):
    """Pillow crops (104x104 RGB images) of every key frame of `video`."""
    frames = key_frames(video, work)
    crops = []
    for f in frames:
        with Image.open(f) as im:
            crops.append(im.convert("RGB").crop(CROP))
        os.remove(f)
    return crops


def tensor(crops):
    """NCHW float32: bilinear to 299x299, (x - 128) / 128."""
    x = np.stack([np.asarray(c.resize((299, 299), Image.BILINEAR), dtype=np.float32)
                  for c in crops])
    return ((x - 128) / 128).transpose(0, 3, 1, 2).copy()


def bottlenecks(sess, crops, batch=16):
    out = []
    for i in range(0, len(crops), batch):
        out.append(sess.run(None, {"x": tensor(crops[i:i + batch])})[0].reshape(-1, 2048))
    return np.concatenate(out) if out else np.zeros((0, 2048), np.float32)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train(x, y, classes, steps=1000, rate=0.5):
    """A softmax layer by full-batch gradient descent on cross-entropy."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.001, (x.shape[1], classes)).astype(np.float32)
    b = np.zeros(classes, np.float32)
    onehot = np.eye(classes, dtype=np.float32)[y]
    for _ in range(steps):
        p = softmax(x @ w + b)
        g = (p - onehot) / len(x)
        w -= rate * (x.T @ g)
        b -= rate * g.sum(axis=0)
    return w, b


def main():
    onnx_path, train_dir, test_dir, work = sys.argv[1:5]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    times = {}

    start = time.perf_counter()
    heroes = sorted(d for d in os.listdir(train_dir)
                    if os.path.isdir(os.path.join(train_dir, d)))
    train_crops, labels = [], []
    for i, hero in enumerate(heroes):
        for video in sorted(glob.glob(os.path.join(train_dir, hero, "*.mp4"))):
            cs = crops_of(video, os.path.join(work, "frames"))
            for n, c in enumerate(cs):  # saved, as a user's extract step would
                d = os.path.join(work, "crops", hero)
                os.makedirs(d, exist_ok=True)
                c.save(os.path.join(d, "%s_%06d.jpg" % (os.path.basename(video), n)), quality=95)
            train_crops += cs
            labels += [i] * len(cs)
    times["extract"] = time.perf_counter() - start

    start = time.perf_counter()
    x = bottlenecks(sess, train_crops)
    w, b = train(x, np.array(labels), len(heroes))
    times["train"] = time.perf_counter() - start

    start = time.perf_counter()
    known = correct = clips = 0
    for video in sorted(glob.glob(os.path.join(test_dir, "*.mp4"))):
        clips += 1
        cs = crops_of(video, os.path.join(work, "frames"))
        if not cs:
            continue
        p = softmax(bottlenecks(sess, cs) @ w + b).mean(axis=0)
        guess = heroes[int(p.argmax())]
        with open(os.path.splitext(video)[0] + ".json") as f:
            truth = json.load(f)["hero"]
        if truth in heroes:
            known += 1
            correct += guess == truth
    times["identify"] = time.perf_counter() - start

    print(json.dumps({
        "engine": "ffmpeg+pillow+onnxruntime+numpy",
        "seconds": {k: round(v, 2) for k, v in times.items()},
        "total_seconds": round(sum(times.values()), 2),
        "training_crops": len(train_crops), "test_clips": clips,
        "known_clips": known, "known_correct": int(correct),
        "known_accuracy": round(correct / known, 3) if known else None}))


if __name__ == "__main__":
    main()
