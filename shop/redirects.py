"""Where a form's `next` may send the visitor: a path on this site, nothing else."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_path(request, value) -> str:
    """`value` when it is a path on this host ("/p/tee/?size=m"), else "".

    Only a path: Django's redirect() reads a bare word ("home", "%00") as a URL pattern's name
    and raises NoReverseMatch (a 500) for anything else, and a same-host absolute URL gains
    nothing over its path. `//evil.example` and backslash tricks are refused by
    url_has_allowed_host_and_scheme.
    """
    if not isinstance(value, str) or not value.startswith("/"):
        return ""
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return value
