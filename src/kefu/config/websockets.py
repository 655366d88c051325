"""WebSocket routes, gathered from the interface apps, and who may open them.

The desk's socket is for the desk's own pages: same origin only (the site's ALLOWED_HOSTS).
The chat socket is opened by the widget on the operator's own websites, so it accepts the
origins of KEFU_CHAT_ALLOWED_ORIGINS (default: the site's hosts); its resume token is its key.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator

from kefu.connectors.webchat.consumers import CHAT_SOCKET_PREFIX, ChatOriginValidator
from kefu.connectors.webchat.consumers import websocket_urlpatterns as webchat_routes
from kefu.desk.consumers import websocket_urlpatterns as desk_routes

websocket_urlpatterns = [*desk_routes, *webchat_routes]


class SocketOriginPolicy:
    """Send each socket through the origin check of its kind: the chat's, or same-origin."""

    def __init__(self, routes: Any) -> None:
        self.chat = ChatOriginValidator(routes)
        self.same_origin = AllowedHostsOriginValidator(routes)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        is_chat = str(scope.get("path", "")).startswith(CHAT_SOCKET_PREFIX)
        return await (self.chat if is_chat else self.same_origin)(scope, receive, send)


def websocket_application() -> SocketOriginPolicy:
    return SocketOriginPolicy(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
