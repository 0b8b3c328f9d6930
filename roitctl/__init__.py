"""roitctl: the connector's operator CLI (``python -m roitctl`` / ``roitctl``).

* ``doctor`` — checks a configuration against a live environment, with no side effects at ROIT.
* ``dead-letters list | replay`` — inspects the dead-letter subscriptions and republishes dead
  letters to the topic they came from, once their cause is fixed.
* ``setup``, ``token-settings``, ``webhook-secret``, ``handover``, ``smoke`` — going live
  (:mod:`roitctl.golive`).

Not deployed: no function imports it, and ``scripts/package_functions.py`` ships ``shared/``
only.

Layout (one folder per command family; what every command shares at the top):

* ``cli`` — the entry point: the commands, ``--version``, and the one place a failure becomes
  one line and an exit status;
* ``options`` (the options every command takes, :class:`~roitctl.options.CommandError`),
  ``environment`` (where settings come from), ``gcp`` (Google API clients, and what their
  failures mean), ``layout`` (the Pub/Sub names Terraform creates), ``output`` (tables that
  never break a name, JSON, progress);
* ``doctor/`` — the command, the checks (``run``, ``checks``, ``probe``, ``reach``,
  ``shapes``, ``pubsub``) and its report;
* ``deadletters/`` — the commands, reading (``messages``, ``lease``), replaying (``replay``,
  ``targets``, ``policy``) and their reports.
"""

__all__: list[str] = []
