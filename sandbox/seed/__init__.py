"""Seed data: realistic Brazilian fiscal documents and master data, and their files.

Fenced off from the rest of the sandbox: nothing here imports the server, the routes, the
state or the faults (a test checks it), so the data can be generated anywhere (the soak does).

* ``generator``: :class:`~sandbox.seed.generator.SeedGenerator`, one seeded RNG.
* ``documents``: NF-e, NFS-e and CT-e payloads whose taxes and totals add up.
* ``catalog``: the names, cities and products drawn from.
* ``fiscal``: CNPJ / CPF check digits and 44-digit access keys.
* ``money``: integer cents, emitted with two decimals.
* ``attachments``: the XML, PDF and boleto files rendered from a document.
"""
