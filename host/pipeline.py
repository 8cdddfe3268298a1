"""Old entry point, kept for one release: `python -m host.pipeline` is `python -m host.rec`."""
from host.rec.pipeline import main

if __name__ == "__main__":
    raise SystemExit(main())
