"""``roitctl dead-letters list | replay``: inspect dead letters, and republish them to the topic
they came from once their cause is fixed.

* ``command`` — the two commands' options;
* ``messages`` — what a dead letter is (its error, its source, its replay count), summaries;
* ``lease`` — messages pulled and held, never acknowledged unless told to;
* ``interrupts`` — Ctrl-C held off while a pull or a publish-and-acknowledge runs;
* ``replay`` — the replay loop (nothing lost, at worst a message replayed twice);
* ``targets`` — where a dead letter goes back to;
* ``policy`` — what a replay picks, and what it leaves in place and why;
* ``report`` — the tables people read.
"""

__all__: list[str] = []
