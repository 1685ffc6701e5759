"""Sessions in PostgreSQL with Redis in front, that keep working when Redis does not.

Django's cached_db backend tolerates a cache error when reading and saving, but not when it
refills the cache after a miss, checks a new key (`exists`) or logs out (`delete`). During an
outage we skip the cache there too: the database is the truth, so nobody is logged out or
locked out.

A logout during an outage deletes the database row but cannot delete the cached copy; a stolen
cookie would work again once Redis is back, until that copy expires. Cached copies therefore
live at most SESSION_CACHE_MAX_SECONDS (10 minutes): a database read per session per 10
minutes buys a short window.

A session row is written in one statement where no transaction is open (the middleware saves
after the view): Django's backend wraps it in a transaction of its own, BEGIN and COMMIT
around a single INSERT or UPDATE, and asks whether a new random key is taken before inserting
it; the row's primary key refuses a taken key anyway (`create` then draws another). On a
storefront checkout that was 7 of its ~115 database round trips.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router
from django.utils.crypto import get_random_string

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def _cache_seconds(self, expiry=None) -> int:
        return min(self.get_expiry_age(expiry=expiry), settings.SESSION_CACHE_MAX_SECONDS)

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 - cache down or key refused: read the database
            data = None
        if data is not None:
            return data
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            self._cache.set(self.cache_key, data, self._cache_seconds(expiry=row.expire_date))
        except Exception:  # noqa: BLE001
            logger.warning("session cache unavailable; served from the database", exc_info=True)
        return data

    def ensure_key(self) -> str:
        """This session's key, for a record that names it (a guest cart, a place in a drop's
        line). A new session draws its key now and is written once, with its data, when the
        response saves it: Django's way (`save()` now) wrote an empty row, then updated it.
        """
        if self.session_key is None:
            if not hasattr(self, "_session_cache"):
                self._session_cache = {}  # new: nothing to load for the key it is given
            self._session_key = self._get_new_session_key()
            self._unwritten_key = True
            self.modified = True
        return self.session_key

    def _get_new_session_key(self):
        # 32 characters of 36: a clash is all but impossible, and the INSERT refuses one.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        # A key from ensure_key has no row yet. A clash on its INSERT (as likely as guessing
        # another visitor's key) is refused as Django refuses one (CreateError).
        must_create = must_create or getattr(self, "_unwritten_key", False)
        using = router.db_for_write(self.model)
        if connections[using].in_atomic_block:
            # Inside a transaction Django's savepoint keeps it usable after a refused INSERT.
            cached_db.DBStore.save(self, must_create)
        else:
            self._write_row(must_create, using)
        self._unwritten_key = False
        try:
            self._cache.set(self.cache_key, self._session, self._cache_seconds())
        except Exception:  # noqa: BLE001
            logger.warning("session cache unavailable; saved to the database", exc_info=True)

    def _write_row(self, must_create: bool, using: str) -> None:
        """DBStore.save's row write, as one autocommitted statement (no BEGIN/COMMIT)."""
        row = self.create_model_instance(self._get_session(no_load=must_create))
        try:
            row.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise

    def exists(self, session_key):
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:  # noqa: BLE001 - any cache failure: ask the database
            logger.warning("session cache unavailable; checking the database", exc_info=True)
        return cached_db.DBStore.exists(self, session_key)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception:  # noqa: BLE001
            # The row is gone from the database (done first); the cached copy lives at most
            # SESSION_CACHE_MAX_SECONDS (see the module docstring).
            logger.warning(
                "session cache unavailable; deleted from the database only", exc_info=True
            )
