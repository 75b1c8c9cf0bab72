"""Float vs int8 MiniLM encoder: sentences/s, load time and cosine agreement.

Usage: python bench/bench_quantize.py [--shapes] [--reference]

Texts: those of bench/bench_encoder.py (HECVAT 4 blank questions when ../shared is present
plus the labelled paraphrase set). Speed is the best of five passes over all texts in
one ``encode`` call, interleaved float / int8 so both see the same machine load; "one
text per call" is ``encode([text])`` per text, as for a question matched on its own.
Agreement: cosine of each int8 vector to the float vector of the same text, and of a
text encoded alone to the same text encoded among all the others (1.0 when a vector
depends on its text only, not on the texts sharing its call).

--shapes: int8 speed and batch agreement per (sessions side by side, texts per call).
--reference: builds the graph the long way as well (dequantised weights, then
``onnxruntime.quantization.quantize_dynamic`` per channel, QInt8, MatMul only, in a
temporary folder) and compares its vectors with ``int8_graph``'s.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def best_of(fn, n: int = 5) -> float:
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cosines(a: np.ndarray, b: np.ndarray) -> str:
    c = (a * b).sum(axis=1)
    return f"min {c.min():.4f}  1st pct {np.percentile(c, 1):.4f}  mean {c.mean():.4f}"


LOAD = """
import time
t = time.perf_counter()
from answers.embeddings import load_embedder
e = load_embedder()
print(time.perf_counter() - t, e.name)
"""


def load_seconds(int8: str) -> str:
    """Import and load time in a fresh process (best of three), as a server or CLI pays it."""
    env = {**os.environ, "ANSWERBANK_EMBEDDINGS_INT8": int8}
    runs = [
        subprocess.run([sys.executable, "-c", LOAD], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        for _ in range(3)
    ]
    seconds, name = min(r.stdout.split() for r in runs)
    return f"{float(seconds):.2f} s ({name})"


def quantize_dynamic_graph(model_path: Path) -> bytes:
    """The reference: float graph from the dequantised weights, then quantize_dynamic."""
    import onnx
    from onnx import numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(model_path))
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes = list(graph.node)
    casts = {n.output[0]: n for n in nodes if n.op_type == "Cast" and n.input[0] in inits}
    folded, dequantised = set(), []
    for n in nodes:
        if n.op_type == "Mul" and n.input[0] in casts and n.input[1] in inits:
            cast = casts[n.input[0]]
            w = numpy_helper.to_array(inits[cast.input[0]]).astype(np.float32) * numpy_helper.to_array(
                inits[n.input[1]]
            )
            dequantised.append(numpy_helper.from_array(w.astype(np.float32), n.output[0]))
            folded.update((cast.output[0], n.output[0]))
            inits.pop(cast.input[0]), inits.pop(n.input[1])
    graph.ClearField("node")
    graph.node.extend(n for n in nodes if n.output[0] not in folded)
    graph.ClearField("initializer")
    graph.initializer.extend([*inits.values(), *dequantised])
    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process does not apply
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "model.int8.onnx"
        quantize_dynamic(model, out, per_channel=True, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
        return out.read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", action="store_true")
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()

    from answers import embeddings as emb
    from bench.bench_encoder import texts

    print(f"CPU has VNNI: {emb.cpu_has_vnni()}")
    model_path = emb._package_file(emb.MODEL_PACKAGE, emb.MODEL_FILE)
    tokenizer_path = emb._package_file(emb.TOKENIZER_PACKAGE, emb.TOKENIZER_FILE)
    if model_path is None or tokenizer_path is None:
        print("model packages not installed: nothing to measure")
        return 0
    fl = emb.MiniLMEmbedder(model_path, tokenizer_path, int8=False)
    q8 = emb.MiniLMEmbedder(model_path, tokenizer_path, int8=True)
    if not q8.int8:
        print("int8 path unavailable (see the warning above): nothing to compare")
        return 0
    corpus = texts()
    print(f"{len(corpus)} texts, {q8._threads} calls side by side, {q8._batch_size} text(s) per call")
    print(f"load in a fresh process: float {load_seconds('off')}, int8 {load_seconds('on')}", end="")
    print(f"; the int8 graph rewrite alone {best_of(lambda: emb.int8_graph(model_path), 3):.2f} s")

    ref = fl.encode(corpus)
    vecs = q8.encode(corpus)
    alone = np.vstack([q8.encode([t]) for t in corpus])
    print(f"int8 vs float, cosine:          {cosines(vecs, ref)}")
    print(f"int8 alone vs in one call:      {cosines(alone, vecs)}")

    speeds: dict[str, list[float]] = {"float": [], "int8": []}
    for _ in range(2):  # interleaved: both see the same share of the machine
        speeds["float"].append(len(corpus) / best_of(lambda: fl.encode(corpus)))
        speeds["int8"].append(len(corpus) / best_of(lambda: q8.encode(corpus)))
    f_s, q_s = max(speeds["float"]), max(speeds["int8"])
    print(f"one call, all texts:  float {f_s:5.0f} sentences/s   int8 {q_s:5.0f} sentences/s   x{q_s / f_s:.2f}")
    sample = corpus[::5]
    f1 = len(sample) / best_of(lambda: [fl.encode([t]) for t in sample], 3)
    q1 = len(sample) / best_of(lambda: [q8.encode([t]) for t in sample], 3)
    print(f"one text per call:    float {f1:5.0f} sentences/s   int8 {q1:5.0f} sentences/s   x{q1 / f1:.2f}")

    if args.shapes:
        production = (q8._threads, q8._run_slots, q8._batch_size)
        for threads in (1, 2, 3):
            for batch in (1, 2, 4, 8, 16, 32):
                q8._threads, q8._batch_size = threads, batch
                q8._run_slots = threading.BoundedSemaphore(threads)
                rate = len(corpus) / best_of(lambda: q8.encode(corpus), 3)
                agree = cosines(q8.encode(corpus), alone)
                print(f"  {threads} call(s) side by side, {batch:2d} texts per call: {rate:5.0f} sentences/s", end="")
                print(f"   vs alone: {agree}")
        q8._threads, q8._run_slots, q8._batch_size = production

    if args.reference:
        t = time.perf_counter()
        graph = quantize_dynamic_graph(model_path)
        ref_s = time.perf_counter() - t
        q8._session = emb._session(graph, threads=1)
        q8._batch_size = 1
        print(f"quantize_dynamic graph: built in {ref_s:.2f} s; its vectors vs int8_graph's: ", end="")
        print(cosines(np.vstack([q8.encode([t]) for t in corpus]), alone))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
