# common.tcl -- shared by the Vitis HLS and Vivado scripts of the gnn_agg flow.
#
# Written for Vivado and Vitis HLS 2023.2 (see docs/HLS.md). Xilinx IP versions are not pinned:
# newest_ipdef picks the newest installed version of each IP, so nearby releases work too.

# golden.contract.VLNV: the host driver binds to it (host/backends/board.py); both kernel
# variants (HLS export, packaged RTL) carry it.
set GNN_AGG_VENDOR gnnagg
set GNN_AGG_LIBRARY hls
set GNN_AGG_NAME gnn_agg
set GNN_AGG_VERSION 1.0
set GNN_AGG_VLNV "$GNN_AGG_VENDOR:$GNN_AGG_LIBRARY:$GNN_AGG_NAME:$GNN_AGG_VERSION"
set FLOW_DIR [file normalize [file dirname [info script]]]
set REPO_ROOT [file normalize [file join $FLOW_DIR .. ..]]

# The board's data dict (hls/flow/boards/<name>.tcl).
proc load_board {name} {
    set path [file join $::FLOW_DIR boards $name.tcl]
    if {![file exists $path]} {
        set known [lsort [lmap f [glob -directory [file join $::FLOW_DIR boards] *.tcl] {file rootname [file tail $f]}]]
        error "unknown board '$name' (known: [join $known {, }])"
    }
    set board [dict create]
    source $path
    return $board
}

# -D flags that build the HLS kernel for the board (hls/gnn_agg_types.h); PES is fixed at 1 there.
proc hls_defines {board} {
    set flags [list "-DGNN_AGG_TABLE_IMPL=[dict get $board table_impl]"]
    dict for {key value} [dict get $board hw] {
        if {$key ne "PES"} { lappend flags "-DGNN_AGG_${key}=$value" }
    }
    return [join $flags " "]
}

proc clock_period_ns {board} {
    return [format %.3f [expr {1000.0 / [dict get $board clock_mhz]}]]
}

# Newest installed version of a Xilinx IP, e.g. newest_ipdef xilinx.com:ip:smartconnect.
proc newest_ipdef {vlnv_prefix} {
    set defs [get_ipdefs -all "$vlnv_prefix:*"]
    if {[llength $defs] == 0} { error "IP $vlnv_prefix is not in the IP catalog" }
    return [lindex [lsort -dictionary $defs] end]
}

# rtl/files.f: one source per line, relative to the repository root; # or // start a comment.
proc read_file_list {path} {
    set f [open $path]
    set files {}
    foreach line [split [read $f] "\n"] {
        set line [string trim $line]
        if {$line eq "" || [string match "#*" $line] || [string match "//*" $line]} continue
        lappend files [file join $::REPO_ROOT $line]
    }
    close $f
    if {[llength $files] == 0} { error "$path lists no sources" }
    return $files
}
