"""The large fuzz runs of docs/RELIABILITY.md: `python -m tests.fuzz.report --out results/fuzz`
writes fuzz.json and prints the table (seeded: the same commit gives the same figures)."""
from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import time

from tests.fuzz import host_api, loaders, raw_register, serving


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.report")
    ap.add_argument("--out", default="results/fuzz")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--host", type=int, default=10_000, help="host-API cases on the cpu backend")
    ap.add_argument("--sim", type=int, default=500, help="host-API cases on the sim backend (0: none)")
    ap.add_argument("--threads-calls", type=int, default=1000, help="concurrent accelerator calls per backend")
    ap.add_argument("--loaders", type=int, default=2500)
    ap.add_argument("--serving", type=int, default=1500, help="concurrent serving requests (cpu)")
    ap.add_argument("--serving-sim", type=int, default=200)
    ap.add_argument("--raw", type=int, default=2000, help="raw-register runs per board (0: none)")
    ap.add_argument("--raw-boards", default="pynq-z2,kv260")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs, lib = {}, None
    if args.sim or args.serving_sim:
        from golden.contract import DEFAULT_HW
        from sim.harness.build import build
        lib = build(DEFAULT_HW)

    def timed(name, fn, *a, **kw):
        t0 = time.perf_counter()
        runs[name] = fn(*a, **kw)
        runs[name]["wall_s"] = round(time.perf_counter() - t0, 2)
        print(f"{name}: {runs[name].get('outcomes')} ({runs[name]['wall_s']} s)", flush=True)

    timed("host_api_cpu", host_api.run, args.host, args.seed)
    if args.sim:
        timed("host_api_sim", host_api.run, args.sim, args.seed, backend="sim", library=lib)
    timed("accelerator_threads_cpu", host_api.run_concurrent, args.threads_calls, args.seed)
    if args.sim:
        timed("accelerator_threads_sim", host_api.run_concurrent, max(args.threads_calls // 3, 1), args.seed,
              backend="sim", library=lib)
    timed("loaders", loaders.run, args.loaders, args.seed)
    timed("serving_cpu", serving.run, args.serving, args.seed)
    if args.serving_sim:
        timed("serving_sim", serving.run, args.serving_sim, args.seed, threads=8, backend="sim", library=lib)
    if args.raw:
        from golden.contract import BOARDS
        from sim.harness.build import build
        for board in args.raw_boards.split(","):
            timed(f"raw_register_{board}", raw_register.run, args.raw, args.seed, board=board,
                  library=build(BOARDS[board]))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True).stdout.strip())
    blob = {"commit": commit, "dirty": dirty, "seed": args.seed, "runs": runs}
    (out / "fuzz.json").write_text(json.dumps(blob, indent=1, default=str))
    print()
    print(table(blob))
    bad = sum(r["outcomes"].get(k, 0) for r in runs.values() for k in ("wrong", "crash", "oob", "hang"))
    return 1 if bad else 0


def table(blob) -> str:
    extra = []
    rows = ["| run | inputs | ok (valid, exact) | rejected (specific error) | wrong (silent) | crash | "
            "OOB writes | hangs | recoveries checked / failed | wall s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in blob["runs"].items():
        o = r["outcomes"]
        n = r.get("cases", r.get("requests"))
        raw = name.startswith("raw_register")
        oob = r.get("oob_writes", "-") if "sim" in name else "n/a"
        if raw:
            oob = f"{r['oob_writes']} (reads outside: {r['oob_reads']})"
        rec = f"{r['recoveries_checked']:,} / {r['recoveries_failed']}" if "recoveries_checked" in r and ("sim" in name or raw) \
            else ("usable after" if r.get("usable_after") else "-")
        rows.append(f"| {name} | {n:,} | {o.get('ok', 0):,} | {o.get('rejected', 0):,} | {o.get('wrong', 0)} | "
                    f"{o.get('crash', 0)} | {oob} | {r.get('hangs', '-')} | {rec} | {r['wall_s']} |")
    for name, r in blob["runs"].items():
        if name.startswith("raw_register"):
            lines_raw = [f"{f} {sum(v.values())}" for f, v in r["by_fault"].items()]
            rows_raw = [f"{e} {n}" for e, n in sorted(r["by_error"].items(), key=lambda x: -x[1])]
            extra.append(f"{name}: faults tried (runs with it) " + ", ".join(lines_raw) + "; predicted stat_error "
                         + ", ".join(rows_raw) + f"; longest run {r['max_cycles']:,} cycles, at most "
                         f"{r['max_bound_use']:.1%} of its bound; faults not reached (the run ended first) "
                         f"{r['faults_not_reached']}; late stops ending in TIMEOUT {r.get('late_timeouts', 0)}; "
                         f"runs ending in the argument checks / pre-check / passes / two-partition passes "
                         f"{' / '.join(str(r.get('phases', {}).get(k, 0)) for k in ('args', 'probe', 'run', 'tiled'))}")
    lines = [f"commit {blob['commit']}{' (dirty)' if blob['dirty'] else ''}, seed {blob['seed']}", "", *rows]
    for e in extra:
        lines += ["", e]
    for name in ("host_api_cpu", "loaders"):
        r = blob["runs"].get(name)
        if r:
            per = r.get("by_category") or r.get("by_damage")
            lines += ["", f"{name} per category: " + "; ".join(
                f"{c} {sum(v.values())} ({', '.join(f'{k} {n}' for k, n in sorted(v.items()))})" for c, v in per.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
