"""What the client authenticates with: nothing, a token pair, or an API key."""

import base64
import json
import threading
import time


class Credentials:
    """Thread-safe holder of the session tokens or the API key, and of the access token's expiry."""

    def __init__(self):
        self._lock = threading.Lock()
        self._access = self._refresh = self._api_key = None
        self._expires_at = None

    def use_tokens(self, access_token, refresh_token):
        with self._lock:
            self._access, self._refresh, self._api_key = access_token, refresh_token, None
            self._expires_at = expiry_of(access_token)

    def use_api_key(self, api_key):
        with self._lock:
            self._api_key, self._access, self._refresh, self._expires_at = api_key, None, None, None

    def clear(self):
        with self._lock:
            self._access = self._refresh = self._api_key = self._expires_at = None

    @property
    def refresh_token(self):
        with self._lock:
            return self._refresh

    def expires_within(self, seconds):
        with self._lock:
            return self._expires_at is not None and self._expires_at - seconds < time.time()

    def metadata(self):
        with self._lock:
            if self._api_key:
                return (("x-api-key", self._api_key),)
            if self._access:
                return (("authorization", "Bearer " + self._access),)
            return ()


def expiry_of(jwt):
    """The ``exp`` claim of a JWT, read without verifying it: only to schedule a refresh."""
    parts = (jwt or "").split(".")
    if len(parts) < 2:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        exp = json.loads(base64.urlsafe_b64decode(payload)).get("exp")
        return float(exp) if isinstance(exp, (int, float)) else None
    except (ValueError, AttributeError):
        return None
