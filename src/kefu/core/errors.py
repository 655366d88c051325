"""Errors that every interface knows how to show: a rule said no, or the caller may not."""

from __future__ import annotations


class KefuError(Exception):
    """Base for refusals that carry a message fit to show a person."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BusinessRuleError(KefuError):
    """A business rule refuses the request; nothing was changed."""

    code = "rule"
    http_status = 409


class NotAllowed(KefuError):
    """The caller's role or scope does not cover this."""

    code = "forbidden"
    http_status = 403


class ServiceUnavailable(KefuError):
    """An outside system (BSS, gateway) did not answer in time."""

    code = "unavailable"
    http_status = 503


class RateLimited(KefuError):
    """Too many requests from one client in a short time; try again later."""

    code = "rate_limited"
    http_status = 429
