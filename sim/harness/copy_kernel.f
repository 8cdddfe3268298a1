// the harness test fixture (tests/sim/test_harness.py), not the accelerator
sim/harness/copy_kernel.sv
