"""Render the PWA's PNG icons from pwa/icons/icon.svg with headless Chromium (run once after
the SVG changes: `python -m tests.browser.make_icons`; the PNGs are committed)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

ICONS = Path(__file__).resolve().parents[2] / "pwa" / "icons"


def _page_html(svg: str, size: int, maskable: bool) -> str:
    # A maskable icon is cropped to a circle of 80% diameter: full-bleed colour, smaller mark.
    inner = int(size * 0.72) if maskable else size
    svg = svg.replace('rx="96"', 'rx="0"') if maskable else svg
    pad = (size - inner) // 2
    return (
        f"<html><body style='margin:0;background:{'#0b5cad' if maskable else 'transparent'}'>"
        f"<div style='width:{size}px;height:{size}px;padding:{pad}px;box-sizing:border-box'>"
        f"<div style='width:{inner}px;height:{inner}px'>{svg}</div></div></body></html>"
    )


def main() -> None:
    svg = (
        (ICONS / "icon.svg")
        .read_text(encoding="utf-8")
        .replace("<svg ", '<svg width="100%" height="100%" ', 1)
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, size, maskable in (
            ("icon-192.png", 192, False),
            ("icon-512.png", 512, False),
            ("maskable-512.png", 512, True),
        ):
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(_page_html(svg, size, maskable))
            page.screenshot(path=str(ICONS / name), omit_background=not maskable)
            page.close()
            print("wrote", ICONS / name)
        browser.close()


if __name__ == "__main__":
    main()
