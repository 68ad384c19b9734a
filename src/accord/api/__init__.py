"""The HTTP API under /api/v1/: assembled from each domain app's router."""
