"""The built book, read in a real browser: headless Chromium driven by Playwright.

Which build is read: ``_build/html`` of this repository when it is newer than every file
it is built from (``_config.yml``, ``_toc.yml``, ``chapters/``, ``mnistlin/``);
otherwise the test builds the book there first with ``jupyter-book build`` (the README's
command), which executes every chapter and takes minutes. Building the book before
running ``pytest`` therefore saves that time.

The html is served by a server that the test starts on 127.0.0.1 (an ephemeral port),
and Chromium visits every page. Nothing leaves the machine: every request to another
host is aborted in the browser, and Chromium's proxy is a closed port on 127.0.0.1, as
a second guard for anything the first one does not see. Such requests are not counted
as page errors, since a book read offline must not depend on them; the pages that make
them are listed in ``_build/screenshots/external-requests.txt`` and in a warning.

On every page the test checks that

- no JavaScript error is reported (uncaught exceptions, or errors in the console other
  than the failed loads of blocked requests);
- every image from this site loads with a non-zero size (``naturalWidth > 0``);
- every animation player (``.animation``, from matplotlib's JavaScript animations) and
  every widget view (``.jupyter-widgets``, and each embedded widget view) is drawn with a
  non-zero size; pages without them pass this check trivially;
- no cell output shows a traceback, an error or stderr stream, or a stray
  ``<Figure size ...>`` text;

and, across the book, that every notebook chapter has a Binder launch link, and every
launch link names the repository of ``_config.yml`` and a file that exists in it.

A screenshot of each page, as a reader first sees it, goes to ``_build/screenshots/``.

The test is skipped when Chromium (``/usr/bin/chromium``) or Playwright is missing,
except when the environment variable ``CI`` is set: then it fails, so that continuous
integration cannot skip it silently.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"
SHOTS = BUILD / "screenshots"
SOURCES = ("_config.yml", "_toc.yml", "chapters", "mnistlin")
CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = "127.0.0.1"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
]
# Console errors of the book's toolchain, not of its content, tolerated one by one. Any
# other JavaScript error fails the test.
KNOWN_TOOLCHAIN_ERRORS = {
    # Sphinx 7.4 keeps two copies of a script that sphinx-thebe adds without a file, so
    # every page declares thebe's settings twice; the first copy works, thebe is unused.
    "Identifier 'THEBE_JS_URL' has already been declared",
    # pydata-sphinx-theme on a first visit, while the browser stores no light/dark
    # choice: it reports the empty choice, then uses "auto" as intended.
    "Got invalid theme mode: . Resetting to auto.",
}
BUILD_TIMEOUT = 3600  # seconds for jupyter-book to execute and render every chapter
PAGE_TIMEOUT = 30_000  # milliseconds for one page to load and settle

# Output text that a reader should never see in the book.
BAD_OUTPUT = {
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
    "a stray figure repr": re.compile(r"<Figure size \d+(\.\d+)?x\d+(\.\d+)?"),
}

# Runs in the page once it has loaded: what the checks need, as plain data.
INSPECT_PAGE = """
() => {
  const size = (el) => {
    const box = el.getBoundingClientRect();
    return [Math.round(box.width), Math.round(box.height)];
  };
  const describe = (el) => {
    const cell = el.closest('.cell');
    const id = cell && cell.id ? '#' + cell.id : '';
    return el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + id;
  };
  const images = Array.from(document.images).map((img) => ({
    src: img.currentSrc || img.src,
    natural: [img.naturalWidth, img.naturalHeight],
  }));
  const players = Array.from(document.querySelectorAll('.animation')).map((el) => {
    const img = el.querySelector('img');
    return {what: describe(el), size: size(el),
            frame: img ? [img.naturalWidth, img.naturalHeight] : [0, 0]};
  });
  const widgets = Array.from(document.querySelectorAll('.jupyter-widgets'))
    .filter((el) => !el.parentElement.closest('.jupyter-widgets'))
    .map((el) => ({what: describe(el), size: size(el)}));
  const views = Array.from(document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]'))
    .map((el) => {
      const drawn = Array.from(el.parentElement.querySelectorAll('.jupyter-widgets'))
        .map(size).filter(([w, h]) => w > 0 && h > 0);
      return {what: describe(el.parentElement), drawn: drawn.length};
    });
  const outputs = Array.from(document.querySelectorAll('.cell_output, .output'))
    .filter((el) => !el.parentElement.closest('.cell_output, .output'));
  const errorOutputs = Array.from(document.querySelectorAll(
      '.output.traceback, .output.error, .output.stderr'))
    .map((el) => ({what: describe(el), text: el.innerText.trim().slice(0, 300)}));
  const outputText = outputs.map((el) => el.textContent).join('\\n');
  const links = Array.from(document.querySelectorAll('a[href]')).map((a) => a.href);
  return {images, players, widgets, views, errorOutputs, outputText, links};
}
"""

# Opens everything a reader could unfold (dropdowns, hidden inputs and outputs), so
# that players and widgets inside them can be measured.
UNFOLD = """
() => {
  document.querySelectorAll('details').forEach((el) => { el.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach((el) => {
    el.classList.remove('toggle-hidden');
  });
}
"""

LOAD_ALL_IMAGES = """
() => { document.querySelectorAll('img[loading="lazy"]').forEach((img) => {
  img.loading = 'eager'; }); }
"""

IMAGES_SETTLED = "() => Array.from(document.images).every((img) => img.complete)"


@dataclass
class PageVisit:
    """What the browser saw on one page of the book."""

    page: str
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- finding the book


def require_browser() -> None:
    """Skip (or fail, under CI) when Chromium or Playwright is not installed."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Chromium is not installed at {CHROMIUM} "
                       "(apt-get install chromium chromium-driver)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python is not installed "
                       "(pip install -r tests/requirements.txt)")
    if not missing:
        return
    reason = "; ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the browser test may not be skipped: {reason}")
    pytest.skip(reason)


def source_files() -> list[Path]:
    """The files the book is built from."""
    files = []
    for name in SOURCES:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file()
                         and ".ipynb_checkpoints" not in p.parts
                         and "__pycache__" not in p.parts)
    return files


def build_is_fresh() -> bool:
    """Whether ``_build/html`` was written after the last change to any source file."""
    index = HTML / "index.html"
    if not index.is_file():
        return False
    newest = max(path.stat().st_mtime for path in source_files())
    return index.stat().st_mtime > newest


def build_book() -> None:
    """Build the book into ``_build`` with jupyter-book; fail with the log's end if it fails."""
    command = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    command = command or shutil.which("jupyter-book")
    if command is None:
        pytest.fail("jupyter-book is not installed (pip install -r requirements.txt)")
    BUILD.mkdir(exist_ok=True)
    log = BUILD / "browser-test-build.log"
    with open(log, "w", encoding="utf-8") as out:
        done = subprocess.run([command, "build", str(ROOT)], cwd=ROOT, stdout=out,
                              stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
    if done.returncode != 0 or not (HTML / "index.html").is_file():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        pytest.fail(f"jupyter-book build failed (full log: {log}):\n{tail}")


def book_pages(html: Path) -> list[Path]:
    """Every html page of the build, leaving out Sphinx's folders (``_static`` ...)."""
    return sorted(p for p in html.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(html).parts))


def redirect_target(page: Path) -> str | None:
    """The target of a page that only redirects (jupyter-book's ``index.html``)."""
    text = page.read_text(encoding="utf-8", errors="replace")
    found = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"', text, re.I)
    return found.group(1) if found else None


def toc_entries() -> list[str]:
    """The ``root`` and every ``file`` entry of ``_toc.yml``, without suffix."""
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file"):
                    yield str(value)
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [re.sub(r"\.(ipynb|md)$", "", entry) for entry in walk(toc)]


# ---------------------------------------------------------------- serving and browsing


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the html folder without logging every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def html() -> Path:
    """The folder of a fresh html build of the book."""
    require_browser()
    if not build_is_fresh():
        build_book()
    return HTML


@pytest.fixture(scope="module")
def server(html):
    """The base address of an http server for the build, on 127.0.0.1."""
    handler = functools.partial(QuietHandler, directory=str(html))
    httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def dead_port():
    """A port on 127.0.0.1 that is bound but never listens: a proxy that refuses all."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOOPBACK, 0))
    yield sock.getsockname()[1]
    sock.close()


class LoopbackOnly:
    """A route handler that lets through requests to 127.0.0.1 and aborts the others.

    The aborted addresses go to ``sink``, the list of the page being visited.
    """

    def __init__(self):
        self.sink: list[str] = []

    def __call__(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != LOOPBACK:
            self.sink.append(url)
            route.abort()
        else:
            route.continue_()


def visit(context, guard: LoopbackOnly, base: str, html: Path, page: Path) -> PageVisit:
    """Load one page, run the checks on it and save its screenshot."""
    name = page.relative_to(html).as_posix()
    result = PageVisit(name)
    guard.sink = result.blocked
    tab = context.new_page()

    def on_console(message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and url in result.blocked:
            return
        if message.text in KNOWN_TOOLCHAIN_ERRORS:
            return
        result.problems.append(f"console error: {message.text} ({url})")

    tab.on("console", on_console)
    def on_error(error):
        if error.message not in KNOWN_TOOLCHAIN_ERRORS:
            result.problems.append(f"JavaScript error: {error}")

    tab.on("pageerror", on_error)
    try:
        tab.goto(base + name, wait_until="load", timeout=PAGE_TIMEOUT)
        tab.evaluate(LOAD_ALL_IMAGES)
        tab.wait_for_function(IMAGES_SETTLED, timeout=PAGE_TIMEOUT)
        tab.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT)
        shot = SHOTS / (name.replace("/", "__").removesuffix(".html") + ".png")
        tab.screenshot(path=str(shot), full_page=True)
        tab.evaluate(UNFOLD)
        seen = tab.evaluate(INSPECT_PAGE)
    except Exception as error:  # a page that cannot be loaded is itself the finding
        result.problems.append(f"could not be inspected: {error}")
        return result
    finally:
        tab.close()
    result.links = seen["links"]
    result.problems.extend(check_page(seen, base))
    return result


def check_page(seen: dict, base: str) -> list[str]:
    """The problems found in what ``INSPECT_PAGE`` returned for one page."""
    problems = []
    for image in seen["images"]:
        if image["src"].startswith(base) or image["src"].startswith("data:"):
            if min(image["natural"]) <= 0:
                problems.append(f"image did not load: {image['src'][:120]}")
    for player in seen["players"]:
        if min(player["size"]) <= 0 or min(player["frame"]) <= 0:
            problems.append(f"animation player not drawn: {player['what']} "
                            f"(box {player['size']}, frame {player['frame']})")
    for widget in seen["widgets"]:
        if min(widget["size"]) <= 0:
            problems.append(f"widget view not drawn: {widget['what']} (box {widget['size']})")
    for view in seen["views"]:
        if view["drawn"] == 0:
            problems.append(f"embedded widget view not rendered in {view['what']}")
    for output in seen["errorOutputs"]:
        problems.append(f"error output {output['what']}: {output['text']!r}")
    text = " ".join(seen["outputText"].split())
    for what, pattern in BAD_OUTPUT.items():
        found = pattern.search(text)
        if found:
            start = max(found.start() - 60, 0)
            problems.append(f"cell output shows {what}: ...{text[start:found.end() + 60]}...")
    return problems


@pytest.fixture(scope="module")
def visits(html, server, dead_port, tmp_path_factory) -> dict[str, PageVisit]:
    """Every page of the book as Chromium saw it, by path (``chapters/intro.html``)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    profile = tmp_path_factory.mktemp("chromium-profile")
    flags = CHROMIUM_FLAGS + [f"--proxy-server=http://{LOOPBACK}:{dead_port}"]
    found = {}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=flags,
            viewport={"width": 1280, "height": 900},
        )
        guard = LoopbackOnly()
        context.route("**/*", guard)
        try:
            for page in book_pages(html):
                if redirect_target(page) is not None:
                    continue
                result = visit(context, guard, server, html, page)
                found[result.page] = result
        finally:
            context.close()
    report_external(found)
    return found


def report_external(found: dict[str, PageVisit]) -> None:
    """Write down, and warn about, the pages that asked for other hosts."""
    lines = []
    for name, result in sorted(found.items()):
        hosts = sorted({urlsplit(url).hostname or url for url in result.blocked})
        if hosts:
            lines.append(f"{name}: {', '.join(hosts)}")
            lines.extend(f"    {url}" for url in sorted(set(result.blocked)))
    path = SHOTS / "external-requests.txt"
    if not lines:
        path.write_text("No page asked for another host.\n", encoding="utf-8")
        return
    path.write_text("Requests to other hosts, blocked by the browser test:\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")
    pages = sum(1 for line in lines if not line.startswith(" "))
    warnings.warn(f"{pages} page(s) of the book ask for other hosts, which a reader "
                  f"offline does not reach; see {path}", UserWarning, stacklevel=2)


# ---------------------------------------------------------------- the tests


def test_every_toc_entry_is_a_page(html, visits):
    """Each entry of ``_toc.yml`` was built into a page and read in the browser."""
    missing = [entry for entry in toc_entries() if f"{entry}.html" not in visits]
    assert not missing, f"pages not built or not visited: {missing}"
    for page in book_pages(html):
        target = redirect_target(page)
        if target is not None:
            assert (page.parent / target.split("#")[0]).is_file(), \
                f"{page.name} redirects to a missing page: {target}"


def test_pages_render_cleanly(visits):
    """No JavaScript error, broken image, undrawn player or widget, or error output."""
    problems = [f"{name}: {problem}" for name, result in sorted(visits.items())
                for problem in result.problems]
    assert not problems, "\n".join(problems)


def test_screenshots_saved(visits):
    """A screenshot of every page is there for a person to look at."""
    for name in visits:
        shot = SHOTS / (name.replace("/", "__").removesuffix(".html") + ".png")
        assert shot.is_file() and shot.stat().st_size > 0, f"no screenshot of {name}"


def binder_target(url: str) -> tuple[str, str] | None:
    """The repository spec and the file a Binder launch URL opens, or None if not Binder.

    ``https://mybinder.org/v2/gh/ORG/REPO/BRANCH?urlpath=lab/tree/chapters/x.ipynb``
    gives ``("gh/ORG/REPO/BRANCH", "chapters/x.ipynb")``.
    """
    parts = urlsplit(url)
    if not parts.path.startswith("/v2/"):
        return None
    query = parse_qs(parts.query)
    spec = unquote(parts.path[len("/v2/"):]).strip("/")
    if "labpath" in query or "filepath" in query:
        return spec, (query.get("labpath") or query["filepath"])[0].lstrip("/")
    if "urlpath" in query:
        path = query["urlpath"][0].lstrip("/")
        for prefix in ("lab/tree/", "doc/tree/", "tree/", "notebooks/", "voila/render/"):
            if path.startswith(prefix):
                return spec, path[len(prefix):]
        return spec, path
    return spec, ""


def test_launch_links_open_repository_files(visits):
    """Every notebook chapter can be launched, and every launch opens a file of this repo."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repository = config["repository"]
    repo_path = urlsplit(repository["url"]).path.rstrip("/").removesuffix(".git")
    expected_spec = f"gh{repo_path}/{repository['branch']}"
    binder_host = urlsplit(config["launch_buttons"]["binderhub_url"]).hostname

    problems = []
    for name, result in sorted(visits.items()):
        for url in sorted(set(result.links)):
            target = binder_target(url) if urlsplit(url).hostname == binder_host else None
            if target is None:
                continue
            spec, path = target
            if spec != expected_spec:
                problems.append(f"{name} launches {spec}, not {expected_spec}")
            if not path or not (ROOT / path).is_file():
                problems.append(f"{name} launches {path!r}, not a file of the repository")
            elif Path(path).with_suffix("").as_posix() != name.removesuffix(".html"):
                problems.append(f"{name} launches another file: {path}")

    notebooks = [entry for entry in toc_entries() if (ROOT / f"{entry}.ipynb").is_file()]
    if not notebooks:
        problems.append("the table of contents lists no notebook")
    for entry in notebooks:
        result = visits.get(f"{entry}.html")
        if result is not None and not any(
                urlsplit(url).hostname == binder_host and binder_target(url)
                for url in result.links):
            problems.append(f"{entry}.html has no Binder launch link")
    assert not problems, "\n".join(problems)
