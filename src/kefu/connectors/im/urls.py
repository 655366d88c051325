from django.urls import path

from kefu.connectors.im import views

app_name = "im"

urlpatterns = [
    path("webhook/", views.generic, name="webhook"),
    path("wechat/", views.wechat_account, name="wechat"),
]
