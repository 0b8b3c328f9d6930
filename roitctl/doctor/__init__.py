"""``roitctl doctor``: a configuration checked against a live environment, no side effects.

* ``command`` — the command's options;
* ``run`` — every check in order, inside the command's environment;
* ``checks`` — one result per check (ok, failed, skipped, with what to do);
* ``probe`` / ``shapes`` / ``reach`` — the token exchange, the ``Authorization`` scheme, the
  token request shapes worth trying, and why ROIT could not be reached (DNS, refused);
* ``pubsub`` — topics, subscriptions, publish permission, dead-letter backlogs;
* ``report`` — the table people read.
"""

__all__: list[str] = []
