"""The API's human docs, served from the project: Swagger UI at /api/docs/, ReDoc at
/api/redoc/ (drf-spectacular-sidecar's static files, templates in templates/drf_spectacular/),
both under the site's Content-Security-Policy."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

swagger_ui = SpectacularSwaggerView.as_view(url_name="api-schema")

# ReDoc styles itself by injecting <style> elements (styled-components) that carry no nonce,
# and builds its search index in a worker loaded from a blob: URL. Only this page allows
# those; its scripts stay under the site's policy (own origin plus the nonce).
redoc = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api-schema")
)
