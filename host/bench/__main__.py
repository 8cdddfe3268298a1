"""python -m host.bench: the benchmark's command line (host.bench.cli)."""
import sys

from .cli import main

sys.exit(main())
