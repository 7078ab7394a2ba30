"""Where the per-file work of an ingest runs: a crash-isolated local pool, or a Dask cluster.

The ingest maps its per-file work (``ingest.process_file``) over any
``concurrent.futures.Executor``. Two are provided:

- ``IsolatedExecutor`` (the default): long-lived child processes on this machine, each with an
  address-space limit (``RLIMIT_AS``) and a timeout per task. A town's workbook is untrusted and
  the parser can kill its process (calamine #693 aborts with SIGABRT, which Python cannot
  catch), so a child that dies or hangs costs its task only: the child is replaced and the
  other tasks go on.
- ``dask_executor(address)``: the same tasks on a Dask distributed cluster
  (``Client.get_executor``), for collections beyond one machine. Dask gives no per-task memory
  limit or timeout: the pre-flight checks still run before the parser, a worker killed by a
  file is restarted by its nanny, and after a few deaths the task fails with ``KilledWorker``.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import pickle
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from dataclasses import dataclass, field
from multiprocessing.connection import wait as mp_wait
from typing import Any

from talentstats.errors import ParameterError, TalentstatsError

__all__ = [
    "ExecutorError",
    "IsolatedExecutor",
    "WorkerFailure",
    "dask_executor",
    "default_workers",
]

#: Modules the fork server imports once, so that a new child starts with them (the module of
#: the first submitted function is added: its imports, e.g. pandas, are then not paid per child).
PRELOAD = ("talentstats.reading.executor", "talentstats.reading.readers", "python_calamine", "talentstats.reading.parse")


class WorkerFailure(TalentstatsError):
    """A task whose child process died, ran past the timeout or out of memory, or whose
    exception or result could not be sent back. ``reason`` (and ``str()``) is the Chinese text
    for the finding (X01)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ExecutorError(TalentstatsError):
    """The workers running the per-file work were lost as a whole (a Dask cluster gone, a pool
    broken): the batch cannot be completed, and nothing was written."""


class BrokenIsolatedExecutor(BrokenExecutor):
    """The dispatcher of an ``IsolatedExecutor`` failed; its pending tasks cannot run."""


def default_workers() -> int:
    """Every core this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- The child process ------------------------------------------------------------------------


def _limit_memory(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a ``WorkerFailure`` that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception class with an odd constructor
        return WorkerFailure(f"解析时出错（{type(exc).__name__}: {str(exc)[:200]}）")
    return exc


def _child_main(conn: Any, memory_mb: int, warmup: tuple | None = None) -> None:
    """A long-lived child: limit memory, warm up, then run one task at a time until told to
    stop.

    Each answer is ``(task id, ok, value)``: the function's result, or the exception it raised.
    ``warmup`` is ``(fn, args)``, called once before the first task; its errors are ignored
    (it only fills caches: a task that needs what failed meets the error itself).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _limit_memory(memory_mb)
    if warmup is not None:
        with contextlib.suppress(Exception):
            warmup[0](*warmup[1])
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task_id, payload = msg
        try:
            fn, args, kwargs = pickle.loads(payload)
            answer: tuple[int, bool, Any] = (task_id, True, fn(*args, **kwargs))
        except MemoryError:
            answer = (task_id, False, WorkerFailure(
                f"解析时内存不足（超过 {memory_mb} MB 上限），文件过大或含异常内容"))
        except Exception as e:  # noqa: BLE001 - one task's bug must not stop the batch
            with contextlib.suppress(Exception):
                e.add_note("在子进程中：\n" + traceback.format_exc(limit=-8))
            answer = (task_id, False, _portable(e))
        try:
            conn.send(answer)
        except Exception as e:  # noqa: BLE001 - e.g. an unpicklable result
            conn.send((task_id, False, WorkerFailure(f"解析结果无法传回（{type(e).__name__}）")))


def _death_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            sig = signal.Signals(-exitcode).name
        except ValueError:
            sig = f"信号 {-exitcode}"
        hint = {
            "SIGABRT": "，通常是文件让解析库申请了过多内存",
            "SIGKILL": "，可能是内存耗尽",
            "SIGSEGV": "，解析库崩溃",
        }.get(sig, "")
        return f"解析进程异常退出（{sig}{hint}），文件无法读取"
    return f"解析进程异常退出（退出码 {exitcode}），文件无法读取"


# --- The isolated pool ------------------------------------------------------------------------


@dataclass(eq=False)
class _Task:
    id: int
    future: Future
    payload: bytes  # pickled (fn, args, kwargs)
    sent: bool = False  # the future is running (set when first sent to a child)
    attempts: int = 0  # children that died on it


@dataclass(eq=False)
class _Slot:
    proc: Any
    conn: Any
    tasks: deque[_Task] = field(default_factory=deque)  # sent, not yet answered; the first runs
    deadline: float = 0.0


class IsolatedExecutor(Executor):
    """A pool of long-lived child processes, crash- and hang-proof per task.

    Each child sets ``RLIMIT_AS`` to ``memory_mb`` and runs its tasks one at a time, in the
    order sent, answering each before it starts the next, so the pool always knows which task
    a child is on. Up to ``prefetch`` tasks wait in a child's pipe, so a child does not sit idle
    while the parent is busy. A child that dies (SIGABRT from calamine, SIGKILL, a segfault) is
    replaced and its task retried once in a fresh child; a second death makes that task the
    culprit. A task that runs past ``timeout`` seconds gets its child killed (no retry). Either
    way the task's future fails with a ``WorkerFailure`` carrying a Chinese reason, and the
    others go on. Children are started on demand, at most ``max_workers``.

    ``submit(fn, *args, **kwargs)`` needs a module-level ``fn`` and picklable arguments and
    results (children import ``fn`` by name). An exception raised by ``fn`` is the future's
    exception; ``MemoryError`` becomes a ``WorkerFailure``. A dispatcher thread owns the
    children; ``shutdown()`` stops them (use the executor as a context manager).

    Parameters
    ----------
    max_workers
        Child processes; every core by default.
    timeout, memory_mb
        Seconds per task, address-space limit of a child in MB.
    prefetch
        Tasks sent ahead to a child. The tasks behind one that kills its child or times out
        go back to the queue as they were (they have not run).
    preload
        Modules the fork server imports before it forks the children. The fork server is
        started once per process, by its first executor, so only that executor's preload (and
        the module of the first task, or of ``warmup``) counts; later executors fork from the
        same server.
    warmup
        ``(fn, args)``: called in each child when it starts, before its first task, to load
        what every task needs (declarations, a registry). Its errors are ignored. With
        ``prestart`` the children warm up while the caller is still preparing its tasks.
    """

    def __init__(self, max_workers: int | None = None, *, timeout: float = 60.0,
                 memory_mb: int = 1536, prefetch: int = 4, preload: Sequence[str] = PRELOAD,
                 warmup: tuple[Callable[..., Any], tuple] | None = None):
        if max_workers is not None and max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers or default_workers()
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.prefetch = max(1, prefetch)
        self._preload = list(preload)
        self._warmup = warmup
        self._prestart = False  # start every child now, not on demand (``prestart``)
        self._ctx = mp.get_context("forkserver")
        self._lock = threading.Lock()
        self._incoming: deque[_Task] = deque()  # submitted, not yet seen by the dispatcher
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._shutdown = False
        self._cancel = False
        self._broken: str | None = None
        # The dispatcher waits with nothing left to send: a new task must wake it. Otherwise it
        # takes new tasks when a child next answers, which spares a wake-up per task.
        self._hungry = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    # -- the Executor interface ----------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._broken:
                raise BrokenIsolatedExecutor(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future = Future()
            self._incoming.append(_Task(next(self._ids), future, payload))
            if self._thread is None:
                self._start_dispatcher(fn)
            elif self._hungry:  # else the dispatcher takes it when a child next answers
                self._wake()
        return future

    def prestart(self) -> None:
        """Start the fork server and every child now, rather than at the first tasks: they
        start (and warm up) while the caller prepares its work. Safe to call more than once."""
        with self._lock:
            if self._broken or self._shutdown:
                return
            self._prestart = True
            if self._thread is None:
                self._start_dispatcher(self._warmup[0] if self._warmup else None)
            else:
                self._wake()

    def _start_dispatcher(self, fn: Callable[..., Any] | None) -> None:
        """Start the dispatcher thread (the caller holds ``_lock``); the fork server preloads
        ``fn``'s module too, so that a child imports nothing more for it."""
        for f in (fn, self._warmup[0] if self._warmup else None):
            module = getattr(f, "__module__", None)
            if module and module != "__main__" and module not in self._preload:
                self._preload.append(module)
        self._ctx.set_forkserver_preload(self._preload)
        self._thread = threading.Thread(target=self._run, name="IsolatedExecutor", daemon=True)
        self._thread.start()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the children once the submitted tasks are done.

        With ``cancel_futures``, tasks not yet sent to a child are cancelled, and children with
        tasks are killed at once: those tasks end with ``CancelledError``.
        """
        with self._lock:
            self._shutdown = True
            self._cancel = self._cancel or cancel_futures
            thread = self._thread
            if thread is None:
                self._close_wakeup()
            else:
                self._wake()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        # On an error (Ctrl-C included) the caller no longer wants the results: stop at once.
        self.shutdown(wait=True, cancel_futures=exc_type is not None)
        return False

    # -- the dispatcher thread -----------------------------------------------------------------

    def _wake(self) -> None:
        """Interrupt the dispatcher's wait (the caller holds ``_lock``)."""
        self._hungry = False
        if self._wake_w is not None:
            with contextlib.suppress(BlockingIOError):  # full: it is awake already
                os.write(self._wake_w, b"\0")

    def _close_wakeup(self) -> None:
        if self._wake_w is not None:
            os.close(self._wake_w)
            os.close(self._wake_r)
            self._wake_w = self._wake_r = None

    def _run(self) -> None:
        slots: list[_Slot] = []
        pending: deque[_Task] = deque()
        try:
            self._dispatch(slots, pending)
        except BaseException as exc:  # noqa: BLE001 - fail every task rather than hang them
            reason = f"IsolatedExecutor 调度线程出错：{type(exc).__name__}: {exc}"
            with self._lock:
                self._broken = reason
                pending.extend(self._incoming)
                self._incoming.clear()
            for task in [*pending, *(t for s in slots for t in s.tasks)]:
                if not task.future.done():
                    with contextlib.suppress(Exception):
                        task.future.set_exception(BrokenIsolatedExecutor(reason))
        finally:  # a child still holding tasks is killed, an idle one told to stop
            for slot in slots:
                if slot.proc.is_alive() and not slot.tasks:
                    with contextlib.suppress(BrokenPipeError, OSError):
                        slot.conn.send(None)
                self._stop(slot, kill=bool(slot.tasks))
            with self._lock:
                self._close_wakeup()

    def _start(self) -> _Slot:
        parent_conn, child_conn = self._ctx.Pipe()
        proc = self._ctx.Process(target=_child_main,
                                 args=(child_conn, self.memory_mb, self._warmup),
                                 daemon=True)
        proc.start()
        child_conn.close()
        return _Slot(proc, parent_conn)

    @staticmethod
    def _stop(slot: _Slot, kill: bool) -> None:
        if kill:
            slot.proc.kill()
        slot.proc.join(5)
        if slot.proc.is_alive():
            slot.proc.kill()
            slot.proc.join()
        slot.conn.close()

    def _dispatch(self, slots: list[_Slot], pending: deque[_Task]) -> None:
        timeout = self.timeout
        depth = self.prefetch

        def finish(task: _Task, ok: bool, value: Any) -> None:
            if task.future.done():  # cancelled meanwhile
                return
            if ok:
                task.future.set_result(value)
            else:
                task.future.set_exception(value)

        def requeue(slot: _Slot) -> None:
            """The tasks sent to a dead child after its current one go back, in order, unrun."""
            while len(slot.tasks) > 1:
                pending.appendleft(slot.tasks.pop())

        def send(slot: _Slot, task: _Task) -> bool:
            if not task.sent:
                if not task.future.set_running_or_notify_cancel():
                    return True  # cancelled before it ran: nothing to send
                task.sent = True
            try:
                slot.conn.send((task.id, task.payload))
            except (BrokenPipeError, OSError):  # died while idle: not this task's fault
                pending.appendleft(task)
                return False
            if not slot.tasks:
                slot.deadline = time.monotonic() + timeout
            slot.tasks.append(task)
            return True

        woken = True
        while True:
            if woken:
                with contextlib.suppress(BlockingIOError):
                    while os.read(self._wake_r, 4096):
                        pass
            with self._lock:
                pending.extend(self._incoming)
                self._incoming.clear()
                shutdown, cancel, prestart = self._shutdown, self._cancel, self._prestart
            if cancel:
                for task in pending:
                    if not task.future.cancel() and not task.future.done():
                        task.future.set_exception(CancelledError())
                pending.clear()
                for slot in [s for s in slots if s.tasks]:
                    for task in slot.tasks:
                        if not task.future.done():
                            task.future.set_exception(CancelledError())
                    slot.tasks.clear()
                    self._stop(slot, kill=True)
                    slots.remove(slot)
            if shutdown and not pending and not any(s.tasks for s in slots):
                return

            if prestart:  # every child at once (``prestart``), else on demand:
                while len(slots) < self.max_workers:
                    slots.append(self._start())
            # another one while every child already has a task.
            while pending and len(slots) < self.max_workers and all(s.tasks for s in slots):
                slots.append(self._start())
            # Fill the children's pipes round-robin, one level of depth at a time.
            # A child found dead here is replaced at once if it had no task; if it had, the
            # wait below sees it die and blames (and retries) its current task.
            dead: set[int] = set()
            for level in range(1, depth + 1):
                for i, slot in enumerate(slots):
                    if not pending or i in dead or len(slot.tasks) >= level:
                        continue
                    if not send(slot, pending.popleft()):
                        if slot.tasks:
                            dead.add(i)
                        else:
                            self._stop(slot, kill=True)
                            slots[i] = self._start()

            with self._lock:
                if (self._incoming or self._shutdown != shutdown or self._cancel != cancel
                        or self._prestart != prestart):
                    woken = False
                    continue
                self._hungry = not pending
            busy = [s for s in slots if s.tasks]
            wait_for = (max(0.0, min(s.deadline for s in busy) - time.monotonic())
                        if busy else None)
            ready = set(mp_wait([self._wake_r, *(s.conn for s in busy),
                                 *(s.proc.sentinel for s in busy)], wait_for))
            woken = self._wake_r in ready
            now = time.monotonic()
            for i, slot in enumerate(slots):
                if not slot.tasks:
                    continue
                died = False
                if slot.conn in ready:
                    while slot.tasks:  # every answer already in the pipe
                        try:
                            raw = slot.conn.recv_bytes()
                        except (EOFError, OSError):
                            died = True
                            break
                        try:
                            got, ok, value = pickle.loads(raw)
                        except Exception as e:  # noqa: BLE001 - e.g. a class the parent lacks
                            got, ok = slot.tasks[0].id, False
                            value = WorkerFailure(f"解析结果无法传回（{type(e).__name__}）")
                        if got != slot.tasks[0].id:
                            died = True
                            break
                        finish(slot.tasks.popleft(), ok, value)
                        now = time.monotonic()
                        slot.deadline = now + timeout
                        if not slot.tasks or not slot.conn.poll():
                            break
                    if not slot.tasks and not died:
                        continue
                if died or (slot.proc.sentinel in ready and not slot.conn.poll()):
                    task = slot.tasks[0]
                    requeue(slot)
                    slot.tasks.clear()
                    self._stop(slot, kill=False)
                    task.attempts += 1
                    if task.attempts < 2:
                        pending.appendleft(task)
                    else:
                        finish(task, False, WorkerFailure(_death_reason(slot.proc.exitcode)))
                    slots[i] = self._start()
                elif now >= slot.deadline and slot.tasks:
                    task = slot.tasks[0]
                    requeue(slot)
                    slot.tasks.clear()
                    self._stop(slot, kill=True)
                    finish(task, False, WorkerFailure(
                        f"解析超时（超过 {timeout:g} 秒），文件可能过大或含异常内容"))
                    slots[i] = self._start()


# --- Dask -------------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """An executor on the Dask distributed cluster whose scheduler is at ``address``.

    The client is closed on leaving. Every worker must be able to import talentstats (the
    same version) and read the submitted files at the paths this machine sees (a shared
    folder), and the pseudonym key travels with each task: use a ``tls://`` address on any
    network you do not control. The connection timeout is Dask's
    ``distributed.comm.timeouts.connect`` (``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``).

    Raises
    ------
    ParameterError
        The address is malformed or no scheduler answers there.
    """
    import asyncio

    from distributed import Client
    from distributed.comm import connect

    async def probe() -> None:
        comm = await connect(address)
        await comm.close()

    try:
        # Probe first: a Client that fails to connect complains again, with a traceback, when
        # it is garbage-collected.
        asyncio.run(probe())
        client = Client(address, set_as_default=False)
    except (OSError, ValueError, TypeError, TimeoutError) as exc:
        raise ParameterError(
            f"无法连接 Dask 调度器 {address}（{exc}） / cannot connect to the Dask scheduler at "
            f"{address!r}: {exc}"
        ) from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
