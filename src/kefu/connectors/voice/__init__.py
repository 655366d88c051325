"""Voice (语音): a gateway port, the IVR menu in front of the queues, and two gateways — a SIP user
agent behind kamailio for small sites and tests, and an Asterisk ARI client for production."""
