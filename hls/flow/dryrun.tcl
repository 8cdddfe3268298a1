# dryrun.tcl -- run the flow's scripts under plain tclsh, with the Vivado / Vitis HLS commands
# they use replaced by stubs that record each call. Checks the scripts where the tools are absent.
#
#   tclsh hls/flow/dryrun.tcl vivado [-mode batch] -source SCRIPT [-tclargs ARG...]
#   tclsh hls/flow/dryrun.tcl vitis_hls -f SCRIPT [-tclargs ARG...]
#   tclsh hls/flow/dryrun.tcl vivado|vitis_hls -version
#
# Every stubbed call is appended to $GNN_AGG_DRYRUN_LOG (default: stdout) as one JSON array of
# strings: ["connect_bd_intf_net", "/control_ic/M00_AXI", "/gnn_agg_0/s_axi_control"]. Stubs
# return objects shaped like the tools' and leave the files a real run leaves (component.xml of
# an exported or packaged IP, wrapper, bitstream, hardware handoff) under $GNN_AGG_DRYRUN_DIR,
# so the scripts' own file handling runs for real. Only commands named here exist: a misspelt
# tool command fails the dry run.

set DRY_VERSION 2023.2
set DRY_DIR [file normalize [expr {[info exists env(GNN_AGG_DRYRUN_DIR)] ? $env(GNN_AGG_DRYRUN_DIR) : "dryrun"}]]
set DRY_LOG [expr {[info exists env(GNN_AGG_DRYRUN_LOG)] ? [open $env(GNN_AGG_DRYRUN_LOG) a] : "stdout"}]
set XILINX_IP_VERSIONS {processing_system7 5.5 zynq_ultra_ps_e 3.5 smartconnect 1.0 axi_intc 4.1 proc_sys_reset 5.0}

proc json_string {s} {
    return "\"[string map {\\ \\\\ \" \\\" \n \\n \r \\r \t \\t} $s]\""
}

proc record {args} {
    puts $::DRY_LOG "\[[join [lmap a $args {json_string $a}] {, }]\]"
    flush $::DRY_LOG
}

# stub NAME BODY: NAME records its call, then BODY runs with `args` and returns its result.
proc stub {name body} {
    proc $name args "record [list $name] {*}\$args\n$body"
}

proc plain_args {argv} {
    # the arguments that are not -options or their values (good enough for the calls we stub)
    set out {}
    set skip 0
    foreach a $argv {
        if {$skip} { set skip 0; continue }
        if {[string match -* $a]} {
            if {$a ni {-all -quiet -top -force -reset -tb -norecurse -import_files -in_memory}} {
                set skip 1
            }
            continue
        }
        lappend out $a
    }
    return $out
}

proc option {argv name {default ""}} {
    set i [lsearch -exact $argv $name]
    return [expr {$i < 0 ? $default : [lindex $argv [expr {$i + 1}]]}]
}

proc touch {path content} {
    file mkdir [file dirname $path]
    set f [open $path w]
    puts $f $content
    close $f
    return $path
}

proc bd_path {name} { return [expr {[string match /* $name] ? $name : "/$name"}] }

# ---- both tools ----------------------------------------------------------------------------
foreach cmd {close_project set_part update_compile_order} { stub $cmd {} }
stub add_files {}

# ---- Vitis HLS -----------------------------------------------------------------------------
stub open_project { set ::hls_project [lindex [plain_args $args] 0]; return }
stub open_solution { set ::hls_solution [lindex [plain_args $args] 0]; return }
foreach cmd {set_top create_clock config_export config_interface csim_design cosim_design} {
    stub $cmd {}
}
stub csynth_design {
    foreach module {gnn_agg gnn_agg_control_s_axi gnn_agg_gmem_m_axi} {
        touch [file join $::hls_project $::hls_solution syn verilog $module.v] "// dry run: $module"
    }
    return
}
stub export_design {
    touch [file join $::hls_project $::hls_solution impl ip component.xml] "dry run: exported IP"
    return
}

# ---- Vivado --------------------------------------------------------------------------------
set ip_repo_paths {}
foreach cmd {update_ip_catalog apply_bd_automation connect_bd_net connect_bd_intf_net assign_bd_address
             validate_bd_design save_bd_design create_bd_design wait_on_run read_verilog} {
    stub $cmd {}
}
stub create_project { set ::project_dir [lindex [plain_args $args] 1]; return }
stub current_project { return gnn_agg_project }
stub current_fileset { return sources_1 }
stub set_property {
    if {[lindex $args 0] eq "ip_repo_paths"} { set ::ip_repo_paths [lindex $args 1] }
    return
}
stub get_board_parts {
    set glob [lindex [plain_args $args] 0]
    return [string map {* 1.4} $glob]
}
stub get_ipdefs {
    set pattern [lindex [plain_args $args] 0]
    lassign [split $pattern :] vendor library name version
    if {$vendor eq "xilinx.com"} {
        return [expr {[dict exists $::XILINX_IP_VERSIONS $name] ? "$vendor:$library:$name:[dict get $::XILINX_IP_VERSIONS $name]" : ""}]
    }
    # a user IP exists when a repository path holds a component.xml (export or package step)
    foreach repo $::ip_repo_paths {
        if {[llength [glob -nocomplain -directory $repo component.xml */component.xml]]} { return $pattern }
    }
    return ""
}
stub create_bd_cell {
    set name [bd_path [lindex [plain_args $args] 0]]
    set ::cell_vlnv($name) [option $args -vlnv]
    return $name
}
foreach cmd {get_bd_cells get_bd_pins get_bd_intf_pins get_bd_addr_segs} {
    stub $cmd { return [lmap a [plain_args $args] {bd_path $a}] }
}
stub get_bd_addr_spaces {
    set of [option $args -of_objects]
    if {$of ne ""} {
        # the HLS export names its master's space Data_m_axi_<bundle>; the packager m_axi_<bundle>
        return [expr {[string match *gnn_agg* $::cell_vlnv($of)] ? "$of/Data_m_axi_gmem" : "$of/Data"}]
    }
    return [lmap a [plain_args $args] {bd_path $a}]
}
stub get_files {
    set of [option $args -of_objects]
    set bd [file join $::project_dir gnn_agg.srcs sources_1 bd gnn_agg gnn_agg.bd]
    if {$of ne ""} { return [concat [list $bd] [glob -nocomplain [file join $::DRY_DIR handoff *.hwh]]] }
    return $bd
}
stub generate_target { touch [file join $::DRY_DIR handoff gnn_agg.hwh] "dry run: hardware handoff"; return }
stub make_wrapper { return [touch [file join $::DRY_DIR hdl gnn_agg_wrapper.v] "// dry run: wrapper"] }
stub launch_runs {
    set ::run_launched 1
    touch [file join $::DRY_DIR runs impl_1 gnn_agg_wrapper.bit] "dry run: bitstream"
    return
}
stub get_runs { return [plain_args $args] }
stub get_property {
    lassign $args property object
    switch -- $property {
        PROGRESS { return [expr {[info exists ::run_launched] ? "100%" : "0%"}] }
        STATUS { return [expr {[info exists ::run_launched] ? "write_bitstream Complete!" : "Not started"}] }
        STATS.WNS { return 0.052 }
        DIRECTORY { return [file join $::DRY_DIR runs $object] }
        default { return "" }
    }
}

namespace eval ipx {}
stub ipx::package_project { set ::ipx_root [option $args -root_dir]; return }
stub ipx::current_core { return core }
foreach cmd {ipx::associate_bus_interfaces ipx::infer_bus_interface ipx::create_xgui_files
             ipx::update_checksums ipx::check_integrity} {
    stub $cmd {}
}
stub ipx::add_bus_parameter { return "bus_parameter:[lindex $args 0]" }
stub ipx::get_bus_interfaces { return "bus_interface:[lindex [plain_args $args] 0]" }
stub ipx::add_memory_map { return "memory_map:[lindex $args 0]" }
stub ipx::get_user_parameters { return "user_parameter:[lindex [plain_args $args] 0]" }
stub ipx::add_address_block { return "address_block:[lindex $args 0]" }
stub ipx::save_core { touch [file join $::ipx_root component.xml] "dry run: packaged IP"; return }

# ---- the command line ----------------------------------------------------------------------
set tool [lindex $argv 0]
set tool_args [lrange $argv 1 end]
if {$tool ni {vivado vitis_hls}} { puts stderr "usage: tclsh dryrun.tcl vivado|vitis_hls TOOL_ARGS..."; exit 2 }
if {"-version" in $tool_args} {
    puts [expr {$tool eq "vivado" ? "Vivado v$DRY_VERSION (64-bit) \[dry run\]" : "Vitis HLS v$DRY_VERSION \[dry run\]"}]
    exit 0
}
set script [option $tool_args [expr {$tool eq "vivado" ? "-source" : "-f"}]]
set i [lsearch -exact $tool_args -tclargs]
set argv [expr {$i < 0 ? {} : [lrange $tool_args [expr {$i + 1}] end]}]
set argc [llength $argv]
set argv0 $script
record $tool {*}$tool_args
if {[catch {uplevel #0 [list source $script]} message]} {
    puts stderr "ERROR: \[$tool dry run\] $message"
    exit 1
}
exit 0
