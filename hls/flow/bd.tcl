# bd.tcl -- the block design around the gnn_agg kernel, for one build's data dict (common.tcl,
# load_build: the board's facts and the build's kernel parameters and clock).
#
#   PS master ──> SmartConnect (control) ──> gnn_agg s_axi_control
#                                       └──> AXI INTC s_axi  (PYNQ reads interrupts through it)
#   gnn_agg m_axi_gmem ──> SmartConnect (memory) ──> PS high-performance slave port ──> DDR
#   gnn_agg interrupt ──> AXI INTC ──> PS IRQ
#   one PL clock and one synchronous reset (proc_sys_reset) for everything
#
# The family procs return the PS pin names, so the rest is board independent.

# Zynq-7000: M_AXI_GP0 for control, S_AXI_HP0 (64 bit) for memory, IRQ_F2P.
proc create_ps_zynq7 {board} {
    set ps [create_bd_cell -type ip -vlnv [newest_ipdef xilinx.com:ip:processing_system7] ps]
    apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
        -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} $ps
    set_property -dict [list \
        CONFIG.PCW_USE_M_AXI_GP0 {1} \
        CONFIG.PCW_USE_S_AXI_HP0 {1} \
        CONFIG.PCW_S_AXI_HP0_DATA_WIDTH [dict get $board hw BUS_BITS] \
        CONFIG.PCW_USE_FABRIC_INTERRUPT {1} \
        CONFIG.PCW_IRQ_F2P_INTR {1} \
        CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ [dict get $board clock_mhz]] $ps
    return [dict create cell $ps clock ps/FCLK_CLK0 resetn ps/FCLK_RESET0_N \
        master ps/M_AXI_GP0 master_clock ps/M_AXI_GP0_ACLK \
        slave ps/S_AXI_HP0 slave_clock ps/S_AXI_HP0_ACLK slave_segments ps/S_AXI_HP0 \
        irq ps/IRQ_F2P]
}

# Zynq UltraScale+: M_AXI_HPM0_FPD for control, S_AXI_HP0_FPD (128 bit) for memory, pl_ps_irq0.
proc create_ps_zynqmp {board} {
    set ps [create_bd_cell -type ip -vlnv [newest_ipdef xilinx.com:ip:zynq_ultra_ps_e] ps]
    apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset "1"} $ps
    set_property -dict [list \
        CONFIG.PSU__USE__M_AXI_GP0 {1} \
        CONFIG.PSU__USE__M_AXI_GP1 {0} \
        CONFIG.PSU__USE__M_AXI_GP2 {0} \
        CONFIG.PSU__USE__S_AXI_GP2 {1} \
        CONFIG.PSU__SAXIGP2__DATA_WIDTH [dict get $board hw BUS_BITS] \
        CONFIG.PSU__USE__IRQ0 {1} \
        CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ [dict get $board clock_mhz]] $ps
    return [dict create cell $ps clock ps/pl_clk0 resetn ps/pl_resetn0 \
        master ps/M_AXI_HPM0_FPD master_clock ps/maxihpm0_fpd_aclk \
        slave ps/S_AXI_HP0_FPD slave_clock ps/saxihp0_fpd_aclk slave_segments ps/SAXIGP2 \
        irq ps/pl_ps_irq0]
}

# The kernel: the HLS export has its parameters compiled in; the packaged RTL takes every one of
# the build's parameters (golden.builds.rtl_parameters: PES and the number formats included) here.
proc create_kernel {board impl} {
    set kernel [create_bd_cell -type ip -vlnv $::GNN_AGG_VLNV gnn_agg_0]
    if {$impl eq "rtl"} {
        set params {}
        dict for {key value} [dict get $board hw] { lappend params CONFIG.$key $value }
        set_property -dict $params $kernel
    }
    return $kernel
}

proc build_block_design {board impl} {
    create_bd_design gnn_agg
    set ps [create_ps_[dict get $board family] $board]
    set kernel [create_kernel $board $impl]

    set ctrl_ic [create_bd_cell -type ip -vlnv [newest_ipdef xilinx.com:ip:smartconnect] control_ic]
    set_property -dict {CONFIG.NUM_SI {1} CONFIG.NUM_MI {2}} $ctrl_ic
    set mem_ic [create_bd_cell -type ip -vlnv [newest_ipdef xilinx.com:ip:smartconnect] memory_ic]
    set_property -dict {CONFIG.NUM_SI {1} CONFIG.NUM_MI {1}} $mem_ic
    set intc [create_bd_cell -type ip -vlnv [newest_ipdef xilinx.com:ip:axi_intc] intc]
    # one level-sensitive output into the PS, as PYNQ's interrupt support expects
    set_property -dict {CONFIG.C_IRQ_CONNECTION {1} CONFIG.C_IRQ_IS_LEVEL {1}} $intc
    set rst [create_bd_cell -type ip -vlnv [newest_ipdef xilinx.com:ip:proc_sys_reset] reset]

    # clock and reset
    set clk [dict get $ps clock]
    connect_bd_net [get_bd_pins $clk] [get_bd_pins [dict get $ps master_clock]] \
        [get_bd_pins [dict get $ps slave_clock]] [get_bd_pins gnn_agg_0/ap_clk] \
        [get_bd_pins control_ic/aclk] [get_bd_pins memory_ic/aclk] [get_bd_pins intc/s_axi_aclk] \
        [get_bd_pins reset/slowest_sync_clk]
    connect_bd_net [get_bd_pins [dict get $ps resetn]] [get_bd_pins reset/ext_reset_in]
    connect_bd_net [get_bd_pins reset/peripheral_aresetn] [get_bd_pins gnn_agg_0/ap_rst_n] \
        [get_bd_pins control_ic/aresetn] [get_bd_pins memory_ic/aresetn] [get_bd_pins intc/s_axi_aresetn]

    # control path
    connect_bd_intf_net [get_bd_intf_pins [dict get $ps master]] [get_bd_intf_pins control_ic/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins control_ic/M00_AXI] [get_bd_intf_pins gnn_agg_0/s_axi_control]
    connect_bd_intf_net [get_bd_intf_pins control_ic/M01_AXI] [get_bd_intf_pins intc/s_axi]
    # memory path
    connect_bd_intf_net [get_bd_intf_pins gnn_agg_0/m_axi_gmem] [get_bd_intf_pins memory_ic/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins memory_ic/M00_AXI] [get_bd_intf_pins [dict get $ps slave]]
    # interrupt
    connect_bd_net [get_bd_pins gnn_agg_0/interrupt] [get_bd_pins intc/intr]
    connect_bd_net [get_bd_pins intc/irq] [get_bd_pins [dict get $ps irq]]

    # address map: registers at fixed offsets; the kernel sees all of the PS DDR
    set master_space [get_bd_addr_spaces ps/Data]
    assign_bd_address -offset [dict get $board control_base] -range 64K -target_address_space $master_space \
        [get_bd_addr_segs gnn_agg_0/s_axi_control/Reg]
    assign_bd_address -offset [dict get $board intc_base] -range 64K -target_address_space $master_space \
        [get_bd_addr_segs intc/S_AXI/Reg]
    set kernel_space [get_bd_addr_spaces -of_objects $kernel]
    foreach segment [dict get $board ddr_segments] {
        assign_bd_address -target_address_space $kernel_space \
            [get_bd_addr_segs [dict get $ps slave_segments]/$segment]
    }

    validate_bd_design
    save_bd_design
}
