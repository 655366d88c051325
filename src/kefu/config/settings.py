"""Kefu settings. Everything that differs between machines comes from the environment.

See README.md, "Configuration", for the list of variables.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from kefu.config.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("KEFU_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data dir."""
    configured = env_str("KEFU_SECRET_KEY", "")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("KEFU_DEBUG", False)
ALLOWED_HOSTS = env_list("KEFU_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("KEFU_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "axes",
    "kefu.core",
    "kefu.accounts",
    "kefu.messaging",
    "kefu.customers",
    "kefu.bss",
    "kefu.contacts",
    "kefu.routing",
    "kefu.tickets",
    "kefu.knowledge",
    "kefu.reporting",
    "kefu.desk",
    "kefu.api",
    "kefu.demo",
    "kefu.connectors",  # no models: its commands (kefu imap-poll, kefu deadletters, kefu voice)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kefu.core.metrics.RequestMetricsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kefu.core.language.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kefu.core.audit.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kefu.config.urls"
ASGI_APPLICATION = "kefu.config.asgi.application"
WSGI_APPLICATION = "kefu.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
# Threads per process that serve /api/ and /hooks/ (config/handlers.py); each request in flight
# holds one, and a database connection while it talks to the database.
KEFU_HTTP_THREADS = env_int("KEFU_HTTP_THREADS", 12)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kefu.sqlite3'}")
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("KEFU_DB_CONN_MAX_AGE", 0))
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue instead of failing with "database is locked" mid-way.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _database["TEST"] = {"NAME": str(DATA_DIR / "test-kefu.sqlite3")}
if _database.get("OPTIONS", {}).get("pool") is True:
    # `?pool=true`: a psycopg pool per process, as large as the threads that serve the API and
    # webhooks and some more for pages and WebSocket consumers, which take theirs from it too.
    _database["OPTIONS"]["pool"] = {"min_size": 2, "max_size": KEFU_HTTP_THREADS + 6}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, tasks -------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "kefu.core.cache.SharedRedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from the shared cache, written through to the database: every request
    # of every node reads its session, and a sign-out reaches all nodes at once. (Without a
    # shared cache each process would keep its own copy, so sessions stay in the database.)
    SESSION_ENGINE = "kefu.core.sessions"
    # redis-py's default 5 s socket timeout equals channels_redis's 5 s blocking pop, which
    # closes busy consumers' sockets; give the socket more room than the pop.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 10}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": env_str("KEFU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Auth and security ------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kefu.accounts.backends.StaffBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("KEFU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("KEFU_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600  # one long shift
SESSION_COOKIE_SECURE = env_bool("KEFU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Language, time -----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("KEFU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
PHONE_REGION = env_str("KEFU_PHONE_REGION", "CN")

# --- Static files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

KEFU_METRICS_ALLOW = env_list("KEFU_METRICS_ALLOW", ["127.0.0.1", "::1"])

# --- Email ---------------------------------------------------------------------------------------
KEFU_SMTP_HOST = env_str("KEFU_SMTP_HOST", "")  # empty: the development transport writes to a file
KEFU_SMTP_PORT = env_int("KEFU_SMTP_PORT", 25)
KEFU_SMTP_USER = env_str("KEFU_SMTP_USER", "")
KEFU_SMTP_PASSWORD = env_str("KEFU_SMTP_PASSWORD", "")
KEFU_SMTP_STARTTLS = env_bool("KEFU_SMTP_STARTTLS", False)
KEFU_EMAIL_FROM = env_str("KEFU_EMAIL_FROM", "客服中心 <service@kefu.example.cn>")
KEFU_EMAIL_DOMAIN = env_str("KEFU_EMAIL_DOMAIN", "kefu.example.cn")
KEFU_EMAIL_QUEUE = env_str("KEFU_EMAIL_QUEUE", "EMAIL")
KEFU_EMAIL_MAX_BYTES = env_int("KEFU_EMAIL_MAX_BYTES", 25 * 1024 * 1024)

# --- SMS (Kannel or SMPP) and IM webhooks (WeChat Official Account, generic signed webhook) --------
KEFU_SMS_BACKEND = env_str("KEFU_SMS_BACKEND", "development")  # development | kannel | smpp
KEFU_SMS_QUEUE = env_str("KEFU_SMS_QUEUE", "SMS")
KEFU_SMS_SENDER = env_str("KEFU_SMS_SENDER", "")  # the service number replies come from
KEFU_SMS_RATE_PER_SECOND = env_int("KEFU_SMS_RATE_PER_SECOND", 20)  # per gateway connection
KEFU_SMS_MAX_PARTS = env_int("KEFU_SMS_MAX_PARTS", 10)  # longest agent reply, in SMS segments
# Web chat: a waiting chat whose widget gave no sign of life this long was closed (abandoned);
# an answered one is ended after the longer time (the widget pings its socket every minute).
# Websites that embed the chat widget and may open its socket, e.g. "https://www.example-telecom.cn"
# or ".example-telecom.cn" (every subdomain); empty: the site's own hosts (ALLOWED_HOSTS).
KEFU_CHAT_ALLOWED_ORIGINS = env_list("KEFU_CHAT_ALLOWED_ORIGINS", [])
# The queue a chat enters when the widget names none (data-queue); when no queue has this
# code, the first queue taking chats (by code).
KEFU_WEBCHAT_QUEUE = env_str("KEFU_WEBCHAT_QUEUE", "CHAT")
KEFU_CHAT_STARTS_PER_MINUTE = env_int("KEFU_CHAT_STARTS_PER_MINUTE", 5)  # anonymous chat starts per client address
KEFU_CHAT_ABANDON_SECONDS = env_int("KEFU_CHAT_ABANDON_SECONDS", 180)
KEFU_CHAT_IDLE_END_SECONDS = env_int("KEFU_CHAT_IDLE_END_SECONDS", 30 * 60)
KEFU_SMS_CALLBACK_SECRET = env_str("KEFU_SMS_CALLBACK_SECRET", "")  # empty: callbacks are refused
KEFU_SMS_CALLBACK_BASE_URL = env_str("KEFU_SMS_CALLBACK_BASE_URL", "http://127.0.0.1:8000")
KEFU_KANNEL_SENDSMS_URL = env_str("KEFU_KANNEL_SENDSMS_URL", "http://127.0.0.1:13013/cgi-bin/sendsms")
KEFU_KANNEL_USERNAME = env_str("KEFU_KANNEL_USERNAME", "")
KEFU_KANNEL_PASSWORD = env_str("KEFU_KANNEL_PASSWORD", "")
KEFU_KANNEL_DLR_MASK = env_int("KEFU_KANNEL_DLR_MASK", 31)
KEFU_SMPP_HOST = env_str("KEFU_SMPP_HOST", "127.0.0.1")
KEFU_SMPP_PORT = env_int("KEFU_SMPP_PORT", 2775)
KEFU_SMPP_SYSTEM_ID = env_str("KEFU_SMPP_SYSTEM_ID", "")
KEFU_SMPP_PASSWORD = env_str("KEFU_SMPP_PASSWORD", "")
KEFU_SMPP_SYSTEM_TYPE = env_str("KEFU_SMPP_SYSTEM_TYPE", "")
KEFU_SMPP_SOURCE_ADDR = env_str("KEFU_SMPP_SOURCE_ADDR", KEFU_SMS_SENDER)
KEFU_SMPP_ENQUIRE_LINK_SECONDS = env_int("KEFU_SMPP_ENQUIRE_LINK_SECONDS", 30)
KEFU_IM_QUEUE = env_str("KEFU_IM_QUEUE", "IM")
KEFU_WEBHOOK_SECRET = env_str("KEFU_WEBHOOK_SECRET", "")  # empty: the webhook refuses everything
KEFU_WEBHOOK_OUTBOUND_URL = env_str("KEFU_WEBHOOK_OUTBOUND_URL", "")  # empty: replies go to the development log
KEFU_WEBHOOK_TOLERANCE_SECONDS = env_int("KEFU_WEBHOOK_TOLERANCE_SECONDS", 300)
KEFU_WECHAT_TOKEN = env_str("KEFU_WECHAT_TOKEN", "")  # empty: the WeChat endpoint refuses everything
KEFU_WECHAT_APPID = env_str("KEFU_WECHAT_APPID", "")
KEFU_WECHAT_APPSECRET = env_str("KEFU_WECHAT_APPSECRET", "")
KEFU_WECHAT_API_BASE = env_str("KEFU_WECHAT_API_BASE", "https://api.weixin.qq.com")
KEFU_WECHAT_WELCOME = env_str("KEFU_WECHAT_WELCOME", "您好，已收到您的消息，正在为您转接人工客服，请稍候。")

# Channel accounts: connectors use the enabled account of their kind (admin: 渠道账号), else the
# settings above. Credentials are Fernet-encrypted with these keys (first encrypts, all decrypt),
# by default with a key derived from SECRET_KEY.
KEFU_CHANNEL_SECRETS_KEYS = env_list("KEFU_CHANNEL_SECRETS_KEYS", [])
KEFU_CHANNEL_ACCOUNTS_CACHE_SECONDS = env_int("KEFU_CHANNEL_ACCOUNTS_CACHE_SECONDS", 30)
KEFU_IMAP_HOST = env_str("KEFU_IMAP_HOST", "")  # empty: no mailbox is polled (unless an account says so)
KEFU_IMAP_PORT = env_int("KEFU_IMAP_PORT", 993)
KEFU_IMAP_SECURITY = env_str("KEFU_IMAP_SECURITY", "ssl")  # ssl | starttls | none
KEFU_IMAP_USER = env_str("KEFU_IMAP_USER", "")
KEFU_IMAP_PASSWORD = env_str("KEFU_IMAP_PASSWORD", "")
KEFU_IMAP_MAILBOX = env_str("KEFU_IMAP_MAILBOX", "INBOX")
KEFU_IMAP_POLL_SECONDS = env_int("KEFU_IMAP_POLL_SECONDS", 60)
# Keyword handlers of customers' SMS (module:function), consulted before an SMS becomes a contact.
KEFU_SMS_KEYWORD_HANDLERS = env_list("KEFU_SMS_KEYWORD_HANDLERS", [])

# --- Voice: a SIP user agent behind kamailio (small sites) or Asterisk ARI (production) -------------
KEFU_VOICE_GATEWAY = env_str("KEFU_VOICE_GATEWAY", "sip")  # sip | ari: where softphone commands go
KEFU_VOICE_QUEUE = env_str("KEFU_VOICE_QUEUE", "VOICE")  # calls the IVR menu cannot place go here
KEFU_VOICE_DIGIT_TIMEOUT_SECONDS = env_int("KEFU_VOICE_DIGIT_TIMEOUT_SECONDS", 8)  # then the menu repeats
KEFU_VOICE_ANNOUNCE_SECONDS = env_int("KEFU_VOICE_ANNOUNCE_SECONDS", 30)  # queue position, while waiting
KEFU_VOICE_PROMPT_DIR = env_str("KEFU_VOICE_PROMPT_DIR", str(DATA_DIR / "voice-prompts"))  # espeak-ng cache
KEFU_SIP_SERVER = env_str("KEFU_SIP_SERVER", "127.0.0.1")  # the registrar/proxy (kamailio)
KEFU_SIP_PORT = env_int("KEFU_SIP_PORT", 5060)
KEFU_SIP_USERNAME = env_str("KEFU_SIP_USERNAME", "10086")  # the service number the UA registers as
KEFU_SIP_PASSWORD = env_str("KEFU_SIP_PASSWORD", "")
KEFU_SIP_LOCAL_HOST = env_str("KEFU_SIP_LOCAL_HOST", "127.0.0.1")
KEFU_SIP_LOCAL_PORT = env_int("KEFU_SIP_LOCAL_PORT", 5070)
KEFU_SIP_RTP_PORT_MIN = env_int("KEFU_SIP_RTP_PORT_MIN", 20000)
KEFU_SIP_RTP_PORT_MAX = env_int("KEFU_SIP_RTP_PORT_MAX", 20999)
KEFU_SIP_CONTROL_PORT = env_int("KEFU_SIP_CONTROL_PORT", 5071)  # `kefu voice` takes softphone commands here
KEFU_ARI_URL = env_str("KEFU_ARI_URL", "http://127.0.0.1:8088")
KEFU_ARI_USERNAME = env_str("KEFU_ARI_USERNAME", "kefu")
KEFU_ARI_PASSWORD = env_str("KEFU_ARI_PASSWORD", "")
KEFU_ARI_APP = env_str("KEFU_ARI_APP", "kefu")  # the Stasis application the dialplan sends calls to
KEFU_ARI_AGENT_ENDPOINT = env_str("KEFU_ARI_AGENT_ENDPOINT", "PJSIP/{agent}")  # {agent}: the username

# --- BSS adapter -------------------------------------------------------------------
# Routing decisions on PostgreSQL run as one prepared statement; 0 behind a transaction-mode pooler.
KEFU_ROUTING_PREPARED = env_bool("KEFU_ROUTING_PREPARED", True)
KEFU_BSS_ADAPTER = env_str("KEFU_BSS_ADAPTER", "kefu.bss.adapters.builtin.BuiltinAdapter")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("KEFU_LOG_LEVEL", "INFO")},
    # The scheduler and the task worker log every 5-second routing tick at INFO; keep them quiet.
    "loggers": {
        "axes": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
