"""The run manager: creates runs, hands them to workers, cancels them, reports outcomes.

Runs never execute in the request that created them: a request stores the run and queues it;
one of `jobs` worker coroutines executes it as its own task, so cancelling that task stops the
graph wherever it is (the model call included, which closes its connection).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from typing import Any

from agent_runtime.errors import Conflict, NotFound
from agent_runtime.runs.creation import CancelAction, store_run
from agent_runtime.runs.events import EventBroker, RunEventLog
from agent_runtime.runs.executor import RunOutcome, run_config, stream_graph
from agent_runtime.runs.locks import KeyedLocks
from agent_runtime.runs.queue import RunQueue
from agent_runtime.runs.secrets import split_secrets, with_secrets
from agent_runtime.runs.serde import dumps
from agent_runtime.runs.state import read_final_state
from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.runs import Run, RunCreateStateful
from agent_runtime.services import Services
from agent_runtime.storage.base import ACTIVE_RUN_STATUSES, Owner, ThreadStateUpdate

logger = logging.getLogger(__name__)

# `wait` and `join` read an outcome as soon as the run finishes; past this many, a late `join`
# answers from the stored run and thread instead.
_MAX_OUTCOMES = 1000


class RunManager:
    def __init__(self, services: Services, broker: EventBroker, queue: RunQueue, jobs: int) -> None:
        self.services = services
        self.broker = broker
        self._queue = queue
        self._jobs = jobs
        self._workers: list[asyncio.Task[None]] = []
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._finished: dict[str, asyncio.Event] = {}
        self._outcomes: OrderedDict[str, RunOutcome] = OrderedDict()
        self._cancel_actions: dict[str, CancelAction] = {}
        # Run creation is serialized per thread, so two requests cannot both see it free.
        self._thread_locks = KeyedLocks()
        # Credentials a run was created with (the caller's token, per-run model keys): held
        # here until the run executes, never written into the stored run.
        self._secrets: dict[str, dict[str, Any]] = {}
        # Each queued run as created, with its request and assistant, so its worker need not
        # read or validate them again.
        self._created: dict[str, tuple[Run, RunCreateStateful, Assistant]] = {}
        # Runs whose final values a `wait` or `join` is waiting for. A stateless run's thread
        # is deleted as it ends, so unless someone waits its state is not read at all.
        self._awaited: set[str] = set()
        self._delayed: dict[str, asyncio.TimerHandle] = {}

    async def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(), name=f"run-worker-{i}") for i in range(self._jobs)
        ]

    async def stop(self, grace: float) -> None:
        """Let executing runs finish within `grace` seconds, then interrupt the rest."""
        if self._tasks:
            logger.info("waiting for runs", extra={"runs": len(self._tasks)})
            await asyncio.wait(list(self._tasks.values()), timeout=grace)
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            # A second to record the interrupted runs; one that cannot is left to the
            # start-up recovery of the next process.
            _, unsettled = await asyncio.wait(list(self._tasks.values()), timeout=1)
            if unsettled:
                logger.warning("runs left unsettled", extra={"runs": len(unsettled)})
        for timer in self._delayed.values():
            timer.cancel()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def create(
        self,
        owner: Owner,
        thread_id: str | None,
        request: RunCreateStateful,
        headers: dict[str, str] | None = None,
    ) -> Run:
        """Store and queue a run; `thread_id=None` makes a stateless run on a new thread."""
        services = self.services
        assistant_id = services.resolve_assistant_id(request.assistant_id)
        configurable = {**(request.config.get("configurable") or {}), **(headers or {})}
        request.config, secrets = split_secrets({**request.config, "configurable": configurable})

        stateless = thread_id is None
        thread_id = thread_id or str(uuid.uuid4())
        async with self._thread_locks.hold(thread_id):
            run, assistant = await store_run(
                services, owner, thread_id, stateless, request, assistant_id, self.request_cancel
            )
            if secrets:
                self._secrets[run.run_id] = secrets
            self._created[run.run_id] = (run, request, assistant)
            log = self.broker.open(run.run_id)
            log.publish("metadata", dumps({"run_id": run.run_id, "attempt": 1}))
            self._finished[run.run_id] = asyncio.Event()
            if request.after_seconds:
                # A delayed run waits on a timer, not in a worker: it executes nothing yet.
                self._delayed[run.run_id] = asyncio.get_running_loop().call_later(
                    request.after_seconds, self._release, run.thread_id, run.run_id
                )
            else:
                self._queue.put(run.thread_id, run.run_id)
        # DEBUG: "run finished" is each run's INFO record.
        logger.debug(
            "run queued",
            extra={"run_id": run.run_id, "thread_id": run.thread_id, "assistant_id": assistant_id},
        )
        return run

    def event_log(self, run_id: str) -> RunEventLog | None:
        return self.broker.get(run_id)

    async def cancel(
        self, owner: Owner, thread_id: str, run_id: str, action: CancelAction, wait: bool
    ) -> None:
        run = await self.services.runs.get(owner, run_id, thread_id)
        if run is None:
            raise NotFound(f"Run {run_id} not found")
        if run.status not in ACTIVE_RUN_STATUSES:
            raise Conflict(f"Cannot cancel run with status '{run.status}'")
        self.request_cancel(run, action)
        if wait:
            await self.wait_finished(run_id)

    def request_cancel(self, run: Run, action: CancelAction = "interrupt") -> None:
        """Stop a run wherever it is: executing, or still waiting in the queue."""
        if run.run_id not in self._finished:
            return  # already over
        self._cancel_actions.setdefault(run.run_id, action)
        task = self._tasks.get(run.run_id)
        timer = self._delayed.pop(run.run_id, None)
        if timer is not None:
            timer.cancel()
        if task is not None:
            task.cancel()
        elif timer is not None or self._queue.discard(run.thread_id, run.run_id):
            asyncio.get_running_loop().create_task(self._drop_unstarted(run))
        # Otherwise a worker already holds it and sees the request before it starts.

    async def wait_finished(self, run_id: str) -> None:
        finished = self._finished.get(run_id)
        if finished is not None:
            await finished.wait()

    async def outcome(self, run: Run) -> Any:
        """What `join` and `wait` answer: final values, or the run's error."""
        if run.run_id in self._finished:
            self._awaited.add(run.run_id)
        await self.wait_finished(run.run_id)
        outcome = self._outcomes.get(run.run_id)
        if outcome is not None:
            if not outcome.values_read:
                # A join that came as the stateless run ended, after its state was passed
                # over: the run has gone with its thread.
                raise NotFound(f"Run {run.run_id} not found")
            if outcome.values is None and outcome.on_thread:
                thread = await self.services.threads.get(None, run.thread_id)
                return outcome.result(thread.values if thread is not None else {})
            return outcome.result()
        current = await self.services.runs.get(None, run.run_id)
        if current is not None and current.status == "error":
            return {"__error__": {"error": "RunError", "message": "The run failed"}}
        thread = await self.services.threads.get(None, run.thread_id)
        return thread.values if thread is not None else {}

    async def delete_thread(
        self, owner: Owner, thread_id: str, *, by_run: str | None = None
    ) -> bool:
        """Delete a thread with its runs and checkpoints, stopping what still runs on it.
        `by_run` names a run deleting its own temporary thread as it ends: the thread is
        known to exist, and that run is not waited for."""
        services = self.services
        if by_run is not None:
            # One statement, unless another run was queued on the thread meanwhile.
            if await services.runs.delete_own_thread(by_run, thread_id):
                return True
        elif await services.threads.get(owner, thread_id) is None:
            return False
        for run in await services.runs.active(thread_id):
            if run.run_id != by_run:
                self.request_cancel(run, "interrupt")
                await self.wait_finished(run.run_id)
        return await services.threads.delete(owner, thread_id)

    async def _work(self) -> None:
        while True:
            thread_id, run_id = await self._queue.get()
            task = asyncio.create_task(self._execute(run_id), name=f"run-{run_id}")
            self._tasks[run_id] = task
            try:
                await asyncio.wait([task])
                if not task.cancelled() and task.exception() is not None:
                    await self._end_broken(thread_id, run_id, task.exception())
            finally:
                self._tasks.pop(run_id, None)
                self._queue.done(thread_id, run_id)

    def _release(self, thread_id: str, run_id: str) -> None:
        self._delayed.pop(run_id, None)
        self._queue.put(thread_id, run_id)

    async def _end_broken(self, thread_id: str, run_id: str, exc: BaseException | None) -> None:
        """A run whose own clean-up failed: end it in error rather than leave it running."""
        logger.error(
            "run ended by a server fault",
            extra={"run_id": run_id, "thread_id": thread_id},
            exc_info=exc,
        )
        error = {"error": "InternalServerError", "message": "The run failed on a server fault"}
        log = self.broker.open(run_id)
        log.publish("error", dumps(error))
        log.publish("end", b"null")
        try:
            await self.services.runs.finish(
                run_id, "error", thread_id, ThreadStateUpdate(status="error")
            )
        finally:
            self._finish(run_id, RunOutcome(status="error", error=error))

    async def _execute(self, run_id: str) -> None:
        services = self.services
        # A run cancelled while it waited is only read; any other is claimed in one statement
        # (one created here, while its graph sets up).
        cancelled = run_id in self._cancel_actions
        created = self._created.pop(run_id, None)
        claim: asyncio.Task[bool] | None = None
        if cancelled:
            run = await services.runs.get(None, run_id)
        elif created is not None:
            run, request, assistant = created  # claimed below, while its graph sets up
        else:
            run = await services.runs.set_status(run_id, "running")
        if run is None:
            self._finish(run_id, RunOutcome(status="deleted"))
            return
        if cancelled:
            await self._drop_unstarted(run)
            return
        log = self.broker.open(run_id)
        started = time.perf_counter()
        if created is None:
            request = RunCreateStateful.model_validate(run.kwargs)
        context = {"run_id": run_id, "thread_id": run.thread_id}
        # A stateless run's thread goes when it ends, so its state is not stored (and read
        # only for a `wait` or `join`).
        settle = not (run.kwargs.get("temporary") and request.on_completion == "delete")
        if created is not None:
            # The claim's round trip does not delay the first token; the run is settled
            # only once it is claimed.
            claim = asyncio.create_task(services.runs.start(run_id))
        try:
            if created is None:
                found = await services.assistants.get(None, run.assistant_id)
                if found is None:
                    raise NotFound(f"Assistant {run.assistant_id} not found")
                assistant = found
            request.config = with_secrets(request.config, self._secrets.pop(run_id, {}))
            config = run_config(run, assistant, request)
            graphs, checkpointer, store = services.graphs, services.checkpointer, services.store
            graph = graphs.built(assistant.graph_id, config, checkpointer, store)
            if graph is None:
                # Off the loop: a first build compiles the graph and may import a model client.
                graph = await asyncio.to_thread(
                    graphs.build, assistant.graph_id, config, checkpointer, store
                )
            await stream_graph(
                graph, config, request, {**assistant.context, **request.context}, log
            )
            await _claimed(claim, run_id)
            if settle or run_id in self._awaited:
                outcome = await read_final_state(services, run, "success", settle=settle)
            else:  # a stateless run no one waits for: its thread goes unread
                outcome = RunOutcome(status="success", values_read=False)
        except asyncio.CancelledError:
            _uncancel()
            await _claimed(claim, run_id)
            outcome = await self._settle_cancelled(run, settle)
        except Exception as exc:
            await _claimed(claim, run_id)
            outcome = await self._settle_failed(run, exc, log, settle)
        logger.info(
            "run finished",
            extra={
                **context,
                "assistant_id": run.assistant_id,
                "status": outcome.status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        if not settle:
            # Before the stream ends, so no client sees the thread after its run.
            await self.delete_thread(None, run.thread_id, by_run=run_id)
        log.publish("end", b"null")
        self._finish(run_id, outcome)

    async def _settle_cancelled(self, run: Run, settle: bool) -> RunOutcome:
        action = self._cancel_actions.get(run.run_id, "interrupt")
        services = self.services
        if action == "rollback":
            await services.checkpointer.adelete_for_runs([run.run_id])
            await services.runs.delete(run.run_id)
        return await read_final_state(
            services, run, "interrupted", set_run_status=action != "rollback", settle=settle
        )

    async def _settle_failed(
        self, run: Run, exc: Exception, log: RunEventLog, settle: bool
    ) -> RunOutcome:
        error = {"error": type(exc).__name__, "message": str(exc)}
        log.publish("error", dumps(error))
        known = isinstance(exc, (ValueError, LookupError))
        logger.warning(
            "run failed",
            # `message` is a reserved LogRecord attribute, so the fields get their own names.
            extra={
                "run_id": run.run_id,
                "thread_id": run.thread_id,
                "error_type": error["error"],
                "error_message": error["message"],
            },
            exc_info=None if known else exc,
        )
        try:
            outcome = await read_final_state(self.services, run, "error", settle=settle)
        except Exception:
            logger.exception("could not read state of failed run", extra={"run_id": run.run_id})
            await self.services.runs.finish(
                run.run_id, "error", run.thread_id, ThreadStateUpdate(status="error")
            )
            outcome = RunOutcome(status="error")
        outcome.error = error
        return outcome

    async def _drop_unstarted(self, run: Run) -> None:
        """A run cancelled before it started: it never touched the graph."""
        services = self.services
        rollback = self._cancel_actions.get(run.run_id) == "rollback"
        if rollback:
            await services.runs.delete(run.run_id)
        await services.runs.finish(
            run.run_id,
            None if rollback else "interrupted",
            run.thread_id,
            ThreadStateUpdate(status="idle"),
        )
        log = self.broker.open(run.run_id)
        log.publish("end", b"null")
        self._finish(run.run_id, RunOutcome(status="interrupted"))

    def _finish(self, run_id: str, outcome: RunOutcome) -> None:
        self.broker.close(run_id)
        self._cancel_actions.pop(run_id, None)
        self._secrets.pop(run_id, None)
        self._created.pop(run_id, None)
        if outcome.on_thread and run_id not in self._awaited:
            # A `join` that comes later answers with the thread's values, as the run left
            # them until another run changes them (the final state of the thread, as the
            # SDK has it): kept here too, every outcome would hold a copy of its thread's
            # state, for the collector to walk and the process to hold.
            outcome.values = None
        self._awaited.discard(run_id)
        self._outcomes[run_id] = outcome
        while len(self._outcomes) > _MAX_OUTCOMES:
            self._outcomes.popitem(last=False)
        finished = self._finished.pop(run_id, None)
        if finished is not None:
            finished.set()


async def _claimed(claim: asyncio.Task[bool] | None, run_id: str) -> None:
    """Wait for a run's claim; shielded, so a cancelled run still settles after it."""
    if claim is not None and not await asyncio.shield(claim):
        logger.warning("run was deleted while it started", extra={"run_id": run_id})


def _uncancel() -> None:
    # The cancellation was a request to stop this run, and it has been honoured; clear it so
    # the clean-up below can await normally.
    task = asyncio.current_task()
    if task is not None:
        while task.uncancel():
            pass
