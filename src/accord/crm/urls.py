from django.urls import path

from accord.crm import export_views, views

app_name = "crm"
urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("leads/", views.lead_list, name="leads"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/status/", views.lead_status, name="lead_status"),
    path("leads/<int:pk>/owner/", views.lead_reassign, name="lead_reassign"),
    path("leads/<int:pk>/follow-ups/", views.lead_follow_up, name="lead_follow_up"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("opportunities/", views.opportunity_list, name="opportunities"),
    path("opportunities/<int:pk>/", views.opportunity_detail, name="opportunity"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("export/<str:kind>.<str:file_format>", export_views.export_list, name="export"),
]
