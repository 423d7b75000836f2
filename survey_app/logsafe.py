"""What the logs may say about a respondent: nothing that identifies them.

A respondent's personal link /s/<token> identifies them, so no log line may hold it: a logged path
next to an address and a time would undo the respondents' anonymity. The rule, in one place: a
respondent's path is logged as ``/s/…`` (``/s/…/terima-kasih?lang=en``, and so on).

``install()`` puts the filter on every logger that writes request paths: werkzeug's (the
development server's request log, ``flask run``), the app's (Flask logs "Exception on <path>" with
the traceback of a 500) and gunicorn's error and access logs (gunicorn.conf.py keeps the access
log off by default; turned on, it is redacted too). A filter on a logger sees every record made on
that logger, whichever handlers a deployment adds.
"""
from __future__ import annotations

import logging
import re

RESPONDENT_PATH = re.compile(r'/s/[^/?\s"]+')
REDACTED_PATH = "/s/…"
# A one-time link to set an account's password is a credential too: logged without its token.
PASSWORD_LINK_PATH = re.compile(r'/auth/password/set/[^/?\s"]+')
REDACTED_PASSWORD_LINK = "/auth/password/set/…"

# Every logger that writes the path of a request (gunicorn's are used by its workers, in which
# create_app runs; they are plain loggers, so nothing of gunicorn is imported here).
REQUEST_LOGGERS = ("werkzeug", "gunicorn.error", "gunicorn.access")


def redact(text: str) -> str:
    """``text`` with every respondent's path shortened to ``/s/…``."""
    return PASSWORD_LINK_PATH.sub(REDACTED_PASSWORD_LINK,
                                  RESPONDENT_PATH.sub(REDACTED_PATH, text))


class RedactRespondentPaths(logging.Filter):
    """Rewrites a record's message (its arguments merged in, as werkzeug and gunicorn pass the
    request line as an argument) and its traceback text with every respondent's path redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep its format string, never its arguments
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            # Formatted now, with logging's standard layout, so that no handler formats it again
            # from the exception (handlers use exc_text when it is set).
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


FILTER = RedactRespondentPaths()


def install(app_logger: logging.Logger) -> None:
    """Redact respondents' paths in the app's log and in the request loggers (idempotent: one
    filter object, which a logger holds at most once)."""
    for logger in (app_logger, *map(logging.getLogger, REQUEST_LOGGERS)):
        logger.addFilter(FILTER)
