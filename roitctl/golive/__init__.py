"""Going live: ``roitctl setup``, ``webhook-secret``, ``token-settings``, ``handover``, ``smoke``.

* :mod:`~roitctl.golive.rules` — what a tfvars file must hold (standard library only: the
  pipelines' ``scripts/check_tfvars.py`` imports it before anything is installed).
* :mod:`~roitctl.golive.hcl` — reading tfvars, writing values into them in place.
* :mod:`~roitctl.golive.tfvars` — the environment's tfvars from setup's answers; never a secret.
* :mod:`~roitctl.golive.secrets` — the secret values (credentials, webhook secrets) in Secret
  Manager: new versions only when the value changes.
* :mod:`~roitctl.golive.deployed` — the deployed names, from ``terraform output -json`` and
  the tfvars.
* :mod:`~roitctl.golive.handover` — the ERP's and the partner's sheets.
* :mod:`~roitctl.golive.smoke` — the checks after an apply.
* :mod:`~roitctl.golive.commands` — the commands themselves.
"""

__all__: list[str] = []
