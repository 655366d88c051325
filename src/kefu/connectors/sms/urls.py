from django.urls import path

from kefu.connectors.sms import views

app_name = "sms"

urlpatterns = [
    path("kannel/mo", views.kannel_mo, name="kannel_mo_header"),
    path("kannel/dlr", views.kannel_dlr, name="kannel_dlr_header"),
    path("kannel/<str:secret>/mo", views.kannel_mo, name="kannel_mo"),
    path("kannel/<str:secret>/dlr", views.kannel_dlr, name="kannel_dlr"),
]
