"""The job a worker process gets (:class:`Job`) and what it hands back (:class:`Result`).

Both travel as JSON files in the notebook's staging folder, so the parent and the worker share
no memory, no queue and no lock: the parent can stop a worker at any moment and lose nothing
but that notebook's staging folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analysis.io import NO_SPACE_ERRNOS, atomic_write

#: File names inside a notebook's staging folder.
JOB_FILE = "job.json"
RESULT_FILE = "result.json"
KERNEL_PID_FILE = "kernel.pid"
KERNEL_LOG = "kernel.log"
WORKER_LOG = "worker.log"
OUTPUT_SUBDIR = "out"
#: Where the worker's kernel writes its connection file (``JUPYTER_RUNTIME_DIR``).
RUNTIME_SUBDIR = "runtime"
#: The worker's exit status when a filesystem was full (or over quota) and it could not save
#: its result (the number of ``ENOSPC``).
NO_SPACE_STATUS = 28
#: An ``OSError``'s message: ``[Errno 28] No space left on device: '/path'`` (path optional).
_OS_ERROR = re.compile(r"\[Errno (?P<errno>\d+)\][^:]*(?::\s*'(?P<path>.*)')?")


@dataclass(frozen=True)
class Job:
    """One notebook to execute in a worker process.

    Attributes:
        notebook: The notebook to execute.
        staging: Its staging folder (outputs in ``out/``, the executed notebook, logs).
        parameters: Non-default parameters (empty for a canonical run).
        cwd: The kernel's working directory (the notebook's folder, as under nbval).
        env: The kernel's environment.
    """

    notebook: str
    staging: str
    parameters: dict[str, Any]
    cwd: str
    env: dict[str, str]

    def save(self) -> Path:
        """Write the job to ``<staging>/job.json`` and return that path."""
        path = Path(self.staging) / JOB_FILE
        atomic_write(path, json.dumps(asdict(self), sort_keys=True))
        return path

    @classmethod
    def load(cls, path: Path) -> Job:
        """Read a job written by :meth:`save`."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Result:
    """What became of a job.

    Attributes:
        ok: Whether every cell ran.
        notebook: The executed notebook in the staging folder (``None`` if none was written).
        notebook_sha: SHA-256 of the executed notebook's bytes (on success).
        outputs: The files the notebook wrote, relative to ``<staging>/out``, with their SHA-256.
        cell_index: Index of the failing cell in the source notebook, when a cell raised.
        exec_count: Its execution count.
        ename: The exception's class name.
        evalue: The exception's message.
        detail: The tail of the kernel's stderr, when the kernel died.
        title: The notebook's title (its first heading), on success.
        declared: The outputs the notebook declared (:meth:`DeclaredOutput.to_json` with the
            saving cell's ``cell`` index and ``cell_id``), in name order.
    """

    ok: bool
    notebook: str | None = None
    notebook_sha: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    cell_index: int | None = None
    exec_count: int | None = None
    ename: str = ""
    evalue: str = ""
    detail: str = ""
    title: str = ""
    declared: list[dict[str, Any]] = field(default_factory=list)

    @property
    def out_of_space(self) -> bool:
        """Whether the notebook failed because a filesystem was full or over quota.

        True when the exception (raised by a cell, by papermill or by the worker) is an
        ``OSError`` whose message carries ``ENOSPC`` or ``EDQUOT``.
        """
        found = _OS_ERROR.match(self.evalue)
        return not self.ok and bool(found) and int(found["errno"]) in NO_SPACE_ERRNOS

    @property
    def error_path(self) -> str | None:
        """The file named by the ``OSError`` that ended the notebook, if it names one."""
        found = _OS_ERROR.match(self.evalue)
        return found["path"] if found and found["path"] else None

    @classmethod
    def failure(cls, error: BaseException | str, detail: str = "") -> Result:
        """A failure that is not a raising cell (no kernel, kernel died, worker died)."""
        if isinstance(error, str):
            return cls(False, ename="WorkerError", evalue=error, detail=detail)
        text = str(error).strip()
        return cls(
            False,
            ename=type(error).__name__,
            evalue=text.splitlines()[0] if text else "",
            detail=detail,
        )

    def save(self, staging: Path) -> None:
        """Write the result to ``<staging>/result.json``."""
        atomic_write(Path(staging) / RESULT_FILE, json.dumps(asdict(self), sort_keys=True))

    @classmethod
    def load(cls, staging: Path) -> Result | None:
        """Read the result a worker left in ``staging``; ``None`` if it left none."""
        try:
            data = json.loads((Path(staging) / RESULT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(**data)


def last_log_lines(path: Path, lines: int = 15) -> str:
    """Return the last ``lines`` lines of a worker or kernel log ("" if it is unreadable).

    ipykernel's warning about running over TCP without encryption is dropped: it is printed on
    every start and says nothing about a failure.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    keep = [line for line in text.splitlines() if "without encryption" not in line]
    return "\n".join(keep[-lines:])
