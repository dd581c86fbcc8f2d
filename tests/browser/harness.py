"""Drive the course in a real JupyterLab with Debian's Chromium (Python playwright, no browser download).

Used by the browser tests and by ``benchmarks/browser_latency.py``. Everything the server and the
browser write goes to a temporary directory; the notebooks are served from a copy, so JupyterLab's
autosave never touches the repository.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
ARTIFACTS = REPO / "artifacts" / "browser"


def chromium_missing_reason() -> str | None:
    if CHROMIUM.exists():
        return None
    return ("Debian's chromium is not installed, so the browser tests cannot run. To enable them: "
            "sudo apt-get install chromium  (CI installs it in .ci/run).")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_lab(notebooks: list[Path] | None = None):
    """Start JupyterLab on 127.0.0.1 with token auth, serving copies of the notebooks.

    Yields ``(base_url, token, root_dir)``.
    """
    work = Path(tempfile.mkdtemp(prefix="lessonkit-lab-"))
    root = work / "notebooks"
    root.mkdir()
    for nb in notebooks or sorted((REPO / "notebooks").glob("*.ipynb")):
        shutil.copy(nb, root / nb.name)
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")]:
        env[var] = str(work / sub)
    # Render every cell (JupyterLab 4 otherwise renders only the cells in view), so every widget
    # really displays and every output can be inspected.
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none", "autoStartDefaultKernel": true}')
    notifications = work / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notifications.parent.mkdir(parents=True)
    notifications.write_text('{"fetchNews": "false", "checkForUpdates": false}')
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
               "jupyterlab.NeverCheckForUpdate",
               # window.jupyterapp: lets the tests run JupyterLab commands (Run All, Start Deck) by id
               "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(work / "server.log", "w")  # noqa: SIM115 -- closed in the finally below
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/status?token={token}", server, work / "server.log")
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _wait_for(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"JupyterLab exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def open_notebook(chromium, base: str, token: str, name: str):
    """A fresh context and page with ``name`` open and its kernel idle."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    # JupyterLab may ask which kernel to start: accept the preferred one (Python 3).
    try:
        page.click(".jp-Dialog .jp-mod-accept", timeout=5_000)
    except Exception:  # noqa: BLE001 -- no dialog: the kernel is starting already
        pass
    wait_for_kernel_idle(page)
    return context, page


def wait_for_kernel_idle(page, timeout: float = 120) -> None:
    page.wait_for_function(
        """() => { const s = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
                   return s && s.getAttribute('data-status') === 'idle'; }""",
        timeout=timeout * 1000)


def run_command(page, command: str, args: dict | None = None) -> None:
    """Execute a JupyterLab command by id, as its menu item or toolbar button would."""
    page.wait_for_function(f"() => window.jupyterapp && window.jupyterapp.commands.hasCommand({command!r})",
                           timeout=60_000)
    # not awaited: some commands (Run All) resolve only when their work is done
    page.evaluate("([id, args]) => { window.jupyterapp.commands.execute(id, args); }", [command, args or {}])


def run_all(page, timeout: float = 300) -> None:
    """Clear the stored outputs, Run All, and wait until every code cell has a new execution count."""
    run_command(page, "notebook:clear-all-cell-outputs")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                   .every(p => !/\\[\\d+\\]/.test(p.textContent))""", timeout=30_000)
    run_command(page, "notebook:run-all-cells")
    page.wait_for_function(
        """() => { const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
                   return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)); }""",
        timeout=timeout * 1000)
    wait_for_kernel_idle(page, timeout)


def error_report(page) -> dict:
    """Cells whose outputs hold an error (read from the notebook model), and widget failures on the page."""
    return page.evaluate(
        """() => {
            const model = window.jupyterapp.shell.currentWidget.content.model;
            const errors = [];
            for (let i = 0; i < model.cells.length; i++) {
                const cell = model.cells.get(i);
                if (cell.type !== 'code') continue;
                const outputs = cell.outputs.toJSON();
                if (outputs.some(o => o.output_type === 'error')) {
                    errors.push({source: cell.sharedModel.getSource().slice(0, 80),
                                 tags: cell.getMetadata('tags') || []});
                }
            }
            const text = document.querySelector('.jp-NotebookPanel').innerText;
            return {errors, widgetErrors: (text.match(/Error displaying widget/g) || []).length};
        }""")


def explorer_images(page):
    return page.locator(".lessonkit-explorer")


def slider_moves_picture(page, explorer, key: str = "ArrowRight", timeout: float = 10) -> float:
    """Press ``key`` on the explorer's first slider; return seconds until its picture changed."""
    explorer.scroll_into_view_if_needed()
    image = explorer.locator("img").first
    before = image.get_attribute("src")
    handle = explorer.locator(".noUi-handle, .slider-container input, .widget-slider .ui-slider-handle").first
    handle.focus()
    started = page.evaluate("() => performance.now()")
    page.keyboard.press(key)
    page.wait_for_function("([el, before]) => el.getAttribute('src') !== before",
                           arg=[image.element_handle(), before], timeout=timeout * 1000, polling="raf")
    ended = page.evaluate("() => performance.now()")
    return (ended - started) / 1000


# --- presenting with jupyterlab-slideshow ("deck") ---------------------------------------------------
# The deck shows the cells of the active cell's "extent": a cell whose ``slideshow.slide_type`` is
# "slide"/"subslide" starts one, cells without a slide_type (null or "") continue it, "fragment" adds
# to it. Any other value (e.g. nbconvert's "-") gets an extent that shows nothing and that the deck's
# navigation never reaches. Cells outside the active extent are ``visibility: hidden``.

DECK_PRESENTING = "body[data-jp-deck-mode='presenting']"

_DECK_STATE = """(element) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const cell = element ? element.closest('.jp-Cell') : null;
    const target = cell ? notebook.widgets.findIndex(w => w.node === cell) : -1;
    const slideType = i => i < 0 ? null
        : ((notebook.widgets[i].model.getMetadata('slideshow') || {}).slide_type ?? null);
    return {mode: document.body.getAttribute('data-jp-deck-mode'), active: notebook.activeCellIndex,
            target, targetSlideType: slideType(target), activeSlideType: slideType(notebook.activeCellIndex),
            visible: notebook.widgets.map((w, i) => w.hasClass('jp-deck-mod-visible') ? i : -1).filter(i => i >= 0)};
}"""


def start_deck(page, at_cell: int = 0) -> None:
    """Make cell ``at_cell`` active and start presenting (command ``deck:toggle``, the deck toolbar button)."""
    page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", at_cell)
    run_command(page, "deck:toggle")
    page.wait_for_selector(DECK_PRESENTING, state="attached", timeout=30_000)


def deck_state(page, element=None) -> dict:
    """Deck mode, active cell, the index and slide_type of the cell holding ``element``, and the shown cells."""
    return page.evaluate(_DECK_STATE, element.element_handle() if element is not None else None)


def deck_walk_to(page, element, max_steps: int = 300) -> dict:
    """Advance the deck as Space does (``deck:go`` down, else forward) until the cell holding ``element``
    is the active cell, the deck cannot move any more, or it went past that cell. Returns ``deck_state``."""
    state = deck_state(page, element)
    for _ in range(max_steps):
        if state["target"] < 0 or state["active"] >= state["target"]:
            break
        moved = page.evaluate(
            """async () => { const notebook = window.jupyterapp.shell.currentWidget.content;
                             const before = notebook.activeCellIndex;
                             await window.jupyterapp.commands.execute(
                                 'deck:go', {direction: 'down', alternate: 'forward'});
                             return notebook.activeCellIndex !== before; }""")
        state = deck_state(page, element)
        if not moved:
            break
    return state


def drag_slider_moves_picture(page, explorer, distance: float = 60, timeout: float = 10) -> float:
    """Drag the explorer's first slider handle with the mouse (towards the side with more room);
    return seconds from the press until its picture changed."""
    image = explorer.locator("img").first
    before = image.get_attribute("src")
    handle = explorer.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    track = handle.locator("xpath=ancestor::*[contains(concat(' ', @class, ' '), ' noUi-target ')][1]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if track and x > track["x"] + track["width"] / 2:
        distance = -distance
    page.mouse.move(x, y)
    started = page.evaluate("() => performance.now()")
    page.mouse.down()
    page.mouse.move(x + distance, y, steps=8)
    page.mouse.up()
    page.wait_for_function("([el, before]) => el.getAttribute('src') !== before",
                           arg=[image.element_handle(), before], timeout=timeout * 1000, polling="raf")
    ended = page.evaluate("() => performance.now()")
    return (ended - started) / 1000
