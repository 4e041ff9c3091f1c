"""Deterministic identifiers: every id the lab shows (keys, session names, pod uids) comes from the seed."""

from __future__ import annotations

import random
import string
import threading
import uuid

UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX_UPPER = "0123456789ABCDEF"
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class IdSource:
    """One random stream per purpose, seeded from the lab seed, so ids do not shift when other ids are drawn."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._streams: dict[str, random.Random] = {}
        self._lock = threading.Lock()

    def _stream(self, purpose: str) -> random.Random:
        stream = self._streams.get(purpose)
        if stream is None:
            stream = self._streams[purpose] = random.Random(f"labkit:{self.seed}:{purpose}")
        return stream

    def text(self, purpose: str, length: int, alphabet: str = UPPER_ALNUM) -> str:
        """`length` characters from `alphabet`, the next in the `purpose` stream."""
        with self._lock:
            stream = self._stream(purpose)
            return "".join(stream.choice(alphabet) for _ in range(length))

    def uuid(self, purpose: str) -> str:
        """A version-4 shaped UUID, the next in the `purpose` stream."""
        with self._lock:
            return str(uuid.UUID(int=self._stream(purpose).getrandbits(128), version=4))

    def fixed(self, *parts: object, length: int = 32, alphabet: str = HEX_UPPER) -> str:
        """An id that depends only on the seed and `parts` (not on what was drawn before)."""
        stream = random.Random(":".join(["labkit-fixed", str(self.seed), *map(str, parts)]))
        return "".join(stream.choice(alphabet) for _ in range(length))
