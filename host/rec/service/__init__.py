"""The recommendation service (python -m host.serve): HTTP over the one serving stack of
host.rec.serve, with micro-batching, accelerator workers, a durable interaction store and metrics.
docs/SERVING.md is the user's guide."""
