"""SMS, both ways: Kannel (smsbox's sendsms, MO and delivery-report callbacks) or SMPP (an ESME
bound as a transceiver); customers' SMS become SMS contacts, replies go through the outbox."""
