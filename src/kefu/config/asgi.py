"""ASGI entry point: HTTP pages and API through Django, WebSockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up first)

from kefu.config.handlers import route_http  # noqa: E402
from kefu.config.websockets import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": route_http(django_asgi_app), "websocket": websocket_application()})

# Everything loaded so far (Django, the URL conf, the models) lives as long as the process: keep
# it out of the collector's full passes, whose pauses showed as millisecond outliers of requests.
gc.freeze()
