"""Sentences per second of the MiniLM encoder under onnxruntime / batching variants.

Usage: python -m bench.bench_encoder

Texts: the questions of the HECVAT 4 blank (when ../shared is present) plus the labelled
paraphrase set, i.e. real questionnaire lengths (about 17 word pieces on average, up to 80+).
Each variant's vectors are compared with the float encoder (``MiniLMEmbedder.encode``, int8=False):
a variant is only worth keeping at min cosine >= 0.9999. Best of three passes each.

What was found (2 shared EPYC cores, 2026-11): the int8 weights are dequantised when the
graph loads, so float32 MatMuls take about 70% of the time; per-batch padding of texts
sorted by token count and 16 texts a call beat 64 (about 1.4-1.9x on mixed lengths);
thread count, spinning, memory arena and graph optimisation level change little; the
parallel execution mode is slower. On a VNNI CPU the production encoder runs int8
MatMuls instead: bench/bench_quantize.py measures that path.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HECVAT = ROOT.parent / "shared" / "questionnaires" / "hecvat" / "sagearbor_HECVAT414.xlsx"

import numpy as np  # noqa: E402


def texts() -> list[str]:
    from bench.paraphrases import BANK, NO_ANSWER, PARAPHRASES

    out = [q for _, q, _ in BANK] + [t for t, _ in PARAPHRASES] + list(NO_ANSWER)
    if HECVAT.exists():
        from importers import load

        out += [q.text for q in load(HECVAT.read_bytes(), HECVAT.name).questions]
    return sorted(set(out))


def main() -> int:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from answers import embeddings as emb

    production = emb.load_embedder()
    if production is None:
        print("embedder unavailable: nothing to measure")
        return 0
    if production.int8:  # these variants are of the float graph: compare with the float path
        print("production encoder is int8 here (bench/bench_quantize.py compares it); float path below")
        production = emb.MiniLMEmbedder(production._model_path, production._tokenizer_path, int8=False)
    model, tokenizer_path = production._model_path, production._tokenizer_path
    corpus = texts()
    reference = production.encode(corpus)
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=emb.MAX_TOKENS)
    tokenizer.no_padding()
    ids = [e.ids for e in tokenizer.encode_batch(corpus)]
    lengths = np.array([len(i) for i in ids])
    print(f"{len(corpus)} texts, word pieces mean {lengths.mean():.1f}, max {lengths.max()}")

    def session(**opts) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = opts.get("opt", ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
        if "threads" in opts:
            options.intra_op_num_threads = opts["threads"]
        if "mode" in opts:
            options.execution_mode = opts["mode"]
        options.enable_cpu_mem_arena = opts.get("arena", True)
        if "spin" in opts:
            options.add_session_config_entry("session.intra_op.allow_spinning", opts["spin"])
        return ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])

    def encode(sess: ort.InferenceSession, batch: int, order_by: str) -> np.ndarray:
        key = (lambda i: len(ids[i])) if order_by == "tokens" else (lambda i: len(corpus[i]))
        order = sorted(range(len(corpus)), key=key)
        out = np.zeros((len(corpus), 384), dtype=np.float32)
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            width = max(len(ids[i]) for i in chunk)
            x = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros_like(x)
            for r, i in enumerate(chunk):
                x[r, : len(ids[i])], mask[r, : len(ids[i])] = ids[i], 1
            hidden = sess.run(None, {"input_ids": x, "attention_mask": mask, "token_type_ids": np.zeros_like(x)})[0]
            w = mask[..., None].astype(np.float32)
            pooled = (hidden * w).sum(axis=1) / w.sum(axis=1)
            out[chunk] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def measure(label: str, fn) -> None:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            vecs = fn()
            best = min(best, time.perf_counter() - t)
        cos = float((vecs * reference).sum(axis=1).min())
        print(f"  {label:44s} {len(corpus) / best:6.0f} sentences/s   min cosine {cos:.6f}", flush=True)

    measure("production MiniLMEmbedder.encode", lambda: production.encode(corpus))
    default = session()
    for batch in (8, 16, 32, 64, 128):
        measure(f"batch {batch}, sorted by token count", lambda b=batch: encode(default, b, "tokens"))
    measure("batch 64, sorted by characters (before)", lambda: encode(default, 64, "chars"))
    for label, opts in (
        ("intra_op_num_threads=1", {"threads": 1}),
        ("intra_op_num_threads=2", {"threads": 2}),
        ("no spinning", {"spin": "0"}),
        ("no memory arena", {"arena": False}),
        ("graph optimisation basic", {"opt": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC}),
        ("execution mode parallel", {"mode": ort.ExecutionMode.ORT_PARALLEL}),
    ):
        sess = session(**opts)
        measure(f"batch 16, {label}", lambda s=sess: encode(s, 16, "tokens"))
    t = time.perf_counter()
    tokenizer.encode_batch(corpus)
    print(f"  tokenising all {len(corpus)} texts alone: {1000 * (time.perf_counter() - t):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
