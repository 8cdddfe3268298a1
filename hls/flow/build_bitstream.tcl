# build_bitstream.tcl -- Vivado project, block design, implementation and bitstream for one
# board, then the overlay (.bit + .hwh) copied to where the host driver looks for it.
#
#   vivado -mode batch -source hls/flow/build_bitstream.tcl \
#       -tclargs BUILD_TCL IP_REPO BUILD_DIR OVERLAY_DIR JOBS
#
# BUILD_TCL: the data of one registry build (golden/builds.py; common.tcl, load_build): the board,
# the kernel (impl: which kernel IP IP_REPO holds), its parameters and clock. OVERLAY_DIR receives gnn_agg.bit and
# gnn_agg.hwh (PYNQ wants them side by side with the same base name).
source [file join [file dirname [info script]] common.tcl]
source [file join $FLOW_DIR bd.tcl]

if {[llength $argv] != 5} {
    error "usage: vivado -mode batch -source build_bitstream.tcl -tclargs BUILD_TCL IP_REPO BUILD_DIR OVERLAY_DIR JOBS"
}
lassign $argv build_tcl ip_repo build_dir overlay_dir jobs
set board [load_build $build_tcl]
set board_name [dict get $board name]
set impl [dict get $board impl]
if {$impl ni {hls rtl}} { error "impl must be hls or rtl, got '$impl'" }

create_project -force gnn_agg_$board_name $build_dir -part [dict get $board part]
set board_part [lindex [lsort -dictionary [get_board_parts -quiet [dict get $board board_part_glob]]] end]
if {$board_part eq ""} {
    error "board files for [dict get $board board_part_glob] are not installed (Vivado: Tools > Vivado Store > Boards)"
}
set_property board_part $board_part [current_project]
set_property ip_repo_paths [list [file normalize $ip_repo]] [current_project]
update_ip_catalog
if {[llength [get_ipdefs -all $GNN_AGG_VLNV]] == 0} { error "$GNN_AGG_VLNV is not in $ip_repo" }

build_block_design $board $impl
set bd_file [get_files gnn_agg.bd]
generate_target all $bd_file
add_files -norecurse [make_wrapper -files $bd_file -top]
set_property top gnn_agg_wrapper [current_fileset]
update_compile_order -fileset sources_1

launch_runs impl_1 -to_step write_bitstream -jobs $jobs
wait_on_run impl_1
set run [get_runs impl_1]
if {[get_property PROGRESS $run] ne "100%" || ![string match "*Complete*" [get_property STATUS $run]]} {
    error "implementation did not finish: [get_property STATUS $run]"
}
set wns [get_property STATS.WNS $run]
if {$wns < 0} { error "timing not met at [dict get $board clock_mhz] MHz: WNS $wns ns" }

set bit [file join [get_property DIRECTORY $run] gnn_agg_wrapper.bit]
set hwh [lsearch -inline -glob [get_files -all -of_objects $bd_file] *gnn_agg.hwh]
if {$hwh eq ""} { error "no hardware handoff (.hwh) was generated for gnn_agg.bd" }
file mkdir $overlay_dir
file copy -force $bit [file join $overlay_dir gnn_agg.bit]
file copy -force $hwh [file join $overlay_dir gnn_agg.hwh]
puts "overlay: [file join $overlay_dir gnn_agg.bit] (+ .hwh), build [dict get $board build], WNS $wns ns at [dict get $board clock_mhz] MHz"
close_project
