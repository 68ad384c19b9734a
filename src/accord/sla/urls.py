from django.urls import path

from accord.sla import settings_views, views

app_name = "sla"
urlpatterns = [
    path("sla/", views.board, name="board"),
    path("sla/board.csv", views.board_csv, name="board_csv"),
    path("sla/two-way/", views.two_way, name="two_way"),
    path("sla/queue/", views.queue, name="queue"),
    path("sla/queue/<int:user_id>/", views.queue, name="rep_queue"),
    path("sla/queue/leads/<int:pk>/follow-ups/", views.queue_log, name="queue_log"),
    path("sla/policies/", settings_views.policies, name="policies"),
    path("sla/policies/new/", settings_views.policy_edit, name="policy_new"),
    path("sla/policies/<int:pk>/", settings_views.policy_edit, name="policy_edit"),
    path("sla/hours/", settings_views.calendars, name="calendars"),
    path("sla/hours/<int:pk>/", settings_views.calendar_edit, name="calendar_edit"),
    path(
        "sla/hours/days-off/<int:pk>/remove/",
        settings_views.day_off_remove,
        name="day_off_remove",
    ),
]
