from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kefu.api.urls import api
from kefu.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="accounts/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("chat/", include("kefu.connectors.webchat.urls")),
    path("hooks/sms/", include("kefu.connectors.sms.urls")),
    path("hooks/im/", include("kefu.connectors.im.urls")),
    path("voice/", include("kefu.connectors.voice.urls")),
    path("", include("kefu.desk.urls")),
]
