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

# The build's data dict: board facts, kernel parameters and clock of one registry build
# (golden/builds.py), in the file hls/flow/bitstream.py writes before the tools run
# (build/hls/flow/<dir>/build.tcl; by hand: python -m golden.builds tcl BUILD > build.tcl).
# Keys: name (board), build, impl, part, board_part_glob, family, table_impl, clock_mhz,
# hw (RTL parameter dict), hls_defines, control_base, intc_base, ddr_segments.
proc load_build {path} {
    if {![file isfile $path]} {
        error "no build data file '$path': hls/flow/bitstream.py writes it from golden/builds.py\
            (python -m golden.builds tcl BUILD > FILE)"
    }
    set board [dict create]
    source $path
    foreach key {name build impl part board_part_glob family table_impl clock_mhz hw hls_defines
                 control_base intc_base ddr_segments} {
        if {![dict exists $board $key]} { error "$path: build data without '$key'" }
    }
    return $board
}

# -D flags that build the HLS kernel for the build (hls/gnn_agg_types.h, hls/gather.h): written by
# the registry (golden.builds.Build.hls_defines), so the same as hls/csim.py's; PES is 1 there.
proc hls_defines {board} {
    if {[dict get $board impl] ne "hls"} {
        error "build [dict get $board build] is an [dict get $board impl] build: the HLS kernel has one\
            processing element and its own builds (golden/builds.py)"
    }
    return [dict get $board hls_defines]
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
