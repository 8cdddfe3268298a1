"""The Vitis HLS / Vivado flow (hls/flow/), checked without the tools.

`make bitstream` without Vivado must fail naming the tool and version. With `vivado` and
`vitis_hls` on PATH being hls/flow/dryrun.tcl (plain tclsh, every tool command stubbed and
recorded), the whole flow runs end to end for every board and kernel variant, and the recorded
calls must show the registry's build (golden/builds.py) -- part, board files, clock, every kernel
parameter -- and the right IP, connections, address map and outputs."""
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from golden import builds
from golden.contract import FORMAT_FIELDS, VLNV

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "hls" / "flow"
BITSTREAM = FLOW / "bitstream.py"

pytestmark = pytest.mark.skipif(subprocess.run(["sh", "-c", "command -v tclsh"], capture_output=True).returncode,
                                reason="needs tclsh")

# What each board's design must be, from the board vendors' documentation.
PS = {
    "zynq7": dict(master="/ps/M_AXI_GP0", slave="/ps/S_AXI_HP0", irq="/ps/IRQ_F2P", clock="/ps/FCLK_CLK0",
                  width_key="CONFIG.PCW_S_AXI_HP0_DATA_WIDTH", freq_key="CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ"),
    "zynqmp": dict(master="/ps/M_AXI_HPM0_FPD", slave="/ps/S_AXI_HP0_FPD", irq="/ps/pl_ps_irq0",
                   clock="/ps/pl_clk0", width_key="CONFIG.PSU__SAXIGP2__DATA_WIDTH",
                   freq_key="CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ"),
}


def expected(build):
    """What the recorded calls must show for a registry build: its board's facts, its clock and
    its kernel parameters, all from golden/builds.py."""
    board = build.board_info
    ddr_port = "/ps/S_AXI_HP0" if board.family == "zynq7" else "/ps/SAXIGP2"
    return dict(part=board.part, family=board.family, board_part=board.board_part_glob, mhz=build.clock_mhz,
                table_impl=board.table_impl, control=board.control_base,
                ddr=[f"{ddr_port}/{seg}" for seg in board.ddr_segments])


@pytest.fixture(scope="module")
def fake_tools(tmp_path_factory):
    bin_dir = tmp_path_factory.mktemp("fake_xilinx_bin")
    for tool in ("vivado", "vitis_hls"):
        shim = bin_dir / tool
        shim.write_text(f'#!/bin/sh\nexec tclsh "{FLOW / "dryrun.tcl"}" {tool} "$@"\n')
        shim.chmod(0o755)
    return bin_dir


def tool_free_path(tmp_path) -> str:
    """PATH with python and the basics, but no Xilinx tools."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "tclsh"):
        target = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        (bin_dir / tool).symlink_to(target)
    return str(bin_dir)


@pytest.mark.parametrize("impl,missing", [("hls", "vivado and vitis_hls"), ("rtl", "vivado")])
def test_bitstream_without_tools_names_them(tmp_path, impl, missing):
    proc = subprocess.run([sys.executable, str(BITSTREAM), "--board", "kv260", "--impl", impl,
                           "--build-dir", str(tmp_path / "build"), "--overlay-dir", str(tmp_path / "overlays")],
                          capture_output=True, text=True, env={**os.environ, "PATH": tool_free_path(tmp_path)})
    assert proc.returncode == 2
    assert f"{missing} not found on PATH" in proc.stderr
    assert "Vivado 2023.2 and Vitis HLS 2023.2" in proc.stderr
    assert not (tmp_path / "overlays").exists() and not (tmp_path / "build").exists()


def run_flow(tmp_path, fake_tools, *selection):
    log = tmp_path / "calls.jsonl"
    env = {**os.environ, "PATH": f"{fake_tools}:{os.environ['PATH']}", "GNN_AGG_DRYRUN_LOG": str(log),
           "GNN_AGG_DRYRUN_DIR": str(tmp_path / "dry")}
    proc = subprocess.run([sys.executable, str(BITSTREAM), *selection,
                           "--build-dir", str(tmp_path / "build"), "--overlay-dir", str(tmp_path / "overlays")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [json.loads(line) for line in log.read_text().splitlines()], proc.stdout


def calls(log, name):
    return [c[1:] for c in log if c[0] == name]


def option(call, name):
    return call[call.index(name) + 1]


def props(call):
    """CONFIG.X value pairs of a `set_property -dict` call."""
    words = option(call, "-dict").replace("{", "").replace("}", "").split()
    return dict(zip(words[::2], words[1::2]))


@pytest.mark.parametrize("impl", ["hls", "rtl"])
@pytest.mark.parametrize("board", list(builds.BOARDS))
def test_flow_dry_run(tmp_path, fake_tools, board, impl):
    build = builds.bitstream_build(board, impl)
    log, stdout = run_flow(tmp_path, fake_tools, "--board", board, "--impl", impl)
    check_flow(tmp_path, log, stdout, build, board)


def test_flow_dry_run_of_a_named_build(tmp_path, fake_tools):
    """--build makes any registry build: here the 8-bit RTL build, its formats on the IP."""
    build = builds.build("pynq-z2-feat8")
    log, stdout = run_flow(tmp_path, fake_tools, "--build", build.name)
    check_flow(tmp_path, log, stdout, build, build.name)


def test_hls_flow_says_which_build_it_makes(tmp_path, fake_tools):
    _, stdout = run_flow(tmp_path, fake_tools, "--board", "kv260", "--impl", "hls", "--ip-only")
    hls, rtl = builds.bitstream_build("kv260", "hls"), builds.bitstream_build("kv260", "rtl")
    assert f"make bitstream: build {hls.describe()}" in stdout
    assert "PES=1" in hls.describe() and f"at {hls.clock_mhz:g} MHz" in hls.describe()
    assert f"the board's RTL build is {rtl.name} with PES={rtl.hw.pes}" in stdout


def test_bad_build_selections_are_refused(tmp_path):
    for args, message in ((["--build", "lanes8"], "no build 'lanes8' with a board"),
                          (["--build", "kv260-hls", "--impl", "rtl"], "build kv260-hls is for impl hls, not rtl"),
                          (["--board", "kv260"], "give --board and --impl, or --build")):
        proc = subprocess.run([sys.executable, str(BITSTREAM), *args, "--build-dir", str(tmp_path / "build")],
                              capture_output=True, text=True)
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr
        assert not (tmp_path / "build").exists()


def check_flow(tmp_path, log, stdout, build, overlay_name):
    """The recorded calls of one dry run make exactly `build`."""
    board, impl, hw = build.board, build.impl, build.hw
    rtl_params = {f.name.upper(): getattr(hw, f.name) for f in dataclasses.fields(hw)}
    want = expected(build)
    ps = PS[want["family"]]
    assert f"make bitstream: build {build.describe()}" in stdout

    # the kernel IP: built (HLS) or packaged (RTL) for the board, under the contract's VLNV
    vendor, library, name, version = VLNV.split(":")
    if impl == "hls":
        (add_src,) = [c for c in calls(log, "add_files") if "-cflags" in c and "-tb" not in c]
        defines = dict(re.findall(r"-DGNN_AGG_(\w+)=(\w+)", option(add_src, "-cflags")))
        assert defines == {"BUS_BITS": str(hw.bus_bits), "LANES": str(hw.lanes), "MAX_FEAT": str(hw.max_feat),
                           "TABLE_ELEMS": str(hw.table_elems), "TABLE_IMPL": want["table_impl"],
                           **{f.upper(): str(getattr(hw, f)) for f in FORMAT_FIELDS}}
        assert hw.pes == 1  # the HLS kernel's
        assert calls(log, "set_part") == [[want["part"]]]
        assert calls(log, "create_clock") == [["-period", f"{1000 / want['mhz']:.3f}", "-name", "default"]]
        (export,) = calls(log, "config_export")
        assert [option(export, k) for k in ("-vendor", "-library", "-ipname", "-version")] == \
            [vendor, library, name, version]
        (csim,) = calls(log, "csim_design")
        assert (Path(option(csim, "-argv")) / "index.txt").is_file()
        order = [c[0] for c in log if c[0] in ("csim_design", "csynth_design", "export_design")]
        assert order == ["csim_design", "csynth_design", "export_design"]
    else:
        (sources,) = calls(log, "read_verilog")
        lines = [ln.strip() for ln in (ROOT / "rtl" / "files.f").read_text().splitlines()]
        listed = [ln for ln in lines if ln and not ln.startswith(("#", "//"))]
        assert sources == ["-sv", " ".join(str(ROOT / f) for f in listed)]
        (package,) = calls(log, "ipx::package_project")
        assert [option(package, "-vendor"), option(package, "-library")] == [vendor, library]
        core = [c for c in calls(log, "set_property") if c[0] == "-dict" and c[-1] == "core"]
        assert props(core[0])["name"] == name and props(core[0])["version"] == version
        (block,) = [c for c in calls(log, "set_property") if c[-1] == "address_block:Reg"]
        assert props(block)["range"] == "65536"
        # elaborated with, and defaulting to, every parameter of the build
        (generic,) = [c for c in calls(log, "set_property") if c[0] == "generic"]
        assert generic == ["generic", " ".join(f"{k}={v}" for k, v in rtl_params.items()), "sources_1"]
        defaults = {c[-1].removeprefix("user_parameter:"): c[1] for c in calls(log, "set_property")
                    if c[-1].startswith("user_parameter:")}
        assert defaults == {k: str(v) for k, v in rtl_params.items()}

    # Vivado project on the board's part, with the board preset
    (project,) = [c for c in calls(log, "create_project") if "-in_memory" not in c]
    assert option(project, "-part") == want["part"]
    assert calls(log, "get_board_parts") == [["-quiet", want["board_part"]]]
    cells = {c[-1]: option(c, "-vlnv") for c in calls(log, "create_bd_cell")}
    assert cells["gnn_agg_0"] == VLNV
    ps_kind = "processing_system7" if want["family"] == "zynq7" else "zynq_ultra_ps_e"
    assert cells["ps"].startswith(f"xilinx.com:ip:{ps_kind}:")
    assert cells["control_ic"].startswith("xilinx.com:ip:smartconnect:")
    assert cells["memory_ic"].startswith("xilinx.com:ip:smartconnect:")
    assert cells["intc"].startswith("xilinx.com:ip:axi_intc:")
    ps_props = [props(c) for c in calls(log, "set_property") if c[0] == "-dict" and c[-1] == "/ps"][0]
    assert ps_props[ps["width_key"]] == str(hw.bus_bits)
    assert ps_props[ps["freq_key"]] == str(want["mhz"])
    kernel_props = [props(c) for c in calls(log, "set_property") if c[0] == "-dict" and c[-1] == "/gnn_agg_0"]
    if impl == "rtl":
        # every parameter of the registry build: PES and the number formats too
        assert kernel_props == [{f"CONFIG.{k}": str(v) for k, v in rtl_params.items()}]
    else:
        assert kernel_props == []

    # connections
    assert sorted(map(tuple, calls(log, "connect_bd_intf_net"))) == sorted([
        (ps["master"], "/control_ic/S00_AXI"),
        ("/control_ic/M00_AXI", "/gnn_agg_0/s_axi_control"),
        ("/control_ic/M01_AXI", "/intc/s_axi"),
        ("/gnn_agg_0/m_axi_gmem", "/memory_ic/S00_AXI"),
        ("/memory_ic/M00_AXI", ps["slave"]),
    ])
    nets = [set(c) for c in calls(log, "connect_bd_net")]
    assert {"/gnn_agg_0/interrupt", "/intc/intr"} in nets
    assert {"/intc/irq", ps["irq"]} in nets
    assert any({ps["clock"], "/gnn_agg_0/ap_clk", "/memory_ic/aclk", "/control_ic/aclk"} <= n for n in nets)
    assert any({"/reset/peripheral_aresetn", "/gnn_agg_0/ap_rst_n"} <= n for n in nets)

    # address map: registers at the board's control window, all PS DDR visible to the kernel
    assigned = calls(log, "assign_bd_address")
    (control,) = [c for c in assigned if c[-1] == "/gnn_agg_0/s_axi_control/Reg"]
    assert int(option(control, "-offset"), 16) == want["control"] and option(control, "-range") == "64K"
    kernel_segments = [c[-1] for c in assigned if option(c, "-target_address_space").startswith("/gnn_agg_0/")]
    assert kernel_segments == want["ddr"]

    # implementation to a bitstream, then the overlay where the host looks for it
    assert calls(log, "launch_runs") == [["impl_1", "-to_step", "write_bitstream", "-jobs", "2"]]
    overlay = tmp_path / "overlays" / overlay_name
    assert (overlay / "gnn_agg.bit").read_text() == "dry run: bitstream\n"
    assert (overlay / "gnn_agg.hwh").read_text() == "dry run: hardware handoff\n"
    assert f"{overlay}/gnn_agg.bit and gnn_agg.hwh" in stdout


def dry_run(tmp_path, tool, script_text, *tclargs):
    script = tmp_path / "script.tcl"
    script.write_text(script_text)
    flag = "-source" if tool == "vivado" else "-f"
    return subprocess.run(["tclsh", str(FLOW / "dryrun.tcl"), tool, flag, str(script), "-tclargs", *tclargs],
                          capture_output=True, text=True,
                          env={**os.environ, "GNN_AGG_DRYRUN_LOG": str(tmp_path / "log"),
                               "GNN_AGG_DRYRUN_DIR": str(tmp_path / "dry")})


def build_data(tmp_path, name):
    path = tmp_path / f"{name}.tcl"
    path.write_text(builds.tcl_data(builds.build(name)))
    return str(path)


def test_dry_run_rejects_unknown_commands_and_build_data(tmp_path):
    proc = dry_run(tmp_path, "vivado", "create_bd_design x\ncreate_bd_cel -type ip x\n")
    assert proc.returncode == 1 and 'invalid command name "create_bd_cel"' in proc.stderr
    proc = dry_run(tmp_path, "vitis_hls", f"source {FLOW / 'run_hls.tcl'}\n", "zedboard", "out", "v", "c", "csim")
    assert proc.returncode == 1 and "no build data file 'zedboard': hls/flow/bitstream.py writes it" in proc.stderr
    # an RTL build's data is no HLS build, and the other way round
    proc = dry_run(tmp_path, "vitis_hls", f"source {FLOW / 'run_hls.tcl'}\n", build_data(tmp_path, "kv260"),
                   "out", "v", "c", "csim")
    assert proc.returncode == 1 and "build kv260 is an rtl build: the HLS kernel has one" in proc.stderr
    proc = dry_run(tmp_path, "vivado", f"source {FLOW / 'package_rtl.tcl'}\n", build_data(tmp_path, "kv260-hls"),
                   str(tmp_path / "ip"))
    assert proc.returncode == 1 and "build kv260-hls is not an RTL build" in proc.stderr


def test_unknown_board_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, str(BITSTREAM), "--board", "zedboard", "--impl", "rtl"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice: 'zedboard'" in proc.stderr


def test_build_stops_when_the_kernel_ip_is_missing(tmp_path):
    """An IP repository without the exported kernel must stop the build before the design."""
    proc = subprocess.run(["tclsh", str(FLOW / "dryrun.tcl"), "vivado", "-source", str(FLOW / "build_bitstream.tcl"),
                           "-tclargs", build_data(tmp_path, "kv260-hls"), str(tmp_path / "empty_repo"),
                           str(tmp_path / "prj"), str(tmp_path / "overlay"), "2"],
                          capture_output=True, text=True,
                          env={**os.environ, "GNN_AGG_DRYRUN_LOG": str(tmp_path / "log"),
                               "GNN_AGG_DRYRUN_DIR": str(tmp_path / "dry")})
    assert proc.returncode == 1 and f"{VLNV} is not in {tmp_path / 'empty_repo'}" in proc.stderr
    assert "create_bd_design" not in (tmp_path / "log").read_text()


def test_cosim_memory_depth_matches_the_interface():
    """cosim pads the testbench memory to the m_axi depth the interface pragmas declare."""
    src = (ROOT / "hls" / "gnn_agg.cpp").read_text()
    depths = set(re.findall(r"mode = m_axi .*? depth = (\d+)", src))
    (min_words,) = re.findall(r"--min-words (\d+)", (FLOW / "run_hls.tcl").read_text())
    assert depths == {min_words}


def test_ip_only_gives_the_generated_verilog_for_simulation(tmp_path, fake_tools):
    """--ip-only stops before Vivado; the HLS build lists its Verilog in files.f (make sim IMPL=hls)."""
    log = tmp_path / "calls.jsonl"
    env = {**os.environ, "PATH": f"{fake_tools}:{os.environ['PATH']}", "GNN_AGG_DRYRUN_LOG": str(log),
           "GNN_AGG_DRYRUN_DIR": str(tmp_path / "dry")}
    proc = subprocess.run([sys.executable, str(BITSTREAM), "--board", "pynq-z2", "--impl", "hls", "--ip-only",
                           "--build-dir", str(tmp_path / "build")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tools = [json.loads(line)[0] for line in log.read_text().splitlines()]
    assert "vitis_hls" in tools and "vivado" not in tools
    vitis = tmp_path / "build" / "pynq-z2-hls" / "vitis"
    listed = (vitis / "files.f").read_text().split()
    assert listed == sorted(str(p) for p in (vitis / "gnn_agg_prj" / "sol" / "syn" / "verilog").glob("*.v"))
    assert any(p.endswith("/gnn_agg.v") for p in listed)


def run_into_package(tmp_path, fake_tools, *args):
    """The flow with the overlay package folder under tmp_path (the repo's overlay/ stays untouched)."""
    env = {**os.environ, "PATH": f"{fake_tools}:{os.environ['PATH']}", "GNN_AGG_DRYRUN_LOG": str(tmp_path / "log"),
           "GNN_AGG_DRYRUN_DIR": str(tmp_path / "dry")}
    proc = subprocess.run([sys.executable, str(FLOW / "bitstream.py"), *args, "--build-dir", str(tmp_path / "build"),
                           "--overlay-dir", str(tmp_path / "overlays"), "--package-dir", str(tmp_path / "package")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_board_build_is_copied_into_the_overlay_package(tmp_path, fake_tools):
    out = run_into_package(tmp_path, fake_tools, "--board", "kv260", "--impl", "rtl")
    for name in ("gnn_agg.bit", "gnn_agg.hwh"):
        assert (tmp_path / "package" / "kv260" / name).read_bytes() == (tmp_path / "overlays" / "kv260" / name).read_bytes()
    assert f"copied into the overlay package, {tmp_path / 'package' / 'kv260'}/" in out


def test_other_builds_are_not_copied(tmp_path, fake_tools):
    run_into_package(tmp_path, fake_tools, "--build", "pynq-z2-feat8")
    assert (tmp_path / "overlays" / "pynq-z2-feat8" / "gnn_agg.bit").is_file()
    assert not (tmp_path / "package").exists()
