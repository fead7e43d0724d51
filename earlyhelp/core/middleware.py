"""Response headers that keep personal data out of caches and browser features out of reach.

The Content-Security-Policy comes from django-csp (`CONTENT_SECURITY_POLICY` in settings, ADR 0005); HSTS,
X-Content-Type-Options, Referrer-Policy and Cross-Origin-Opener-Policy from Django's SecurityMiddleware, and
X-Frame-Options from its clickjacking middleware. This middleware adds what neither has.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy(features: dict[str, tuple[str, ...]]) -> str:
    """The Permissions-Policy header for a mapping of feature to allowed origins (none: the feature is off)."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in features.items())


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response; no-store on every page.

    Every page outside /static/ may show personal data, so none may be cached by a browser or proxy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.permissions_policy)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response
