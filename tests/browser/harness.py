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


def all_notebooks() -> list[Path]:
    """Both editions: notebooks/0N_*.ipynb (English) and notebooks/zh/0N_*.ipynb (简体中文)."""
    sys.path.insert(0, str(REPO / "tools"))
    from editions import all_notebooks as every_edition

    return every_edition()


def served_name(path: Path) -> str:
    """A notebook's path as JupyterLab serves it (relative to notebooks/: "zh/01_activations.ipynb")."""
    path = Path(path)
    return path.name if path.parent.name != "zh" else f"zh/{path.name}"


def notebook_id(path: Path) -> str:
    return served_name(path).removesuffix(".ipynb").replace("/", "-")


@contextmanager
def jupyter_lab(notebooks: list[Path] | None = None, pythonpath: Path | None = None,
                lab_args: tuple[str, ...] = ()):
    """Start JupyterLab on 127.0.0.1 with token auth, serving copies of the notebooks.

    ``pythonpath``: a checkout whose ``lessonkit`` the kernels import instead of this repository's
    (e.g. an old commit's, to present that commit's notebooks). Yields ``(base_url, token, root_dir)``.
    """
    work = Path(tempfile.mkdtemp(prefix="lessonkit-lab-"))
    root = work / "notebooks"
    root.mkdir()
    for nb in notebooks or all_notebooks():
        target = root / served_name(nb)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(nb, target)
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "mpl")]:
        env[var] = str(work / sub)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), *filter(None, [env.get("PYTHONPATH")])])
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
               "--LabApp.expose_app_in_browser=True", *lab_args]
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


def open_notebook(chromium, base: str, token: str, name: str, width: int = 1400, height: int = 1000,
                  device_scale_factor: float = 1):
    """A fresh context and page (viewport ``width`` x ``height`` CSS px) with ``name`` open and its
    kernel idle."""
    context = chromium.new_context(viewport={"width": width, "height": height},
                                   device_scale_factor=device_scale_factor)
    page = context.new_page()
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    # JupyterLab may ask which kernel to start: accept the preferred one (Python 3).
    try:
        page.click(".jp-Dialog .jp-mod-accept", timeout=5_000)
    except Exception:  # noqa: BLE001 -- no dialog: the kernel is starting already
        pass
    wait_for_kernel_idle(page)
    # jupyterlab-slideshow keeps "presenting" in the user settings: a page opened while another one
    # presented starts in the deck. Start every page as a plain notebook.
    if page.evaluate("() => document.body.getAttribute('data-jp-deck-mode')") == "presenting":
        stop_deck(page)
    return context, page


def close_notebook(context, page) -> None:
    """Shut the notebook's kernel down (closing the page would leave it running on the server), then
    close the page's browser context."""
    try:
        page.evaluate("""async () => { const panel = window.jupyterapp.shell.currentWidget;
                                       if (panel && panel.sessionContext) await panel.sessionContext.shutdown(); }""")
    except Exception:  # noqa: BLE001 -- the page may be gone already; the server stops its kernels at exit
        pass
    context.close()


def wait_for_kernel_idle(page, timeout: float = 120) -> None:
    """Wait until the notebook's kernel is started, connected (its websocket open, its info reply
    received) and idle. The toolbar's indicator alone can read 'idle' before the kernel connects;
    cells run then are lost."""
    page.wait_for_function(
        """() => { const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                   const kernel = panel && panel.sessionContext && panel.sessionContext.session
                                  && panel.sessionContext.session.kernel;
                   return kernel && panel.sessionContext.isReady && kernel.connectionStatus === 'connected'
                          && kernel.status === 'idle'; }""", timeout=timeout * 1000)
    page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.info; }")
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


_RUN_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const model = panel.content.model;
    const counts = [];
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        if (cell.type === 'code') counts.push([i, cell.executionCount ?? null]);
    }
    const pending = [...panel.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                        .filter(p => p.textContent.includes('*')).length;
    const indicator = panel.node.querySelector('.jp-Notebook-ExecutionIndicator');
    const status = indicator ? indicator.getAttribute('data-status') : null;
    return {missing: counts.filter(c => c[1] === null).map(c => c[0]), pending, status,
            kernel: panel.sessionContext.session?.kernel?.status ?? null};
}"""


class RunAllStalled(RuntimeError):
    """Run All stopped before every code cell ran (an unexpected error, or no kernel)."""


def run_all(page, timeout: float = 300) -> None:
    """Clear the stored outputs, Run All, and wait until every code cell has a new execution count.

    Raises ``RunAllStalled`` as soon as the kernel is idle with cells left unexecuted for a few
    seconds (JupyterLab stops Run All at an error in a cell not tagged ``raises-exception``).
    """
    run_command(page, "notebook:clear-all-cell-outputs")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                   .every(p => !/\\[\\d+\\]/.test(p.textContent))""", timeout=30_000)
    run_command(page, "notebook:run-all-cells")
    deadline = time.monotonic() + timeout
    stalled_since = None
    while True:
        state = page.evaluate(_RUN_STATE)
        if not state["missing"] and state["status"] == "idle":
            return
        # both the kernel and the toolbar's indicator: a cell that pumps the kernel's event loop (an
        # explorer's precompute updating its progress bar) makes the kernel report 'idle' mid-cell
        idle = state["kernel"] == "idle" and state["status"] == "idle" and state["pending"] == 0
        if idle and state["missing"]:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 20:
                raise RunAllStalled(f"Run All stopped: code cells {state['missing']} never ran ({state}); "
                                    f"errors: {error_report(page)['errors']}")
        else:
            stalled_since = None
        if time.monotonic() > deadline:
            raise TimeoutError(f"Run All did not finish within {timeout} s: {state}")
        time.sleep(0.5)


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


def intended_error_texts(page) -> list[str]:
    """The text shown under each cell tagged ``raises-exception`` (its error output as rendered)."""
    return page.evaluate(
        """() => window.jupyterapp.shell.currentWidget.content.widgets
                .filter(w => w.model.type === 'code'
                             && (w.model.getMetadata('tags') || []).includes('raises-exception'))
                .map(w => { const o = w.node.querySelector(
                                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
                            return o ? o.innerText : ''; })""")


def explorer_images(page):
    return page.locator(".lessonkit-explorer")


# Timing a move in the page's own clock, so the automation's round trips (Python -> playwright ->
# Chromium and back, tens of ms on a loaded machine) are not counted: from the keydown event's
# timestamp to the presentation time of the first frame that shows the new picture (Element Timing API:
# the image carries an ``elementtiming`` attribute; each frame is a new blob URL, so each new picture
# gets its own entry). That counts what a viewer waits for -- the kernel's reply, the image's loading,
# decoding and painting -- and nothing else. Without Element Timing (not Chromium), or if no entry
# comes within 2 s, the end is the first animation frame after the new picture has decoded.
_MOVE_ARM = """([img, timeout]) => {
    if (!window.__lessonkitMoves) {
        const t = window.__lessonkitMoves = {entries: [], waiting: null, key: null};
        document.addEventListener('keydown', e => { if (t.key === null) t.key = e.timeStamp; }, true);
        if ((PerformanceObserver.supportedEntryTypes || []).includes('element')) {
            new PerformanceObserver(list => {
                for (const e of list.getEntries()) {
                    t.entries = [...t.entries.slice(-20), e];
                    if (t.waiting) t.waiting(e);
                }
            }).observe({type: 'element', buffered: true});
        }
    }
    const t = window.__lessonkitMoves;
    const armed = performance.now();
    t.key = null;
    img.setAttribute('elementtiming', 'lessonkit-explorer');
    const before = img.getAttribute('src');
    t.move = new Promise((resolve, reject) => {
        const timer = setTimeout(() => { observer.disconnect(); reject(new Error(
            `the picture did not change within ${timeout} ms`)); }, timeout);
        const observer = new MutationObserver(() => {
            const src = img.getAttribute('src');
            if (src === before) return;
            observer.disconnect();
            clearTimeout(timer);
            const changed = performance.now();
            // this picture's entry: same element, same URL (a data: URL's entry keeps only its first
            // 100 characters), loaded after the change
            const mine = e => e.element === img && e.loadTime >= changed - 1
                              && (e.url === src || (src.startsWith('data:') && src.startsWith(e.url)));
            let finished = false;
            const done = (painted, how) => { if (finished) return; finished = true; t.waiting = null;
                resolve({pressed: t.key ?? armed, changed, painted, how}); };
            const fallback = () => img.decode().catch(() => null).then(() => requestAnimationFrame(
                () => requestAnimationFrame(() => done(performance.now(), 'decoded + frame'))));
            const found = t.entries.find(mine);
            if (found) { done(found.renderTime || found.loadTime, 'element timing'); return; }
            const late = setTimeout(fallback, 2000);
            t.waiting = e => { if (!mine(e)) return;
                               clearTimeout(late); done(e.renderTime || e.loadTime, 'element timing'); };
        });
        observer.observe(img, {attributes: true, attributeFilter: ['src']});
    });
    return true;
}"""


def slider_move_timings(page, explorer, key: str = "ArrowRight", timeout: float = 10) -> dict:
    """Press ``key`` on the explorer's first slider. Returns, in ms of the page's clock: ``pressed``
    (the keydown event), ``changed`` (the new picture reached the page: its ``src`` changed),
    ``painted`` (the first frame showing it was presented), and ``how`` the end was measured."""
    explorer.scroll_into_view_if_needed()
    image = explorer.locator("img").first
    handle = explorer.locator(".noUi-handle, .slider-container input, .widget-slider .ui-slider-handle").first
    handle.focus()
    page.evaluate(_MOVE_ARM, [image.element_handle(), timeout * 1000])
    page.keyboard.press(key)
    return page.evaluate("() => window.__lessonkitMoves.move")


def slider_moves_picture(page, explorer, key: str = "ArrowRight", timeout: float = 10) -> float:
    """Press ``key`` on the explorer's first slider; return seconds from the key press until the
    changed picture is on screen (see ``slider_move_timings``)."""
    timings = slider_move_timings(page, explorer, key, timeout)
    return (timings["painted"] - timings["pressed"]) / 1000


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
    """Make cell ``at_cell`` active and start presenting (``deck:start``, what the deck toolbar button
    ``deck:toggle`` does when not presenting). The deck stores "presenting" in the user settings, so
    a page opened after another one presented may already be presenting: then it just moves."""
    page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", at_cell)
    if page.evaluate("() => document.body.getAttribute('data-jp-deck-mode')") != "presenting":
        run_command(page, "deck:start")
    page.wait_for_selector(DECK_PRESENTING, state="attached", timeout=30_000)
    page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", at_cell)


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


# --- measuring a presented deck ------------------------------------------------------------------
# While presenting, every cell of the active (sub)slide is "on screen" (class jp-deck-mod-onscreen;
# fragments not yet revealed take their place at opacity 0), every other cell has height 0. The
# notebook node (.jp-Notebook, max-height 100vh, overflow-y auto) and its .jp-WindowedPanel-outer
# are the slide's scroll containers: a slide that does not fit makes them scroll.

_DECK_STEP = """() => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const onScreen = notebook.widgets.map((w, i) => w.hasClass('jp-deck-mod-onscreen') ? i : -1)
                                     .filter(i => i >= 0);
    const visible = notebook.widgets.map((w, i) => w.hasClass('jp-deck-mod-visible') ? i : -1)
                                    .filter(i => i >= 0);
    return {mode: document.body.getAttribute('data-jp-deck-mode'), active: notebook.activeCellIndex,
            onScreen, visible};
}"""

_DECK_GO = """async () => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const before = notebook.activeCellIndex;
    await window.jupyterapp.commands.execute('deck:go', {direction: 'down', alternate: 'forward'});
    return notebook.activeCellIndex !== before;
}"""

_SETTLED = """async () => {
    const frame = () => new Promise(r => requestAnimationFrame(() => r()));
    const images = [...document.querySelectorAll('.jp-deck-mod-onscreen img')];
    await Promise.all(images.map(i => i.complete ? null : new Promise(r => {
        i.addEventListener('load', r, {once: true}); i.addEventListener('error', r, {once: true});
        setTimeout(r, 3000); })));
    await frame(); await frame();
    return true;
}"""

_DECK_MEASURE = """() => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const node = notebook.node;
    const scrollers = [node, ...node.querySelectorAll(':scope > .jp-WindowedPanel-outer')];
    const viewport = {width: window.innerWidth, height: window.innerHeight};
    const cells = notebook.widgets.filter(w => w.hasClass('jp-deck-mod-onscreen')).map(w => w.node);
    // content height from the scroll containers and, independently, from the cells' boxes
    let overflowY = 0, height = 0, visibleHeight = viewport.height;
    for (const s of scrollers) {
        overflowY = Math.max(overflowY, s.scrollHeight - s.clientHeight);
        height = Math.max(height, s.scrollHeight);
        if (s.clientHeight > 0) visibleHeight = Math.min(visibleHeight, s.clientHeight);
    }
    if (cells.length) {
        const top = Math.min(...cells.map(c => c.getBoundingClientRect().top));
        const bottom = Math.max(...cells.map(c => c.getBoundingClientRect().bottom));
        height = Math.max(height, bottom - top);
        overflowY = Math.max(overflowY, (bottom - top) - visibleHeight);
    }
    // content cut or scrolled sideways: any element in the slide wider than its box (a long code
    // line in the editor, a wide output) or sticking out of the window
    let overflowX = 0, wideWhat = '';
    const kind = e => e.closest('.jp-MarkdownOutput') ? 'markdown' : e.closest('.jp-InputArea') ? 'code line'
                    : e.closest('.jp-OutputArea') ? 'output' : e.tagName.toLowerCase();
    for (const cell of cells) {
        for (const e of [cell, ...cell.querySelectorAll('*')]) {
            const cs = getComputedStyle(e);
            if (cs.display === 'none' || cs.visibility === 'hidden') continue;
            if (['auto', 'scroll', 'hidden', 'clip'].includes(cs.overflowX) && e.clientWidth > 0) {
                const extra = e.scrollWidth - e.clientWidth;
                if (extra > overflowX + 1) { overflowX = extra; wideWhat = kind(e); }
            }
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.right - viewport.width > overflowX + 1) {
                overflowX = r.right - viewport.width; wideWhat = kind(e);
            }
        }
    }
    // the deck's navigation arrows (.jp-Deck-Remote, bottom right): do they cover slide content?
    let remoteOverlap = 0;
    const remote = document.querySelector('.jp-Deck-Remote');
    if (remote) {
        const r = remote.getBoundingClientRect();
        for (const cell of cells) {
            const parts = cell.querySelectorAll('.jp-InputArea-editor, .jp-OutputArea-output, .jp-MarkdownOutput');
            for (const part of parts) {
                const b = part.getBoundingClientRect();
                const w = Math.min(r.right, b.right) - Math.max(r.left, b.left);
                const h = Math.min(r.bottom, b.bottom, viewport.height) - Math.max(r.top, b.top, 0);
                if (w > 0 && h > 0) remoteOverlap = Math.max(remoteOverlap, Math.round(w * h));
            }
        }
    }
    const first = cells[0];
    const text = first ? (first.querySelector('.jp-MarkdownOutput, .jp-InputArea-editor') || first).innerText : '';
    const title = (text.split('\\n').map(l => l.trim()).find(l => l) || '').replace(/\\s+/g, ' ');
    const md = cells.map(c => c.querySelector('.jp-MarkdownOutput')).find(Boolean);
    const heading = md ? (md.querySelector('h1, h2, h3, h4, h5, h6') || {}).innerText : null;
    return {cells: notebook.widgets.map((w, i) => w.hasClass('jp-deck-mod-onscreen') ? i : -1).filter(i => i >= 0),
            title: (heading || title).replace(/\\s+/g, ' ').replace(/[¶\\s]+$/, ''), height: Math.round(height),
            visibleHeight, overflowY: Math.max(0, Math.round(overflowY)),
            overflowX: Math.max(0, Math.round(overflowX)), wideWhat, remoteOverlap,
            width: viewport.width, viewportHeight: viewport.height};
}"""

_SLIDE_TYPES = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(
    w => (w.model.getMetadata('slideshow') || {}).slide_type ?? null)"""


def deck_slides(page, on_slide=None, max_steps: int = 2000) -> dict:
    """Present the open notebook from its first cell and step through the whole deck as Space does
    (``deck:go`` down, else forward: every slide, subslide, fragment and cell step).

    For each (sub)slide, measured once its pictures have loaded: ``number`` ("3" or "3.2"), the
    ``cells`` it shows, ``title`` (its first heading, else its first line), content ``height`` and the
    ``visibleHeight`` of the slide (px), ``overflowY`` (px the audience cannot see without scrolling),
    ``overflowX`` (px of the widest element cut or scrolled sideways) and ``wideWhat``, and
    ``remoteOverlap`` (px² of slide content under the deck's navigation arrows, in the window).
    ``on_slide(slide)`` is called while that slide is on screen (e.g. for a screenshot).
    Returns ``{"slides": [...], "steps": n, "unreached": [cells never shown]}``.
    """
    types = page.evaluate(_SLIDE_TYPES)
    start_deck(page, at_cell=0)
    slides, seen, shown = [], set(), set()
    major, minor, steps = 0, 0, 0
    while steps < max_steps:
        steps += 1
        state = page.evaluate(_DECK_STEP)
        if state["mode"] != "presenting":
            raise RuntimeError(f"the deck stopped presenting at cell {state['active']}")
        shown.update(state["visible"])
        head = state["onScreen"][0] if state["onScreen"] else state["active"]
        if head not in seen:
            seen.add(head)
            if major == 0 or types[head] == "slide":
                major, minor = major + 1, 0
            else:
                minor += 1
            page.evaluate(_SETTLED)
            slide = page.evaluate(_DECK_MEASURE)
            slide["number"] = f"{major}.{minor}" if minor else str(major)
            slide["slideType"] = types[head]
            slides.append(slide)
            if on_slide is not None:
                on_slide(slide)
        if not page.evaluate(_DECK_GO):
            break
    unreached = [i for i in range(len(types)) if i not in shown]
    return {"slides": slides, "steps": steps, "unreached": unreached}


def stop_deck(page) -> None:
    """Stop presenting (also clears the stored "presenting" setting, so the next page starts normally)."""
    run_command(page, "deck:stop")
    page.wait_for_function("() => document.body.getAttribute('data-jp-deck-mode') !== 'presenting'",
                           timeout=30_000)
