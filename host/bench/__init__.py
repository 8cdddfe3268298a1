"""Measurement only: `python -m host.bench` (layer, scaling, serving), host.bench.rtl_cycles
(the RTL's cycles on big graphs), host.bench.sim_speed (the sim backend's speed)."""
