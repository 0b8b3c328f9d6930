"""The stack wired as Terraform wires it.

- `layout`: the function deployments, their environment, ports and `StackOptions`.
- `wiring`: topics, push / pull subscriptions and dead-letter topics on the emulator.
- `local`: `LocalStack`, every process started and stopped together.
- `state`: each running stack's state directory, and finding the one a command means.
"""
