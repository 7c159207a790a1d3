"""The explorer in a real browser: JupyterLab and the Voila app (``make app``), driven by
Playwright in Debian's headless Chromium.

Each test serves a temporary copy of ``notebooks/12_explorer.ipynb`` on 127.0.0.1 behind a
token, with Jupyter's configuration, data and runtime folders in a temporary folder (so the
committed notebook and the user's settings are never touched), waits for the explorer, moves
the frequency slider from the keyboard and checks that the readout and the drawn prediction
change and that the browser console shows no errors.

These tests never skip: without ``/usr/bin/chromium`` they fail and say how to install it
(``.ci/run`` does). ``SINELIB_SCREENSHOT=figures/explorer.png`` also saves the JupyterLab
test's picture of the explorer there (``make screenshot``); otherwise it goes to a temporary
folder only, so ``make test`` leaves the tree clean.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from chromium import browser_page

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "12_explorer.ipynb"
#: Seconds to wait for a server to answer, for the kernel, for the explorer to appear (the
#: kernel imports TensorFlow and loads a network) and for a slider move to show.
SERVER_TIMEOUT = 60
KERNEL_TIMEOUT = 60
EXPLORER_TIMEOUT = 120
MOVE_TIMEOUT = 30
#: Console errors that say nothing about the page under test. Each entry is a fragment of the
#: message and the reason it is harmless.
HARMLESS_CONSOLE_ERRORS = {
    # Voila's page links the Font Awesome icon stylesheets from a public CDN; a machine
    # without internet access (CI's) cannot load them. The explorer draws no icons, and with
    # a network the request succeeds.
    "cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free":
        "Voila's icon stylesheets from a CDN, unreachable offline",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with status {server.returncode} before answering:"
                        f"\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"no answer from {url.split('?')[0]} within {SERVER_TIMEOUT} s:\n"
                f"{log.read_text()[-3000:]}", pytrace=False)


def _jupyter_environment(home: Path) -> dict:
    """The current environment with Jupyter's folders moved into ``home``."""
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


@contextmanager
def _server(command: list[str], url: str, env: dict, log: Path):
    with open(log, "w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env,
                                  cwd=log.parent, start_new_session=True)
    try:
        _wait_for_http(url, server, log)
        yield server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        # The kernels the server started are its children; they go with its session.
        try:
            os.killpg(server.pid, 15)
        except ProcessLookupError:
            pass


def _lab_settings(folder: Path) -> None:
    """JupyterLab user settings for a test: no news pop-up, no update check, and every cell
    attached to the page (windowing off), so that off-screen outputs are rendered."""
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
            {"windowingMode": "none"},
    }
    for name, values in settings.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextmanager
def _browser():
    with browser_page(1280, 1400, MOVE_TIMEOUT) as page:
        errors = []
        page.on("console", lambda message: message.type == "error"
                and errors.append(f"console: {message.text} ({message.location})"))
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        yield page, errors


def _wait(page, script: str, what: str, timeout: float, arg=None):
    """``page.wait_for_function`` with a failure message that says what did not happen."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(script, arg=arg, timeout=timeout * 1000)
    except PlaywrightTimeout:
        readout = page.locator(".sinelib-readout")
        shown = readout.first.inner_text() if readout.count() else "(no explorer readout)"
        pytest.fail(f"{what} within {timeout} s; the readout shows: {shown}", pytrace=False)


def _top_panel(png: bytes) -> np.ndarray:
    """The upper two thirds of a screenshot of the figure (the window panel), as pixels."""
    from PIL import Image

    pixels = np.asarray(Image.open(BytesIO(png)).convert("RGB"))
    return pixels[: 2 * pixels.shape[0] // 3]


def _settled_picture(figure) -> np.ndarray:
    """The figure's window panel once the first frame has arrived and stopped changing."""
    deadline, previous = time.monotonic() + EXPLORER_TIMEOUT, None
    while True:
        picture = _top_panel(figure.screenshot())
        drawn = np.mean(np.any(picture < 200, axis=-1)) > 0.01  # lines and text, not blank
        if drawn and previous is not None and np.array_equal(picture, previous):
            return picture
        if time.monotonic() > deadline:
            pytest.fail(f"the explorer's figure was not drawn within {EXPLORER_TIMEOUT} s",
                        pytrace=False)
        previous = picture
        time.sleep(0.5)


def _check_slider_move(page, errors) -> bytes:
    """Move the frequency slider three steps right; the readout and the drawn prediction must
    change. Returns a screenshot of the explorer afterwards."""
    readout = page.locator(".sinelib-readout").first
    figure = page.locator(".sinelib-figure canvas").first
    _wait(page, "() => { const r = document.querySelector('.sinelib-readout');"
                " return r && r.innerText.includes('summed loss'); }",
          "the explorer's readout did not show a summed loss", EXPLORER_TIMEOUT)
    figure.wait_for(state="visible", timeout=EXPLORER_TIMEOUT * 1000)
    picture_before = _settled_picture(figure)
    text_before = readout.inner_text()
    handle = page.locator(".sinelib-frequency .noUi-handle").first
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    _wait(page, "(before) => document.querySelector('.sinelib-readout').innerText != before",
          "the readout did not change after the frequency slider moved", MOVE_TIMEOUT,
          arg=text_before)
    text_after = readout.inner_text()
    assert "summed loss" in text_after and text_after != text_before
    deadline = time.monotonic() + MOVE_TIMEOUT
    while True:
        picture_after = _top_panel(figure.screenshot())
        changed = np.mean(np.any(picture_after != picture_before, axis=-1))
        if changed > 0.001:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"the drawn prediction did not change within {MOVE_TIMEOUT} s of the "
                        f"slider move (readout: {text_after})", pytrace=False)
        page.wait_for_timeout(250)
    unexplained = [error for error in errors
                   if not any(fragment in error for fragment in HARMLESS_CONSOLE_ERRORS)]
    assert not unexplained, "the browser console shows errors:\n" + "\n".join(unexplained)
    return page.locator(".sinelib-explorer").first.screenshot()


def _save_screenshot(png: bytes, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(png)
    target = os.environ.get("SINELIB_SCREENSHOT")
    if target and name.startswith("lab"):
        shutil.copyfile(path, ROOT / target if not Path(target).is_absolute() else target)
    return path


@pytest.fixture
def served(tmp_path):
    """A temporary folder holding a copy of the explorer notebook, and Jupyter's folders."""
    folder = tmp_path / "served"
    folder.mkdir()
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    return folder, _jupyter_environment(tmp_path / "jupyter")


def test_explorer_in_jupyterlab(served, tmp_path):
    folder, env = served
    port, token = _free_port(), secrets.token_hex(16)
    settings, workspaces = tmp_path / "lab-settings", tmp_path / "lab-workspaces"
    _lab_settings(settings)
    workspaces.mkdir()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
               "--port", str(port), f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={folder}", f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={workspaces}", "--LabApp.expose_app_in_browser=True",
               "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        command.append("--allow-root")  # as make lab does: containers often run as root
    base = f"http://127.0.0.1:{port}"
    with _server(command, f"{base}/api/status?token={token}", env, tmp_path / "lab.log"), \
            _browser() as (page, errors):
        page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}",
                  timeout=SERVER_TIMEOUT * 1000)
        _wait(page, "() => { const w = window.jupyterapp && window.jupyterapp.shell"
                    ".currentWidget; const k = w && w.sessionContext && w.sessionContext"
                    ".session && w.sessionContext.session.kernel;"
                    " return k && k.status === 'idle'; }",
              "the notebook's kernel was not idle", KERNEL_TIMEOUT)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        png = _check_slider_move(page, errors)
        _save_screenshot(png, tmp_path, "lab-explorer.png")


def test_explorer_as_a_voila_app(served, tmp_path):
    folder, env = served
    port, token = _free_port(), secrets.token_hex(16)
    command = [sys.executable, "-m", "voila", str(folder / NOTEBOOK.name), "--no-browser",
               "--Voila.ip=127.0.0.1", f"--Voila.port={port}", f"--token={token}"]
    base = f"http://127.0.0.1:{port}"
    # Voila has no status API; its login page answers as soon as it listens.
    with _server(command, f"{base}/login", env, tmp_path / "voila.log"), \
            _browser() as (page, errors):
        # Without the token the app sends the browser to its login page.
        with urllib.request.urlopen(f"{base}/", timeout=10) as response:
            assert response.url.startswith(f"{base}/login")
        page.goto(f"{base}/?token={token}", timeout=EXPLORER_TIMEOUT * 1000)
        png = _check_slider_move(page, errors)
        _save_screenshot(png, tmp_path, "voila-explorer.png")
