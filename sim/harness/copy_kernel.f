// the harness test fixture (tests/test_host_harness.py), not the accelerator
sim/harness/copy_kernel.sv
