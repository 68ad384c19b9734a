"""A small fixed-window rate limit on the Django cache, for public pages that answer without
login (the tracked-link viewer). Counts are per key (a client address and a purpose) per
window; the first request of a window creates the count with `add`, later ones `incr` it,
both atomic on the cache backends Django ships (per process with the local-memory cache)."""

from django.core.cache import cache


def allow(key: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one request under `key`; False once more than `limit` came within the window."""
    full_key = f"ratelimit:{key}"
    if cache.add(full_key, 1, timeout=window_seconds):
        return limit >= 1
    try:
        count = cache.incr(full_key)
    except ValueError:  # expired between add and incr: this request opens a new window
        cache.add(full_key, 1, timeout=window_seconds)
        return limit >= 1
    return count <= limit
