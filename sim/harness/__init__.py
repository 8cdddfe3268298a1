"""The C++ Verilator harness (harness.cpp) and its cached build (build.py); host/backends/sim.py
loads the library it produces."""
