"""At most n events per window for each key: the page limits joins per browser session."""

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

KEYS_BEFORE_PRUNING = 10_000  # forget idle keys once this many are held


class RateLimit:
    """A sliding window: ``allow(key)`` is True for at most ``n`` calls in any ``window``
    seconds (by ``clock``, monotonic by default) for one key. Thread-safe: sessions run in
    threads of one server."""

    def __init__(self, n: int, window: float, clock: Callable[[], float] = time.monotonic):
        if n < 1 or window <= 0:
            raise ValueError(f"RateLimit needs n >= 1 and window > 0, got n={n}, window={window}")
        self.n, self.window, self.clock = n, window, clock
        self._times: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._times) > KEYS_BEFORE_PRUNING:
                self._prune(now)
            times = self._times.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.n:
                return False
            times.append(now)
            return True

    def _prune(self, now: float) -> None:
        since = now - self.window
        idle = [k for k, times in self._times.items() if not times or times[-1] <= since]
        for key in idle:
            del self._times[key]
