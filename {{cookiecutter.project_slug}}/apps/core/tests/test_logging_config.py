"""Each log record is written once: Django's own handlers do not repeat what the root prints."""

import logging

import pytest
from django.test import override_settings


def handlers_that_emit(record):
    """The handlers ``record`` reaches on its way up the logger tree, as ``logging`` would walk it.

    Handlers that pytest adds to capture logs are not part of the configuration and are left out.
    """
    reached = []
    logger = logging.getLogger(record.name)
    while logger is not None:
        reached += [
            handler
            for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest")
            and record.levelno >= handler.level
            and handler.filter(record)
        ]
        if not logger.propagate:
            break
        logger = logger.parent
    return reached


@pytest.mark.parametrize("debug", [True, False])
def test_a_request_warning_is_written_once(debug):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x",), None)
    with override_settings(DEBUG=debug):
        assert len(handlers_that_emit(record)) == 1


def test_a_server_error_still_mails_the_admins_in_production():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), None)
    with override_settings(DEBUG=False):
        names = sorted(type(handler).__name__ for handler in handlers_that_emit(record))
    assert names == ["AdminEmailHandler", "StreamHandler"]
