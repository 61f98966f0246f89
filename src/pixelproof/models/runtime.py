"""One way to open a model (ONNX, LiteRT) on the CPU, so every analyzer's behaves alike."""

import os
import platform
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


_FD2 = threading.Lock()  # two threads swapping fd 2 at once could leave it pointing at a temp file


@contextmanager
def native_info_silenced() -> Iterator[None]:
    """Native libraries (LiteRT: "INFO: Created TensorFlow Lite XNNPACK delegate") write to fd 2,
    past Python and once per process, so a scan with 8 workers printed it 8 times. What they
    write inside is held back, and every line but an ``INFO:`` one is passed on: warnings and
    errors still reach the terminal."""
    with _FD2, tempfile.TemporaryFile() as held:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().decode(errors="replace").splitlines(keepends=True):
                if not line.startswith("INFO: "):
                    sys.stderr.write(line)
            sys.stderr.flush()


def litert_interpreter(path: Path):
    """A LiteRT interpreter on one thread, its tensors allocated (which is when LiteRT says
    "INFO: Created TensorFlow Lite XNNPACK delegate", once per process: held back)."""
    from ai_edge_litert.interpreter import Interpreter  # imported here, like onnxruntime above

    with native_info_silenced():
        interpreter = Interpreter(model_path=str(path), num_threads=1)
        interpreter.allocate_tensors()
    return interpreter


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
