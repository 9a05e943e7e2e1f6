"""The real local push service, able to stall a request so a test can kill the sender then."""

from __future__ import annotations

import threading

from tests.support.push_service import LocalPushService

HOLD_LIMIT_SECONDS = 60


class HoldingPushService(LocalPushService):
    """hold("before"): the next push hangs and is never accepted (the sender died first);
    hold("after"): the next push is accepted, but the answer hangs (the sender dies before
    it hears back). release() lets the hung request finish."""

    def __init__(self) -> None:
        super().__init__()
        self.mode: str | None = None
        self.holding = threading.Event()
        self._released = threading.Event()

    def hold(self, mode: str) -> None:
        self.mode = mode
        self.holding.clear()
        self._released.clear()

    def release(self) -> None:
        self.mode = None
        self._released.set()

    def _stall(self) -> None:
        self.holding.set()
        self._released.wait(HOLD_LIMIT_SECONDS)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        mode = self.mode
        if mode == "before":
            self._stall()
            return 503, {}
        answer = super().handle(path, headers, body)
        if mode == "after":
            self._stall()
        return answer
