"""Faults: what can go wrong on a call, and how it reaches the wire.

* ``board``: fault specs per endpoint and the draw (counters, rates, one seeded RNG).
* ``injection``: the answer a drawn fault gives, instead of the endpoint or shaping its answer.
* ``shaping``: drip, stall and oversize streams.
* ``encoding``: honest gzip answers and the gzip bomb.
"""
