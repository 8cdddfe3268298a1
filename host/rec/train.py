"""BPR training with early stopping on validation NDCG@10, shared by every trained model."""
from __future__ import annotations

import copy
import dataclasses
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .metrics import evaluate, per_user_metrics, summarize
from .model import GNN, MF, FusionHead
from .protocol import Protocol, Split


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    dim: int = 64              # GNN / MF embedding size (a multiple of every board's feat_align)
    layers: int = 2            # layers of a GNN built from this config directly (the pipeline: layer_choices)
    layer_choices: tuple = (2, 3)  # the pipeline trains each and keeps the best on valid
    epochs: int = 1000         # an upper bound: early stopping ends training
    batch: int = 2048
    lr: float = 2e-3           # GNN (Adam)
    mf_lr: float = 1e-3        # BPR-MF (Adam)
    reg: float = 1e-3          # GNN: LightGCN's batch-mean L2 on the batch's layer-0 rows (ml-100k valid:
                               # 0.2094 at 1e-3, 0.2029 at 1e-4)
    mf_reg: float = 1e-2       # the same for BPR-MF (chosen on ml-100k valid: 1e-4 and 1e-3 overfit)
    head_lr: float = 2e-3
    head_weight_decay: float = 1e-5
    head_hidden: int = 64
    head_epochs: int = 60
    hybrid_epochs: int = 20    # fine-tuning of the hybrid head (it starts from the parts)
    gnn_weights: tuple = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)  # graph vs text balance, chosen on valid
    degree_bounds: tuple = (5, 20)  # user training-degree buckets with their own balance
    fusion_weights: tuple = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)  # score fusion of two GNNs, relative to the
                               # ratio of their score spreads (choose_fusion_weight), chosen on valid
    eval_every: int = 5
    patience: int = 10         # evaluations without improvement before stopping (50 epochs: at lr 2e-3 the
                               # valid curve of ml-100k still rises after 10-20 flat epochs)
    seed: int = 0


class NegativeSampler:
    """Uniform items a user has no training interaction with."""

    def __init__(self, sp: Split, rng: np.random.Generator):
        self.n_items = sp.n_items
        self.known = np.unique(sp.train[0] * sp.n_items + sp.train[1])
        self.rng = rng

    def __call__(self, users: np.ndarray) -> np.ndarray:
        neg = self.rng.integers(self.n_items, size=len(users))
        for _ in range(20):  # resample collisions; 20 rounds leave a negligible remainder
            keys = users * self.n_items + neg
            at = np.minimum(np.searchsorted(self.known, keys), len(self.known) - 1)
            clash = self.known[at] == keys
            if not clash.any():
                break
            neg[clash] = self.rng.integers(self.n_items, size=int(clash.sum()))
        return neg


#: makes the step function of a training run: (module, params, pair_loss, lr, weight_decay) ->
#: step(users, pos, neg) -> loss, one optimizer step on one global batch (NumPy int64 arrays).
#: adam_step is the single-process one; host.rec.distributed makes data-parallel ones (DDP, DeepSpeed).
Trainer = Callable[[torch.nn.Module, list, Callable, float, float], Callable]


def adam_step(module: torch.nn.Module, params, pair_loss: Callable, lr: float, weight_decay: float) -> Callable:
    """One Adam step on the whole batch in this process."""
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)

    def step(u: np.ndarray, i: np.ndarray, j: np.ndarray) -> torch.Tensor:
        loss = pair_loss(torch.from_numpy(u), torch.from_numpy(i), torch.from_numpy(j))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step


def fit_bpr(params, pair_loss: Callable, scorer: Callable, sp: Split, protocol: Protocol,
            pairs: tuple[np.ndarray, np.ndarray], cfg: TrainConfig, *, epochs: int, lr: float,
            weight_decay: float = 0.0, desc: str = "training", module: torch.nn.Module,
            trainer: Trainer = adam_step) -> float:
    """Minimize the BPR loss returned by pair_loss(users, pos, neg) over `pairs`; every
    `eval_every` epochs score the validation set with `scorer(users)` and keep the best
    state of `module`. Returns the best validation NDCG@10. The batches and negatives depend on
    cfg.seed only, so a data-parallel `trainer` sees the same global batches in every process."""
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    sampler = NegativeSampler(sp, rng)
    step = trainer(module, params, pair_loss, lr, weight_decay)
    users_all, items_all = pairs
    module.eval()
    with torch.no_grad():  # the starting point counts: training never returns something worse
        best = evaluate(scorer, sp, protocol, "valid")["overall"]["NDCG@10"]
    best_state, waited = copy.deepcopy(module.state_dict()), 0
    bar = tqdm(range(1, epochs + 1), desc=desc, unit="epoch")
    for epoch in bar:
        module.train()
        order = rng.permutation(len(users_all))
        for lo in range(0, len(order), cfg.batch):
            idx = order[lo:lo + cfg.batch]
            u, i = users_all[idx], items_all[idx]
            loss = step(u, i, sampler(u))
        if epoch % cfg.eval_every == 0 or epoch == epochs:
            module.eval()
            with torch.no_grad():
                ndcg = evaluate(scorer, sp, protocol, "valid")["overall"]["NDCG@10"]
            bar.set_postfix(loss=f"{loss.item():.4f}", valid_ndcg10=f"{ndcg:.4f}")
            if ndcg > best:
                best, best_state, waited = ndcg, copy.deepcopy(module.state_dict()), 0
            else:
                waited += 1
                if waited >= cfg.patience:
                    break
    bar.close()
    module.load_state_dict(best_state)
    module.eval()
    return best


def bpr(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    return -F.logsigmoid(pos - neg).mean()


def train_embedding_model(model: MF | GNN, adj: torch.Tensor | None, sp: Split, protocol: Protocol,
                          cfg: TrainConfig, desc: str, trainer: Trainer = adam_step) -> float:
    """BPR for MF (adj None) or a GNN on the normalized training adjacency."""
    def loss(u, i, j):
        users, items = model(adj)
        pos = (users[u] * items[i]).sum(-1)
        neg = (users[u] * items[j]).sum(-1)
        # LightGCN's regulariser: batch-mean L2 of the layer-0 rows of the batch's users and items
        if isinstance(model, MF):
            ego_u, ego_i = model.user, model.item
        else:
            x0 = model.layer0()  # text in GNN: E + P t regularized as one (P t left out: ml-100k valid 0.2023, not 0.2035)
            ego_u, ego_i = x0[:model.n_users], x0[model.n_users:]
        reg = (ego_u[u].pow(2).sum() + ego_i[i].pow(2).sum() + ego_i[j].pow(2).sum()) / (2 * len(u))
        return bpr(pos, neg) + (cfg.mf_reg if isinstance(model, MF) else cfg.reg) * reg

    def score(users: np.ndarray) -> np.ndarray:  # propagation is cheap next to the ranking
        with torch.no_grad():
            u, i = model(adj)
            return (u[torch.from_numpy(users)] @ i.T).numpy()
    return fit_bpr(list(model.parameters()), loss, score, sp, protocol,
                   sp.train, cfg, epochs=cfg.epochs, lr=cfg.mf_lr if isinstance(model, MF) else cfg.lr, desc=desc,
                   module=model, trainer=trainer)


@dataclasses.dataclass
class Features:
    """Fixed per-node inputs of a fusion head (None where the head does not use them)."""

    h_user: torch.Tensor | None
    h_item: torch.Tensor | None
    e_user: torch.Tensor | None
    e_item: torch.Tensor | None
    user_degree: torch.Tensor | None = None  # int64 [n_users] training interactions per user


def head_scorer(head: FusionHead, feats: Features, batch: int = 64):
    """Scorer over all items; the item side is recomputed per call because training changes it."""
    def score(users: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            side = head.item_side(feats.h_item, feats.e_item)
            out = []
            for lo in range(0, len(users), batch):
                u = torch.from_numpy(users[lo:lo + batch])
                out.append(head.score_all(rows_of(feats.h_user, u), rows_of(feats.e_user, u), side,
                                          rows_of(feats.user_degree, u)).numpy())
            return np.concatenate(out)
    return score


def rows_of(t, idx):
    return None if t is None else t[idx]


def train_head(head: FusionHead, feats: Features, sp: Split, protocol: Protocol, cfg: TrainConfig,
               pairs: tuple[np.ndarray, np.ndarray], desc: str, epochs: int | None = None,
               trainer: Trainer = adam_step) -> float:
    def loss(u, i, j):
        hu, eu, degree = rows_of(feats.h_user, u), rows_of(feats.e_user, u), rows_of(feats.user_degree, u)
        pos = head.score_pairs(hu, eu, rows_of(feats.h_item, i), rows_of(feats.e_item, i), degree)
        neg = head.score_pairs(hu, eu, rows_of(feats.h_item, j), rows_of(feats.e_item, j), degree)
        return bpr(pos, neg)
    return fit_bpr(list(head.parameters()), loss, head_scorer(head, feats), sp, protocol, pairs, cfg,
                   epochs=epochs or cfg.head_epochs, lr=cfg.head_lr, weight_decay=cfg.head_weight_decay,
                   desc=desc, module=head, trainer=trainer)


def choose_gnn_weight(head: FusionHead, feats: Features, sp: Split, protocol: Protocol,
                      weights) -> tuple[list[dict[float, float]], float]:
    """Set the head's graph dot-term weight of every user-degree bucket to the value of `weights`
    with the best validation NDCG@10 over that bucket's validation users (a user's ranking
    depends on its own bucket's weight only, so the buckets are chosen independently; a bucket
    without validation users takes the best weight over all of them). Returns, per bucket,
    {weight: mean validation NDCG@10 of the bucket's users}, and the validation NDCG@10 of the
    head with the chosen weights (from the same per-user scores: no second evaluation)."""
    per_weight = {}
    for w in weights:
        with torch.no_grad():
            head.gnn_weight.fill_(w)
        per_weight[w] = per_user_metrics(head_scorer(head, feats), sp, protocol, "valid")["overall"]
    users = next(iter(per_weight.values()))["user"]
    bucket = head.degree_bucket(torch.from_numpy(sp.user_train_count()[users])).numpy()
    overall = max(weights, key=lambda w: per_weight[w]["NDCG@10"].mean())
    scores, chosen = [], np.empty(len(users))
    for b in range(len(head.gnn_weight)):
        mine = bucket == b
        scores.append({w: float(per_weight[w]["NDCG@10"][mine].mean()) for w in weights} if mine.any() else {})
        w_b = max(scores[b], key=scores[b].get) if scores[b] else overall
        chosen[mine] = per_weight[w_b]["NDCG@10"][mine]
        with torch.no_grad():
            head.gnn_weight[b] = w_b
    return scores, float(chosen.mean())


def score_spread(score: Callable, n_users: int, batch: int = 256) -> float:
    """sqrt of the mean over users of the variance of a user's scores over all items: the scale
    of a scorer's rankings (a per-user shift does not change a ranking, so it does not count)."""
    total = 0.0
    for lo in range(0, n_users, batch):
        total += float(np.var(score(np.arange(lo, min(lo + batch, n_users))), axis=1, dtype=np.float64).sum())
    return float(np.sqrt(total / n_users))


def choose_fusion_weight(score_a: Callable, score_b: Callable, sp: Split, protocol: Protocol,
                         weights) -> tuple[float, float, dict[float, float]]:
    """The weight `a` of the fused score s_a + a s_b with the best validation NDCG@10, searched as
    a = w * ratio for w in `weights`, ratio = score_spread(a) / score_spread(b) (w = 1: both
    models move a user's ranking equally on average). Ties go to the first w. Returns
    (a, ratio, {w: validation NDCG@10})."""
    spread_a, spread_b = score_spread(score_a, sp.n_users), score_spread(score_b, sp.n_users)
    if spread_b == 0:
        raise ValueError("the second scorer ranks no item above another (its scores do not vary per user)")
    ratio = spread_a / spread_b
    valid = {}
    for w in weights:
        fused = lambda users, c=w * ratio: score_a(users) + c * score_b(users)  # noqa: E731
        valid[w] = summarize(per_user_metrics(fused, sp, protocol, "valid"))["overall"]["NDCG@10"]
    best = max(weights, key=valid.get)
    return best * ratio, ratio, valid
