from django.contrib.auth import login
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults

from shop import metrics as shop_metrics
from shop import queues, services
from shop.api.errors import api_500
from shop.exceptions import ValidationFailed
from shop.forms import SignupForm
from shop.redirects import safe_next_path


def _safe_next(request) -> str:
    return safe_next_path(request, request.POST.get("next") or request.GET.get("next") or "")


def signup(request):
    """Start an account from an e-mail address and a password; the address gets a link.

    The answer is the same whether or not the address has an account (no enumeration): the
    "check your inbox" page. A new address gets an activation link, a registered one an e-mail
    saying so (services.sign_up_customer).
    """
    if request.user.is_authenticated:
        return redirect("account")
    next_url = _safe_next(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_up_customer(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                base_url=request.build_absolute_uri("/").rstrip("/"),
                next_url=next_url,
            )
        except ValidationFailed as exc:
            for field, messages in exc.fields.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("signup_done")
    return render(request, "registration/signup.html", {"form": form, "next": next_url})


def signup_done(request):
    return render(request, "registration/signup_done.html")


def activate(request, uidb64, token):
    """The activation link: a page with one button (mail scanners follow links, so activating
    and signing in wait for a POST), then the account page or the link's `next`."""
    next_url = _safe_next(request)
    if request.method == "POST":
        try:
            user = services.activate_customer(uidb64=uidb64, token=token)
        except ValidationFailed:
            pass
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or "account")
    elif services.activation_link_is_valid(uidb64=uidb64, token=token):
        return render(request, "registration/activate.html", {"next": next_url})
    return render(request, "registration/activate_invalid.html", status=400)


def healthz(request):
    """200 when the database, the cache and the Celery broker answer, else 503 naming what
    failed (`"broker": "down"`). With no broker (the embedded demo runs tasks inline) the broker
    is "ok"."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = "down"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "down"
    except Exception:  # noqa: BLE001
        checks["cache"] = "down"
    checks["broker"] = "ok" if queues.broker_answers() else "down"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503
    )


def metrics(request):
    """Prometheus text format (shop/metrics.py) for staff and the METRICS_ALLOWED_IPS
    addresses; a 404 for anyone else."""
    if not shop_metrics.metrics_allowed(request):
        raise Http404
    body, content_type = shop_metrics.render()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: the API's JSON error shape under /api/, the storefront's 500 page elsewhere.

    Django calls this only for unhandled exceptions with DEBUG off, after logging them.
    """
    if request.path_info.startswith("/api/"):
        return api_500(request)
    return defaults.server_error(request, template_name=template_name)
