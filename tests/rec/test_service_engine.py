"""The service's batch engine: a user's recommendations in a batch of B are bit-identical to the
same user served alone, for every B up to the batch limit, and the batch's graph rows are the
offline full-graph rows (one B-row accelerator call)."""
import numpy as np
import pytest
import torch

from host.driver import Accelerator
from host.rec.serve import RequestTiming
from host.rec.service.engine import Engine, Query
from tests.support.service_model import N_USERS, build_recommender


@pytest.fixture(scope="module")
def engine():
    torch.set_num_threads(1)
    with Accelerator("cpu") as acc:
        yield Engine(build_recommender(acc), max_batch=64)


def queries(eng, users, k=10):
    rec = eng.rec
    return [Query(k, u, rec.neighbours[u], rec.known[u]) for u in users]


def test_batch_rows_are_the_offline_rows_in_one_call(engine):
    timing = RequestTiming()
    h = engine.user_rows(queries(engine, range(N_USERS)), timing)
    np.testing.assert_array_equal(h, engine.rec.gnn.final[:N_USERS])
    assert timing.calls == 1  # LightGCN: the B rows and both layers in one accelerator call


def test_batched_results_are_bit_identical_to_single_ones(engine):
    rng = np.random.default_rng(0)
    users = list(rng.permutation(N_USERS)) + [3, 3]  # a user twice in one batch, too
    single = {u: engine.run(queries(engine, [u]))[0][0] for u in set(users)}
    for b in (1, 2, 3, 5, 8, 13, 32, len(users)):
        results, timing = engine.run(queries(engine, users[:b]))
        assert timing.size == b and timing.calls == 1
        for u, r in zip(users[:b], results):
            np.testing.assert_array_equal(r.items, single[u].items)
            np.testing.assert_array_equal(r.scores, single[u].scores)  # bits, not closeness


def test_gemm_option_agrees_to_rounding(engine):
    fast = Engine(engine.rec, max_batch=64, gemm=True)
    qs = queries(engine, range(N_USERS))
    exact, _ = engine.run(qs)
    quick, _ = fast.run(qs)
    for a, b in zip(exact, quick):
        np.testing.assert_allclose(a.scores, b.scores, rtol=0, atol=1e-5)


def test_same_ranking_as_the_serving_stack(engine):
    for u in range(0, N_USERS, 5):
        ref = engine.rec.recommendations(u, 10)
        (r,), _ = engine.run(queries(engine, [u]))
        assert [x.item for x in ref] == list(r.items)
        np.testing.assert_allclose([x.score for x in ref], r.scores, rtol=0, atol=1e-5)  # float32 sum order


def test_cold_start_rows(engine):
    rec = engine.rec
    pop, new, known = (Query(5, None, np.zeros(0, np.uint32), np.zeros(0, np.int64)),
                       Query(5, None, np.array([3, 7], np.uint32), np.array([3, 7])),
                       queries(engine, [4], 5)[0])
    (rp, rn, rk), timing = engine.run([pop, new, known])
    assert rp.strategy == "popularity" and rn.strategy == rk.strategy == "graph"
    deg = rec.gnn.item_degree
    assert list(rp.items) == sorted(range(rec.n_items), key=lambda i: (-deg[i], i))[:5]
    assert not set(rn.items) & {3, 7}
    assert timing.size == 3 and timing.calls == 1  # the two graph rows in one call



def test_batches_leave_no_request_graph_alive(engine):
    # each batch loads and releases one request graph; a released graph must not stay referenced
    # (it did, in the Accelerator's list of loaded graphs: a leak per batch and a cyclic-GC pass
    # over every batch ever served)
    import gc
    from host.driver.accelerator import GraphHandle
    engine.run(queries(engine, [0]))
    gc.collect()
    before = sum(isinstance(o, GraphHandle) for o in gc.get_objects())
    for b in range(1, 41):
        engine.run(queries(engine, range(b % N_USERS + 1)))
    gc.collect()
    assert sum(isinstance(o, GraphHandle) for o in gc.get_objects()) == before
