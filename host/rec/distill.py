"""Distillation: (a) a static-embedding student of the text encoder for items that arrive at serving
time, (b) a smaller, int8 student of the hybrid head trained on the teacher's scores.

(a) model2vec distils MiniLM offline from its local directory (no data, no network): every token
of the vocabulary goes through the teacher once, the output vectors are PCA-reduced, and a text's
embedding is the mean of its tokens' vectors. A linear map fitted by ridge regression from the
student's vectors to the teacher's embeddings of the training catalogue's item texts puts the
student in the teacher's 384-d space, so the head trained on teacher vectors scores student
vectors of new items. The student's cache key (model_key) names the distilled model and the map.

(b) The student head is a FusionHead with fewer hidden units, started with the teacher's graph
weights and trained to match the teacher's scores (listwise: KL divergence between the softmax
of the teacher's and the student's scores over each user's sampled items); its Linear weights are
then stored as int8 (symmetric, one scale per output row) and served dequantized in float32.
"""
from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import time
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .model import FusionHead


# -- (a) text student -----------------------------------------------------------------------

def distil_static(model_dir, pca_dims: int = 256, cache_dir=pathlib.Path(".cache") / "students"):
    """The model2vec StaticModel distilled from the sentence-transformer in `model_dir` (cached
    under cache_dir by the model's weights and pca_dims)."""
    from model2vec import StaticModel
    model_dir = pathlib.Path(model_dir)
    weights = next(iter(sorted(model_dir.glob("*.safetensors"))), None)
    if weights is None:
        raise ValueError(f"{model_dir}: no model.safetensors to distil from")
    h = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    path = pathlib.Path(cache_dir) / f"model2vec-{h}-pca{pca_dims}"
    if (path / "model.safetensors").is_file():
        return StaticModel.from_pretrained(str(path))
    from model2vec.distill import distill
    model = distill(model_name=str(model_dir), pca_dims=pca_dims)
    model.save_pretrained(str(path))
    return model


@dataclasses.dataclass
class TextStudent:
    """Static embeddings + a linear map into the teacher's space; unit rows like MiniLM's."""

    static: object                 # model2vec.StaticModel
    projection: np.ndarray         # float32 [student_dim, teacher_dim]
    name: str = "model2vec"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raw = np.asarray(self.static.encode(list(texts), show_progress_bar=False), dtype=np.float32)
        out = raw @ self.projection
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def model_key(self) -> str:
        """Cache name: the static vectors and the map, hashed (never the teacher's key)."""
        h = hashlib.sha256(np.ascontiguousarray(self.static.embedding, dtype=np.float32).tobytes())
        h.update(np.ascontiguousarray(self.projection).tobytes())
        return f"{self.name}-{h.hexdigest()[:16]}"


def fit_student(static, texts: Sequence[str], teacher: np.ndarray, ridge: float = 1e-2) -> TextStudent:
    """The ridge-regression map from the static model's vectors of `texts` to `teacher` [n, d]."""
    x = np.asarray(static.encode(list(texts), show_progress_bar=False), dtype=np.float64)
    a = x.T @ x + ridge * len(x) * np.eye(x.shape[1])
    w = np.linalg.solve(a, x.T @ np.asarray(teacher, np.float64))
    return TextStudent(static, w.astype(np.float32))


def texts_per_second(encode, texts: Sequence[str], repeats: int = 3) -> float:
    """Best of `repeats` encodings of `texts` (call with one torch thread for a one-core figure)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        encode(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


# -- (b) head student -----------------------------------------------------------------------

def int8_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 of each output row: (int8 [out, in], float32 scales [out])."""
    scale = w.abs().amax(dim=1).clamp_min(1e-12) / 127.0
    return torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8), scale


def quantize_head_int8(head: FusionHead) -> dict:
    """Replace every Linear weight of `head` by its int8 rows dequantized (in place); returns the
    int8 tensors and scales (what a board stores: 1 byte a weight)."""
    stored = {}
    with torch.no_grad():
        for name, module in head.named_modules():
            if isinstance(module, torch.nn.Linear):
                q, s = int8_rows(module.weight)
                module.weight.copy_(q.float() * s[:, None])
                stored[name] = (q, s)
    return stored


def distil_head(teacher: FusionHead, feats, train_users: np.ndarray, n_items: int, hidden: int = 16,
                proj: int = 32, epochs: int = 30, users_per_step: int = 64, items_per_user: int = 128,
                temperature: float = 1.0, lr: float = 5e-3, seed: int = 0) -> FusionHead:
    """A FusionHead with `hidden` units (and a `proj`-d text projection) trained to rank like
    `teacher` on host.rec.train.Features `feats`: per step, `users_per_step` training users, each
    with `items_per_user` uniform items, KL(teacher softmax || student softmax) of the scores."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    bounds = tuple(teacher.degree_bounds.tolist())
    student = FusionHead(teacher.gnn_dim, teacher.text_dim, hidden, proj if teacher.text_dim else 64,
                         gnn_dot=teacher.gnn_weight is not None, degree_bounds=bounds)
    if teacher.gnn_weight is not None:
        with torch.no_grad():
            student.gnn_weight.copy_(teacher.gnn_weight)
    opt = torch.optim.Adam(student.parameters(), lr=lr)
    users = np.unique(train_users)
    teacher.eval()
    rows = lambda t, idx: None if t is None else t[idx]  # noqa: E731
    for _ in range(epochs):
        for lo in range(0, len(users), users_per_step):
            u = torch.from_numpy(rng.permutation(users)[:users_per_step])
            items = torch.from_numpy(rng.integers(n_items, size=(len(u), items_per_user)))
            uu = u[:, None].expand_as(items).reshape(-1)
            ii = items.reshape(-1)
            args = (rows(feats.h_user, uu), rows(feats.e_user, uu), rows(feats.h_item, ii), rows(feats.e_item, ii),
                    rows(feats.user_degree, uu))
            with torch.no_grad():
                target = teacher.score_pairs(*args).view(len(u), -1)
            pred = student.score_pairs(*args).view(len(u), -1)
            loss = F.kl_div(F.log_softmax(pred / temperature, -1), F.log_softmax(target / temperature, -1),
                            log_target=True, reduction="batchmean")
            opt.zero_grad()
            loss.backward()
            opt.step()
    student.eval()
    return student
