"""Login rate limiting: too many failures for one username or one client address → wait.

Kept in process memory: the embedded default runs one process, and a restart only
forgets failures (it never locks anyone out for longer than intended).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class LoginLimiter:
    def __init__(
        self, max_failures: int, window_seconds: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        cutoff = self.clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login may be tried again for these keys; 0 if allowed now."""
        waits = [
            int(failures[0] + self.window - self.clock()) + 1
            for failures in (self._recent(key) for key in keys)
            if len(failures) >= self.max_failures
        ]
        return max(waits, default=0)

    def record_failure(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self.clock())

    def reset(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
