"""One way to open an ONNX model on the CPU, so every analyzer's session behaves alike."""

import os
import platform
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


def cpu_description() -> str:
    """The CPU's model name and the instruction-set flags that choose kernels (x86: avx2,
    avx512*, *vnni, amx*; ARM: asimd, sve…): what every measured figure should name."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    lines = info.splitlines()
    name = next((line.split(":", 1)[1].strip() for line in lines if line.startswith(("model name", "Model"))), "")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith(("flags", "Features"))), [])
    wanted = sorted({f for f in flags if f.startswith(("avx", "fma", "sse4", "amx", "asimd", "sve")) or "vnni" in f})
    return f"{name or platform.machine()}, {os.cpu_count()} cores [{' '.join(wanted)}]"
