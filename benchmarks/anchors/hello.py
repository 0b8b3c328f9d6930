"""The cold-start and round-trip anchor: a functions-framework hello-world (not product code).

Started exactly like a connector function: ``python -m functions_framework --target hello
--source benchmarks/anchors/hello.py``.
"""

import functions_framework


@functions_framework.http
def hello(request):
    return "OK"
