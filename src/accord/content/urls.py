from django.urls import path

from accord.content import send_views, viewer, views

app_name = "content"
urlpatterns = [
    path("content/", views.asset_list, name="list"),
    path("content/new/", views.asset_new, name="new"),
    path("content/suggestions/", views.suggestion_list, name="suggestions"),
    path("content/suggestions/settings/", views.suggestion_settings, name="suggestion_settings"),
    path("content/suggestions/<int:pk>/answer/", views.suggestion_answer, name="suggestion_answer"),
    path("content/<int:pk>/suggestions/", views.suggestion_new, name="suggestion_new"),
    path("content/influence/", views.influence_page, name="influence"),
    path("content/<int:pk>/", views.asset_detail, name="asset"),
    path("content/<int:pk>/edit/", views.asset_edit, name="edit"),
    path("content/<int:pk>/versions/", views.version_new, name="version_new"),
    path("content/<int:pk>/v<int:number>/download/", views.download, name="download"),
    path("content/<int:pk>/v<int:number>/preview.png", views.preview, name="preview"),
    path("content/<int:pk>/publish/", views.publish, name="publish"),
    path("content/<int:pk>/expire/", views.expire, name="expire"),
    path("content/<int:pk>/archive/", views.archive, name="archive"),
    path("content/<int:pk>/review/", views.review, name="review"),
    path("content/owners/", views.owners, name="owners"),
    path("content/owners/<int:pk>/", views.owner, name="owner"),
    path("content/<int:pk>/ratings/", views.rate, name="rate"),
    path("content/rubric/", views.rubric_page, name="rubrics"),
    path("content/rubric/new/", views.rubric_new, name="rubric_new"),
    path("content/rubric/<int:pk>/", views.rubric_detail, name="rubric"),
    path("content/rubric/<int:pk>/edit/", views.rubric_edit, name="rubric_edit"),
    path("content/rubric/<int:pk>/<str:verb>/", views.rubric_act, name="rubric_act"),
    path("content/<int:pk>/send/", send_views.send, name="send"),
    path("content/<int:pk>/use/", send_views.use, name="use"),
    path("content/links/<int:pk>/stop/", send_views.revoke, name="revoke"),
    path("content/for-lead/<int:pk>/", send_views.for_lead, name="for_lead"),
    path("content/for-account/<int:pk>/", send_views.for_account, name="for_account"),
    path("content/for-opportunity/<int:pk>/", send_views.for_opportunity, name="for_opportunity"),
    # The public viewer of tracked links (no login).
    path("s/<str:token>/", viewer.open_link, name="link"),
    path("s/<str:token>/file", viewer.link_file, name="link_file"),
    path("s/<str:token>/download", viewer.link_download, name="link_download"),
    path("s/<str:token>/ping", viewer.link_ping, name="link_ping"),
]
