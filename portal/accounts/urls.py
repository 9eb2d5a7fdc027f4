"""Account pages next to allauth's paths (/accounts/...), and the e-mail confirmation link.

Included at the root (smt/urls.py) without a namespace, because allauth and its templates reverse
``account_confirm_email`` by that bare name; our own names follow allauth's ``account_`` style.
"""

from django.urls import path, re_path

from portal.accounts import language, token_views, views

urlpatterns = [
    path("language/", language.language_set, name="set_language"),  # the header's switch (POST)
    path("accounts/", views.overview, name="account_overview"),
    path("accounts/premises/add/", views.premise_add, name="account_premise_add"),
    path("accounts/export/", views.export, name="account_export"),
    path("accounts/household/requests/<int:pk>/approve/", views.household_approve, name="household_approve"),
    path("accounts/household/requests/<int:pk>/decline/", views.household_decline, name="household_decline"),
    path("accounts/household/members/<int:pk>/remove/", views.household_remove, name="household_remove"),
    path("accounts/household/<int:pk>/new-code/", views.household_new_code, name="household_new_code"),
    path("accounts/tokens/", token_views.tokens, name="account_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", token_views.token_revoke, name="account_token_revoke"),
    path("accounts/tokens/smt-sign-out/", token_views.compat_signout, name="account_compat_signout"),
    path("accounts/delete/", views.delete, name="account_delete"),
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$", views.email_link_confirm, name="account_confirm_email"
    ),
]
