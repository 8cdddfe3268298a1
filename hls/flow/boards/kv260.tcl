# Kria KV260 (K26 SOM, Zynq UltraScale+ XCK26): current PYNQ (Kria-PYNQ).
# Data only: hls/flow/bd.tcl builds the block design from it.
dict set board name kv260
dict set board part xck26-sfvc784-2LV-c
dict set board board_part_glob {xilinx.com:kv260_som:part0:*}
dict set board family zynqmp
# node table memory of the HLS kernel (-DGNN_AGG_TABLE_IMPL)
dict set board table_impl uram
dict set board clock_mhz 200
# golden.contract.BOARDS["kv260"] with the HLS kernel's one processing element
dict set board hw {BUS_BITS 128 LANES 64 PES 1 MAX_FEAT 256 TABLE_ELEMS 1048576}
dict set board control_base 0xA0000000
dict set board intc_base 0xA0010000
dict set board ddr_segments {HP0_DDR_LOW HP0_DDR_HIGH}
