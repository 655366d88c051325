from django.urls import path

from kefu.connectors.voice import views

app_name = "voice"

urlpatterns = [
    path("softphone/<int:contact_id>/<str:action>/", views.softphone, name="softphone"),
]
