#!/usr/bin/env python3
"""Is the exported ONNX file the same model as hero-id? (run by scripts/test-export.sh)

Inputs, all made by hero-id in the same run:
  --model DIR        the model directory the files were exported from
  --probe FILE       `hero-id export DIR --probe LIST` output: hero-id's own probabilities and
                     bottleneck per image (JPEG -> libjpeg-turbo -> resize -> Inception v3 ->
                     final layer), one JSON line per image
  --fp32-uint8 F     export with uint8 input
  --fp32-float F     export with --input float32
  --fp16-float F     export with --fp16 --input float32
  --fp16-uint8 F     export with --fp16 (size and metadata only)
  --int8-uint8 F     export with --int8 (reference JPEGs, speed)
  --int8-float F     export with --int8 --input float32 (sample crops)
  --reference DIR    Tests/InceptionTests/Reference (PyTorch's bottlenecks of 12 JPEGs)
  --crops LIST       the sample crops (JPEG paths, one a line; also in the probe)

Checks (each an assertion; any failure exits 1):
  - every file passes onnx.checker (full_check, shape inference);
  - metadata_props: labels and layout equal model.json's;
  - fp32, uint8 input, the 7 reference JPEGs that are 299x299 (decoded by Pillow, which is
    libjpeg-turbo islow + fancy upsampling like hero-id): probabilities within 1e-4 of
    hero-id's, bottleneck within 1e-3 of PyTorch's reference vector (the golden tolerance);
  - fp32, float input, all reference images and every sample crop (resized to 299x299 here
    with the half-pixel bilinear resize hero-id documents, in float32): probabilities within
    1e-4 of hero-id's;
  - fp16 weights: each crop's bottleneck within 3x the relative error predicted from the
    file's own float16 rounding (sqrt of the per-layer e_w^2 sum, as docs/int8.md derives for
    int8), and the same argmax as hero-id on every sample crop whose top-2 logit margin exceeds
    what that error and the final layer's rounding can move it (Cauchy-Schwarz); near-ties
    within the bound are printed. Likewise the fp32 and int8 argmax checks exempt only crops
    whose top two probabilities lie within twice the asserted 1e-4 (a retrained model can have
    such a crop: `batch extract` names crops in the order videos finish, so the training split
    and the model vary from run to run);
  - int8 (QDQ): the file within 25 MB; its metadata says int8 and names the calibration; the
    same argmax as hero-id's own int8 pass (`export --probe`) on every sample crop,
    probabilities within 1e-4 (asserted where the CPU has VNNI: ONNX Runtime's integer sums
    are exact there and the file computes what hero-id's int8 pass computes; elsewhere at
    least 85 % of the crops, a guard against a broken export). Against hero-id's float32: for
    a model trained in fp32 (`train --precision fp32`), the same argmax on at least 85 % of the
    crops (issue 28 asks for all, not met, docs/export.md says why) and, with --clips-index,
    the same answer per test clip (the argmax of the mean probabilities over all its crops, as
    identify averages a clip's frames) as the float32 file; for a model trained in int8
    (`train`'s default) those are reported, and the clip answers must equal those of hero-id's
    own int8 probabilities of every crop. Every disagreeing crop is printed with hero-id's
    margins; the reference images' agreement is printed, not asserted;
  - a dynamic batch: a batch of 16 gives the rows of 16 single runs (1e-5).
Then ORT's speed (images/s, batch 1 and 16, 2 intra-op threads; fp32, fp16 and int8 files) beside hero-id's own
`bottleneck --bench` on the same crops in the same run (--hero-id), and the file sizes,
printed as one JSON line.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

SIDE = 299
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def decode(path):
    """HxWx3 uint8, as libjpeg-turbo's accurate defaults (Pillow bundles libjpeg-turbo)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def axis(n_in, n_out):
    scale = np.float32(n_in) / np.float32(n_out)
    d = np.arange(n_out, dtype=np.float32)
    s = np.maximum(np.float32(0), scale * (d + np.float32(0.5)) - np.float32(0.5)).astype(np.float32)
    i0 = np.minimum(np.floor(s).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = (s - i0.astype(np.float32)).astype(np.float32)
    w0 = (np.float32(1) - w1).astype(np.float32)
    return i0, i1, w0, w1


def resize(img):
    """Bilinear to 299x299, half-pixel centres, no antialias, float32 (InceptionInput.swift):
    h0 * (w0 * a + w1 * b) + h1 * (w0 * c + w1 * d)."""
    h, w, _ = img.shape
    x = img.astype(np.float32)
    if (h, w) == (SIDE, SIDE):
        return x
    yi0, yi1, h0, h1 = axis(h, SIDE)
    xi0, xi1, v0, v1 = axis(w, SIDE)
    a = x[yi0][:, xi0]
    b = x[yi0][:, xi1]
    c = x[yi1][:, xi0]
    d = x[yi1][:, xi1]
    v0 = v0[None, :, None]
    v1 = v1[None, :, None]
    top = v0 * a + v1 * b
    bottom = v0 * c + v1 * d
    return (h0[:, None, None] * top + h1[:, None, None] * bottom).astype(np.float32)


def session(path, threads=2):
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


def run(sess, batch):
    p, b = sess.run(["probabilities", "bottleneck"], {"image": batch})
    return p, b


def fp16_error_bound(fp32_path, fp16_path):
    """The predicted relative error of the fp16 file's bottleneck, from its own weights.

    Each convolution's float16 weights differ from the float32 ones by a relative
    e_w^2 = sum (w16 - w)^2 / sum w^2 (exactly, from the two files); activations stay float32.
    As for int8 (docs/int8.md, "The tolerance and its derivation"): a layer does not amplify a
    relative error, independent layers' squares add, and the towers are over-counted, so
    sqrt(sum e_w^2) over-estimates the bottleneck's relative error; the check allows 3x.
    Also returns the final layer's matrices (float32 and as stored in the fp16 file)."""
    from onnx import numpy_helper
    w32 = {i.name: numpy_helper.to_array(i).astype(np.float64)
           for i in onnx.load(fp32_path).graph.initializer}
    w16 = {i.name: numpy_helper.to_array(i).astype(np.float64)
           for i in onnx.load(fp16_path).graph.initializer}
    convs = [k for k, w in w32.items() if k.endswith(".weight") and w.ndim == 4]
    # Every float16 matrix is the float32 one rounded to nearest even (numpy's rounding, as
    # Swift's Float16(_:)): exact, so the bound below is derived from the right weights.
    rounded = [k for k in w16 if k in w32 and w16[k].shape == w32[k].shape
               and not np.array_equal(w16[k], w32[k])]
    wrong = [k for k in rounded
             if not np.array_equal(w16[k], w32[k].astype(np.float16).astype(np.float64))]
    e2 = sum(float(((w16[k] - w32[k]) ** 2).sum() / (w32[k] ** 2).sum()) for k in convs)
    return {"relative": float(np.sqrt(e2)), "layers": len(convs), "rounded": len(rounded),
            "wrong": wrong,
            "final": w32["final.weights"], "final16": w16["final.weights"]}


def fp16_margin_bound(bound, hp, hb):
    """Per crop, the most the fp16 file can move hero-id's top-2 logit margin z_a - z_b.

    z16 - z = W16 (b16 - b) + (W16 - W) b, so the margin moves by at most
    ||w16_a - w16_b|| ||b16 - b|| + ||dw_a - dw_b|| ||b|| (Cauchy-Schwarz), with
    ||b16 - b|| <= 3 x the predicted relative error x ||b|| (asserted above)."""
    order = np.argsort(hp, 1)
    a, b = order[:, -1], order[:, -2]
    w, w16 = bound["final"], bound["final16"]
    dw = w16 - w
    nb = np.linalg.norm(hb, axis=1)
    return nb * (3 * bound["relative"] * np.linalg.norm(w16[:, a] - w16[:, b], axis=0)
                 + np.linalg.norm(dw[:, a] - dw[:, b], axis=0))


def main():
    ap = argparse.ArgumentParser()
    for name in ["model", "probe", "fp32-uint8", "fp32-float", "fp16-float", "fp16-uint8",
                 "reference", "crops"]:
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--int8-uint8")
    ap.add_argument("--int8-float")
    ap.add_argument("--clips-index", help="index.csv of the test clips' crops: int8 clip answers")
    ap.add_argument("--bench-images", type=int, default=32)
    ap.add_argument("--hero-id", help="hero-id binary: time its `bottleneck --bench` as the peer")
    a = ap.parse_args()

    with open(os.path.join(a.model, "model.json"), encoding="utf-8") as f:
        header = json.load(f)
    trained_precision = (header.get("trained_with") or {}).get("precision") or "fp32"
    probe = {}
    with open(a.probe, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            probe[r["image"]] = (np.array(r["probabilities"], dtype=np.float64),
                                 np.array(r["bottleneck"], dtype=np.float64),
                                 np.array(r["probabilities_int8"], dtype=np.float64))
    with open(a.crops, encoding="utf-8") as f:
        crops = [l.strip() for l in f if l.strip()]
    with open(os.path.join(a.reference, "manifest.json")) as f:
        manifest = json.load(f)
    refs = manifest["images"] if isinstance(manifest, dict) and "images" in manifest else manifest

    files = {"fp32-uint8": a.fp32_uint8, "fp32-float": a.fp32_float,
             "fp16-float": a.fp16_float, "fp16-uint8": a.fp16_uint8}
    int8 = bool(a.int8_uint8 and a.int8_float)
    if int8:
        files.update({"int8-uint8": a.int8_uint8, "int8-float": a.int8_float})
    for name, path in files.items():
        m = onnx.load(path)
        try:
            onnx.checker.check_model(m, full_check=True)
            check(True, f"{name}: onnx.checker full_check")
        except Exception as e:  # noqa: BLE001
            check(False, f"{name}: onnx.checker: {e}")
        meta = {p.key: p.value for p in m.metadata_props}
        check(json.loads(meta.get("labels", "null")) == header["labels"],
              f"{name}: metadata labels == model.json labels {header['labels']}")
        check(json.loads(meta.get("layout", "null")) == header["trained_with"]["layout"],
              f"{name}: metadata layout == model.json trained_with.layout")
        if name.startswith("int8"):
            calibration = json.loads(meta.get("calibration", "{}"))
            check(meta.get("weights_precision") == "int8" and "QDQ" in meta.get("quantization", "")
                  and calibration.get("source"),
                  f"{name}: metadata weights_precision int8, quantization QDQ, calibration "
                  f"{calibration.get('source')!r} ({calibration.get('images')} images)")
            ops = {n.op_type for n in m.graph.node}
            check({"QuantizeLinear", "DequantizeLinear"} <= ops,
                  f"{name}: QuantizeLinear and DequantizeLinear in the graph")

    labels = header["labels"]
    s32u = session(a.fp32_uint8)
    s32f = session(a.fp32_float)
    s16f = session(a.fp16_float)

    # Reference images.
    worst_p, worst_ref, worst_p_f = 0.0, 0.0, 0.0
    n299 = 0
    for r in refs:
        path = os.path.join(a.reference, r["file"])
        img = decode(path)
        key = next((k for k in probe if os.path.basename(k) == r["file"]), None)
        check(key is not None, f"reference {r['file']} in hero-id's probe")
        if key is None:
            continue
        hp, hb = probe[key][:2]
        if img.shape[:2] == (SIDE, SIDE):
            n299 += 1
            p, b = run(s32u, img[None])
            worst_p = max(worst_p, float(np.abs(p[0] - hp).max()))
            ref = np.fromfile(os.path.join(a.reference, r["vector"]), dtype="<f4")
            worst_ref = max(worst_ref, float(np.abs(b[0] - ref).max()))
        p, _ = run(s32f, resize(img)[None])
        worst_p_f = max(worst_p_f, float(np.abs(p[0] - hp).max()))
    check(n299 == 7 and worst_p <= 1e-4,
          f"fp32 uint8, {n299} reference images 299x299: max |p - hero-id| = {worst_p:.2e} <= 1e-4")
    check(worst_ref <= 1e-3,
          f"fp32 uint8, bottleneck vs PyTorch reference: max |diff| = {worst_ref:.2e} <= 1e-3")
    check(worst_p_f <= 1e-4,
          f"fp32 float, all {len(refs)} reference images: max |p - hero-id| = {worst_p_f:.2e} <= 1e-4")

    # int8 on the reference images: hero-id's float32 argmax (these are not hero crops, so
    # their margins between the top two labels can be small: printed).
    if int8:
        s8u = session(a.int8_uint8)
        s8f = session(a.int8_float)
        ref_same, ref_total, ref_lines = 0, 0, []
        for r in refs:
            path = os.path.join(a.reference, r["file"])
            img = decode(path)
            key = next((k for k in probe if os.path.basename(k) == r["file"]), None)
            if key is None:
                continue
            hp = probe[key][0]
            top = np.argsort(hp)[::-1]
            runs8 = [("float", run(s8f, resize(img)[None])[0][0])]
            if img.shape[:2] == (SIDE, SIDE):
                runs8.append(("uint8", run(s8u, img[None])[0][0]))
            for kind, p8 in runs8:
                ref_total += 1
                same = int(p8.argmax()) == int(top[0])
                ref_same += same
                if not same:
                    ref_lines.append(f"     {r['file']} ({kind} input): hero-id {labels[top[0]]} "
                                     f"p={hp[top[0]]:.4f} (next {hp[top[1]]:.4f}), int8 "
                                     f"{labels[int(p8.argmax())]} p={p8.max():.4f}")
        # Printed, not asserted: photos and art, where the top two labels are often close and a
        # quantized network may swap them (docs/export.md, "int8").
        print(f"     int8: argmax == hero-id's float32 on {ref_same}/{ref_total} reference runs "
              "(reported)")
        for line in ref_lines:
            print(line)

    # Sample crops.
    batch = np.stack([resize(decode(c)) for c in crops])
    hp = np.stack([probe[c][0] for c in crops])
    hb = np.stack([probe[c][1] for c in crops])
    p32 = np.concatenate([run(s32f, batch[i:i + 16])[0] for i in range(0, len(crops), 16)])
    b32 = np.concatenate([run(s32f, batch[i:i + 16])[1] for i in range(0, len(crops), 16)])
    p16 = np.concatenate([run(s16f, batch[i:i + 16])[0] for i in range(0, len(crops), 16)])
    d32 = float(np.abs(p32 - hp).max())
    db32 = float(np.abs(b32 - hb).max())
    d16 = float(np.abs(p16 - hp).max())
    arg_h = hp.argmax(1)
    same32 = int((p32.argmax(1) == arg_h).sum())
    same16 = int((p16.argmax(1) == arg_h).sum())
    check(d32 <= 1e-4, f"fp32, {len(crops)} sample crops: max |p - hero-id| = {d32:.2e} <= 1e-4")
    # Within 1e-4 of each probability, the argmax can differ only where hero-id's top two are
    # within 2e-4 (a near-tie, which a retrained model may have): those are printed.
    ordered_h = np.sort(hp, 1)
    tie32 = ordered_h[:, -1] - ordered_h[:, -2] <= 2e-4
    check(bool(((p32.argmax(1) == arg_h) | tie32).all()),
          f"fp32: argmax == hero-id's on {same32}/{len(crops)} crops "
          f"(every crop but near-ties within 2e-4: {int(tie32.sum())})")
    # fp16: the bound on the bottleneck's relative error is derived from the file's own
    # weights, and it bounds each crop's top-2 logit margin change (below).
    b16 = np.concatenate([run(s16f, batch[i:i + 16])[1] for i in range(0, len(crops), 16)])
    bound16 = fp16_error_bound(a.fp32_float, a.fp16_float)
    rel16 = np.linalg.norm(b16 - hb, axis=1) / np.linalg.norm(hb, axis=1)
    check(not bound16["wrong"] and bound16["rounded"] >= bound16["layers"] + 1,
          f"fp16: {bound16['rounded']} weight tensors, each the float32 one rounded to nearest "
          f"even (wrong: {bound16['wrong'][:3]})")
    check(bool(rel16.max() <= 3 * bound16["relative"]),
          f"fp16: bottleneck ||b16 - b|| / ||b|| <= 3 x {bound16['relative']:.2e} (predicted from "
          f"the weights' float16 rounding) on every crop (max {rel16.max():.2e}, median "
          f"{np.median(rel16):.2e})")
    margin_bound16 = fp16_margin_bound(bound16, hp, hb)
    logs_h = np.log(np.maximum(ordered_h, 1e-30))
    tie16 = logs_h[:, -1] - logs_h[:, -2] <= margin_bound16
    check(bool(((p16.argmax(1) == arg_h) | tie16).all()),
          f"fp16: argmax == hero-id's on {same16}/{len(crops)} crops (every crop but those whose "
          f"top-2 logit margin is within the bound: {int(tie16.sum())}; max |p diff| {d16:.2e})")
    for i in np.nonzero(p16.argmax(1) != arg_h)[0]:
        print(f"     {crops[i]}: hero-id {labels[arg_h[i]]} logit margin "
              f"{logs_h[i, -1] - logs_h[i, -2]:.4f} (bound {margin_bound16[i]:.3f}); fp16 "
              f"{labels[p16[i].argmax()]}")
    int8_stats = {}
    if int8:
        p8 = np.concatenate([run(s8f, batch[i:i + 16])[0] for i in range(0, len(crops), 16)])
        b8 = np.concatenate([run(s8f, batch[i:i + 16])[1] for i in range(0, len(crops), 16)])
        same8 = int((p8.argmax(1) == arg_h).sum())
        ordered = np.sort(hp, 1)
        margin_h = ordered[:, -1] - ordered[:, -2]
        # The same margin in logits (log p1 - log p2), and int8's logit error: the RMS of
        # log p8 - log p over crops and labels, each row centred (the softmax's constant removed).
        logs = np.log(np.maximum(ordered, 1e-30))
        logit_margin_h = logs[:, -1] - logs[:, -2]
        err = np.log(np.maximum(p8.astype(np.float64), 1e-30)) - np.log(np.maximum(hp, 1e-30))
        err -= err.mean(1, keepdims=True)
        logit_rms = float(np.sqrt((err ** 2).mean()))
        # The bottleneck's error relative to its scale: max |b8 - b| / max |b| per crop.
        rel = float((np.abs(b8 - hb).max(1) / np.abs(hb).max(1)).max())
        int8_stats = {"int8_argmax_same": same8, "int8_max_abs_diff_crops": float(np.abs(p8 - hp).max()),
                      "int8_bottleneck_max_rel_diff_crops": rel,
                      "smallest_fp32_margin_crops": float(margin_h.min()),
                      "smallest_fp32_logit_margin_crops": float(logit_margin_h.min()),
                      "int8_logit_rms_error_crops": logit_rms}
        # Issue 28 asks for every crop; quantization swaps the top two labels of a few uncertain
        # crops (53/56 measured: int8 moves the logits by an RMS of about 0.37, and 4 of the 56
        # crops have a float32 logit margin below that, the smallest 0.068; the cause and what
        # was tried in docs/export.md), so that is reported, not met. The
        # assertion is a guard against a broken export: a wrong scale, layout or rounding sends
        # the argmax toward chance (1 in 8), far below 0.85 of the crops.
        # A model `train` made in int8 (its default) has its final layer fitted to int8
        # bottlenecks: its own answer is hero-id's int8 pass, which the file must give (below);
        # float32 is then the mismatched pairing, reported. A model trained in fp32 keeps the
        # guard against float32.
        print(f"     int8: argmax == hero-id's float32 on every crop: "
              f"{'yes' if same8 == len(crops) else 'no'} ({same8}/{len(crops)})")
        what = (f"int8: argmax == hero-id's float32 on {same8}/{len(crops)} crops (>= 85 %) "
                f"(max |p diff| {int8_stats['int8_max_abs_diff_crops']:.2e}, bottleneck max |diff| "
                f"/ max |b| {rel:.3f}, smallest hero-id top-2 margin {margin_h.min():.3f})")
        if trained_precision == "fp32":
            check(same8 >= 0.85 * len(crops), what)
        else:
            print(f"     {what} (model trained in {trained_precision}: reported)")
        for i in np.nonzero(p8.argmax(1) != arg_h)[0]:
            print(f"     {crops[i]}: hero-id {labels[arg_h[i]]} p={hp[i].max():.4f} margin "
                  f"{margin_h[i]:.4f} (logits {logit_margin_h[i]:.3f}); int8 "
                  f"{labels[p8[i].argmax()]} p={p8[i].max():.4f}")
        # hero-id's own int8 pass (the default precision of the models `train` makes; the same
        # scheme and calibration as the file): the file should answer as it does.
        hp8 = np.stack([probe[c][2] for c in crops])
        same8own = int((p8.argmax(1) == hp8.argmax(1)).sum())
        int8_stats["int8_argmax_same_as_hero_id_int8"] = same8own
        int8_stats["int8_max_abs_diff_hero_id_int8"] = float(np.abs(p8 - hp8).max())
        # hero-id's int8 pass computes what ONNX Runtime's fused graph computes (docs/int8.md:
        # the same integer sums, requantizations and uint8 pools); only mixed_10's float tail
        # and the final layer differ, by float rounding. ONNX Runtime sums u8 x s8 products
        # exactly with VNNI; without it (vpmaddubsw) a pair of products can saturate at int16,
        # so the equality is asserted where the CPU has VNNI and reported elsewhere.
        own_diff = int8_stats["int8_max_abs_diff_hero_id_int8"]
        what = (f"int8: argmax == hero-id's own int8 pass on {same8own}/{len(crops)} crops, "
                f"max |p diff| {own_diff:.2e} <= 1e-4")
        flags = open("/proc/cpuinfo").read().split() if os.path.exists("/proc/cpuinfo") else []
        vnni = "avx512_vnni" in flags or "avx_vnni" in flags
        if vnni:
            # Within 1e-4 of each probability the argmax can differ only at a near-tie (hero-id's
            # top two within 2e-4), which a retrained model may have: exempted, and printed below.
            o8own = np.sort(hp8, 1)
            tie8 = o8own[:, -1] - o8own[:, -2] <= 2e-4
            check(bool(((p8.argmax(1) == hp8.argmax(1)) | tie8).all()) and own_diff <= 1e-4,
                  what + f" (near-ties exempted: {int(tie8.sum())})")
        else:
            print(f"     {what} (not asserted: no VNNI on this CPU)")
            # The guard against a broken export, on any CPU.
            check(same8own >= 0.85 * len(crops),
                  f"int8: argmax == hero-id's own int8 pass on {same8own}/{len(crops)} crops "
                  f"(>= 85 %)")
        for i in np.nonzero(p8.argmax(1) != hp8.argmax(1))[0]:
            o8 = np.sort(hp8[i])
            print(f"     {crops[i]}: hero-id int8 {labels[hp8[i].argmax()]} p={o8[-1]:.4f} margin "
                  f"{o8[-1] - o8[-2]:.4f}; the file {labels[p8[i].argmax()]} p={p8[i].max():.4f}")
        print(f"     int8: logit error RMS {logit_rms:.3f}; crops whose float32 logit margin is "
              f"below it: {int((logit_margin_h < logit_rms).sum())}/{len(crops)} (smallest "
              f"{logit_margin_h.min():.3f})")
        if a.clips_index:
            import csv
            root = os.path.dirname(a.clips_index)
            with open(a.clips_index, encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            xs = np.stack([resize(decode(os.path.join(root, r["file"]))) for r in rows])
            pc32 = np.concatenate([run(s32f, xs[i:i + 16])[0] for i in range(0, len(xs), 16)])
            pc8 = np.concatenate([run(s8f, xs[i:i + 16])[0] for i in range(0, len(xs), 16)])
            clips = {}
            for i, r in enumerate(rows):
                clips.setdefault(r["video"], []).append(i)
            same_clips = sum(int(pc32[ix].mean(0).argmax() == pc8[ix].mean(0).argmax())
                             for ix in clips.values())
            int8_stats.update({"int8_clip_answers_same": same_clips, "clips": len(clips),
                               "int8_all_crops_argmax_same": int((pc32.argmax(1) == pc8.argmax(1)).sum()),
                               "all_crops": len(rows)})
            what = (f"int8: clip answer (mean over its crops) == float32 file's on {same_clips}/"
                    f"{len(clips)} test clips ({int8_stats['int8_all_crops_argmax_same']}/"
                    f"{len(rows)} single crops)")
            if trained_precision == "fp32":
                check(same_clips == len(clips), what)
            else:
                print(f"     {what} (model trained in {trained_precision}: reported)")
                # The model's own answers: hero-id's int8 probabilities of every crop (the probe
                # lists them all), averaged per clip as above.
                paths = [os.path.join(root, r["file"]) for r in rows]
                missing = [p for p in paths if p not in probe]
                check(not missing, f"int8: every clip crop in hero-id's probe ({len(missing)} missing)")
                if not missing:
                    ph8 = np.stack([probe[p][2] for p in paths])
                    own_clips = sum(int(ph8[ix].mean(0).argmax() == pc8[ix].mean(0).argmax())
                                    for ix in clips.values())
                    # A clip whose mean top two are within 2e-4 (each crop's p within 1e-4) may
                    # go either way: counted as agreeing (none measured so far).
                    clip_ties = sum(int(np.diff(np.sort(ph8[ix].mean(0))[-2:])[0] <= 2e-4
                                        and ph8[ix].mean(0).argmax() != pc8[ix].mean(0).argmax())
                                    for ix in clips.values())
                    own_crops = int((ph8.argmax(1) == pc8.argmax(1)).sum())
                    int8_stats.update({"int8_clip_answers_same_as_hero_id_int8": own_clips,
                                       "int8_all_crops_same_as_hero_id_int8": own_crops})
                    check(own_clips + clip_ties == len(clips),
                          f"int8: clip answer == hero-id's own int8 pass on {own_clips}/"
                          f"{len(clips)} test clips ({own_crops}/{len(rows)} single crops)")
        check(os.path.getsize(a.int8_uint8) <= 25_000_000,
              f"int8: file {os.path.getsize(a.int8_uint8):,} bytes <= 25 MB")
    heroes = sorted({labels[i] for i in arg_h})
    print(f"     crops' argmax covers {len(heroes)} of {len(labels)} labels: {' '.join(heroes)}")

    # Dynamic batch: one batch of 16 == 16 single runs.
    k = min(16, len(crops))
    pb, _ = run(s32f, batch[:k])
    ps = np.concatenate([run(s32f, batch[i:i + 1])[0] for i in range(k)])
    check(float(np.abs(pb - ps).max()) <= 1e-5,
          f"dynamic batch: batch {k} vs {k} x batch 1, max |diff| {float(np.abs(pb - ps).max()):.2e}")

    # Speed (2 intra-op threads), uint8 inputs (the phone case: no resize here).
    u8 = np.clip(batch, 0, 255).astype(np.uint8)
    speed = {}
    engines = [("fp32", a.fp32_uint8), ("fp16", a.fp16_uint8)]
    if int8:
        engines.append(("int8", a.int8_uint8))
    for name, path in engines:
        s = session(path)
        for bs in (1, 16):
            run(s, u8[:bs])  # warm-up
            n = 0
            t = time.perf_counter()
            while n < a.bench_images:
                x = u8[(np.arange(bs) + n) % len(u8)]
                run(s, x)
                n += bs
            speed[f"{name}_batch{bs}_images_per_s"] = round(n / (time.perf_counter() - t), 2)
    if int8:
        for bs in (1, 16):
            speed[f"ort_int8_over_ort_fp32_batch{bs}"] = round(
                speed[f"int8_batch{bs}_images_per_s"] / speed[f"fp32_batch{bs}_images_per_s"], 2)
    if a.hero_id:
        # The peer in the same run: hero-id's own Inception pass (2 threads), on the same crops
        # (its time includes the 104 -> 299 resize and normalisation; ORT's does not).
        import subprocess
        for bs in (1, 16):
            out = subprocess.run(
                [a.hero_id, "bottleneck", "--bench", str(a.bench_images), "--batch-size", str(bs),
                 "--threads", "2", *crops[:16]], check=True, capture_output=True, text=True)
            speed[f"hero_id_batch{bs}_images_per_s"] = json.loads(out.stdout)["images_per_second"]
        for bs in (1, 16):
            speed[f"ort_fp32_over_hero_id_batch{bs}"] = round(
                speed[f"fp32_batch{bs}_images_per_s"] / speed[f"hero_id_batch{bs}_images_per_s"], 2)
    sizes = {name: os.path.getsize(p) for name, p in files.items()}
    print(json.dumps({"ort_version": ort.__version__, "onnx_version": onnx.__version__,
                      "crops": len(crops), "reference_images": len(refs),
                      "fp32_max_abs_diff_reference_299": worst_p,
                      "fp32_max_abs_diff_reference_all": worst_p_f,
                      "fp32_bottleneck_vs_pytorch": worst_ref,
                      "fp32_max_abs_diff_crops": d32, "fp32_bottleneck_max_abs_diff_crops": db32,
                      "fp16_max_abs_diff_crops": d16, "fp16_argmax_same": same16, **int8_stats,
                      "file_bytes": sizes, **speed}))
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
