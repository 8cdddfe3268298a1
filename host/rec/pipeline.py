"""The hybrid GNN+LLM recommender end to end, every configuration side by side.

    python -m host.rec                            # embedded default, aggregation on the cpu backend
    python -m host.rec --backend sim              # ... on the cycle-accurate RTL simulation
    python -m host.rec --data ml-100k --path ../shared/data/ml-100k

    from host.rec.pipeline import PipelineConfig, run
    result = run(PipelineConfig(data="ml-100k", path="...", backend="cpu"))

Configurations (all on the same split, scored by the same full-ranking evaluation):
  Popularity          training interaction counts
  BPR-MF              matrix factorization, BPR loss
  GNN only            Eq. 1 LightGCN-style propagation (float), dot product; 2 or 3 layers
                      (TrainConfig.layer_choices), chosen on valid
  LLM only            fusion head over [e_u | e_i] (MiniLM text embeddings)
  Hybrid: late fusion fusion head over [h_u | e_u | h_i | e_i], h from the float GNN: starts as
                      g_b <h_u, h_i> + (LLM-only head), the graph weight g_b chosen on validation
                      per bucket b of user training degree, then fine-tuned with BPR (early
                      stopping keeps the start if fine-tuning does not help)
  Hybrid: text in GNN text-aware message passing: layer-0 features x0 = E + P [e_u; e_i]
                      (P: 384 -> F learned), propagated by Eq. 1, dot product
  Hybrid: both        late fusion over the text-in-GNN embeddings
  Hybrid: GNN + text-in-GNN  score-level fusion of the two trained GNNs, <h_u, h_i> of GNN only
                      + a x that of text in GNN, a chosen on valid (train.choose_fusion_weight); it
                      is one GNN of width 2F (model.fused_gnn), so the accelerator propagates both
  Control: GNN + GNN  the same fusion of GNN only and a second GNN only of model seed + 1: what
                      ensembling alone gives, without text (not a hybrid: never the chosen one)
  Hybrid + quant.     the hybrid with the best valid NDCG@10, h from the accelerator: FEAT x0
                      (and WGT W) through host.driver.Accelerator layer by layer -- what the
                      hardware computes

Each row also has its valid NDCG@10 (every choice is made on it), the sampled protocol
(1 test positive among 99 sampled unseen items, host.rec.metrics.sampled_metrics; not full
ranking) and its own training time.

run(cfg) is a sequence of named stages (data, text, each model, report, serving); the table and
the paired per-user differences of NDCG@10 between the hybrid and its parts go to stdout and to
<out>/results.md, results.json and results.png (host.rec.report), and the Hybrid + quant.
recommender is saved as <out>/recommender.pt for `python -m host.rec.serve`.
"""
from __future__ import annotations

import argparse
import dataclasses
import pathlib
import time

import numpy as np
import torch

from .cli import user_errors
from .data import Dataset, load
from .embed import DEFAULT_CACHE, embed_texts, load_encoder, resolve_device
from .metrics import per_user_metrics, sampled_metrics, summarize
from .model import GNN, MF, STYLES, FusionHead, fused_gnn, hybrid_from_text_head, sparse_adjacency, unified_graph
from .protocol import USER_TEXT_SOURCES, Protocol, Split, split, text_embeddings
from .quant import FixedGNN, export_fixed, propagate_fixed
from .report import degree_bucket_names, write_report
from .serve import OnlineGNN, OnlineRecommender, format_recommendations
from .train import (Features, TrainConfig, choose_fusion_weight, choose_gnn_weight, head_scorer,
                    train_embedding_model, train_head)

LATE_FUSION, TEXT_IN_GNN, BOTH = "Hybrid: late fusion", "Hybrid: text in GNN", "Hybrid: both"
FUSION, CONTROL = "Hybrid: GNN + text-in-GNN", "Control: GNN + GNN"
HYBRIDS = (LATE_FUSION, TEXT_IN_GNN, BOTH, FUSION)


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """One run of the pipeline; the command line (parse_args) makes one of these."""

    data: str = "default"          # default | default-1m | ml-1m | ml-100k | amazon | yelp (host.rec.data.load)
    path: str | None = None        # data directory (MovieLens) or review file (Amazon, Yelp)
    meta: str | None = None        # Amazon metadata file / Yelp business.json
    threshold: float | None = None  # implicit feedback: rating >= threshold (None: the data set's)
    user_text: str = Protocol.user_text
    split_seed: int = Protocol.seed
    backend: str = "cpu"           # accelerator backend of Hybrid + quant.: cpu | sim | board
    bitfile: str | None = None     # board: the .bit (default: host/overlays/<board>/, docs/BOARD.md)
    overlay: str | None = None     # board: a board name or folder of host/overlays/ instead of bitfile
    style: str = "lightgcn"        # host.rec.model.STYLES
    layers: int | None = None      # GNN layers; None: the one of TrainConfig.layer_choices best on valid
    epochs: int = TrainConfig.epochs
    head_epochs: int = TrainConfig.head_epochs
    hybrid_epochs: int = TrainConfig.hybrid_epochs
    seed: int = TrainConfig.seed
    device: str = "auto"           # text encoder device: auto | cpu | cuda
    cache: str = str(DEFAULT_CACHE)
    out: str = "results/pipeline"
    threads: int = 1               # torch threads (1 is fastest for these small models on a shared machine)
    models: str = "all"            # all | baselines (Popularity, BPR-MF, GNN only: no text, no hybrid)

    def accelerator_options(self) -> dict:
        """Keyword options of Accelerator(self.backend) (the board's bitstream)."""
        from host.driver.overlays import accelerator_options
        return accelerator_options(self.backend, self.bitfile, self.overlay)

    def train_config(self) -> TrainConfig:
        choices = {"layer_choices": (self.layers,), "layers": self.layers} if self.layers else {}
        return TrainConfig(epochs=self.epochs, head_epochs=self.head_epochs, hybrid_epochs=self.hybrid_epochs,
                           seed=self.seed, **choices)


@dataclasses.dataclass
class PipelineRun:
    """Everything one run trained, for callers that serve or benchmark it (host.bench)."""

    results: dict                # configuration -> metrics (the printed table)
    per_user: dict               # configuration -> per-user metrics (the paired differences)
    dataset: Dataset
    split: Split
    protocol: Protocol
    train_config: TrainConfig
    mf: MF
    gnn: GNN                     # the GNN of the best hybrid (text in x0 or not)
    fixed: FixedGNN              # that GNN in the accelerator's formats
    llm: FusionHead
    hybrid: FusionHead           # the head of the best hybrid (on valid), over `gnn`'s embeddings
    e_user: torch.Tensor
    e_item: torch.Tensor
    known: list                  # per user: train + valid items (never recommended)
    chosen_weights: list         # the hybrid's graph weight per user-degree bucket, chosen on valid
    weight_scores: list          # per bucket: {graph weight: valid NDCG@10}
    accelerator: dict            # the Hybrid + quant. layers on the accelerator (accelerator_record)
    best_hybrid: str = ""        # the name of the hybrid configuration chosen on valid
    gnn_only: GNN | None = None  # the "GNN only" model (ids only)
    fusion: dict = dataclasses.field(default_factory=dict)  # FUSION and CONTROL: their weight choice on valid


@dataclasses.dataclass
class _Data:
    dataset: Dataset
    protocol: Protocol
    split: Split


class _Scoreboard:
    """Evaluates each configuration as it is trained (valid, test full ranking, test sampled)
    and prints one line for it."""

    def __init__(self, data: _Data):
        self.data = data
        self.results: dict[str, dict] = {}
        self.per_user: dict[str, dict] = {}
        self.valid: dict[str, float] = {}

    def add(self, name: str, scorer, train_s: float = 0.0) -> None:
        sp, proto = self.data.split, self.data.protocol
        self.valid[name] = summarize(per_user_metrics(scorer, sp, proto, "valid"))["overall"]["NDCG@10"]
        self.per_user[name] = per_user_metrics(scorer, sp, proto, "test")
        self.per_user[name]["sampled"] = sampled_metrics(scorer, sp, proto)
        self.results[name] = r = summarize(self.per_user[name])
        r["valid_ndcg10"], r["train_s"] = self.valid[name], train_s
        print(f"   {name}: valid NDCG@10 {self.valid[name]:.4f}; test NDCG@10 {r['overall']['NDCG@10']:.4f}, "
              f"cold items {r['cold_items']['NDCG@10']:.4f}, cold users {r['cold_users']['NDCG@10']:.4f}, "
              f"sampled 1+99 {r['sampled']['NDCG@10']:.4f}; trained in {train_s:.0f} s")


MODEL_SETS = ("all", "baselines")


def _start(cfg: PipelineConfig):
    """What every run starts from: threads, the output folder, the training settings, the data,
    the unified graph (CSR, normalization, torch adjacency) and an empty scoreboard."""
    torch.set_num_threads(cfg.threads)
    out = pathlib.Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    tc = cfg.train_config()
    data = load_data(cfg)
    csr, norm = unified_graph(data.split.graph())
    return out, tc, data, csr, norm, sparse_adjacency(csr, norm), _Scoreboard(data)


def _train_baselines(cfg: PipelineConfig, tc, data, adj, board: "_Scoreboard"):
    """Popularity, BPR-MF and GNN only onto the scoreboard; returns (mf, gnn, h_user, h_item)."""
    print("== Popularity")
    board.add("Popularity", popularity_scorer(data.split.item_train_count()))
    mf = train_mf(tc, data, board)
    return (mf, *train_gnn(cfg, tc, data, adj, board))


def run_baselines(cfg: PipelineConfig) -> dict:
    """Popularity, BPR-MF and GNN only (layers chosen on valid as in run()), no text and no
    hybrid: the baselines alone, cheap enough to repeat over model seeds. Writes results.md and
    results.json (without paired differences) to cfg.out; returns the results table."""
    from .report import write_baselines_report
    t_start = time.time()
    out, tc, data, _, _, adj, board = _start(cfg)
    _, gnn, _, _ = _train_baselines(cfg, tc, data, adj, board)
    print(write_baselines_report(out, data.dataset, data.protocol, tc, board.results, len(gnn.layers), cfg))
    print(f"\nTotal {time.time() - t_start:.0f} s")
    return board.results


def run(cfg: PipelineConfig) -> PipelineRun:
    if cfg.models not in MODEL_SETS:
        raise ValueError(f"models must be one of {list(MODEL_SETS)}, got {cfg.models!r}")
    if cfg.models == "baselines":
        return run_baselines(cfg)
    t_start = time.time()
    out, tc, data, csr, norm, adj, board = _start(cfg)
    sp = data.split
    e_user, e_item = embed_text(cfg, data)

    mf, gnn, h_user, h_item = _train_baselines(cfg, tc, data, adj, board)
    llm = train_llm(tc, data, e_user, e_item, board)
    user_degree = torch.from_numpy(sp.user_train_count())
    hybrids = {}  # name -> (GNN, head, chosen graph weights, their valid scores)
    hybrids[LATE_FUSION] = (gnn, *train_hybrid(tc, data, llm, Features(h_user, h_item, e_user, e_item, user_degree),
                                               board, LATE_FUSION))
    text_gnn, ht_user, ht_item = train_gnn(cfg, tc, data, adj, board, text=torch.cat([e_user, e_item]),
                                           layers=gnn_layers(gnn))
    hybrids[TEXT_IN_GNN] = (text_gnn, graph_only_head(tc.dim), [], [])
    hybrids[BOTH] = (text_gnn, *train_hybrid(tc, data, llm, Features(ht_user, ht_item, e_user, e_item, user_degree),
                                             board, BOTH))
    fusion = {}
    fused, fusion[FUSION] = train_fusion(tc, data, adj, board, FUSION, gnn, text_gnn)
    hybrids[FUSION] = (fused, graph_only_head(fused.embedding.shape[1]), [], [])
    t0 = time.time()
    second, _, _ = train_gnn(cfg, dataclasses.replace(tc, seed=tc.seed + 1), data, adj, None, layers=gnn_layers(gnn))
    _, fusion[CONTROL] = train_fusion(tc, data, adj, board, CONTROL, gnn, second, time.time() - t0)
    fusion[CONTROL]["control_of"] = FUSION
    if fusion[FUSION]["weight"] == 0:  # the valid choice left no text in it: GNN only, not a hybrid
        del hybrids[FUSION]
    best = max(hybrids, key=lambda name: board.valid[name])
    print(f"   best hybrid on valid: {best} ({board.valid[best]:.4f})")
    best_gnn, hybrid, chosen, scores = hybrids[best]
    fixed, accelerator = quantized_hybrid(cfg, tc, csr, norm, best_gnn, adj, hybrid, e_user, e_item, user_degree,
                                          board)

    known = [np.concatenate(p) for p in zip(sp.per_user("train"), sp.per_user("valid"))]
    result = PipelineRun(board.results, board.per_user, data.dataset, sp, data.protocol, tc, mf, best_gnn, fixed,
                         llm, hybrid, e_user, e_item, known, chosen, scores, accelerator, best, gnn, fusion)
    print(write_report(out, result, cfg))
    serve_samples(out, result)
    print(f"\nTotal {time.time() - t_start:.0f} s")
    return result


# -- stages ---------------------------------------------------------------------------------

def load_data(cfg: PipelineConfig) -> _Data:
    ds = load(cfg.data, cfg.path, cfg.meta)
    proto = Protocol(threshold=cfg.threshold, seed=cfg.split_seed, user_text=cfg.user_text)
    sp = split(ds, proto)
    print(ds.summary())
    print(proto.describe(ds))
    n_cold_items = int((sp.item_train_count() <= proto.cold).sum())
    n_cold_users = int((sp.user_train_count() <= proto.cold).sum())
    print(f"Split: train {len(sp.train[0])}, valid {len(sp.valid[0])}, test {len(sp.test[0])} pairs; "
          f"{n_cold_items} cold items, {n_cold_users} cold users")
    return _Data(ds, proto, sp)


def embed_text(cfg: PipelineConfig, data: _Data) -> tuple[torch.Tensor, torch.Tensor]:
    """MiniLM embeddings of item and user texts (from the cache when the same texts were embedded)."""
    device = resolve_device(cfg.device)
    print(f"== text embeddings ({device})")
    encoder = lambda: load_encoder(device)  # noqa: E731 -- loaded only on a cache miss
    e_user, e_item = text_embeddings(data.dataset, data.split, data.protocol, lambda texts, what: embed_texts(
        texts, what=what, encoder_factory=encoder, cache_dir=cfg.cache))
    return torch.from_numpy(e_user), torch.from_numpy(e_item)


def train_mf(tc: TrainConfig, data: _Data, board: _Scoreboard) -> MF:
    print("== BPR-MF")
    sp = data.split
    torch.manual_seed(tc.seed)  # every model's initialization depends on the seed only
    mf = MF(sp.n_users, sp.n_items, tc.dim)
    t0 = time.time()
    train_embedding_model(mf, None, sp, data.protocol, tc, "BPR-MF")
    board.add("BPR-MF", _dot_scorer(mf(None)), time.time() - t0)
    return mf


def gnn_layers(gnn: GNN) -> tuple[int]:
    return (len(gnn.layers),)


def train_gnn(cfg: PipelineConfig, tc: TrainConfig, data: _Data, adj, board: _Scoreboard | None,
              text: torch.Tensor | None = None, layers: tuple[int, ...] | None = None):
    """The GNN (ids only, or text in x0) with the layer count of `layers` (default
    tc.layer_choices) that reaches the best valid NDCG@10; onto `board` unless it is None (a
    part of another configuration)."""
    name = ("GNN only" if text is None else TEXT_IN_GNN) + (f" (model seed {tc.seed})" if board is None else "")
    layers = layers or tc.layer_choices
    sp = data.split
    t0 = time.time()
    trained = {}
    for n in layers:
        print(f"== {name} ({cfg.style}, {n} layers, F={tc.dim}, float"
              + (f", x0 = E + P t, t: {text.shape[1]}-d text)" if text is not None else ")"))
        torch.manual_seed(tc.seed)
        gnn = GNN(sp.n_users, sp.n_items, tc.dim, n, cfg.style, text=text)
        trained[n] = (train_embedding_model(gnn, adj, sp, data.protocol, tc, f"{name} ({n} layers)"), gnn)
        print(f"   {n} layers: valid NDCG@10 {trained[n][0]:.4f}")
    n = max(trained, key=lambda k: trained[k][0])
    gnn = trained[n][1]
    if len(layers) > 1:
        print(f"   chosen on valid: {n} layers")
    with torch.no_grad():
        h_user, h_item = gnn(adj)
    if board is not None:
        board.add(name, _dot_scorer((h_user, h_item)), time.time() - t0)
    return gnn, h_user, h_item


def train_fusion(tc: TrainConfig, data: _Data, adj, board: _Scoreboard, name: str, a: GNN, b: GNN,
                 parts_s: float = 0.0) -> tuple[GNN, dict]:
    """Score-level fusion <h_u, h_i>_a + weight <h_u, h_i>_b of two trained GNNs, the weight chosen
    on valid, as the one GNN fused_gnn(a, b, weight); onto `board` with the choice's time plus
    `parts_s` (parts trained for this configuration alone). Returns it and the choice."""
    print(f"== {name}: <h_u, h_i> + a <h_u, h_i>', a chosen on valid")
    t0 = time.time()
    with torch.no_grad():
        score_a, score_b = _dot_scorer(a(adj)), _dot_scorer(b(adj))
    weight, ratio, valid = choose_fusion_weight(score_a, score_b, data.split, data.protocol, tc.fusion_weights)
    print(f"   a = w x {ratio:.3f} (the ratio of the score spreads); w -> valid NDCG@10 "
          + ", ".join(f"{w:g}: {v:.4f}" for w, v in valid.items()) + f"; chosen a = {weight:.4f}")
    fused = fused_gnn(a, b, weight)
    with torch.no_grad():
        board.add(name, _dot_scorer(fused(adj)), time.time() - t0 + parts_s)
    return fused, {"weight": weight, "spread_ratio": ratio, "valid_ndcg10": valid}


def graph_only_head(dim: int) -> FusionHead:
    """The head that scores <h_u, h_i> and nothing else (its MLP starts and stays silent): the
    text-in-GNN configuration as a servable recommender."""
    head = FusionHead(dim, 0)
    return head.eval()


def train_llm(tc: TrainConfig, data: _Data, e_user, e_item, board: _Scoreboard) -> FusionHead:
    print("== LLM only")
    torch.manual_seed(tc.seed)
    text_feats = Features(None, None, e_user, e_item)
    llm = FusionHead(0, e_item.shape[1], tc.head_hidden)
    t0 = time.time()
    train_head(llm, text_feats, data.split, data.protocol, tc, data.split.train, "LLM-only head")
    board.add("LLM only", head_scorer(llm, text_feats), time.time() - t0)
    return llm


def train_hybrid(tc: TrainConfig, data: _Data, llm: FusionHead, feats: Features, board: _Scoreboard,
                 label: str = LATE_FUSION):
    """The hybrid head started from the parts, its graph weights chosen on valid, then fine-tuned."""
    print(f"== {label} (float): head over [h_u | e_u | h_i | e_i], started from the GNN and LLM parts")
    sp, proto = data.split, data.protocol
    t0 = time.time()
    torch.manual_seed(tc.seed)
    hybrid = hybrid_from_text_head(llm, tc.dim, degree_bounds=tc.degree_bounds)
    balance, start = choose_gnn_weight(hybrid, feats, sp, proto, tc.gnn_weights)
    chosen = hybrid.gnn_weight.tolist()
    for name, scores, w in zip(degree_bucket_names(tc.degree_bounds), balance, chosen):
        print(f"   users with {name} training items: " + (
            "graph weight g -> valid NDCG@10 " + ", ".join(f"{g:g}: {v:.4f}" for g, v in scores.items())
            + f"; chosen g = {w:g}" if scores else f"no validation users; g = {w:g}, the best over all users"))
    best = train_head(hybrid, feats, sp, proto, tc, sp.train, "hybrid head fine-tuning", epochs=tc.hybrid_epochs)
    print(f"   fine-tuning: valid NDCG@10 {start:.4f} -> {best:.4f}"
          + (" (kept the starting point)" if best <= start else ""))
    board.add(label, head_scorer(hybrid, feats), time.time() - t0)
    return hybrid, chosen, balance


def quantized_hybrid(cfg: PipelineConfig, tc: TrainConfig, csr, norm, gnn: GNN, adj, hybrid: FusionHead,
                     e_user, e_item, user_degree, board: _Scoreboard) -> tuple[FixedGNN, dict]:
    """The hybrid head over embeddings computed by the accelerator (Eq. 1 in fixed point); also
    what the accelerator did: its build, each layer's status registers, the projected time."""
    from host.driver import Accelerator
    print(f"== Hybrid + quantization: Eq. 1 on the accelerator, backend '{cfg.backend}'"
          + (" (cycle-accurate RTL simulation)" if cfg.backend == "sim" else ""))
    fixed = export_fixed(gnn, adj)
    print(f"   export: x0 scaled by {fixed.scale:.3f} into FEAT Q4.12 (peak |x| = 4 of the [-8, 8) range)")
    t0 = time.time()
    statuses: list = []
    with Accelerator(cfg.backend, **cfg.accelerator_options()) as acc:
        handle = acc.load_graph(csr, norm)
        hq_user, hq_item = propagate_fixed(fixed, acc, handle, progress=True, statuses=statuses)
        accelerator = accelerator_record(cfg.backend, acc.hw, statuses, time.time() - t0)
    cycles = accelerator["cycles"]
    print(f"   {len(fixed.weights_q)} layers x ({csr.n_dst} nodes, {csr.n_edges} edges, F={tc.dim}) "
          f"on '{cfg.backend}' in {accelerator['wall_s']:.1f} s"
          + (f"; {cycles:,} cycles in all, {accelerator_summary(accelerator)}" if cycles else
             " (the cpu backend has no cycle model)"))
    quant_feats = Features(torch.from_numpy(hq_user).float(), torch.from_numpy(hq_item).float(), e_user, e_item,
                           user_degree)
    board.add("Hybrid + quant.", head_scorer(hybrid, quant_feats))
    return fixed, accelerator


def accelerator_record(backend: str, hw, statuses: list, wall_s: float) -> dict:
    """The accelerator's part of a run for results.json: the registry build it ran (golden.builds),
    each layer's status registers and, where there are cycles, the time projected at the build's
    clocks (projected: simulated cycles at an assumed clock, timing closure not checked)."""
    from golden import builds
    build = builds.build_of(hw)
    cycles = sum(st.cycles for st in statuses)
    return {"backend": backend, "build": build.name if build else None, "hw": dataclasses.asdict(hw),
            "layers": [dataclasses.asdict(st) for st in statuses], "cycles": cycles, "wall_s": wall_s,
            "projected_ms": {f"{mhz:g} MHz": cycles / (mhz * 1e3) for mhz in (build.clocks_mhz if build else ())}
            if cycles else {}}


def accelerator_summary(accelerator: dict) -> str:
    """'projected 3.65 ms at 100 MHz, 2.43 ms at 150 MHz (build pynq-z2)'."""
    times = ", ".join(f"{ms:.2f} ms at {clock}" for clock, ms in accelerator["projected_ms"].items())
    return f"projected {times} (build {accelerator['build']})" if times else "no registry build matches"


def serve_samples(out: pathlib.Path, run: PipelineRun) -> OnlineRecommender:
    """Save the Hybrid + quant. recommender (host.rec.serve) and print two users' recommendations."""
    from host.driver import Accelerator
    ds, sp = run.dataset, run.split
    labels = [f"{t} [{a.split('. ')[0]}]" if a else t for t, a in zip(ds.item_titles, ds.item_attributes)]
    with Accelerator("cpu") as acc:  # bit-exact with every backend; the pipeline's run is over
        rec = OnlineRecommender(OnlineGNN(acc, run.fixed, sp.graph()), run.hybrid, run.e_user, run.e_item,
                                run.known, labels, ds.user_ids, ds.item_ids)
        rec.save(out / "recommender.pt")
        print(f"\nSaved {out / 'results.md'}, {out / 'results.json'}, {out / 'results.png'}, "
              f"{out / 'recommender.pt'}")
        counts = sp.user_train_count()
        cold = np.flatnonzero((counts > 0) & (counts <= run.protocol.cold))
        samples = list(dict.fromkeys([int(np.argmax(counts))] + ([int(cold[0])] if len(cold) else [])))
        print("\nSample recommendations (Hybrid + quant.):")
        for u in samples:
            liked = [labels[i] for i in sp.per_user("train")[u][:3]]
            print(f"(user {rec.user_ids[u]}: {counts[u]} training items, e.g. {'; '.join(liked)})")
            print(format_recommendations(rec.user_ids[u], rec.recommendations(u, 10)))
    return rec


def popularity_scorer(counts: np.ndarray):
    def score(users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(counts.astype(np.float64), (len(users), len(counts)))
    return score


def _dot_scorer(embeddings):
    u, i = (e.detach() for e in embeddings)

    def score(users: np.ndarray) -> np.ndarray:
        return (u[torch.from_numpy(users)] @ i.T).numpy()
    return score


# -- command line ---------------------------------------------------------------------------

def parse_args(argv=None, with_seeds: bool = False):
    """The PipelineConfig of a command line and whether --debug was given (and, with_seeds, the
    --split-seeds list, empty when not given)."""
    d = PipelineConfig()
    ap = argparse.ArgumentParser(prog="python -m host.rec", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=d.data,
                    help="default (generated, ML-100K-sized) | default-1m (generated, ML-1M-sized) | "
                         "ml-1m | ml-100k | amazon | yelp")
    ap.add_argument("--path", help="data directory (MovieLens) or review file (Amazon, Yelp)")
    ap.add_argument("--meta", help="Amazon metadata file / Yelp business.json")
    ap.add_argument("--threshold", type=float, help="implicit feedback: rating >= threshold (default: data set's)")
    ap.add_argument("--user-text", default=d.user_text, choices=tuple(USER_TEXT_SOURCES),
                    help="what a user's text says (host.rec.protocol.Protocol.user_text)")
    ap.add_argument("--backend", default=d.backend, help="accelerator backend: cpu | sim | board")
    ap.add_argument("--bitfile", help="board: the gnn_agg.bit to load (default: host/overlays/<$BOARD>/)")
    ap.add_argument("--overlay", help="board: a board name (pynq-z2 | kv260 | zcu104) or a folder holding gnn_agg.bit")
    ap.add_argument("--style", default=d.style, choices=STYLES)
    ap.add_argument("--layers", type=int, default=d.layers,
                    help="GNN layers (default: 2 or 3, whichever is better on valid)")
    ap.add_argument("--epochs", type=int, default=d.epochs)
    ap.add_argument("--head-epochs", type=int, default=d.head_epochs)
    ap.add_argument("--hybrid-epochs", type=int, default=d.hybrid_epochs,
                    help="fine-tuning epochs of the hybrid heads (they start from the trained parts)")
    ap.add_argument("--device", default=d.device, help="text encoder device: auto | cpu | cuda")
    ap.add_argument("--cache", default=d.cache)
    ap.add_argument("--out", default=d.out)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--split-seed", type=int, default=d.split_seed)
    ap.add_argument("--threads", type=int, default=d.threads,
                    help="torch threads (1 is fastest for these small models on a shared machine)")
    ap.add_argument("--models", default=d.models, choices=MODEL_SETS,
                    help="all configurations, or the baselines only (Popularity, BPR-MF, GNN only)")
    ap.add_argument("--split-seeds", type=int, nargs="+", default=[],
                    help="run once per split seed (e.g. 2024 1 2) into OUT/split-SEED/ and write OUT/summary.md "
                         "(mean +- sd over the splits, paired differences per split)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[],
                    help="run once per model seed (e.g. 0 1 2; the split of --split-seed) into OUT/seed-SEED/ and "
                         "write OUT/summary.md (mean +- sd over the model seeds)")
    ap.add_argument("--summarize", metavar="OUT", help="only write OUT/summary.md from OUT/split-*/results.json")
    ap.add_argument("--debug", action="store_true", help="a traceback instead of a one-line error")
    args = vars(ap.parse_args(argv))
    cfg = PipelineConfig(**{k: v for k, v in args.items() if k not in ("debug", "split_seeds", "seeds", "summarize")})
    try:
        cfg.accelerator_options()
    except ValueError as e:
        ap.error(str(e))
    if args["split_seeds"] and args["seeds"]:
        ap.error("--split-seeds and --seeds: give one of them (one summary varies one seed)")
    seeds = [("split", s) for s in args["split_seeds"]] + [("seed", s) for s in args["seeds"]]
    return (cfg, args["debug"], seeds, args["summarize"]) if with_seeds else (cfg, args["debug"])


def run_splits(cfg: PipelineConfig, seeds: list) -> str:
    """run(cfg) once per seed into <out>/split-<seed>/ (a split seed, int or ("split", seed)) or
    <out>/seed-<seed>/ (("seed", seed): a model seed on cfg's split), then <out>/summary.md: mean
    +- sd over the runs and each run's paired differences (host.rec.report.write_summary; the
    runs may also be separate processes with --split-seed N --out OUT/split-N or --seed N --out
    OUT/seed-N, then --summarize OUT)."""
    from .report import write_summary
    for kind, seed in [s if isinstance(s, tuple) else ("split", s) for s in seeds]:
        print(f"\n######## {'split' if kind == 'split' else 'model'} seed {seed}")
        field = "split_seed" if kind == "split" else "seed"
        run(dataclasses.replace(cfg, **{field: seed}, out=str(pathlib.Path(cfg.out) / f"{kind}-{seed}")))
    text = write_summary(pathlib.Path(cfg.out))
    print("\n" + text)
    return text


def main(argv=None) -> int:
    cfg, debug, seeds, summarize = parse_args(argv, with_seeds=True)
    if summarize:
        from .report import write_summary
        return user_errors(lambda: print(write_summary(pathlib.Path(summarize))), "python -m host.rec", debug)
    return user_errors(lambda: run_splits(cfg, seeds) if seeds else run(cfg), "python -m host.rec", debug)


if __name__ == "__main__":
    raise SystemExit(main())
