"""The training playground in a real browser: JupyterLab and the Voila page (``make
playground``), driven by Playwright in Debian's headless Chromium, with the servers, the
browser and the checks of tests/test_browser.py.

In each: press Train, see the step count rise and the held-out loss fall, Pause, change the
units (the page says it waits for Reset), Reset, train again; no console error. The Voila
page also refuses bad settings with their messages and makes no request beyond 127.0.0.1.
``SINELIB_PLAYGROUND_SCREENSHOT=figures/playground.png`` also saves the JupyterLab test's
picture of the playground there, trained until its held-out loss is below 2 (``make
screenshot``). The JupyterLab test serves the notebook without its last, static section (a
finished short training, which the Voila test runs) to keep the two tests near a minute and a
half together.
"""

import os
import secrets
import urllib.request

import nbformat
import pytest

from test_browser import (
    LAPTOP, NOTEBOOK, ROOT, _browser, _free_port, _server, lab_command, remote_requests,
    run_in_lab, serve_copy, voila_command, voila_environment,
)

PLAYGROUND = NOTEBOOK.parent / "15_playground.ipynb"
#: Seconds to wait for the playground to appear (the kernel imports TensorFlow and builds
#: experiment 3's network) and for training to show.
APPEAR_TIMEOUT = 120
TRAIN_TIMEOUT = 30
#: The held-out loss the screenshot's run reaches before its picture is taken, and how long it
#: may take (``make screenshot`` only).
PICTURE_LOSS = 2.0
PICTURE_TIMEOUT = 180
ANSWER_TIMEOUT = 15

STEP = "parseInt((document.querySelector('.sinelib-step-count') || {innerText: '-1'})" \
       ".innerText)"
HELDOUT = "parseFloat((document.querySelector('.sinelib-heldout-loss') || {innerText: 'NaN'})" \
          ".innerText)"


def _wait(page, script: str, what: str, timeout: float, arg=None):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(script, arg=arg, timeout=timeout * 1000)
    except PlaywrightTimeout:
        status = page.locator(".sinelib-status")
        notice = page.locator(".sinelib-notice")
        shown = " | ".join(part.first.inner_text() for part in (status, notice)
                           if part.count())
        pytest.fail(f"{what} within {timeout} s; the page shows: {shown or '(no playground)'}",
                    pytrace=False)


def _type(page, name: str, value: str) -> None:
    """Type ``value`` into the text box of control ``name`` and send it (Enter)."""
    box = page.locator(f".sinelib-{name} input").first
    box.fill(value)
    box.press("Enter")


def _train_pause_reset_train(page, errors, picture=None) -> None:
    """Train, Pause, change the units, Reset, train again. With ``picture`` (a path), the
    first training goes on until the held-out loss is below ``PICTURE_LOSS`` and the
    playground's picture, paused there, is saved to it (``make screenshot``)."""
    _wait(page, f"() => {STEP} === 0 && !isNaN({HELDOUT})",
          "the playground did not appear at step 0", APPEAR_TIMEOUT)
    first = page.evaluate(f"() => {HELDOUT}")
    button = page.locator("button.sinelib-train").first
    button.click()
    _wait(page, f"() => {STEP} > 0", "the step count did not rise after Train", TRAIN_TIMEOUT)
    _wait(page, f"(first) => {HELDOUT} < first", "the held-out loss did not fall",
          TRAIN_TIMEOUT, arg=first)
    if picture is not None:
        _wait(page, f"() => {HELDOUT} < {PICTURE_LOSS}",
              f"the held-out loss did not fall below {PICTURE_LOSS}", PICTURE_TIMEOUT)
    button.click()  # Pause
    _wait(page, "() => document.querySelector('button.sinelib-train').innerText.trim()"
                " === 'Train'", "Pause did not stop the training", ANSWER_TIMEOUT)
    paused = page.evaluate(f"() => {STEP}")
    page.wait_for_timeout(1000)
    assert page.evaluate(f"() => {STEP}") == paused, "the step count rose after Pause"
    if picture is not None:
        picture.write_bytes(page.locator(".sinelib-playground").first.screenshot())
    _type(page, "units", "10")
    _wait(page, "() => document.querySelector('.sinelib-notice').innerText"
                ".includes('press Reset')", "a units change did not ask for Reset",
          ANSWER_TIMEOUT)
    page.locator("button.sinelib-reset").first.click()
    _wait(page, f"() => {STEP} === 0 && document.querySelector('.sinelib-notice')"
                ".innerText.trim() === ''", "Reset did not build a new network",
          ANSWER_TIMEOUT)
    button.click()
    _wait(page, f"() => {STEP} > 0", "the new network did not train", TRAIN_TIMEOUT)
    button.click()
    assert not errors, "the browser console shows errors:\n" + "\n".join(errors)


#: Bad values typed into the page, and the message each must get.
BAD_SETTINGS = [
    ("n-out", "0", "horizon must be a whole number in [1, 200] samples, got 0"),
    ("n-in", "0", "input length must be a whole number in [1, 200] samples, got 0"),
    ("learning-rate", "0", "learning rate must be in [1e-05, 0.1], got 0.0"),
    ("learning-rate", "1000", "learning rate must be in [1e-05, 0.1], got 1000.0"),
    ("band-high", "60", "band high must be in (0, 50) Hz (50 Hz is the Nyquist limit"),
]


def _check_bad_settings(page) -> None:
    for name, value, message in BAD_SETTINGS:
        before = page.locator(f".sinelib-{name} input").first.input_value()
        _type(page, name, value)
        _wait(page, "(m) => document.querySelector('.sinelib-notice').innerText.includes(m)",
              f"typing {value} into {name} did not say {message!r}", ANSWER_TIMEOUT,
              arg=message)
        _type(page, name, before)


@pytest.fixture
def served(tmp_path):
    return serve_copy(PLAYGROUND, tmp_path)


def test_playground_in_jupyterlab(served, tmp_path):
    folder, env = served
    notebook = nbformat.read(folder / PLAYGROUND.name, as_version=4)
    end = next(i for i, cell in enumerate(notebook.cells)
               if cell.source.startswith("## A finished short training"))
    notebook.cells = notebook.cells[:end]
    nbformat.write(notebook, folder / PLAYGROUND.name)
    port, token = _free_port(), secrets.token_hex(16)
    command = lab_command(folder, port, token, tmp_path)
    base = f"http://127.0.0.1:{port}"
    with _server(command, f"{base}/api/status?token={token}", env, tmp_path / "lab.log"), \
            _browser() as (page, errors):
        run_in_lab(page, base, token, PLAYGROUND.name, APPEAR_TIMEOUT)
        target = os.environ.get("SINELIB_PLAYGROUND_SCREENSHOT")
        _train_pause_reset_train(page, errors, picture=ROOT / target if target else None)
        (tmp_path / "lab-playground.png").write_bytes(
            page.locator(".sinelib-playground").first.screenshot())


def test_playground_as_a_voila_page(served, tmp_path):
    folder, env = served
    port, token = _free_port(), secrets.token_hex(16)
    command = voila_command(folder / PLAYGROUND.name, port, token)
    base = f"http://127.0.0.1:{port}"
    with _server(command, f"{base}/login", voila_environment(env), tmp_path / "voila.log"):
        with urllib.request.urlopen(f"{base}/", timeout=10) as response:
            assert response.url.startswith(f"{base}/login")  # the token guards the page
        with _browser(*LAPTOP) as (page, errors):
            remote = remote_requests(page, base)
            page.goto(f"{base}/?token={token}", timeout=APPEAR_TIMEOUT * 1000)
            _train_pause_reset_train(page, errors)
            _check_bad_settings(page)
            (tmp_path / "voila-playground.png").write_bytes(
                page.locator(".sinelib-playground").first.screenshot())
            assert not remote, "the page made requests to other machines:\n" + "\n".join(remote)
            assert not errors, "the browser console shows errors:\n" + "\n".join(errors)
