"""Dynamic batching: requests wait in one bounded queue, and one worker runs the model on
batches of them in a thread of its own, answering each request with its own rows.

A batch takes the requests already queued for the same model and input shapes, up to
`max_batch` rows. It waits for more, at most `max_wait` seconds, only while other
requests are still being received: a lone request runs at once, so batching costs no
latency when there is nothing to batch with.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import torch

from mlang.runtime.interpreter import runtime_message
from mlang.runtime.serve.metrics import Metrics
from mlang.runtime.serve.schema import BadInput
from mlang.runtime.serve.served import ServedModel
from mlang.support.diagnostics import UserError

Answer = dict[str, object]


@dataclass(eq=False)
class Job:
    """One predict request: its model, its checked inputs and where its answer goes."""

    served: ServedModel
    args: list[torch.Tensor]
    future: asyncio.Future[Answer] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def rows(self) -> int:
        """How many rows the request holds (1 for a model that is not batched)."""
        return int(self.args[0].shape[0]) if self.served.signature.batched else 1

    def joins(self, other: Job) -> bool:
        """Whether `other` can run in one batch with this job."""
        return (self.served is other.served and self.served.signature.batched
                and all(a.shape[1:] == b.shape[1:] for a, b in zip(self.args, other.args)))


class Batcher:
    """The queue of predict requests and the worker that runs them in batches."""

    def __init__(self, max_batch: int, max_wait: float, max_queue: int) -> None:
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.receiving = 0
        """Predict requests being read and checked, not yet queued."""
        self.metrics: Metrics | None = None
        self._queue: asyncio.Queue[Job | None] = asyncio.Queue(max_queue)
        self._held: deque[Job | None] = deque()  # taken from the queue, left for the next batch
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="mlang-model")
        self._worker: asyncio.Task[None] | None = None

    def depth(self) -> float:
        """Requests waiting for the model."""
        return float(self._queue.qsize() + len(self._held))

    @contextlib.contextmanager
    def receiving_one(self) -> Iterator[None]:
        """Counts a request as being received while its body is read and checked."""
        self.receiving += 1
        try:
            yield
        finally:
            self.receiving -= 1

    async def submit(self, job: Job) -> Answer:
        """Queues `job` and waits for its answer; a full queue is a 503."""
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            raise BadInput("the server is busy: its queue is full; retry later", 503) from None
        return await job.future

    def start(self) -> None:
        """Starts the worker on the running event loop."""
        self._worker = asyncio.get_running_loop().create_task(self._work())

    async def stop(self) -> None:
        """Answers every queued request, then stops the worker."""
        if self._worker is not None:
            await self._queue.put(None)
            await self._worker
        self._executor.shutdown()

    async def _work(self) -> None:
        """Takes batches off the queue and runs them, one at a time, until `stop`."""
        while True:
            first = self._held.popleft() if self._held else await self._queue.get()
            if first is None:
                return
            batch = await self._gather(first)
            await self._run(batch)

    async def _gather(self, first: Job) -> list[Job]:
        """`first` and the jobs that join it, up to `max_batch` rows."""
        batch, rows = [first], first.rows
        deadline = time.monotonic() + self.max_wait
        while rows < self.max_batch and first.served.signature.batched:
            job = await self._next(deadline)
            if job is None:
                break
            if not first.joins(job) or rows + job.rows > self.max_batch:
                self._held.append(job)
                break
            batch.append(job)
            rows += job.rows
        return batch

    async def _next(self, deadline: float) -> Job | None:
        """The next queued job: at once if there is one, else waiting until `deadline`
        while some request is still being received; None when none comes or when `stop`
        was asked for (its marker is held, to end the worker after this batch)."""
        if self._queue.empty():
            left = deadline - time.monotonic()
            if self.receiving == 0 or left <= 0:
                return None
            try:
                job = await asyncio.wait_for(self._queue.get(), left)
            except TimeoutError:
                return None
        else:
            job = self._queue.get_nowait()
        if job is None:
            self._held.append(None)
        return job

    async def _run(self, batch: list[Job]) -> None:
        """Runs `batch` in the model's thread and answers each job; when a batch of
        several fails, each job runs alone, so that one request cannot fail another."""
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.run_in_executor(self._executor, _execute, batch)
        except Exception as err:  # noqa: BLE001 - a model may raise anything; reported per job
            if len(batch) > 1:
                for job in batch:
                    await self._run([job])
                return
            _settle(batch[0], err)
            return
        if self.metrics is not None:
            name = batch[0].served.name
            self.metrics.batch_rows.labels(name).observe(sum(j.rows for j in batch))
            self.metrics.batch_requests.labels(name).observe(len(batch))
        for job, answer in zip(batch, answers):
            _settle(job, answer)


# What torch and Python raise on bad data that only a call reveals (an id out of range),
# as the interpreter classes them: the request's fault, a 400.
_DATA_ERRORS = (RuntimeError, ValueError, IndexError, TypeError, ZeroDivisionError,
                OverflowError)


def _settle(job: Job, result: Answer | Exception) -> None:
    """Answers `job` (unless its client went away); a UserError of the model, or an
    error of torch on the data, is the request's fault, a 400."""
    if job.future.done():
        return
    if isinstance(result, UserError):
        result = BadInput(str(result))
    elif isinstance(result, _DATA_ERRORS):
        result = BadInput(f"the model cannot run on these inputs: {runtime_message(result)}")
    if isinstance(result, Exception):
        job.future.set_exception(result)
    else:
        job.future.set_result(result)


def _execute(batch: Sequence[Job]) -> list[Answer]:
    """The answers of a batch, run as one call of `forward` (in the model's thread)."""
    served = batch[0].served
    if len(batch) == 1:
        return [served.answer(served.run(batch[0].args))]
    args = [torch.cat(parts) for parts in zip(*(job.args for job in batch))]
    outputs = served.run(args)
    answers, start = [], 0
    for job in batch:
        answers.append(served.answer([o[start:start + job.rows] for o in outputs]))
        start += job.rows
    return answers
