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

The Voila app is served as ``make app`` serves it (``voila_command``: the course's page template
``app/voila/templates/sinelib-app`` through ``JUPYTER_PATH``), and must make no request to
another machine, show its controls and its figure above the fold of a 1280 x 800 window, keep
a typed frequency as typed, draw no resize handle, and fit a 390-pixel phone screen.
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
#: The course's Voila page template and the folder that JUPYTER_PATH names for it (as the
#: Makefile's VOILA does).
APP_TEMPLATE = "sinelib-app"
APP_JUPYTER_PATH = ROOT / "app"
#: The window a laptop shows, and a phone's.
LAPTOP = (1280, 800)
PHONE = (390, 844)


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
def _browser(width: int = 1280, height: int = 1400):
    with browser_page(width, height, MOVE_TIMEOUT) as page:
        errors = []
        page.on("console", lambda message: message.type == "error"
                and errors.append(f"console: {message.text} ({message.location})"))
        page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
        yield page, errors


def voila_command(notebook: Path, port: int, token: str) -> list[str]:
    """Voila on ``notebook`` as the Makefile's VOILA runs it (with ``voila_environment``)."""
    return [sys.executable, "-m", "voila", str(notebook), f"--template={APP_TEMPLATE}",
            "--no-browser", "--Voila.ip=127.0.0.1", f"--Voila.port={port}", f"--token={token}"]


def voila_environment(env: dict) -> dict:
    """``env`` with the course's page template on JUPYTER_PATH."""
    paths = [str(APP_JUPYTER_PATH), *filter(None, [env.get("JUPYTER_PATH")])]
    return {**env, "JUPYTER_PATH": os.pathsep.join(paths)}


def remote_requests(page, base: str) -> list[str]:
    """Start recording every request of ``page`` that leaves ``base``'s machine; the returned
    list fills as the page loads."""
    local = (base, "data:", "blob:", "about:")
    requests = []
    page.on("request", lambda request: request.url.startswith(local)
            or requests.append(request.url))
    return requests


def check_above_the_fold(page, selectors: list[str], height: int) -> None:
    """Each element of ``selectors`` is on the page and wholly within the first ``height``
    pixels of it, with nothing scrolled."""
    page.evaluate("window.scrollTo(0, 0)")
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
            f"{selector} spans {box['y']:.0f}-{box['y'] + box['height']:.0f} px: below the "
            f"fold of a {height}-pixel window")


def check_fits_the_width(page, selector: str, width: int) -> None:
    """Neither the page nor ``selector`` (nor anything in it) is wider than ``width`` pixels:
    nothing is cut off or needs a sideways scroll."""
    page_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert page_width <= width, f"the page is {page_width} px wide on a {width}-pixel screen"
    right, name = page.evaluate(
        "(selector) => [...document.querySelectorAll(selector + ', ' + selector + ' *')]"
        "  .map(e => [e.getBoundingClientRect().right, e.tagName + '.' + e.className])"
        "  .reduce((a, b) => (b[0] > a[0] ? b : a))", selector)
    assert right <= width, f"{name} in {selector} reaches {right:.0f} px on a {width}-pixel screen"


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
    assert not errors, "the browser console shows errors:\n" + "\n".join(errors)
    return page.locator(".sinelib-explorer").first.screenshot()


def _check_typed_frequency(page, value: str) -> None:
    """Type ``value`` into the frequency slider's number: the slider (three significant
    digits, 6 as 6.00) and the readout keep it as typed (a log-scale slider with a step grid
    moved a typed 6 to 6.03)."""
    number = page.locator(".sinelib-frequency .widget-readout").first
    number.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    _wait(page, "(hz) => document.querySelector('.sinelib-readout').innerText.includes(hz)",
          f"the readout did not show {value} Hz after {value} was typed", MOVE_TIMEOUT,
          arg=f"{value} Hz")
    page.wait_for_timeout(500)  # a snapped value would come back from the kernel by now
    shown = number.inner_text().strip()
    assert float(shown) == float(value), f"typed {value}, the slider shows {shown}"
    assert f"{value} Hz" in page.locator(".sinelib-readout").first.inner_text()


def _check_no_resize_handle(page) -> None:
    """The figure's bottom-right corner is blank: ipympl draws its resize handle there (a
    20-pixel triangle shading from white to black)."""
    from PIL import Image

    png = page.locator(".sinelib-figure canvas").first.screenshot()
    pixels = np.asarray(Image.open(BytesIO(png)).convert("L"))
    darkest = int(pixels[-10:, -10:].min())
    assert darkest > 230, f"the figure shows a resize handle in its corner (grey {darkest})"


def _save_screenshot(png: bytes, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(png)
    target = os.environ.get("SINELIB_SCREENSHOT")
    if target and name.startswith("lab"):
        shutil.copyfile(path, ROOT / target if not Path(target).is_absolute() else target)
    return path


def serve_copy(notebook: Path, tmp_path: Path) -> tuple[Path, dict]:
    """A temporary folder holding a copy of ``notebook``, and an environment that gives
    Jupyter its own folders under ``tmp_path``."""
    folder = tmp_path / "served"
    folder.mkdir()
    shutil.copy(notebook, folder / notebook.name)
    return folder, _jupyter_environment(tmp_path / "jupyter")


@pytest.fixture
def served(tmp_path):
    """The explorer notebook, served from a temporary folder."""
    return serve_copy(NOTEBOOK, tmp_path)


def lab_command(folder: Path, port: int, token: str, tmp_path: Path) -> list[str]:
    """JupyterLab serving ``folder`` on 127.0.0.1, with its own settings (no announcements)
    and workspaces under ``tmp_path``, and the app exposed to the page's scripts."""
    settings, workspaces = tmp_path / "lab-settings", tmp_path / "lab-workspaces"
    _lab_settings(settings)
    workspaces.mkdir()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1",
               "--port", str(port), f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={folder}", f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={workspaces}", "--LabApp.expose_app_in_browser=True",
               "--ServerApp.open_browser=False"]
    if sys.platform != "win32" and os.geteuid() == 0:
        command.append("--allow-root")  # as make lab does: containers often run as root
    return command


def run_in_lab(page, base: str, token: str, notebook: str, timeout: float) -> None:
    """Open ``notebook`` in JupyterLab at ``base``, wait for its kernel, run every cell."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{base}/lab/tree/{notebook}?token={token}", timeout=SERVER_TIMEOUT * 1000)
    try:
        page.wait_for_function(
            "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " const k = w && w.sessionContext && w.sessionContext.session"
            " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
            timeout=timeout * 1000)
    except PlaywrightTimeout:
        pytest.fail(f"the kernel of {notebook} was not idle within {timeout} s", pytrace=False)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def test_explorer_in_jupyterlab(served, tmp_path):
    folder, env = served
    port, token = _free_port(), secrets.token_hex(16)
    command = lab_command(folder, port, token, tmp_path)
    base = f"http://127.0.0.1:{port}"
    with _server(command, f"{base}/api/status?token={token}", env, tmp_path / "lab.log"), \
            _browser() as (page, errors):
        run_in_lab(page, base, token, NOTEBOOK.name, KERNEL_TIMEOUT)
        _check_slider_move(page, errors)
        # The picture (the book's caption says so): experiment 2 just above its training band.
        _check_typed_frequency(page, "4.5")
        assert not errors, "the browser console shows errors:\n" + "\n".join(errors)
        png = page.locator(".sinelib-explorer").first.screenshot()
        _save_screenshot(png, tmp_path, "lab-explorer.png")


def test_explorer_as_a_voila_app(served, tmp_path):
    folder, env = served
    port, token = _free_port(), secrets.token_hex(16)
    command = voila_command(folder / NOTEBOOK.name, port, token)
    base = f"http://127.0.0.1:{port}"
    # Voila has no status API; its login page answers as soon as it listens.
    with _server(command, f"{base}/login", voila_environment(env), tmp_path / "voila.log"):
        # Without the token the app sends the browser to its login page.
        with urllib.request.urlopen(f"{base}/", timeout=10) as response:
            assert response.url.startswith(f"{base}/login")
        with _browser(*LAPTOP) as (page, errors):
            remote = remote_requests(page, base)
            page.goto(f"{base}/?token={token}", timeout=EXPLORER_TIMEOUT * 1000)
            png = _check_slider_move(page, errors)
            _save_screenshot(png, tmp_path, "voila-explorer.png")
            check_above_the_fold(page, [".sinelib-experiment", ".sinelib-frequency",
                                        ".sinelib-noise", ".sinelib-figure canvas"],
                                 LAPTOP[1])
            _check_typed_frequency(page, "6")
            _check_typed_frequency(page, "4.5")
            _check_no_resize_handle(page)
            assert not remote, "the page made requests to other machines:\n" + "\n".join(remote)
            assert not errors, "the browser console shows errors:\n" + "\n".join(errors)
        with _browser(*PHONE) as (page, errors):
            remote = remote_requests(page, base)
            page.goto(f"{base}/?token={token}", timeout=EXPLORER_TIMEOUT * 1000)
            _wait(page, "() => { const r = document.querySelector('.sinelib-readout');"
                        " return r && r.innerText.includes('summed loss'); }",
                  "the explorer's readout did not show a summed loss", EXPLORER_TIMEOUT)
            page.wait_for_timeout(1000)  # the figure's first frame
            check_fits_the_width(page, ".sinelib-explorer", PHONE[0])
            page.locator(".sinelib-frequency .noUi-handle").first.focus()
            page.keyboard.press("ArrowLeft")
            _wait(page, "() => !document.querySelector('.sinelib-readout').innerText"
                        ".includes('4.5 Hz')",
                  "the frequency slider did not move on a phone screen", MOVE_TIMEOUT)
            assert not remote, "the page made requests to other machines:\n" + "\n".join(remote)
            assert not errors, "the browser console shows errors:\n" + "\n".join(errors)
