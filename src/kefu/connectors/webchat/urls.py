from django.urls import path

from kefu.connectors.webchat import views

app_name = "webchat"

urlpatterns = [
    path("", views.demo, name="demo"),
    path("widget.js", views.asset, {"name": "widget.js"}, name="widget_js"),
    path("widget.css", views.asset, {"name": "widget.css"}, name="widget_css"),
    path("api/start/", views.start, name="start"),
    path("api/<str:token>/", views.chat, name="chat"),
    path("api/<str:token>/end/", views.end, name="end"),
    path("api/<str:token>/rating/", views.rate, name="rate"),
]
