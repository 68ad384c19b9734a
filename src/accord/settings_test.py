"""Settings for the test suite: the real settings with tasks run immediately."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("ACCORD_TESTING", "1")

from accord.settings import *  # noqa: E402,F403

# Hashing is deliberately slow in production; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests serve static files through the finders; there is no collected copy to point at.
STATIC_ROOT = None

# Kept figures live in memory (cleared before each test) and are never shown once the data
# under them changed: the page tests see exactly what they wrote.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "figures": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures"},
}
FIGURES_MAX_AGE_SECONDS = 0
# Every public calculator request reads the calculator afresh: the tests publish and
# withdraw versions between requests.
CALCULATOR_LIVE_SECONDS = 0

# Version files of the content library go to a folder of the test run, never under var/.
STORAGES = {
    **STORAGES,  # noqa: F405
    "content": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="accord-test-content-")},
    },
}
