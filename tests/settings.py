"""Test settings: the real settings, with tasks run immediately and fast password hashing."""

import os

os.environ.setdefault("DANTOC_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DANTOC_INSECURE_HTTP", "1")

from dantoc.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
AXES_ENABLED = True
