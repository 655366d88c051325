"""Web chat: the embeddable widget, its HTTP endpoints and the customer's WebSocket."""
