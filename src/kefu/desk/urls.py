from django.urls import path

from kefu.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path(
        "customers/<int:customer_id>/lines/<int:subscription_id>/usage/",
        views.line_usage,
        name="line_usage",
    ),
]
