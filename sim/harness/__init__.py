"""The C++ Verilator harness (harness.cpp) and its cached build (build.py); host/driver/backends/sim.py
loads the library it produces."""
