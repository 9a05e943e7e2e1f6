"""The PWA's app shell: which files the service worker caches, their version hash and size.

`python -m tests.browser.shell --write` updates VERSION and SHELL in pwa/sw.js after the
shell changed; test_shell.py fails until that is done, so an edited file can never be
served stale from an old cache.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import sys
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"
SW = PWA / "sw.js"
SHELL_LIMIT_GZIP = 100 * 1024
_SUFFIXES = {".js", ".css", ".svg", ".png", ".webmanifest", ".html"}


# Install-time icons: the browser fetches them itself when installing; not needed to run.
_NOT_IN_SHELL = {"icon-512.png", "maskable-512.png"}


def shell_files() -> list[Path]:
    """Everything the app needs to start offline: index, manifest, CSS, JS, the small icons."""
    return [
        p
        for p in sorted(PWA.rglob("*"))
        if p.is_file() and p.suffix in _SUFFIXES and p != SW and p.name not in _NOT_IN_SHELL
    ]


def url_of(path: Path) -> str:
    rel = path.relative_to(PWA).as_posix()
    if rel == "index.html":
        return "/"
    if rel == "manifest.webmanifest":
        return "/manifest.webmanifest"
    return f"/app/{rel}"


def version() -> str:
    digest = hashlib.sha256()
    for path in shell_files():
        digest.update(url_of(path).encode())
        digest.update(path.read_bytes())
    return "shell-" + digest.hexdigest()[:12]


def gzipped_size(paths: list[Path] | None = None) -> int:
    """Sum of each file gzipped on its own (what a server with gzip would send)."""
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths or shell_files())


def raw_size(paths: list[Path] | None = None) -> int:
    return sum(p.stat().st_size for p in paths or shell_files())


def declared() -> tuple[str, list[str]]:
    """VERSION and SHELL as pwa/sw.js declares them."""
    text = SW.read_text(encoding="utf-8")
    found_version = re.search(r"^const VERSION = '([^']*)';", text, re.M)
    found_shell = re.search(r"^const SHELL = (\[.*?\]);", text, re.M | re.S)
    if not found_version or not found_shell:
        raise ValueError("pwa/sw.js: VERSION or SHELL line missing")
    return found_version.group(1), re.findall(r"'([^']*)'", found_shell.group(1))


def write() -> None:
    text = SW.read_text(encoding="utf-8")
    urls = [url_of(p) for p in shell_files()]
    listing = "[\n" + "".join(f"  '{u}',\n" for u in urls) + "]"
    text = re.sub(r"^const VERSION = '[^']*';", f"const VERSION = '{version()}';", text, flags=re.M)
    text = re.sub(r"^const SHELL = \[.*?\];", f"const SHELL = {listing};", text, flags=re.M | re.S)
    SW.write_text(text, encoding="utf-8")


def main() -> None:
    if "--write" in sys.argv:
        write()
    files = shell_files()
    print(
        f"shell: {len(files)} files, {raw_size(files)} bytes raw, {gzipped_size(files)} bytes"
        f" gzipped (limit {SHELL_LIMIT_GZIP}); version {version()}"
    )


if __name__ == "__main__":
    main()
