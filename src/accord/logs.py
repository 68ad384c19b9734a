"""Logging filters (configured in settings.LOGGING). No Django imports: logging is set up
before the apps are."""

import logging


class RefusalsInOneLine(logging.Filter):
    """Django logs a refused request (PermissionDenied, a bad request body) with the
    exception's traceback; a refusal is not a fault, so keep one line and its reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and getattr(record, "status_code", 500) < 500:
            reason = " ".join(str(record.exc_info[1] or "").split())
            record.msg = record.getMessage() + (f" ({reason})" if reason else "")
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
