"""The drain a user would write by hand (not product code): fetch a page, publish its entities
with the batching publisher's futures, wait for them, repeat until a page comes back empty.

Its own httpx client and its own ``google.cloud.pubsub_v1.PublisherClient`` (default batch
settings), built once like a module-level client; ROIT's path is written out.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

PENDING = "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending"


class DrainPeer:
    """``drain()`` moves every pending document of one entity to ``topic``; returns the count."""

    def __init__(self, base_url: str, token: str, integration_id: str, topic: str) -> None:
        from google.cloud import pubsub_v1

        self.http = httpx.Client(base_url=base_url, headers={"Authorization": token}, timeout=60)
        self.publisher = pubsub_v1.PublisherClient()
        self.topic = topic
        self.query = {"entity": "DOCUMENT", "integrationId": integration_id}

    def drain(self) -> int:
        published = 0
        while page := self._fetch():
            futures = [
                self.publisher.publish(
                    self.topic,
                    json.dumps(item, separators=(",", ":")).encode(),
                    entity=str(item.get("entity", "")),
                    type=str(item.get("type", "")),
                    requestId=str(item.get("requestId", "")),
                )
                for item in page
            ]
            for future in futures:
                future.result(timeout=60)
            published += len(page)
        return published

    def _fetch(self) -> list[Any]:
        answer = self.http.post(PENDING, json=self.query)
        answer.raise_for_status()
        return list(answer.json()["data"])

    def close(self) -> None:
        self.http.close()
        self.publisher.stop()
