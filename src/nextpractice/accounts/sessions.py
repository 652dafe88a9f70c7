"""Django's database sessions, read with one plain statement.

Every signed-in request reads its session first. Django's store builds that read through
the ORM, whose query building costs more than the read itself; the statement below is the
same one, written once. Saving, expiry and deletion are Django's, unchanged.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        model = self.model
        conn = connections[router.db_for_read(model)]
        q = conn.ops.quote_name
        sql = (
            f"SELECT {q('session_data')} FROM {q(model._meta.db_table)} "  # noqa: S608
            f"WHERE {q('session_key')} = %s AND {q('expire_date')} > %s"
        )
        now = conn.ops.adapt_datetimefield_value(timezone.now())
        with conn.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's: an unknown or expired key starts afresh
            return None
        return model(session_key=self.session_key or "", session_data=row[0])
