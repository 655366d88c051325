"""Email, both ways: an SMTP receiver (aiosmtpd), parsing of real-world mail, threading,
and replies through the outbox with proper threading headers."""
