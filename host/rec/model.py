"""Models: Eq. 1 GNN (LightGCN- and GCN-style from one layer), BPR-MF and the fusion head.
(The GNN's fixed-point export and inference through the driver are in host.rec.quant.)

Eq. 1, one layer on the unified user+item graph with symmetric normalization:

    h_v' = sigma( W . sum_{u in N(v)} h_u / sqrt(|N(u)| |N(v)|) )

LightGCN style: W = I, sigma = identity; GCN style: learned W, sigma = ReLU. Either way the final
node embedding is the mean of the layer outputs 0..L (LightGCN's layer combination).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import nn

from golden.graph import BipartiteGraph, CSR
from golden.norm import Normalization, normalization

STYLES = ("lightgcn", "gcn")


def unified_graph(graph: BipartiteGraph) -> tuple[CSR, Normalization]:
    """The training graph as the accelerator sees it: unified users+items CSR, symmetric norm."""
    csr = graph.unified()
    return csr, normalization(csr, "symmetric")


def sparse_adjacency(csr: CSR, norm: Normalization) -> torch.Tensor:
    """The normalized adjacency (1/c_vu at [v, u]) as a torch sparse CSR matrix."""
    with warnings.catch_warnings():  # torch flags sparse CSR as beta; golden.graph validated it
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(csr.row_ptr.astype(np.int64)),
                                       torch.from_numpy(csr.col_idx.astype(np.int64)),
                                       torch.from_numpy(norm.edge_values(csr).astype(np.float32)),
                                       size=(csr.n_dst, csr.n_src))


class Eq1Layer(nn.Module):
    """One layer of Eq. 1: sigma(A_hat h W^T). W = I and identity for LightGCN; W learned
    (initialized near I) and ReLU for GCN. W is stored [out][in] as the accelerator wants it."""

    def __init__(self, dim: int, style: str):
        super().__init__()
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {style!r}")
        self.relu = style == "gcn"
        self.weight = nn.Parameter(torch.eye(dim) + 0.01 * torch.randn(dim, dim)) if style == "gcn" else None

    def forward(self, adj: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        h = adj @ h
        if self.weight is not None:
            h = h @ self.weight.T
        return torch.relu(h) if self.relu else h


class GNN(nn.Module):
    """Eq. 1 layers over learned layer-0 node features x0 ([n_users + n_items, dim], users first).

    x0 = E (a free embedding per node, LightGCN), plus P t when `text` is given: t the language-
    model embedding of each node ([n_nodes, text_dim], users first), P a learned text_dim -> dim
    map ("text-aware message passing"). Eq. 1 then propagates text through the graph: a cold
    item's graph embedding comes from its own text and its few neighbours' x0, and the
    accelerator computes it from the exported x0 like any other."""

    def __init__(self, n_users: int, n_items: int, dim: int = 64, layers: int = 2,
                 style: str = "lightgcn", init_std: float = 0.1, text: torch.Tensor | None = None):
        super().__init__()
        self.n_users, self.n_items, self.style = n_users, n_items, style
        self.embedding = nn.Parameter(init_std * torch.randn(n_users + n_items, dim))
        self.layers = nn.ModuleList(Eq1Layer(dim, style) for _ in range(layers))
        if text is not None:
            if text.shape[0] != n_users + n_items:
                raise ValueError(f"text has {text.shape[0]} rows, the graph {n_users + n_items} nodes")
            self.register_buffer("text", text.detach().float().clone())
            self.text_proj = nn.Linear(text.shape[1], dim, bias=False)
            # P t starts at the free embedding's scale (t rows are unit vectors)
            nn.init.normal_(self.text_proj.weight, std=init_std)
        else:
            self.text, self.text_proj = None, None

    def layer0(self) -> torch.Tensor:
        """x0, the features Eq. 1 propagates (and the accelerator receives)."""
        if self.text_proj is None:
            return self.embedding
        return self.embedding + self.text_proj(self.text)

    def layer_outputs(self, adj: torch.Tensor) -> list[torch.Tensor]:
        outs = [self.layer0()]
        for layer in self.layers:
            outs.append(layer(adj, outs[-1]))
        return outs

    def forward(self, adj: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(user embeddings, item embeddings) after layer combination."""
        final = torch.stack(self.layer_outputs(adj)).mean(0)
        return final[:self.n_users], final[self.n_users:]


class MF(nn.Module):
    """BPR matrix factorization: score = p_u . q_i."""

    def __init__(self, n_users: int, n_items: int, dim: int = 64, init_std: float = 0.1):
        super().__init__()
        self.user = nn.Parameter(init_std * torch.randn(n_users, dim))
        self.item = nn.Parameter(init_std * torch.randn(n_items, dim))

    def forward(self, adj=None):
        return self.user, self.item


# --------------------------------------------------------------------------- fusion head

class FusionHead(nn.Module):
    """Scores z_ui = [h_u | e_u | h_i | e_i] (Eq. 3/4): a hidden ReLU layer over the concatenation
    plus optional dot terms,

        s(u, i) = w2 . relu(A [h_u|e_u] + B [h_i|e_i] + b1)  +  g_b(u) <h_u, h_i>  +  <P e_u, P e_i>

    The graph weight g_b(u) depends on the bucket of the user's training degree (`degree_bounds`:
    the buckets' inclusive upper bounds, all but the last bucket's), so users the graph knows from
    a few interactions and users it knows well can weigh graph against text differently. No
    bounds: one weight g.

    A single linear layer would rank items the same for every user (the user part is a constant
    per user); the hidden layer and the dot terms make the ranking user-dependent. `B [h_i|e_i]`,
    `h_i` and `P e_i` do not depend on the user: `item_side` precomputes them once, so scoring all
    items for a request is one [n_items, hidden] add + ReLU + matvec. gnn_dim or text_dim may be
    0 (text-only or graph-only heads)."""

    def __init__(self, gnn_dim: int, text_dim: int, hidden: int = 64, proj: int = 64,
                 gnn_dot: bool = True, degree_bounds: tuple[int, ...] = ()):
        super().__init__()
        if gnn_dim + text_dim <= 0:
            raise ValueError("the head needs graph or text features")
        if list(degree_bounds) != sorted(set(degree_bounds)):
            raise ValueError(f"degree_bounds must be strictly increasing, got {degree_bounds}")
        self.gnn_dim, self.text_dim = gnn_dim, text_dim
        self.user_in = nn.Linear(gnn_dim + text_dim, hidden)
        self.item_in = nn.Linear(gnn_dim + text_dim, hidden, bias=False)
        self.out = nn.Linear(hidden, 1)
        self.register_buffer("degree_bounds", torch.tensor(degree_bounds, dtype=torch.int64))
        self.gnn_weight = nn.Parameter(torch.ones(len(degree_bounds) + 1)) if gnn_dim and gnn_dot else None
        self.text_proj = nn.Linear(text_dim, proj, bias=False) if text_dim else None
        # the MLP starts silent: a graph+text head starts as the GNN's own dot product ranking
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def _features(self, h, e):
        parts = ([h] if self.gnn_dim else []) + ([e] if self.text_dim else [])
        return torch.cat(parts, dim=-1)

    def item_side(self, h_i, e_i) -> dict:
        return {"first": self.item_in(self._features(h_i, e_i)), "h": h_i,
                "proj": self.text_proj(e_i) if self.text_proj is not None else None}

    def degree_bucket(self, degree: torch.Tensor) -> torch.Tensor:
        """Bucket b of each training degree: bounds[b - 1] < degree <= bounds[b]."""
        return torch.bucketize(degree, self.degree_bounds)

    def user_gnn_weight(self, degree: torch.Tensor | None) -> torch.Tensor:
        """[B] graph weights of B users of the given training degrees ([1] without buckets)."""
        if not len(self.degree_bounds):
            return self.gnn_weight
        if degree is None:
            raise ValueError("this head weighs the graph by user degree: pass the users' training degrees")
        return self.gnn_weight[self.degree_bucket(degree)]

    def _dots(self, h_u, e_u, side, pairwise: bool, degree):
        total = 0.0
        mul = (lambda a, b: (a * b).sum(-1)) if pairwise else (lambda a, b: a @ b.T)  # noqa: E731
        if self.gnn_weight is not None:
            g = self.user_gnn_weight(degree)
            total = total + (g if pairwise else g[:, None]) * mul(h_u, side["h"])
        if self.text_proj is not None:
            total = total + mul(self.text_proj(e_u), side["proj"])
        return total

    def score_all(self, h_u, e_u, side, degree=None) -> torch.Tensor:
        """[B, n_items] scores of B users (training degrees `degree` [B]) against every item of `side`."""
        hidden = torch.relu(self.user_in(self._features(h_u, e_u))[:, None, :] + side["first"][None])
        return self.out(hidden).squeeze(-1) + self._dots(h_u, e_u, side, False, degree)

    def score_pairs(self, h_u, e_u, h_i, e_i, degree=None) -> torch.Tensor:
        """[B] scores of pairs (user b, item b)."""
        side = self.item_side(h_i, e_i)
        hidden = torch.relu(self.user_in(self._features(h_u, e_u)) + side["first"])
        return self.out(hidden).squeeze(-1) + self._dots(h_u, e_u, side, True, degree)


def hybrid_from_text_head(text_head: FusionHead, gnn_dim: int, gnn_weight: float = 1.0,
                          degree_bounds: tuple[int, ...] = ()) -> FusionHead:
    """A graph+text head that starts as  gnn_weight * <h_u, h_i> + (the text head's score) in
    every degree bucket: the text head's layers are copied into the text columns, the graph
    columns of the hidden layer start at zero and are free to learn."""
    if text_head.gnn_dim:
        raise ValueError("expected a text-only head")
    head = FusionHead(gnn_dim, text_head.text_dim, text_head.out.in_features,
                      text_head.text_proj.out_features, degree_bounds=degree_bounds)
    with torch.no_grad():
        head.text_proj.weight.copy_(text_head.text_proj.weight)
        for mine, theirs in ((head.user_in, text_head.user_in), (head.item_in, text_head.item_in)):
            mine.weight.zero_()
            mine.weight[:, gnn_dim:] = theirs.weight
        head.user_in.bias.copy_(text_head.user_in.bias)
        head.out.load_state_dict(text_head.out.state_dict())
        head.gnn_weight.fill_(gnn_weight)
    return head


def fused_gnn(a: GNN, b: GNN, weight: float) -> GNN:
    """One GNN of width F_a + F_b whose <h_u, h_i> is a's plus `weight` times b's, exactly (up to
    float rounding): x0 = [x0_a | sqrt(weight) x0_b], W = blockdiag(W_a, W_b). Eq. 1 acts on each
    block on its own (the adjacency mixes nodes, not columns; W is block-diagonal; ReLU is
    elementwise and commutes with a positive scale), so the layer outputs and their mean are
    [h_a | sqrt(weight) h_b]. The score-level fusion of two GNNs is thus a single GNN the
    accelerator propagates in one pass, exported and served like any other."""
    if (a.n_users, a.n_items, len(a.layers), a.style) != (b.n_users, b.n_items, len(b.layers), b.style):
        raise ValueError("fused_gnn needs two GNNs of the same graph, layer count and style, got "
                         f"{(a.n_users, a.n_items, len(a.layers), a.style)} and "
                         f"{(b.n_users, b.n_items, len(b.layers), b.style)}")
    if not weight >= 0:
        raise ValueError(f"the fusion weight must be >= 0, got {weight}")
    texts = [g.text for g in (a, b) if g.text is not None]
    if len(texts) == 2 and not torch.equal(*texts):
        raise ValueError("fused_gnn: both GNNs have text features, and they differ")
    fa, fb = a.embedding.shape[1], b.embedding.shape[1]
    root = float(weight) ** 0.5
    with torch.no_grad():
        fused = GNN(a.n_users, a.n_items, fa + fb, len(a.layers), a.style, init_std=0.0,
                    text=texts[0] if texts else None)
        fused.embedding.copy_(torch.cat([a.embedding, root * b.embedding], 1))
        if texts:
            fused.text_proj.weight.zero_()
            for g, rows, s in ((a, slice(0, fa), 1.0), (b, slice(fa, fa + fb), root)):
                if g.text_proj is not None:
                    fused.text_proj.weight[rows] = s * g.text_proj.weight
        for layer, la, lb in zip(fused.layers, a.layers, b.layers):
            if layer.weight is not None:
                layer.weight.copy_(torch.block_diag(la.weight, lb.weight))
    return fused.eval()
