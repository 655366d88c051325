"""IM and social channels over webhooks: a generic signed webhook (HMAC-SHA256 both ways) and a
WeChat Official Account connector (signature check, XML messages, passive and customer-service
replies). Customers' messages become IM contacts; agents' replies go through the outbox."""
