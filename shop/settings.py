"""Emporium settings, read from the environment.

With no DATABASE_URL / REDIS_URL the shop runs on the embedded defaults (SQLite, local-memory
cache, eager Celery) so `make run` needs nothing installed. Tests and production use PostgreSQL
and Redis. EMPORIUM_ENV=production switches on the hardened settings that `check --deploy` wants.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from shop import redis_urls

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


def env_per_market(name: str, default: str, cast=str) -> dict:
    """ "default=on_shipment,EU=at_placement" -> {"default": "on_shipment", "EU": ...}: a
    setting that may differ per market code, "default" for the others."""
    table = {}
    for item in env_list(name, default):
        key, _, value = item.partition("=")
        if not value.strip():
            raise ImproperlyConfigured(f"{name}: {item!r} is not market=value.")
        table[key.strip()] = cast(value.strip())
    return table


# --- Environment and secrets: fail closed. A typo ("prod") must not run development settings. ---
ENVIRONMENTS = ("development", "test", "production")
EMPORIUM_ENV = os.environ.get("EMPORIUM_ENV", "development")  # set but empty is a typo too
if EMPORIUM_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"EMPORIUM_ENV={EMPORIUM_ENV!r} is not one of {', '.join(ENVIRONMENTS)}; "
        "refusing to start."
    )
PRODUCTION = EMPORIUM_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

# Published in this file, so public: fine on a laptop with DEBUG on, refused anywhere else.
# A new webhook secret gets a line here and one in shop/checks.py.
DEV_SECRETS = {
    "SECRET_KEY": "dev-only-insecure-key-do-not-use-in-production",
    "WMS_WEBHOOK_SECRET": "dev-wms-webhook-secret",
    "PAYMENT_WEBHOOK_SECRET": "dev-payment-webhook-secret",
}


def secret(name: str) -> str:
    """`name` from the environment. Unset: the development value while DEBUG is on outside
    production, else "" (what needs it stays off; `check --deploy` reports it in production).
    The development value itself refuses to start with DEBUG off or in production."""
    value = env(name)
    if value is None:
        return DEV_SECRETS[name] if DEBUG and not PRODUCTION else ""
    if value == DEV_SECRETS[name] and (PRODUCTION or not DEBUG):
        raise ImproperlyConfigured(
            f"{name} is the public development value; set a secret of your own."
        )
    return value


SECRET_KEY = secret("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when "
        + ("EMPORIUM_ENV=production." if PRODUCTION else "DEBUG is off.")
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our own static files
    "csp",
    "import_export",
    "axes",  # login lockout (shop/auth.py)
    "shop",
    "catalog",
    "inventory",
    "promotions",
    "orders",
    "returns",
    "storefront",  # the customer-facing pages, above every domain app
]

MIDDLEWARE = [
    # First: request latency per view for /metrics (shop/metrics.py) covers all that follows.
    "shop.metrics.RequestMetricsMiddleware",
    # Configuration a request reads many times (kill switches, rate tables) is read once.
    "shop.request_memo.RequestMemoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header on every page (CONTENT_SECURITY_POLICY below); before
    # the guards, so their refusals carry it too.
    "shop.middleware.PolicyOnceCSPMiddleware",
    # Before anything reads the query string: a NUL or broken UTF-8 in the address is a 400.
    "shop.middleware.TextBoundaryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware for the admin and the API; the storefront speaks the market's.
    "shop.middleware.BrowserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shop.middleware.LazyMessageMiddleware",  # Django's, with the storage made on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop.middleware.MarketMiddleware",
    # Last: turns a login refused by the lockout into the 429 page (shop.auth.lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        # The customer-facing pages (storefront.jinja2_env says why). First, so that its pages
        # are found before anything of the same name in the apps' Django templates (the
        # admin's registration/password_reset_*.html); a name it does not hold costs a
        # ~13 µs look at its three folders.
        "BACKEND": "shop.template_engine.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "storefront.jinja2_env.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.storefront",
            ],
        },
    },
    {
        # Django's engine (the admin, the e-mails); {% load i18n %} keeps translated literals
        # per language.
        "BACKEND": "shop.template_engine.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shop.context_processors.storefront",
            ],
        },
    },
]

# --- Database: PostgreSQL via DATABASE_URL, SQLite when unset (the embedded demo) ---
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery: Redis via REDIS_URL, local memory and eager tasks when unset ---
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, one client object per pool (shop/cache.py).
            "BACKEND": "shop.cache.ReusingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "emporium"),
            "TIMEOUT": 300,
            # An unreachable Redis must fail fast: every cache read falls back to the database
            # (docs/configuration.md, "When Redis is down"), but only once the call gives up.
            # Each thread keeps its connection (shop/cache.py): one the server closed (a Redis
            # restart, an idle timeout) is opened again for the same command, once and at once,
            # as the pool's check did when connections were handed out per command. A timeout
            # is not retried: a hung Redis still costs one socket_timeout.
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            },
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL") or redis_urls.broker_url(REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A worker keeps its database connection from task to task (Celery's Django fixup would open a
# new one for every task): closed after 1,000 tasks, and sooner when broken or older than
# CONN_MAX_AGE (shop.celery.drop_unusable_connections).
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = "UTC"
# Queues per kind of work, each with a cap on its backlog and a rule for what happens at the cap
# (shop/queues.py; docs/deployment.md "Workers and queues"). Tasks not listed go to "default".
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # mail: delayed at the cap (kept in PostgreSQL, published again), never dropped
    "shop.tasks.send_email": {"queue": "mail"},
    "orders.tasks.send_order_notification": {"queue": "mail"},
    "returns.tasks.send_return_notification": {"queue": "mail"},
    # fulfillment dispatch: deferred at the cap like mail
    "orders.tasks.capture_placed_order": {"queue": "fulfillment"},
    # webhooks: calls out to partners' systems (the tax provider's commit and filing)
    "orders.tasks.commit_order_tax": {"queue": "webhooks"},
    "returns.tasks.file_return_tax": {"queue": "webhooks"},
    # reconciliation: beat-driven sweeps, skipped at the cap (the next tick sends them again)
    "orders.tasks.reconcile_payments": {"queue": "reconciliation"},
    "orders.tasks.expire_unpaid_orders": {"queue": "reconciliation"},
    "orders.tasks.forget_stale_cards": {"queue": "reconciliation"},
    "inventory.tasks.expire_reservations": {"queue": "reconciliation"},
    "shop.tasks.purge_idempotency_keys": {"queue": "reconciliation"},
}


def env_cap(name: str, default: int) -> int:
    value = env(name, str(default)) or ""
    if not value.isdigit() or int(value) > 10_000_000:
        raise ImproperlyConfigured(f"{name}={value!r}: a queue cap is 0 (none) to 10000000.")
    return int(value)


CELERY_QUEUE_CAPS = {
    "mail": env_cap("CELERY_QUEUE_CAP_MAIL", 10_000),
    "fulfillment": env_cap("CELERY_QUEUE_CAP_FULFILLMENT", 5_000),
    "webhooks": env_cap("CELERY_QUEUE_CAP_WEBHOOKS", 5_000),
    "reconciliation": env_cap("CELERY_QUEUE_CAP_RECONCILIATION", 20),
    "default": env_cap("CELERY_QUEUE_CAP_DEFAULT", 1_000),
}
# Publishing never retries inside a request (shop.jobs defers instead) and gives up fast.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULER = "shop.queues:CappedScheduler"

# --- /metrics (shop/metrics.py): staff, or these client addresses/networks; others get a 404 ---
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_IPS
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {exc}") from None
CELERY_BEAT_SCHEDULE: dict = {}
# Tasks the broker refused while Redis was down wait in PostgreSQL (shop/jobs.py) until this
# publishes them again.
CELERY_BEAT_SCHEDULE["shop-requeue-deferred-tasks"] = {
    "task": "shop.tasks.requeue_deferred_tasks",
    "schedule": 60.0,
}

# --- Row locks (shop/locks.py): longest wait for a locked row before a 409 lock_timeout ---
DB_LOCK_TIMEOUT_MS = int(env("DB_LOCK_TIMEOUT_MS", "5000"))

# --- Idempotency-Key records (shop/idempotency.py) ---
IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 3600
# A claim older than this is a worker that died mid-request; longer than any request may run.
IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS = int(env("IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS", "300"))
CELERY_BEAT_SCHEDULE["shop-purge-idempotency-keys"] = {
    "task": "shop.tasks.purge_idempotency_keys",
    "schedule": 3600.0,
}

# --- Inventory: reservation TTLs, WMS webhook, count staleness, routing ---
INVENTORY_RESERVATION_TTL_SECONDS = int(env("INVENTORY_RESERVATION_TTL_SECONDS", "900"))
INVENTORY_CART_RESERVATION_TTL_SECONDS = int(env("INVENTORY_CART_RESERVATION_TTL_SECONDS", "600"))
INVENTORY_MAX_RESERVATION_TTL_SECONDS = 7 * 24 * 3600
INVENTORY_MAX_QUANTITY = int(env("INVENTORY_MAX_QUANTITY", "1000000"))
INVENTORY_STALENESS_BUDGET_SECONDS = int(env("INVENTORY_STALENESS_BUDGET_SECONDS", "86400"))
INVENTORY_DEFAULT_ROUTING = env("INVENTORY_DEFAULT_ROUTING", "closest")
INVENTORY_DEFAULT_LOCATION = env("INVENTORY_DEFAULT_LOCATION", "")
INVENTORY_EXPIRY_INTERVAL_SECONDS = int(env("INVENTORY_EXPIRY_INTERVAL_SECONDS", "60"))
# --- Drop mode (inventory/drop_gate.py, docs/runbooks.md "Drop mode") ---
DROP_GATE_REDIS_URL = env("DROP_GATE_REDIS_URL", REDIS_URL or "")
DROP_GATE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "emporium")
DROP_GATE_TIMEOUT_SECONDS = float(env("DROP_GATE_TIMEOUT_SECONDS", "1"))
DROP_GATE_MAX_CONNECTIONS = int(env("DROP_GATE_MAX_CONNECTIONS", "64"))
DROP_GATE_POOL_WAIT_SECONDS = float(env("DROP_GATE_POOL_WAIT_SECONDS", "1"))
DROP_GATE_RETRY_SECONDS = float(env("DROP_GATE_RETRY_SECONDS", "5"))
DROP_MAX_IN_FLIGHT = int(env("DROP_MAX_IN_FLIGHT", "32"))
DROP_IN_FLIGHT_STALE_SECONDS = 30
DROP_WAITING_PATIENCE_SECONDS = int(env("DROP_WAITING_PATIENCE_SECONDS", "30"))
DROP_RULES_TTL_SECONDS = float(env("DROP_RULES_TTL_SECONDS", "2"))
DROP_RULES_SHARED_TTL_SECONDS = 5  # the shared cache copy; services delete it on change
DROP_TOKENS_TTL_SECONDS = 7 * 24 * 3600
DROP_FALLBACK_MAX_IN_FLIGHT = int(env("DROP_FALLBACK_MAX_IN_FLIGHT", "8"))
DROP_FALLBACK_WAIT_SECONDS = float(env("DROP_FALLBACK_WAIT_SECONDS", "5"))
WMS_WEBHOOK_SECRET = secret("WMS_WEBHOOK_SECRET")
WMS_WEBHOOK_TOLERANCE_SECONDS = 300
# POST /webhooks/payments/{gateway} (orders/webhooks.py): the payment gateway's events.
PAYMENT_WEBHOOK_SECRET = secret("PAYMENT_WEBHOOK_SECRET")
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = 300
CELERY_BEAT_SCHEDULE["inventory-expire-reservations"] = {
    "task": "inventory.tasks.expire_reservations",
    "schedule": float(INVENTORY_EXPIRY_INTERVAL_SECONDS),
}

# --- Orders: payments left without an answer are reconciled, unpaid orders expire ---
ORDERS_UNPAID_ORDER_TTL_SECONDS = {"default": int(env("ORDERS_UNPAID_ORDER_TTL_SECONDS", "1800"))}
ORDERS_RECONCILE_INTERVAL_SECONDS = int(env("ORDERS_RECONCILE_INTERVAL_SECONDS", "180"))
# Fulfillment (docs/orders.md "Capture policy"): when the card is charged, per market.
ORDERS_CAPTURE_POLICY = env_per_market("ORDERS_CAPTURE_POLICY", "default=on_shipment")
ORDERS_AUTHORIZATION_VALID_DAYS = env_per_market(
    "ORDERS_AUTHORIZATION_VALID_DAYS", "default=7", cast=int
)
ORDERS_AUTHORIZATION_WARNING_DAYS = int(env("ORDERS_AUTHORIZATION_WARNING_DAYS", "2"))
# Returns (docs/returns.md): who makes return labels, and where parcels go ("|" between lines).
RETURNS_LABEL_PROVIDER = env("RETURNS_LABEL_PROVIDER", "development")
RETURNS_ADDRESS = [
    line.strip()
    for line in (
        env("RETURNS_ADDRESS", "Emporium Returns|100 Warehouse Way|Newark NJ 07102|US") or ""
    ).split("|")
    if line.strip()
]
CELERY_BEAT_SCHEDULE["orders-reconcile-payments"] = {
    "task": "orders.tasks.reconcile_payments",
    "schedule": float(ORDERS_RECONCILE_INTERVAL_SECONDS),
}
CELERY_BEAT_SCHEDULE["orders-expire-unpaid-orders"] = {
    "task": "orders.tasks.expire_unpaid_orders",
    "schedule": float(ORDERS_RECONCILE_INTERVAL_SECONDS),
}
CELERY_BEAT_SCHEDULE["orders-forget-stale-cards"] = {
    "task": "orders.tasks.forget_stale_cards",
    "schedule": 3600.0,
}

# A cache outage must never log everyone out: sessions live in the database, cache in front.
SESSION_ENGINE = "shop.sessions"
SESSION_CACHE_MAX_SECONDS = 600  # how long Redis may serve a session without the database

AUTH_USER_MODEL = "shop.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/account/"
# Login lockout (django-axes, shop/auth.py): the storefront login, the admin login and
# POST /api/v1/auth/token share the counters. Kept in PostgreSQL (the database handler): a Redis
# outage neither unlocks nor locks anybody. Unlock: docs/runbooks.md.
AUTHENTICATION_BACKENDS = [
    "shop.auth.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("LOGIN_LOCKOUT_MINUTES", "15")))
# Either one locks: too many failures from one address (any accounts), or against one account
# (from any addresses).
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
# A login refused during a lockout is not counted, so the lockout ends when it said it would
# and a guesser hammering a locked account costs no database writes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success does not wipe the address's failures: a guesser with one account of their own
# could otherwise reset their counter between guesses.
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "shop.auth.login_username"
AXES_CLIENT_IP_CALLABLE = "shop.auth.client_ip"
AXES_LOCKOUT_CALLABLE = "shop.auth.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "shop" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Request size limits: a huge or hostile body is refused before it is parsed ---
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
# Catalog spreadsheets above this size are refused with a clear error (admin and command).
CATALOG_IMPORT_MAX_BYTES = int(env("CATALOG_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Uploaded spreadsheets (every import) keep at most this many data rows; more is refused.
SPREADSHEET_MAX_ROWS = int(env("SPREADSHEET_MAX_ROWS", "200000"))
# Catalog files up to this size are previewed in the admin request; longer ones by a worker.
CATALOG_IMPORT_INLINE_BYTES = int(env("CATALOG_IMPORT_INLINE_BYTES", str(1024 * 1024)))
# JSON nesting deeper than this is a 400, never a RecursionError.
API_MAX_JSON_DEPTH = 32

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Hashed, one key per login, expiring after API_TOKEN_IDLE_DAYS unused (shop/tokens.py).
        "shop.api.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": ["shop.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "shop.api.pagination.StandardPagination",
    "PAGE_SIZE": 24,
    "EXCEPTION_HANDLER": "shop.api.errors.exception_handler",
    # Adds the error statuses each operation can answer (shop.api.schema).
    "DEFAULT_SCHEMA_CLASS": "shop.api.schema.ErrorResponsesAutoSchema",
    # DRF's throttles, counting in the worker process while Redis is down (never a 500).
    "DEFAULT_THROTTLE_CLASSES": [
        "shop.api.throttling.AnonRateThrottle",
        "shop.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", "600/minute"),
        "user": env("API_USER_RATE", "3000/minute"),
        # ScopedRateThrottle on POST /api/v1/auth/token, per client: slows credential stuffing.
        "auth": env("API_AUTH_RATE", "10/minute"),
    },
    # How many proxies put an address in X-Forwarded-For. 0: throttles key on the socket peer
    # and ignore the header, which a client could forge; set it to 1 behind one load balancer.
    "NUM_PROXIES": int(env("NUM_PROXIES", "0")),
}
# An API token unused this many days is refused (401 token_expired); the user logs in again.
API_TOKEN_IDLE_DAYS = int(env("API_TOKEN_IDLE_DAYS", "30"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Emporium API",
    "DESCRIPTION": "Catalog, inventory, cart, checkout, orders and returns.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Product and variant both have a `status` with different choices: name each enum, or
    # drf-spectacular warns about the collision and makes up a hashed name.
    "ENUM_NAME_OVERRIDES": {
        "ProductStatusEnum": "catalog.models.ProductStatus",
        # What a write may set; what a read may show adds "archived" (a removed variant).
        "VariantStatusEnum": "catalog.models.SETTABLE_VARIANT_STATUS_CHOICES",
        "VariantRecordStatusEnum": "catalog.models.VariantStatus",
    },
}

# --- Content-Security-Policy (django-csp 4): everything from our own origin. Inline scripts run
# only with the request's nonce (`<script nonce="{{ request.csp_nonce }}">`); the templates
# have no inline styles. Images may come from https: (a product image can be an external URL).
# The ReDoc page allows the <style> elements ReDoc injects (shop.api.docs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "https:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Storefront ---
DEFAULT_MARKET = "US"
# Each worker keeps the active markets this long before asking Redis again (shop.selectors):
# a market edited in the admin shows in every worker within it.
MARKETS_LOCAL_SECONDS = float(env("MARKETS_LOCAL_SECONDS", "1"))
MARKET_COOKIE = "market"
LOW_STOCK_THRESHOLD = 5
# Versioned storefront documents (shop/cache_versions.py, docs/storefront.md "Caching"): a write
# makes old entries unreachable at once; this TTL only bounds how long Redis keeps them, and how
# long a version bump lost to a Redis outage can leave a page stale.
STOREFRONT_CACHE_SECONDS = int(env("STOREFRONT_CACHE_SECONDS", "3600"))
# Each worker keeps the availability pages show under the variants' stock versions, which every
# stock write bumps (inventory/availability_cache.py): exact while Redis is up; this only bounds
# how long a bump lost to a Redis failure can leave "In stock" wrong.
AVAILABILITY_CACHE_SECONDS = float(env("AVAILABILITY_CACHE_SECONDS", "5"))
# After a cache failure the storefront skips the cache this long per process (logs once).
CACHE_CIRCUIT_OPEN_SECONDS = float(env("CACHE_CIRCUIT_OPEN_SECONDS", "5"))
# How long a CDN may serve an anonymous home or listing page without revalidating (ETag); 0
# keeps the "Out of stock" badges exactly true.
STOREFRONT_PAGE_MAX_AGE = int(env("STOREFRONT_PAGE_MAX_AGE", "0"))
# Cross-app plug-ins (stock availability, an import's stock counts, demo seeders) are typed
# ports registered in each app's AppConfig.ready(): see catalog/ports.py and shop/ports.py.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "shop@emporium.example")

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
