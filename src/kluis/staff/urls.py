from django.conf import settings
from django.urls import include, path

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login-code"),
    path("login/totp/", views.totp_setup, name="totp-setup"),
    path("logout/", views.logout, name="logout"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/<uuid:user_id>/<slug:what>/", views.account_action, name="account-action"),
    path("recordings/mine/", views.my_recordings, name="my-recordings"),
    path("recordings/team/", views.team_recordings, name="team-recordings"),
    path("recordings/<uuid:recording_id>/", views.recording_detail, name="recording"),
]

if getattr(settings, "OIDC_ENABLED", False):
    # The municipality's identity provider (see OIDC_* in settings); names oidc_authentication_*.
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
