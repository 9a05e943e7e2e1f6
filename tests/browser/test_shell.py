"""The app shell: size budget, service-worker cache list/version, generated reference data."""

from __future__ import annotations

import pytest

from tests.browser import refdata, shell

pytestmark = pytest.mark.browser


def test_shell_is_at_most_100_kb_gzipped() -> None:
    files = shell.shell_files()
    size = shell.gzipped_size(files)
    print(f"\nshell: {len(files)} files, {shell.raw_size(files)} B raw, {size} B gzipped")
    assert size <= shell.SHELL_LIMIT_GZIP, f"app shell is {size} B gzipped (> 100 KB)"


def test_service_worker_caches_the_current_shell() -> None:
    version, urls = shell.declared()
    assert urls == [shell.url_of(p) for p in shell.shell_files()], (
        "pwa/sw.js SHELL is out of date: run `python -m tests.browser.shell --write`"
    )
    assert version == shell.version(), (
        "shell files changed but pwa/sw.js VERSION did not: "
        "run `python -m tests.browser.shell --write`"
    )


def test_reference_data_matches_the_server() -> None:
    assert refdata.TARGET.read_text(encoding="utf-8") == refdata.render(), (
        "pwa/js/refdata.js is stale: run `python -m tests.browser.refdata`"
    )
