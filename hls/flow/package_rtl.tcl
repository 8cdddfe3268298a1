# package_rtl.tcl -- package the RTL kernel (rtl/files.f) as a Vivado IP with the same VLNV,
# ports and register map as the HLS export, so the block design and the host driver take either.
#
#   vivado -mode batch -source hls/flow/package_rtl.tcl -tclargs BUILD_TCL IP_REPO
#
# BUILD_TCL: the data of an RTL build of the registry (golden/builds.py; common.tcl, load_build).
# The RTL is elaborated with the build's parameters (every one of BUS_BITS, LANES, PES, MAX_FEAT,
# TABLE_ELEMS and the number formats) and the IP's parameters default to them; bd.tcl sets them
# on the instance as well.
source [file join [file dirname [info script]] common.tcl]

if {[llength $argv] != 2} { error "usage: vivado -mode batch -source package_rtl.tcl -tclargs BUILD_TCL IP_REPO" }
lassign $argv build_tcl ip_repo
set board [load_build $build_tcl]
if {[dict get $board impl] ne "rtl"} { error "build [dict get $board build] is not an RTL build" }
set ip_dir [file join [file normalize $ip_repo] $GNN_AGG_NAME]

create_project -in_memory -part [dict get $board part]
read_verilog -sv [read_file_list [file join $REPO_ROOT rtl files.f]]
set_property top gnn_agg [current_fileset]
set_property generic [lmap {key value} [dict get $board hw] {string cat $key = $value}] [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir $ip_dir -vendor $GNN_AGG_VENDOR -library $GNN_AGG_LIBRARY \
    -taxonomy /UserIP -import_files -set_current true -force
set core [ipx::current_core]
set_property -dict [list name $GNN_AGG_NAME version $GNN_AGG_VERSION \
    display_name "GNN aggregation (gnn_agg, RTL)" \
    description "docs/CONTRACT.md: CSR neighbour aggregation with normalization, W and ReLU" \
    supported_families {zynq Production zynquplus Production}] $core

# s_axi_control_* and m_axi_gmem_* are inferred as AXI interfaces from their names; tie them to
# the clock, give the reset its polarity, declare the interrupt and the register block.
ipx::associate_bus_interfaces -busif s_axi_control -clock ap_clk $core
ipx::associate_bus_interfaces -busif m_axi_gmem -clock ap_clk $core
set_property value ACTIVE_LOW [ipx::add_bus_parameter POLARITY [ipx::get_bus_interfaces ap_rst_n -of_objects $core]]
ipx::infer_bus_interface interrupt xilinx.com:signal:interrupt_rtl:1.0 $core
set_property value LEVEL_HIGH [ipx::add_bus_parameter SENSITIVITY [ipx::get_bus_interfaces interrupt -of_objects $core]]
set regs [ipx::add_memory_map s_axi_control $core]
set_property slave_memory_map_ref s_axi_control [ipx::get_bus_interfaces s_axi_control -of_objects $core]
set block [ipx::add_address_block Reg $regs]
set_property -dict {range 65536 width 32 usage register} $block

# the build's parameters are the IP's defaults too
dict for {key value} [dict get $board hw] {
    set_property value $value [ipx::get_user_parameters $key -of_objects $core]
}

ipx::create_xgui_files $core
ipx::update_checksums $core
ipx::check_integrity $core
ipx::save_core $core
close_project
