"""The processes the local stack starts and stops.

- `managed`: `ManagedProcess`, one child in its own process group: start, readiness (the child
  reports the port it bound), stop of the whole group, kill, freeze / thaw.
- `ports`: free ports on loopback, whether one answers, sockets on a port (Linux /proc).
- `factories`: the sandbox, the Pub/Sub emulator, the Secret Manager stand-in and a function
  under functions-framework, each as a not-yet-started `ManagedProcess`.
- `firestore_emulator`: the Firestore emulator (the shared idempotency store's stand-in) and
  which deployments get the store's settings.
- `secret_manager` / `secret_store`: the Secret Manager REST v1 stand-in
  (`python -m devstack.processes.secret_manager`); `secret_client`: the real client on it.
"""
