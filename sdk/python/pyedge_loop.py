"""pyedge_loop: asyncio in the sandbox, which has no sockets.

SandboxEventLoop runs callbacks, tasks, futures and timers; waiting means
sleeping until the next timer. Two hooks make it the loop of the
wasi-http bindings too (spin_sdk.http.poll_loop, the 4.0 streams):

  idle hooks     called whenever the loop has nothing ready to run and is
                 about to sleep (or would wait forever): a streamed response
                 sends what it holds then, so a piece written before an
                 `await asyncio.sleep(1)` reaches the client before the sleep
  pollers        callables asked, before sleeping, whether some waiter is
                 now ready (wasi:io pollables); one that is stops the sleep

run_async() runs an awaitable to completion, then the tasks spawned with
componentize_py_async_support.spawn() (they may outlive the handler, as in
spin-sdk 4.0), then cancels whatever else is left and closes the loop.
"""

import asyncio
import sys
import time
import traceback

__all__ = ["SandboxEventLoop", "SandboxEventLoopPolicy", "run_async", "idle_hooks"]

# Called (no arguments) when a loop is about to wait; see the module doc.
idle_hooks = []


class _NoIOSelector:
    """Stands in for a selector: the sandbox has no sockets or pipes to wait
    on, so waiting only means sleeping until the next timer."""

    def __init__(self, loop):
        self._loop = loop

    def select(self, timeout):
        if timeout == 0:
            return []
        for hook in list(idle_hooks):
            hook()
        for poller in list(self._loop.pollers):
            if poller():
                return []
        if self._loop._ready:  # an idle hook or a poller made something ready
            return []
        if timeout is None:
            raise RuntimeError(
                "the coroutine waits for something that can never happen: no callback is "
                "ready and no timer is scheduled (pyedge's event loop has no I/O)"
            )
        if timeout > 0:
            time.sleep(timeout)
        return []

    def close(self):
        pass


class SandboxEventLoop(asyncio.BaseEventLoop):
    """An asyncio event loop for a single-threaded sandbox without sockets:
    callbacks, tasks, futures and timers work; socket, pipe, subprocess and
    signal methods raise NotImplementedError. (The stock loops need a
    socketpair, which WASI does not have.)"""

    def __init__(self):
        super().__init__()
        self.pollers = []
        self._selector = _NoIOSelector(self)

    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass


class SandboxEventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """Makes asyncio.run() and asyncio.new_event_loop() use SandboxEventLoop."""

    def new_event_loop(self):
        return SandboxEventLoop()


def _cancel_leftovers(loop):
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not tasks:
        return
    for t in tasks:
        t.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for t in tasks:
        if not t.cancelled() and t.exception() is not None:
            loop.call_exception_handler({
                "message": "unhandled exception in a task left running by the handler",
                "exception": t.exception(),
                "task": t,
            })


async def spawned_done():
    """Waits, inside the loop, for the tasks spawn() started on it; the
    exceptions of those that failed (their tracebacks printed)."""
    support = sys.modules.get("componentize_py_async_support")
    loop = asyncio.get_running_loop()
    failures = []
    while support is not None:
        tasks = [t for t in support._spawned if t.get_loop() is loop]
        if not tasks:
            break
        await asyncio.gather(*tasks, return_exceptions=True)
        for t in tasks:
            support._spawned.discard(t)
            if not t.cancelled() and t.exception() is not None:
                e = t.exception()
                failures.append(e)
                print("pyedge: a task spawned by the handler failed:", file=sys.stderr)
                traceback.print_exception(type(e), e, e.__traceback__)
    return failures


def finish_spawned(loop):
    """Runs the tasks spawn() started on loop until none is left; one that
    raised has its traceback printed (it cannot reach the handler any more).
    Returns the exceptions."""
    support = sys.modules.get("componentize_py_async_support")
    failures = []
    while support is not None:
        tasks = [t for t in support._spawned if t.get_loop() is loop]
        if not tasks:
            break
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        for t in tasks:
            support._spawned.discard(t)
            if not t.cancelled() and t.exception() is not None:
                e = t.exception()
                failures.append(e)
                print("pyedge: a task spawned by the handler failed:", file=sys.stderr)
                traceback.print_exception(type(e), e, e.__traceback__)
    return failures


def run_async(awaitable, loop=None):
    """Runs an awaitable to completion on a new SandboxEventLoop (or loop)
    in this thread and returns its result, after the tasks it spawned.
    Tasks still running then are cancelled; the loop is closed."""
    loop = loop or SandboxEventLoop()
    try:
        result = loop.run_until_complete(awaitable)
        finish_spawned(loop)
        return result
    finally:
        try:
            _cancel_leftovers(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
