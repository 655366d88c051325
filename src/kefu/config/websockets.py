"""WebSocket routes, gathered from the interface apps."""

from kefu.desk.consumers import websocket_urlpatterns as desk_routes

websocket_urlpatterns = [*desk_routes]
