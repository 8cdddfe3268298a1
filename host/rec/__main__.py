"""python -m host.rec: the pipeline's command line (host.rec.pipeline)."""
from .pipeline import main

raise SystemExit(main())
