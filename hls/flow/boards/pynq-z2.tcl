# PYNQ-Z2 (TUL, Zynq-7020): PYNQ 3.0 image (PYNQ 4.0 dropped Zynq-7000 boards).
# Data only: hls/flow/bd.tcl builds the block design from it.
dict set board name pynq-z2
dict set board part xc7z020clg400-1
dict set board board_part_glob {tul.com.tw:pynq-z2:part0:*}
dict set board family zynq7
# node table memory of the HLS kernel (-DGNN_AGG_TABLE_IMPL)
dict set board table_impl bram
dict set board clock_mhz 100
# golden.contract.BOARDS["pynq-z2"] with the HLS kernel's one processing element
dict set board hw {BUS_BITS 64 LANES 16 PES 1 MAX_FEAT 256 TABLE_ELEMS 131072}
# PS master for control, PS slave port for kernel memory traffic, its DDR segments
dict set board control_base 0x40000000
dict set board intc_base 0x40010000
dict set board ddr_segments {HP0_DDR_LOWOCM}
