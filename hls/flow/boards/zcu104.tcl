# ZCU104 (Zynq UltraScale+ XCZU7EV): current PYNQ.
# Data only: hls/flow/bd.tcl builds the block design from it.
dict set board name zcu104
dict set board part xczu7ev-ffvc1156-2-e
dict set board board_part_glob {xilinx.com:zcu104:part0:*}
dict set board family zynqmp
# node table memory of the HLS kernel (-DGNN_AGG_TABLE_IMPL)
dict set board table_impl uram
dict set board clock_mhz 200
# golden.contract.BOARDS["zcu104"] with the HLS kernel's one processing element
dict set board hw {BUS_BITS 128 LANES 64 PES 1 MAX_FEAT 256 TABLE_ELEMS 1048576}
dict set board control_base 0xA0000000
dict set board intc_base 0xA0010000
dict set board ddr_segments {HP0_DDR_LOW HP0_DDR_HIGH}
