"""The benchmark's configuration: the board models a projection uses and one frozen BenchConfig
made from the command line. Options make new values (a --clock-mhz run gets its own board
models); nothing here is mutated after make_config returns."""
from __future__ import annotations

import dataclasses

from golden import builds
from golden.contract import HwConfig


@dataclasses.dataclass(frozen=True)
class BoardModel:
    """What a projection needs to know about a board: the build it is for (golden.builds), the PL
    clocks to project at, and the memory figures that bound any design on the board."""

    name: str                # the board (golden.builds.BOARDS)
    build: str               # the registry build the figures are for: what `make bitstream BOARD=name` makes
    hw: HwConfig
    clocks_mhz: tuple        # PL clocks to project at; the first is the one the build targets
    ddr_gbytes_s: float      # peak DDR bandwidth (data sheet)
    memory: str

    @classmethod
    def of(cls, board: str) -> "BoardModel":
        b = builds.board_build(board)
        return cls(board, b.name, b.hw, b.clocks_mhz, b.board_info.ddr_gbytes_s, b.board_info.memory)

    def port_gbytes_s(self, clock_mhz: float) -> float:
        """One AXI HP port of the bus width at the kernel clock."""
        return self.hw.bus_bytes * clock_mhz * 1e-3


BOARD_MODELS = {name: BoardModel.of(name) for name in builds.BOARDS}


SECTIONS = ("layer", "scaling", "serving")


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """Everything one benchmark run measures, fixed before it starts."""

    backends: tuple
    boards: tuple            # names of the builds to simulate and project, in order
    board_models: dict       # name -> BoardModel (with --clock-mhz applied)
    gathers: tuple
    feat_dim: int
    reps: int
    graph_scale: float
    seed: int
    quiet: bool
    scaling_edges: tuple
    scaling_feats: tuple
    scaling_feat_edges: int
    sim_options: dict
    sim_libraries: dict
    label: str
    dataset: str
    dataset_path: str | None
    requests: int
    batches: tuple
    quick: bool
    epochs: int | None
    head_epochs: int | None
    hybrid_epochs: int | None
    sections: tuple
    board_options: dict = dataclasses.field(default_factory=dict)  # Accelerator("board", **...)


def make_config(args) -> BenchConfig:
    boards = tuple(b for b in args.boards.split(",") if b)
    for b in boards:
        if b not in BOARD_MODELS:
            raise ValueError(f"unknown board {b!r}; choose from {sorted(BOARD_MODELS)}")
    board_models = {b: dataclasses.replace(BOARD_MODELS[b], clocks_mhz=(args.clock_mhz,)) if args.clock_mhz
                    else BOARD_MODELS[b] for b in boards}
    quick = args.quick
    sections = tuple(x for x in args.sections.split(",") if x)
    from host.driver.overlays import accelerator_options
    backends = tuple(args.backends.split(","))
    bitfile, overlay = getattr(args, "bitfile", None), getattr(args, "overlay", None)
    board_options = accelerator_options("board" if "board" in backends else backends[0], bitfile, overlay)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    return BenchConfig(
        backends=tuple(args.backends.split(",")), boards=boards, board_models=board_models, gathers=tuple(args.gathers.split(",")),
        feat_dim=args.feat_dim, reps=2 if quick else args.reps,
        graph_scale=0.03 if quick else args.graph_scale, seed=args.seed, quiet=args.quiet,
        scaling_edges=(1_000, 4_000) if quick else (1_000, 10_000, 100_000, 1_000_000),
        scaling_feats=(64, 128) if quick else (64, 128, 192, 256),
        scaling_feat_edges=2_000 if quick else 100_000, sim_options={"read_latency": 64}, sim_libraries={},
        label="quick" if quick else "full", dataset=args.dataset, dataset_path=args.dataset_path,
        requests=50 if quick else args.requests, batches=(1, 8, 64), quick=quick,
        epochs=10 if quick and args.epochs is None else args.epochs,
        head_epochs=5 if quick and args.head_epochs is None else args.head_epochs,
        hybrid_epochs=5 if quick and args.hybrid_epochs is None else args.hybrid_epochs,
        sections=sections, board_options=board_options)


def sim_options(cfg, board: str) -> dict:
    """Options of Accelerator("sim") for `board`: the DDR model, and the library built for it
    at the start (so every section simulates the same RTL, even if the sources change meanwhile)."""
    return dict(cfg.sim_options, library=cfg.sim_libraries[board])
