"""PWA figures: the app shell's size (gzipped) and the time from "back online" to "outbox
empty" for 100 edits queued offline, in headless Chromium against `fieldcrm serve`
(SQLite, small demo data set).

    .venv/bin/python bench/pwa.py [--edits 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from tests.browser import shell
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serve_demo, sign_in
from tests.browser.drain import drain, queue_edits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    files = shell.shell_files()
    print(
        f"app shell: {len(files)} files, {shell.raw_size(files):,} B raw, "
        f"{shell.gzipped_size(files):,} B gzipped (budget {shell.SHELL_LIMIT_GZIP:,} B)"
    )
    emptied, synced = [], []
    with (
        tempfile.TemporaryDirectory(prefix="fieldcrm-bench-pwa-") as data_dir,
        serve_demo(Path(data_dir)) as server,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844})
        page = context.new_page()
        sign_in(page, "li.wei")
        for round_no in range(args.rounds):
            context.set_offline(True)
            queued = queue_edits(page, args.edits, f"bench-{time.time_ns()}-{round_no}")
            assert queued["pending"] == args.edits, queued
            timing = drain(context, page)
            emptied.append(timing["emptied"])
            synced.append(timing["synced"])
            print(
                f"round {round_no + 1}: outbox of {args.edits} empty {timing['emptied']:.0f} ms "
                f"after reconnecting; sync with pull done {timing['synced']:.0f} ms"
            )
        browser.close()
    print(
        f"back online → outbox empty ({args.edits} edits): median {statistics.median(emptied):.0f}"
        f" ms, min {min(emptied):.0f} ms; full sync median {statistics.median(synced):.0f} ms"
    )


if __name__ == "__main__":
    main()
