"""Seeded, bounded fuzzers of the host API, the data loaders, the serving path and, below the driver,
the RTL's registers and memory (raw_register) (issue 19, item 6).

Each module has `run(n, seed, ...) -> stats dict`; tests/fuzz/test_*.py run a few hundred cases
in the default suite, `python -m tests.fuzz.report --out results/fuzz` the large counts of
docs/RELIABILITY.md. Outcome names shared by all of them:

* ``ok``        -- a valid input, the answer equals the independent reference (bit for bit);
* ``rejected``  -- an invalid input refused with the specific error (ValueError / DataFormatError);
* ``wrong``     -- a silent wrong result: a different answer, or an invalid input accepted;
* ``crash``     -- any other exception (or the specific error without file/line, for loaders).

raw_register adds ``oob`` (a read or write outside the buffers the registers describe) and
``hang`` (no ap_done within the run's cycle bound). A run passes when ``wrong`` and ``crash`` (and
``oob`` and ``hang``) are 0.
"""
