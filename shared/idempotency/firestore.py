"""The shared store on Firestore (``google-cloud-firestore``, imported on first use only).

One collection, one document per key (its id is the key's SHA-256, the key itself a field).
Every change is an optimistic compare-and-set: read the document, decide (:mod:`.records`),
then write with a precondition (``create`` if it was absent, ``update`` / ``delete`` only if
its ``update_time`` is still the one read); a lost race reads again. Unlike a Firestore
transaction, every call here carries its own timeout, so a store that does not answer costs at
most :data:`~shared.idempotency.base.STORE_CALL_S` (never past the invocation's reserve),
not the client library's default minute of retries. ``FIRESTORE_EMULATOR_HOST`` is honoured
by the client library itself. Records carry ``expires_at``: Terraform sets Firestore's TTL
policy on that field, which deletes them some time after it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

from shared.core import deadline
from shared.core.lazy import Lazy
from shared.core.settings import DEADLINE_RESERVE_S
from shared.idempotency.base import STORE_CALL_S, IdempotencyStore
from shared.idempotency.exceptions import StoreUnavailableError
from shared.idempotency.records import DELETE, KEEP, Change

__all__ = ["FirestoreStore", "document_id"]

T = TypeVar("T")
_MAX_RACES = 8  # a key that changes under us this often is contended beyond reason


def document_id(key: str) -> str:
    """The document id of ``key`` (a webhook-id may hold characters Firestore refuses)."""
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()


class FirestoreStore(IdempotencyStore):
    """Records in a Firestore collection shared by every instance.

    Args:
        project: the Google Cloud project.
        database: the Firestore database id (``(default)`` or a named one).
        collection: the collection holding the records.
    """

    shared = True
    kind = "firestore"

    def __init__(
        self,
        project: str,
        *,
        database: str = "(default)",
        collection: str = "roit-idempotency",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(clock=clock)
        self.project, self.database, self.collection = project, database, collection
        self._client: Lazy[Any] = Lazy(self._build)

    def _build(self) -> Any:
        from google.cloud import firestore

        return firestore.Client(project=self.project, database=self.database)

    def _run(self, key: str, change: Change[T]) -> T:
        from google.api_core import exceptions as gexc
        from google.api_core.retry import Retry

        client = self._client.get()
        ref = client.collection(self.collection).document(document_id(key))
        # Within the invocation's reserve too: a failed attempt's outcome is still recorded
        # after its deadline, as a dead letter is still published (a second kept for the answer).
        budget = min(STORE_CALL_S, deadline.remaining() + DEADLINE_RESERVE_S - 1.0)
        ends = time.monotonic() + budget

        def bounded() -> dict[str, Any]:
            left = ends - time.monotonic()
            if left <= 0:
                raise StoreUnavailableError("the idempotency store did not answer in time")
            retry = Retry(
                predicate=lambda e: isinstance(
                    e, gexc.ServiceUnavailable | gexc.InternalServerError
                ),
                initial=0.05,
                maximum=0.5,
                timeout=left,
            )
            return {"retry": retry, "timeout": left}

        for _ in range(_MAX_RACES):
            snapshot = ref.get(**bounded())
            record = snapshot.to_dict() if snapshot.exists else None
            write, result = change(record, self.now())
            if write is KEEP:
                return result
            try:
                if write is DELETE:
                    ref.delete(
                        option=client.write_option(last_update_time=snapshot.update_time),
                        **bounded(),
                    )
                elif snapshot.exists:
                    option = client.write_option(last_update_time=snapshot.update_time)
                    ref.update(write, option=option, **bounded())
                else:
                    ref.create(write, **bounded())
            except (gexc.AlreadyExists, gexc.FailedPrecondition, gexc.NotFound, gexc.Conflict):
                continue  # another instance changed the record between our read and write
            return result
        raise StoreUnavailableError("the idempotency record kept changing under us")
