"""What the PDF's layout caches share: a bounded store kept by a process, and the
scope of one render in which they are consulted (reports/render/columns.py, lines.py).
"""

import contextlib
import threading
from collections import OrderedDict


class Kept:
    """At most `size` answers by key, the least recently used forgotten first; safe
    to share between threads (each PDF thread lays out with its own fonts)."""

    def __init__(self, size):
        self.size = size
        self._lock = threading.Lock()
        self._items = OrderedDict()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()

    def __len__(self):
        return len(self._items)


@contextlib.contextmanager
def render_scope(var, make, install):
    """`var` holds `make()` within the block, or None where `install()` (the patch of
    WeasyPrint) could not be made; a scope within another is the outer one's render."""
    current = var.get()
    if current is not None:
        yield current
        return
    render = make() if install() else None
    token = var.set(render)
    try:
        yield render
    finally:
        var.reset(token)
