"""spin_sdk.http.poll_loop: asyncio over wasi:io pollables, as spin-sdk 3.x
offers it to apps that use the wasi:http 0.2 bindings directly.

    loop = PollLoop(); asyncio.set_event_loop(loop)
    loop.run_until_complete(handle_async(request, response_out))

PollLoop is pyedge's sandbox loop (timers, tasks, futures; pyedge_loop)
that also wakes coroutines waiting on a pollable (register()) once it is
ready. Stream reads an IncomingBody in pieces, Sink writes an OutgoingBody
(each send() flushes, so a streamed response sends it then), send() makes
an outbound request. Everything in pyedge's bindings is in memory or a
blocking host call, so a pollable is either ready or waits on another
coroutine of the same loop."""

import asyncio
from typing import Optional

from pyedge_loop import SandboxEventLoop
from spin_sdk.wit.imports.types import (IncomingBody, IncomingResponse, OutgoingBody,
                                        OutgoingRequest)
from spin_sdk.wit.imports import outgoing_handler
from spin_sdk.wit.imports.streams import StreamError_Closed
from spin_sdk.wit.types import Err, Ok

__all__ = ["READ_SIZE", "PollLoop", "Stream", "Sink", "send", "register"]

READ_SIZE = 16 * 1024


class PollLoop(SandboxEventLoop):
    """An asyncio loop whose waiters on pollables (register) wake when
    their pollable is ready."""

    def __init__(self):
        super().__init__()
        self.wakers = []
        self.pollers.append(self._wake_ready)

    def __del__(self):
        # spin-sdk 3.x apps make one per request and never close it; the
        # sandbox ends with the request, so no warning for that
        if not self.is_closed() and not self.is_running():
            self.close()

    def _wake_ready(self):
        woke = False
        keep = []
        for pollable, waker in self.wakers:
            if waker.done():
                continue
            if pollable.ready():
                waker.set_result(None)
                woke = True
            else:
                keep.append((pollable, waker))
        self.wakers = keep
        return woke


async def register(loop, pollable):
    """Waits until pollable is ready."""
    if pollable.ready():
        return
    waker = loop.create_future()
    loop.wakers.append((pollable, waker))
    await waker


def _loop():
    return asyncio.get_event_loop()


async def send(request: OutgoingRequest) -> IncomingResponse:
    """Sends request (once its body, if taken, is finished) and returns the
    response; raises Err(ErrorCode_...) when it cannot be sent."""
    future = outgoing_handler.handle(request, None)
    while True:
        response = future.get()
        if response is None:
            await register(_loop(), future.subscribe())
            continue
        if isinstance(response.value, Ok):
            return response.value.value
        raise response.value


class Stream:
    """Reads an IncomingBody: `await next()` -> bytes, or None at the end."""

    def __init__(self, body: IncomingBody):
        self.body: Optional[IncomingBody] = body
        self.stream = body.stream()

    async def next(self) -> Optional[bytes]:
        if self.stream is None:
            return None
        try:
            return self.stream.read(READ_SIZE)
        except Err as e:
            if not isinstance(e.value, StreamError_Closed):
                raise
            self.stream.__exit__(None, None, None)
            self.stream = None
            if self.body is not None:
                IncomingBody.finish(self.body)
                self.body = None
            return None


class Sink:
    """Writes an OutgoingBody: `await send(bytes)` (flushed), `close()`."""

    def __init__(self, body: OutgoingBody):
        self.body = body
        self.stream = body.write()

    async def send(self, chunk: bytes):
        self.stream.blocking_write_and_flush(chunk)

    def close(self):
        self.stream.__exit__(None, None, None)
        self.stream = None
        OutgoingBody.finish(self.body, None)
        self.body = None
