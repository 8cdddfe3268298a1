"""python -m host.serve: the recommendation service (host.rec.service; docs/SERVING.md)."""
from host.rec.service.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
