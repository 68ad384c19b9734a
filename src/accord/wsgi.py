import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
application = get_wsgi_application()

# Import every view module now, while the web worker boots, not during its first request:
# the analytics behind some pages load Ibis, NumPy and Arrow, over a second, which the
# first visitor (or the first API batch) of each worker would otherwise wait for.
get_resolver().url_patterns  # noqa: B018 (the attribute loads the URL configuration)

# Everything loaded so far lives as long as the worker. Frozen, the cyclic garbage collector
# stops walking it again and again while a request allocates: a bulk API batch of 5,000
# items spent about a quarter of its time in those walks.
gc.freeze()
