"""Seeded, bounded fuzzers of the host API, the data loaders and the serving path (issue 19, item 6).

Each module has `run(n, seed, ...) -> stats dict`; tests/fuzz/test_*.py run a few hundred cases
in the default suite, `python -m tests.fuzz.report --out results/fuzz` the large counts of
docs/RELIABILITY.md. Outcome names shared by all three:

* ``ok``        -- a valid input, the answer equals the independent reference (bit for bit);
* ``rejected``  -- an invalid input refused with the specific error (ValueError / DataFormatError);
* ``wrong``     -- a silent wrong result: a different answer, or an invalid input accepted;
* ``crash``     -- any other exception (or the specific error without file/line, for loaders).

A run passes when ``wrong`` and ``crash`` are 0.
"""
