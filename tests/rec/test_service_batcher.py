"""The micro-batcher alone, on a stand-in engine: batches form by size and by wait, one timer
serves every deadline (queued requests past theirs are never sent to a worker), inline and thread
workers give the same answers, a failing batch fails its requests only."""
import asyncio
import threading

import pytest

from host.rec.service.batcher import DeadlineExceeded, MicroBatcher, Overloaded, Worker


class Doubler:
    def __init__(self, gate: threading.Event | None = None, fail_on=None):
        self.batches, self.gate, self.fail_on = [], gate, fail_on

    def run(self, queries):
        if self.gate is not None:
            self.gate.wait(5)
        self.batches.append(list(queries))
        if self.fail_on in queries:
            raise RuntimeError("bad batch")

        class Timing:
            size = len(queries)
        return [2 * q for q in queries], Timing()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


@pytest.mark.parametrize("inline", [True, False])
def test_batches_form_by_size_and_wait(inline):
    async def main():
        eng = Doubler()
        b = MicroBatcher([Worker(0, eng, "cpu", inline=inline)], max_batch=4, max_wait_s=0.05, timeout_s=5)
        b.start()
        results = await asyncio.gather(*(b.submit(q) for q in range(10)))
        await b.close()
        return eng.batches, results
    batches, results = run(main())
    assert [r for r, _ in results] == [2 * q for q in range(10)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # the last two after the wait, not before
    assert [info["batch"].size for _, info in results] == [4] * 8 + [2] * 2


def test_one_timer_expires_queued_requests():
    async def main():
        gate = threading.Event()
        eng = Doubler(gate)
        b = MicroBatcher([Worker(0, eng, "cpu")], max_batch=1, max_wait_s=0, timeout_s=0.1)
        b.start()
        outcomes = await asyncio.gather(*(b.submit(q) for q in range(5)), return_exceptions=True)
        assert b._expiry is None and not b._live  # every deadline dealt with, no timer left
        gate.set()
        late = await b.submit(7)
        await b.close()
        return eng.batches, outcomes, late
    batches, outcomes, late = run(main())
    assert all(isinstance(o, DeadlineExceeded) and "100 ms" in str(o) for o in outcomes)
    assert batches == [[0], [7]]  # 1..4 waited past their deadline: never sent to the worker
    assert late[0] == 14


def test_queue_full_and_a_failing_batch():
    async def main():
        eng = Doubler(fail_on=3)
        b = MicroBatcher([Worker(0, eng, "cpu", inline=True)], max_batch=2, max_wait_s=0.01, max_queue=4, timeout_s=5)
        b.start()
        futs = [asyncio.ensure_future(b.submit(q)) for q in range(8)]  # 2 to the free worker, 4 wait
        out = await asyncio.gather(*futs, return_exceptions=True)
        ok = await b.submit(10)
        await b.close()
        with pytest.raises(Overloaded, match="shutting down"):
            await b.submit(11)
        return out, ok
    out, ok = run(main())
    assert [type(o).__name__ for o in out] == ["tuple", "tuple", "RuntimeError", "RuntimeError", "tuple", "tuple",
                                               "Overloaded", "Overloaded"]
    assert ok[0] == 20


def test_admission_does_not_depend_on_when_the_dispatcher_runs():
    """max_batch 1, max_queue 2, one worker held: 1 in flight + 2 waiting are accepted, the rest
    refused, whether the requests come in one loop iteration or one at a time."""
    async def main(spread):
        gate = threading.Event()
        b = MicroBatcher([Worker(0, Doubler(gate), "cpu")], max_batch=1, max_wait_s=0, max_queue=2, timeout_s=5)
        b.start()
        futs = []
        for q in range(8):
            futs.append(asyncio.ensure_future(b.submit(q)))
            if spread:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        gate.set()
        out = await asyncio.gather(*futs, return_exceptions=True)
        await b.close()
        return [type(o).__name__ for o in out]
    for spread in (False, True):
        assert run(main(spread)) == ["tuple"] * 3 + ["Overloaded"] * 5, spread


def test_answered_requests_leave_the_deadline_queue_at_once():
    async def main():
        b = MicroBatcher([Worker(0, Doubler(), "cpu")], max_batch=4, max_wait_s=0, timeout_s=60)
        b.start()
        await asyncio.gather(*(b.submit(q) for q in range(10)))
        left = len(b._live)  # long before any deadline: nothing answered is still held
        await b.close()
        return left
    assert run(main()) == 0
