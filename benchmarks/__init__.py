"""The connector's benchmarks: every figure against an outside anchor measured in the same run.

* :mod:`benchmarks.coldstart` (with :mod:`benchmarks.coldpath`): 1. cold start against a
  functions-framework hello-world, and where the cold path goes;
* :mod:`benchmarks.instance`: 2. warm overhead, 4. RSS growth, 5. token exchanges and secret
  reads, from one warm instance per function under many requests;
* :mod:`benchmarks.drain` (its parties in :mod:`benchmarks.drainers`): 3. drain against the raw
  pending and publish rates and the sequential ceiling; 4. the poller's peak RSS;
* :mod:`benchmarks.memory`: 4. peak RSS of one push message near 10 MB;
* :mod:`benchmarks.concurrency`: 4b. peak RSS of one instance at full concurrency (10 such
  messages at once);
* :mod:`benchmarks.store`: 6. the idempotency store's cost: cold start, warm latency and CPU
  of each function that uses it against itself without it, and its Firestore calls per request;
* :mod:`benchmarks.runner`: the command (budgets, table, JSON);
* :mod:`benchmarks.profile`: profiles for finding what costs (not part of ``make bench``).

Shared: :mod:`benchmarks.stack` (the processes), :mod:`benchmarks.workload` (the requests),
:mod:`benchmarks.measure` (percentiles, RSS, CPU), :mod:`benchmarks.report` (figures, tables).
"""
