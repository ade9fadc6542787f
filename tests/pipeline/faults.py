"""Test-only: running ``python -m analysis run`` as a user would, and checking what it left.

Shared by the fault suites (``test_faults.py`` on a two-notebook throwaway project,
``test_faults_real.py`` on a copy of the compendium itself): a run started in its own session
with a unique environment variable (so that every process it starts can be found in
``/proc``), signals to its group or its parent, and the checks that nothing is left behind:
no live process, no staging folder or connection file, committed outputs untouched. Time
limits are multiples of the import floor (:mod:`tests.timing`); waits are for events.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from analysis.pipeline.supervisor import STOP_GRACE
from tests.throwaway import cli_env
from tests.timing import TimeLimits

#: A stopped run must exit within the workers' grace period plus this many import floors.
STOP_FLOORS = 4
#: Import floors after which a wait for an event, or for a whole run of the two tiny
#: notebooks, counts as hung.
HANG_FLOORS = 40
#: The marks of every fault-test module: slow (it runs kernels), and it reads the run's
#: processes from /proc.
FAULT_TEST_MARKS = (
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc"),
)


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return its output."""
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def run_env(root: Path, run_id: str, **extra: str) -> dict[str, str]:
    """The environment of a run: the copy's package first, a run id, markers, no staging."""
    return cli_env(root, FAULT_RUN_ID=run_id, **{
        "FAULT_MARKS": str(root / "marks"),
        "JUPYTER_RUNTIME_DIR": str(root / "jupyter-runtime"),
        **extra,
    })


@dataclass
class Run:
    """A `run` started in its own session (so the test can signal its whole group)."""

    root: Path
    process: subprocess.Popen[bytes]
    log: Path
    run_id: str
    limits: TimeLimits

    @property
    def stop_within(self) -> float:
        """Seconds within which a stopped run must have exited."""
        return STOP_GRACE + self.limits(STOP_FLOORS)

    @property
    def hang_guard(self) -> float:
        """Seconds after which a wait counts as hung."""
        return self.limits(HANG_FLOORS)

    def output(self) -> str:
        """What the run printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, condition, what: str) -> None:
        """Poll ``condition()`` until true; fail naming ``what`` if the run ended first."""
        deadline = time.monotonic() + self.hang_guard
        while not condition():
            assert self.process.poll() is None, f"run ended before {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    def started(self, stem: str) -> bool:
        """Whether notebook ``stem`` has begun executing its cells."""
        return (self.root / "marks" / f"{stem}.started").exists()

    def signal(self, signum: int, target: str) -> None:
        """Send ``signum`` to the parent alone or to its whole process group."""
        if target == "group":
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)

    def finish(self, timeout: float | None = None) -> tuple[int, float]:
        """Wait for the run to exit (by default within :attr:`stop_within`).

        Returns:
            Its exit status and how long the wait took.
        """
        timeout = self.stop_within if timeout is None else timeout
        began = time.monotonic()
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            pytest.fail(f"run did not exit within {timeout} s:\n{self.output()}")
        return code, time.monotonic() - began


def start(root: Path, limits: TimeLimits, *args: str, command: list[str] | None = None,
          **extra: str) -> Run:
    """Start ``python -m analysis run ARGS`` (or ``command``) in ``root``."""
    run_id = uuid.uuid4().hex
    log = root / "marks" / "run.log"
    argv = command or [sys.executable, "-m", "analysis", "run", *args]
    with open(log, "wb") as handle:
        process = subprocess.Popen(argv, cwd=root, env=run_env(root, run_id, **extra),
                                   stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Run(root, process, log, run_id, limits)


def processes_of(run_id: str) -> list[int]:
    """Pids of live processes whose environment carries ``FAULT_RUN_ID=run_id``."""
    needle = f"FAULT_RUN_ID={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def assert_clean(run: Run, outputs_clean: bool = True) -> None:
    """No process of the run alive, no staging or connection file, outputs as committed."""
    deadline = time.monotonic() + run.limits(2)
    while processes_of(run.run_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_of(run.run_id) == [], "processes of the run are still alive"
    assert not (run.root / "runs" / ".staging").exists()
    assert list((run.root / "jupyter-runtime").iterdir()) == []
    if outputs_clean:
        assert git(run.root, "status", "--porcelain", "--", "figures", "notebooks") == ""


def fifo_has_reader(path: Path) -> bool:
    """Whether someone has opened the FIFO ``path`` for reading (the run reached it)."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ENXIO:
            return False
        raise
    os.close(handle)
    return True


EXPECTED = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


#: Free space left on a "full" filesystem: less than one notebook's big output needs.
LEFT_FREE = 300 * 1024

def fill(folder: Path, leave: int) -> None:
    """Fill ``folder``'s filesystem until only ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler", "wb") as handle:
        handle.write(b"\0" * max(0, free - leave))
    assert shutil.disk_usage(folder).free <= leave


def committed(root: Path, folder: str) -> dict[str, bytes]:
    """The files of ``folder`` as committed (git's HEAD), by name."""
    names = git(root, "ls-tree", "--name-only", "HEAD", f"{folder}/").split()
    return {Path(name).name: subprocess.run(["git", "show", f"HEAD:{name}"], cwd=root,
                                            capture_output=True, check=True).stdout
            for name in names}


def files_in(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones too), by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def no_space_line(run: Run) -> str:
    """The run's one ``error:`` line, which must be about space; no traceback."""
    output = run.output()
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert "Traceback" not in output and "FAIL" not in output, output
    assert "no space left on the filesystem of" in errors[0], output
    assert " free now; the run needs roughly " in errors[0], output
    return errors[0]
