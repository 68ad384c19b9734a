from django.urls import path

from accord.journey import views

app_name = "journey"
urlpatterns = [
    path("journeys/", views.journey_list, name="list"),
    path("journeys/new/", views.journey_new, name="new"),
    path("journeys/mine/", views.mine, name="mine"),
    path("journeys/mine/feed/", views.feed_new, name="feed_new"),
    path("journeys/feed/<str:token>.ics", views.feed, name="feed"),
    path("journeys/roles/", views.roles, name="roles"),
    path("journeys/goals/", views.goal_measures, name="goals"),
    path("journeys/accountability/", views.accountability, name="accountability"),
    path("journeys/<int:pk>/", views.board, name="board"),
    path("journeys/<int:pk>/timeline/", views.journey_timeline, name="timeline"),
    path("journeys/<int:pk>/edit/", views.journey_edit, name="edit"),
    path("journeys/<int:pk>/copy/", views.journey_copy, name="copy"),
    path("journeys/<int:pk>/stages/", views.stage_new, name="stage_new"),
    path("journeys/stages/<int:pk>/edit/", views.stage_edit, name="stage_edit"),
    path("journeys/stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("journeys/<int:pk>/launch/", views.campaign_launch, name="launch"),
    path("journeys/<int:pk>/v<int:number>/<str:verb>/", views.journey_act, name="act"),
    path(
        "journeys/stages/<int:pk>/deliverables/new/", views.deliverable_new, name="deliverable_new"
    ),
    path("journeys/deliverables/<int:pk>/edit/", views.deliverable_edit, name="deliverable_edit"),
    path(
        "journeys/deliverables/<int:pk>/delete/",
        views.deliverable_delete,
        name="deliverable_delete",
    ),
    path("journeys/deliverables/<int:pk>/done/", views.deliverable_complete, name="complete"),
]
