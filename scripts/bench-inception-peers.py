"""Peers for scripts/bench-inception.sh: PyTorch on default_1.pt and ONNX Runtime on the same
network exported to ONNX, and ONNX Runtime on hero-id's int8 export (`hero-id export --int8
--input float32`: NHWC pixels 0..255 in, its `bottleneck` output fetched). Runs in the
throw-away bench venv, never in the product.

  bench-inception-peers.py export WEIGHTS OUT.onnx
  bench-inception-peers.py torch|onnx|onnx-int8 WEIGHTS|ONNX BATCH COUNT IMAGE...

Prints one JSON line like hero-id's --bench: images/s over COUNT images (the given ones cycled),
after one warm-up batch, and the process's peak RSS. Preprocessing as the reference (Pillow
decode, bilinear interpolate to 299x299 without antialias, (x - 128) / 128), not timed.
"""

import json
import resource
import sys
import time

import numpy as np
import torch


def load_images(paths):
    from PIL import Image

    out = []
    for p in paths:
        x = np.asarray(Image.open(p).convert("RGB"), dtype=np.float32)
        t = torch.from_numpy(x).permute(2, 0, 1).unsqueeze(0).contiguous()
        if t.shape[2:] != (299, 299):
            t = torch.nn.functional.interpolate(
                t, size=(299, 299), mode="bilinear", align_corners=False, antialias=False)
        out.append((t - 128) / 128)
    return out


def batches(images, batch, count):
    xs = [images[i % len(images)] for i in range(count)]
    return [torch.cat(xs[i:i + batch]) for i in range(0, count, batch)]


def report(engine, batch, count, seconds, threads):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "engine": engine, "batch_size": batch, "images": count, "seconds": round(seconds, 3),
        "images_per_second": round(count / seconds, 2), "peak_rss_mb": round(rss),
        "threads": threads}))


def main():
    mode = sys.argv[1]
    if mode == "export":
        torch.set_num_threads(2)
        model = torch.jit.load(sys.argv[2]).eval()
        x = torch.zeros(1, 3, 299, 299)
        torch.onnx.export(
            model, (x,), sys.argv[3], dynamo=False, input_names=["x"], output_names=["pool_3"],
            dynamic_axes={"x": {0: "n"}, "pool_3": {0: "n"}}, opset_version=17)
        return
    model_path, batch, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    images = load_images(sys.argv[5:])
    work = batches(images, batch, count)
    if mode == "torch":
        torch.set_num_threads(2)
        model = torch.jit.load(model_path).eval()
        with torch.inference_mode():
            model(work[0])
            start = time.perf_counter()
            for x in work:
                model(x)
            seconds = time.perf_counter() - start
        report("pytorch", batch, count, seconds, torch.get_num_threads())
    else:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
        if mode == "onnx-int8":
            # hero-id's graph takes the pixels (NHWC, 0..255) and normalises them itself.
            arrays = [np.ascontiguousarray((x * 128 + 128).permute(0, 2, 3, 1).numpy()) for x in work]
            name, outputs, engine = "image", ["bottleneck"], "onnxruntime-int8"
        else:
            arrays = [x.numpy() for x in work]
            name, outputs, engine = "x", None, "onnxruntime"
        sess.run(outputs, {name: arrays[0]})
        start = time.perf_counter()
        for x in arrays:
            sess.run(outputs, {name: x})
        seconds = time.perf_counter() - start
        report(engine, batch, count, seconds, 2)


if __name__ == "__main__":
    main()
