"""One way to open an ONNX model on the CPU, so every analyzer's session behaves alike."""

import os
from pathlib import Path


def default_threads() -> int:
    """Intra-op threads per session: the machine's cores, at most 4 (more buys little for one image)."""
    return max(1, min(4, os.cpu_count() or 1))


def cpu_session(path: Path, threads: int | None = None):
    """An onnxruntime CPU session running one operator at a time on ``threads`` threads.

    Spinning worker threads burn the cores other requests (or processes) need; on a busy
    2-core box it makes each image about twice as slow, so they sleep when idle.
    """
    import onnxruntime as ort  # imported here: a process that never scores pays nothing

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
