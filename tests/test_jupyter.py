"""The interactive path: JupyterLab serves ``notebooks/``, and ``explore.ipynb`` runs top to bottom
in its kernel on its default parameters.

papermill alone does not prove this. Here a real JupyterLab server is started headless, as
``make lab`` starts it (root ``notebooks/``, ``TALENTSTATS_PROCESSED`` the working folder's
``data/processed``), on a free localhost port with a token. The test then does what the browser
does: it opens the notebook through the contents API, starts a kernel through the sessions API,
and runs every code cell over the kernel's websocket (Jupyter's JSON message protocol). The data
is the small processed folder of tests/test_api.py, built in a fresh working folder.
"""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import websocket  # websocket-client, which jupyter_server itself requires
from test_api import DONGCHENG, SHILONG, build_processed

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
START_TIMEOUT = 60  # seconds for the server to answer; a kernel start takes about 3 s
CELL_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running Jupyter server: its REST API (token in the header) and kernel websockets."""

    def __init__(self, port: int, token: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.ws_base = f"ws://127.0.0.1:{port}"
        self.token = token

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.base + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else {}


@pytest.fixture
def lab(tmp_path: Path):
    """JupyterLab on notebooks/, from a working folder holding data/processed (as after
    ``make demo``), with Jupyter's own config and state kept in tmp_path."""
    work = tmp_path / "work"
    build_processed(work / "data" / "processed")
    port, token = _free_port(), uuid.uuid4().hex
    jupyter_home = tmp_path / "jupyter"
    env = {
        **os.environ,
        # what make lab sets: the working folder's folders, as absolute paths
        "TALENTSTATS_PROCESSED": str(work / "data" / "processed"),
        "TALENTSTATS_REPORTS": str(work / "reports"),
        "JUPYTER_CONFIG_DIR": str(jupyter_home / "config"),
        "JUPYTER_RUNTIME_DIR": str(jupyter_home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(jupyter_home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(jupyter_home / "workspaces"),
        "IPYTHONDIR": str(jupyter_home / "ipython"),
    }
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser",
         f"--ServerApp.root_dir={NOTEBOOKS}", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    server = Server(port, token)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                server.api("GET", "/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (tmp_path / "server.log").read_text(errors="replace"))
                time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Kernel:
    """One kernel's channels over the server's websocket (JSON frames, no subprotocol)."""

    def __init__(self, server: Server, kernel_id: str, session_id: str) -> None:
        self.session = session_id
        self.ws = websocket.create_connection(
            f"{server.ws_base}/api/kernels/{kernel_id}/channels?session_id={session_id}",
            header=[f"Authorization: token {server.token}"], timeout=CELL_TIMEOUT,
        )

    def execute(self, code: str, user_expressions: dict[str, str] | None = None) -> tuple[dict, list[dict]]:
        """Run ``code`` as a cell does: the execute_reply, and the iopub outputs of the cell."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self.session,
                       "username": "test", "version": "5.3",
                       "date": datetime.now(UTC).isoformat()},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": user_expressions or {}, "allow_stdin": False,
                        "stop_on_error": True},
        }))
        reply, outputs, idle = None, [], False
        while reply is None or not idle:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if msg["channel"] == "shell" and kind == "execute_reply":
                reply = msg["content"]
            elif kind == "status":
                idle = msg["content"]["execution_state"] == "idle"
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append({"output_type": kind, **msg["content"]})
        return reply, outputs

    def close(self) -> None:
        self.ws.close()


def _lines(outputs: list[dict]) -> set[str]:
    """The lines a cell showed as plain text, blanks squeezed."""
    text = "\n".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in outputs)
    return {" ".join(line.split()) for line in text.splitlines()}


def test_explore_runs_top_to_bottom_in_jupyterlab(lab: Server, tmp_path: Path) -> None:
    # open the notebook as JupyterLab does
    model = lab.api("GET", "/api/contents/explore.ipynb?content=1&type=notebook")
    cells = model["content"]["cells"]
    (params,) = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    session = lab.api("POST", "/api/sessions", {
        "path": "explore.ipynb", "type": "notebook", "name": "explore.ipynb",
        "kernel": {"name": "python3"},
    })
    kernel = Kernel(lab, session["kernel"]["id"], session["id"])
    try:
        outputs = []
        for n, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            reply, out = kernel.execute(cell["source"])
            errors = [o for o in out if o["output_type"] == "error"]
            assert reply["status"] == "ok" and not errors, (n, cell["source"][:80], errors)
            outputs.append(out)
        # the kernel is this project's: the same Python and the same talentstats
        reply, _ = kernel.execute("import sys, talentstats", {
            "prefix": "sys.prefix", "package": "talentstats.__file__",
            "cwd": "__import__('os').getcwd()", "processed_dir": "processed_dir",
            "growth": "growth.round(6).to_dict()", "fastest": "list(fastest)",
            "summary": "summary.round(6).to_dict('index')",
        })
    finally:
        kernel.close()
        lab.api("DELETE", f"/api/sessions/{session['id']}")

    # each expression's value, as the kernel printed it (a Python literal)
    found = {k: ast.literal_eval(v["data"]["text/plain"])
             for k, v in reply["user_expressions"].items()}
    import talentstats

    assert (found["prefix"], found["package"]) == (sys.prefix, talentstats.__file__)
    assert found["cwd"] == str(NOTEBOOKS)  # Jupyter runs the kernel beside the notebook...
    assert found["processed_dir"] == str(tmp_path / "work" / "data" / "processed")  # ...data here
    # 石龙镇 TR1 130: 100 (2015) -> 150 (2016), +50%; 东城街道 300 -> 330, +10%. With two units
    # the top half is one: 石龙镇, whose 2015 I08 is 4.0 (above the 3% line); 东城街道's is 2.0.
    assert found["growth"] == {SHILONG: 50.0, DONGCHENG: 10.0}
    assert found["fastest"] == [SHILONG]
    assert found["summary"] == {
        "其他": {"单位数": 1, "I08均值": 2.0, "达到3%的单位数": 0},
        "增长最快": {"单位数": 1, "I08均值": 4.0, "达到3%的单位数": 1},
    }
    # and what the statistician sees under the cells
    shown = [_lines(out) for out in outputs]
    assert "441900102 石龙镇 NaN NaN NaN 100.0 150.0" in shown[2]  # TR1 130 by year
    assert {"441900102 50.0 石龙镇", "441900003 10.0 东城街道"} <= shown[3]  # growth
    assert {"441900102 石龙镇 50.0 4.0 增长最快", "441900003 东城街道 10.0 2.0 其他",
            "其他 1 2.0 0", "增长最快 1 4.0 1"} <= shown[4]  # by unit, by group
    assert {"0 441900003 2015 300.0 2.0", "3 441900102 2016 150.0 NaN"} <= shown[5]  # SQL
