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

import bulletin_fixture as bf
import pytest
import websocket  # websocket-client, which jupyter_server itself requires
from test_api import DONGCHENG, SHILONG, build_processed

from talentstats.store.catalog import write_datasets

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

    def __init__(self, port: int, token: str, work: Path) -> None:
        self.work = work  # the working folder it was started from
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
    """JupyterLab on notebooks/, started from a fresh working folder (``lab.work``; a test puts
    its data/processed there, as ``make demo`` would), with Jupyter's own config and state kept
    in tmp_path."""
    work = tmp_path / "work"
    work.mkdir()
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
    server = Server(port, token, work)
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


def run_as_opened(lab: Server, name: str, expressions: dict[str, str]) -> tuple[list, dict]:
    """Open notebook ``name`` as JupyterLab does (contents API), start its kernel (sessions
    API) and run every code cell as it stands, in order; then evaluate ``expressions`` in
    the kernel. Returns each code cell's outputs, and each expression's value as a Python
    literal."""
    model = lab.api("GET", f"/api/contents/{name}?content=1&type=notebook")
    cells = [c for c in model["content"]["cells"] if c["cell_type"] == "code"]
    session = lab.api("POST", "/api/sessions", {
        "path": name, "type": "notebook", "name": name, "kernel": {"name": "python3"},
    })
    kernel = Kernel(lab, session["kernel"]["id"], session["id"])
    try:
        outputs = []
        for n, cell in enumerate(cells):
            reply, out = kernel.execute(cell["source"])
            errors = [o for o in out if o["output_type"] == "error"]
            assert reply["status"] == "ok" and not errors, (n, cell["source"][:80], errors)
            outputs.append(out)
        reply, _ = kernel.execute("", expressions)
    finally:
        kernel.close()
        lab.api("DELETE", f"/api/sessions/{session['id']}")
    found = {k: v["data"]["text/plain"] for k, v in reply["user_expressions"].items()}
    return outputs, {k: ast.literal_eval(v) for k, v in found.items()}


def test_explore_runs_top_to_bottom_in_jupyterlab(lab: Server) -> None:
    processed = build_processed(lab.work / "data" / "processed")
    outputs, found = run_as_opened(lab, "explore.ipynb", {
        "prefix": "__import__('sys').prefix",
        "package": "__import__('talentstats').__file__",
        "cwd": "__import__('os').getcwd()", "processed_dir": "processed_dir",
        "growth": "growth.round(6).to_dict()", "fastest": "list(fastest)",
        "summary": "summary.round(6).to_dict('index')",
    })
    import talentstats

    assert (found["prefix"], found["package"]) == (sys.prefix, talentstats.__file__)
    assert found["cwd"] == str(NOTEBOOKS)  # Jupyter runs the kernel beside the notebook...
    assert found["processed_dir"] == str(processed)  # ...and reads the working folder's data
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


def _markdown(outputs: list[list[dict]]) -> str:
    return "\n".join(o.get("data", {}).get("text/markdown", "") for out in outputs for o in out)


def test_bulletin_and_assessment_run_top_to_bottom_in_jupyterlab(lab: Server) -> None:
    # the bulletin's own fixture (tests/bulletin_fixture.py): 2014-2015, the notebooks' year
    write_datasets(lab.work / "data" / "processed", bf.frames())
    outputs, found = run_as_opened(lab, "bulletin.ipynb", {"year": "year"})
    assert found == {"year": 2015}
    text = _markdown(outputs)
    # I01 100000 persons, +11.1% on 2014; I04.130 40.0% (+0.8 points)
    assert "年末全市人才资源总量10.00万人，比上年增长11.1%。" in text
    assert "占人才资源总量的40.0%，比上年提高0.8个百分点" in text
    charts = [o for out in outputs for o in out if "image/png" in o.get("data", {})]
    assert len(charts) == 5  # trend, structure, units, investment, fund ratio
    outputs, _ = run_as_opened(lab, "assessment.ipynb", {})
    html = "\n".join(o.get("data", {}).get("text/html", "") for out in outputs for o in out)
    assert "东城街道" in html and "上升1位" in _markdown(outputs) + html
