"""What a route sees of one sandbox: its state, tokens, faults, counters and settings.

Routes take a :class:`Context`, never the app that dispatches to them, so the routes, the app
and the server import each other in one direction only (server -> app -> routes -> context).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sandbox.config import SandboxConfig
from sandbox.faults.board import FaultBoard
from sandbox.responses import ApiError, Request, Response
from sandbox.seed.generator import SeedGenerator
from sandbox.state.seeding import seed
from sandbox.state.stats import Stats
from sandbox.state.store import Store
from sandbox.state.tokens import TokenAuthority

__all__ = ["Context", "Handler"]


class Context:
    """The parts of one sandbox (thread-safe: the store's lock guards the state).

    Attributes:
        config: the settings (``PUT /_sandbox/config`` changes some at run time).
        store: requests, their lifecycle and deliveries.
        tokens: issues and checks tokens.
        faults: the fault board (replaced, reseeded, by :meth:`reset`).
        stats: call counters.
        generator: the seed data generator (replaced, reseeded, by :meth:`reset`).
        started_at: when the sandbox started (epoch seconds).
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.started_at = time.time()
        self.store = Store()
        self.stats = Stats()
        self.tokens = TokenAuthority(
            client_id=config.client_id,
            client_secret=config.client_secret,
            lifetime_s=config.token_lifetime_s,
            scheme=config.auth_scheme,
            opaque=config.opaque_tokens,
        )
        self.faults = FaultBoard()
        self.generator = SeedGenerator(random.Random())
        self.reset(config.seed_documents, config.seed_master, config.seed_received)
        for endpoint, spec in config.faults.items():
            self.faults.set(endpoint, spec)

    def reset(self, documents: int, master: int, received: int) -> list[str]:
        """Clear requests, deliveries, counters and faults; reseed; return the new ids."""
        with self.store.lock:
            rng_seed = self.config.random_seed
            self.generator = SeedGenerator(random.Random(rng_seed))
            self.faults = FaultBoard(random.Random(rng_seed))
            self.store.clear()
            self.stats.reset()
            return seed(
                self.store,
                self.generator,
                self.config.integration_id,
                documents=documents,
                master=master,
                received=received,
            )

    def check_integration(self, integration_id: str) -> None:
        """Raises: ApiError 404 for an integration this sandbox does not know."""
        if integration_id not in self.config.integration_ids:
            raise ApiError(
                404,
                f"Integration not found: integrationId {integration_id!r} is not registered",
                [{"field": "integrationId", "message": "unknown integration"}],
            )


# A route: the context, the request and the path segments after its prefix -> the answer.
Handler = Callable[[Context, Request, list[str]], Response]
