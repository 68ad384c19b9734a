from django.contrib.auth import views as auth_views
from django.urls import path

from accord.people import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/time-zone/", views.time_zone, name="time_zone"),
    path("profile/tokens/", views.token_new, name="token_new"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("profile/notifications/", views.notification_preferences, name="notification_preferences"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("people/", views.people_list, name="people"),
    path("people/new/", views.user_edit, name="user_new"),
    path("people/<int:pk>/", views.user_edit, name="user_edit"),
    path("people/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("teams/new/", views.team_edit, name="team_new"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
]
