"""Channel connectors (接入渠道): one folder per protocol, all of the same shape (ARCHITECTURE §3).

Each connector implements `base.ChannelAdapter`: inbound deliveries are stored first under the
provider's id through `contacts.services.receive_inbound`, then processed into contacts and
messages; outbound messages leave through the adapter's `send`. Web chat is the first one.
"""
