"""WebSocket routes, gathered from the interface apps."""

from kefu.connectors.webchat.consumers import websocket_urlpatterns as webchat_routes
from kefu.desk.consumers import websocket_urlpatterns as desk_routes

websocket_urlpatterns = [*desk_routes, *webchat_routes]
