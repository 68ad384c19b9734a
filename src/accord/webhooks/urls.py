from django.urls import path

from accord.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("webhooks/", views.subscription_list, name="list"),
    path("webhooks/<int:pk>/", views.subscription_detail, name="detail"),
    path("webhooks/<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("webhooks/<int:pk>/rotate/", views.rotate, name="rotate"),
    path("webhooks/<int:pk>/disable/", views.disable, name="disable"),
    path("webhooks/<int:pk>/enable/", views.enable, name="enable"),
    path("webhooks/<int:pk>/test/", views.send_test, name="test"),
    path("webhooks/<int:pk>/delete/", views.delete, name="delete"),
    path("webhooks/deliveries/<int:pk>/send-again/", views.send_again, name="send_again"),
]
