"""The project's URLs plus the OIDC ones, as they are when KLUIS_OIDC_RP_CLIENT_ID is set."""

from django.urls import include, path

from kluis.conf.urls import urlpatterns as base

urlpatterns = [path("oidc/", include("mozilla_django_oidc.urls")), *base]
