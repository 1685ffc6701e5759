"""The customer account pages: sign in, sign up, sign out, the account page (shop owns users)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from shop import views
from shop.forms import EmailAuthenticationForm

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            authentication_form=EmailAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="home"), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("account/", views.account, name="account"),
]
