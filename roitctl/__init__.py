"""roitctl: the connector's operator CLI (``python -m roitctl`` / ``roitctl``).

* ``doctor`` — checks a configuration against a live environment, with no side effects at ROIT.
* ``dead-letters list | replay`` — inspects the dead-letter subscriptions and republishes dead
  letters to the topic they came from, once their cause is fixed.
* ``setup``, ``token-settings``, ``webhook-secret``, ``handover``, ``smoke`` — going live
  (:mod:`roitctl.golive`).

Not deployed: no function imports it, and ``scripts/package_functions.py`` ships ``shared/``
only. Modules: ``cli`` (the commands), ``output`` (tables, JSON, progress), ``environment``
(where settings come from), ``doctor`` / ``checks`` / ``probe`` / ``shapes`` /
``pubsubcheck`` (the checks), ``deadletters`` / ``lease`` / ``replay`` / ``targets``
(reading and replaying dead letters), ``gcp`` (Google API clients), ``layout`` (the Pub/Sub
names Terraform creates).
"""

__all__: list[str] = []
