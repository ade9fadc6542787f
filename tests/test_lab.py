"""JupyterLab, tested: `make lab` serves the notebooks and runs one on the server's kernel.

The test starts `make lab` (the README's command, so `--allow-root` is exercised when running
as root) on a free localhost port with a random token, checks that the contents API lists
the six notebooks, runs every code cell of ``01-dataset`` on a kernel started through the
REST API, over the kernel's websocket channel, checks the outputs against the committed
notebook, and stops the server, leaving no process behind. The notebook's figures go to a
temporary folder (``COMPENDIUM_OUTPUT_DIR``), never to ``figures/``.

It needs the lab environment (``make lab-env``). Without it the test is skipped, unless
``CI`` is set: in CI a missing environment is a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
import pytest
import websocket

from analysis import paths
from tests.prerequisites import require

LAB_PYTHON = paths.ROOT / ".venv-lab" / "bin" / "python"
NOTEBOOK = "01-dataset.ipynb"
#: Import floors (tests/timing.py) after which a wait for the server or for a cell counts as
#: hung: starting JupyterLab and running a cell that imports the scientific stack each take
#: a few floors.
HANG_FLOORS = 100

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Server:
    """A running Jupyter server: its base URL, token and process."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    #: Seconds after which a wait for the server or a cell counts as hung.
    guard: float

    def request(self, method: str, path: str, body: dict | None = None) -> object:
        """Call the REST API and return the decoded JSON (``None`` for an empty reply)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.guard) as response:
            text = response.read().decode("utf-8")
        return json.loads(text) if text else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(server: Server, log: Path) -> None:
    deadline = time.monotonic() + server.guard
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"`make lab` exited with {server.process.returncode}:\n{log.read_text()}")
        try:
            server.request("GET", "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"the Jupyter server did not answer within {server.guard:.0f} s:\n"
                f"{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group (make, jupyter, kernels); then reap it."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture()
def lab(tmp_path: Path, limits) -> Iterator[tuple[Server, Path]]:
    """`make lab` on a free port with a token, in temporary Jupyter folders; stopped after."""
    require(LAB_PYTHON.exists(),
            f"the lab environment is missing ({LAB_PYTHON}); create it with `make lab-env`")
    token, port = secrets.token_hex(16), _free_port()
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env[name] = str(tmp_path / name.lower())
    env[paths.OUTPUT_DIR_ENV] = str(outputs)
    options = (
        f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} "
        f"--ServerApp.port_retries=0 --IdentityProvider.token={token}"
    )
    log = tmp_path / "lab.log"
    with log.open("wb") as stream:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_ARGS={options}"],
            cwd=paths.ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", token, process, limits(HANG_FLOORS))
    try:
        _wait_until_up(server, log)
        yield server, outputs
    finally:
        members = _group_members(process.pid)
        _stop(process)
        assert [p.pid for p in members if _alive(p)] == [], "processes left behind"


def _group_members(pid: int) -> list[psutil.Process]:
    try:
        return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _message(code: str, session: str) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": "execute_request",
            "username": "test",
            "session": session,
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


def _execute(
    channel: websocket.WebSocket, code: str, session: str, guard: float
) -> tuple[str, list[dict]]:
    """Run one cell; return the reply status and its iopub outputs (nbformat-like dicts)."""
    request = _message(code, session)
    channel.send(json.dumps(request))
    msg_id, status, outputs, idle = request["header"]["msg_id"], None, [], False
    deadline = time.monotonic() + guard
    while (status is None or not idle) and time.monotonic() < deadline:
        reply = json.loads(channel.recv())
        if reply.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = reply["msg_type"], reply["content"]
        if reply["channel"] == "shell" and kind == "execute_reply":
            status = content["status"]
        elif kind == "status":
            idle = content["execution_state"] == "idle"
        elif kind in ("execute_result", "display_data", "stream", "error"):
            outputs.append({"output_type": kind, **content})
    assert status is not None and idle, f"cell did not finish within {guard:.0f} s"
    return status, outputs


def _run_notebook(server: Server, notebook: nbformat.NotebookNode) -> list[list[dict]]:
    kernel = server.request("POST", "/api/kernels", {"name": "python3"})
    assert isinstance(kernel, dict)
    ws_url = server.url.replace("http", "ws", 1) + f"/api/kernels/{kernel['id']}/channels"
    channel = websocket.create_connection(
        ws_url, header=[f"Authorization: token {server.token}"], timeout=server.guard
    )
    results = []
    try:
        session = uuid.uuid4().hex
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                results.append([])
                continue
            status, outputs = _execute(channel, cell.source, session, server.guard)
            errors = [o for o in outputs if o["output_type"] == "error"]
            assert status == "ok", f"cell {index} failed: {errors}"
            results.append(outputs)
    finally:
        channel.close()
        server.request("DELETE", f"/api/kernels/{kernel['id']}")
    return results


def _results_text(outputs: list[dict]) -> list[str]:
    return [o["data"]["text/plain"] for o in outputs if o["output_type"] == "execute_result"]


def test_lab_lists_the_notebooks_and_runs_one_on_its_kernel(lab) -> None:
    """Contents API lists the six notebooks; 01-dataset runs and reproduces its results."""
    server, outputs = lab
    listing = server.request("GET", "/api/contents/?content=1")
    assert isinstance(listing, dict)
    served = sorted(i["name"] for i in listing["content"] if i["type"] == "notebook")
    on_disk = sorted(p.name for p in paths.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert len(on_disk) == 6 and served == on_disk

    figures_before = {p.name: p.stat().st_mtime_ns for p in paths.FIGURES_DIR.iterdir()}
    committed = nbformat.read(paths.NOTEBOOKS_DIR / NOTEBOOK, as_version=4)
    results = _run_notebook(server, committed)

    compared = 0
    for index, cell in enumerate(committed.cells):
        if cell.cell_type == "code":
            expected = [
                o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"
            ]
            assert _results_text(results[index]) == expected, f"cell {index} differs"
            compared += len(expected)
    assert compared >= 5, "too few results to compare"
    written = sorted(p.name for p in outputs.iterdir())
    assert "dataset_figures_by_paragraph.svg" in written
    assert "dataset_figures_by_paragraph.png" in written
    figures_after = {p.name: p.stat().st_mtime_ns for p in paths.FIGURES_DIR.iterdir()}
    assert figures_after == figures_before, "the lab run touched figures/"
