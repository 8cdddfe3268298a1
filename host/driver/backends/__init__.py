"""Backends of host.driver.Accelerator: cpu (golden model), and sim / board, which share
device.py (buffer packing and register sequence) over their own transports. They import only
host.driver.types and golden, never the Accelerator."""
