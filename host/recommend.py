"""Old entry point, kept for one release: `python -m host.recommend` is `python -m host.rec.serve`."""
from host.rec.serve import main

if __name__ == "__main__":
    raise SystemExit(main())
