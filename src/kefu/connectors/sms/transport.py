"""The outbox transport for channel "sms": the configured gateway (KEFU_SMS_BACKEND = kannel or
smpp), or the development transport that only writes a log line (the default).

Each gateway sends at most KEFU_SMS_RATE_PER_SECOND messages (segments, for SMPP) per second
from one process: operators sell SMS throughput by the second and drop what exceeds it.
"""

from __future__ import annotations

import threading
import time

from kefu.messaging.backends import DevelopmentTransport, Transport
from kefu.messaging.channel_accounts import active_sms_gateway, channel_config


class SmsGatewayError(RuntimeError):
    """The gateway did not take the message; the outbox tries again later."""


class RateLimit:
    """At most `per_second` sends per second, spaced evenly; shared by the threads of a process."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next_at = 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next send is allowed; returns the seconds waited."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next_at)
            self._next_at = at + self.interval
        delay = at - now
        if delay > 0:
            time.sleep(delay)
        return delay


_limits: dict[str, RateLimit] = {}
_limits_lock = threading.Lock()


def rate_limit(gateway: str) -> RateLimit:
    """The process's limiter for one gateway (rebuilt when the configured rate changes)."""
    per_second = channel_config(gateway.split(":", 1)[0]).number("rate_per_second")
    with _limits_lock:
        limit = _limits.get(gateway)
        wanted = 1.0 / per_second if per_second > 0 else 0.0
        if limit is None or limit.interval != wanted:
            limit = _limits[gateway] = RateLimit(per_second)
        return limit


def sms_backend() -> str:
    """The gateway in use (an enabled channel account's, else KEFU_SMS_BACKEND)."""
    return active_sms_gateway()


def sms_transport() -> Transport:
    backend = sms_backend()
    if backend == "kannel":
        from kefu.connectors.sms.kannel import KannelTransport

        return KannelTransport()
    if backend == "smpp":
        from kefu.connectors.sms.smpp import SmppTransport

        return SmppTransport()
    return DevelopmentTransport()
