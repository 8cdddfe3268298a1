# run_hls.tcl -- Vitis HLS flow for the gnn_agg kernel: C simulation, C synthesis, C/RTL
# co-simulation and export as a Vivado IP catalog entry with the contract's VLNV.
#
#   vitis_hls -f hls/flow/run_hls.tcl -tclargs BUILD_TCL OUT_DIR CSIM_VECTORS COSIM_VECTORS STEP...
#
# BUILD_TCL: the data of an HLS build of the registry (golden/builds.py; common.tcl, load_build).
#
# STEP: csim, csynth, cosim, export (in that order; hls/flow/bitstream.py runs csim csynth export,
# HLS_STEPS overrides). The vector directories come from python -m golden.vectors_cli; the
# exported IP lands in OUT_DIR/gnn_agg_prj/sol/impl/ip, and csynth writes OUT_DIR/files.f, the
# generated Verilog in compile order-independent form, for simulating it like rtl/files.f.
source [file join [file dirname [info script]] common.tcl]

if {[llength $argv] < 5} {
    error "usage: vitis_hls -f run_hls.tcl -tclargs BUILD_TCL OUT_DIR CSIM_VECTORS COSIM_VECTORS STEP..."
}
lassign $argv build_tcl out_dir csim_vectors cosim_vectors
set steps [lrange $argv 4 end]
foreach step $steps {
    if {$step ni {csim csynth cosim export}} { error "unknown step '$step' (csim, csynth, cosim, export)" }
}
set board [load_build $build_tcl]
set cflags "-I$REPO_ROOT/hls [hls_defines $board]"

open_project -reset [file join $out_dir gnn_agg_prj]
set_top gnn_agg
add_files [file join $REPO_ROOT hls gnn_agg.cpp] -cflags $cflags
add_files -tb [file join $REPO_ROOT hls tb tb_gnn_agg.cpp] -cflags $cflags
open_solution -reset -flow_target vivado sol
set_part [dict get $board part]
create_clock -period [clock_period_ns $board] -name default
config_export -format ip_catalog -rtl verilog -vendor $GNN_AGG_VENDOR -library $GNN_AGG_LIBRARY \
    -ipname $GNN_AGG_NAME -version $GNN_AGG_VERSION -display_name "GNN aggregation (gnn_agg, HLS)"

if {"csim" in $steps} { csim_design -argv $csim_vectors }
if {"csynth" in $steps || "cosim" in $steps || "export" in $steps} {
    csynth_design
    set verilog [lsort [glob -directory [file join $out_dir gnn_agg_prj sol syn verilog] *.v]]
    set f [open [file join $out_dir files.f] w]
    puts $f [join $verilog "\n"]
    close $f
}
# co-simulation memories are `depth` words from address 0 (hls/gnn_agg.cpp): the testbench pads
if {"cosim" in $steps} { cosim_design -rtl verilog -argv "$cosim_vectors --min-words 1048576" }
if {"export" in $steps} { export_design -format ip_catalog }
close_project
