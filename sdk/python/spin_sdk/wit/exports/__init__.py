"""spin_sdk.wit.exports: the handler interfaces an app implements directly,
under the names spin-sdk's generated bindings give them (`from spin_sdk.wit
import exports`); pyedge_entry finds the app's subclass.

HTTP, skipping spin_sdk.http's Request/Response:

  class IncomingHandler(exports.IncomingHandler)            spin-sdk 3.x
      def handle(self, request: IncomingRequest, response_out: ResponseOutparam)
  class WasiHttpIncomingHandler020(exports.WasiHttpIncomingHandler020)
      the same, as spin-sdk 4.0's bindings name wasi:http 0.2
  class HttpHandler(exports.HttpHandler)                    spin-sdk 4.0
      async def handle(self, request: Request) -> Response

The types are in spin_sdk.wit.imports (types / wasi_http_types_0_2_0 for
0.2, wasi_http_types_0_3_0_rc_2026_03_15 for 0.3).

Redis trigger ([[trigger.redis]]), one class in the app module:

  class InboundRedis(exports.InboundRedis):                 spin-sdk 3.x
      def handle_message(self, message: bytes) -> None
  class RedisHandler(exports.RedisHandler):                 spin-sdk 4.0
      async def handle_message(self, message: bytes) -> None
  class FermyonSpinInboundRedis(exports.FermyonSpinInboundRedis):
      def handle_message(self, message: bytes) -> None      4.0, older world

handle_message is called with each message's payload, in a fresh sandbox
per message. Returning is success; raising (spin-sdk raises `Err(...)`) is
logged with its traceback and the next message is served.
"""

__all__ = ["IncomingHandler", "WasiHttpIncomingHandler020", "HttpHandler", "InboundRedis",
           "RedisHandler", "FermyonSpinInboundRedis"]


class IncomingHandler:
    def handle(self, request, response_out) -> None:
        """Answer `request` by setting `response_out` (ResponseOutparam.set),
        then writing the response's body."""
        raise NotImplementedError


WasiHttpIncomingHandler020 = IncomingHandler


class HttpHandler:
    async def handle(self, request):
        """Answer `request` with a Response."""
        raise NotImplementedError


class InboundRedis:
    """spin-sdk 3.x's Redis handler (interface fermyon:spin/inbound-redis)."""

    def handle_message(self, message: bytes) -> None:
        """Called with the payload of each message published on the channel."""
        raise NotImplementedError


class RedisHandler:
    """spin-sdk 4.0's Redis handler (interface spin:redis/inbound-redis@3.0.0)."""

    async def handle_message(self, message: bytes) -> None:
        """Awaited with the payload of each message published on the channel."""
        raise NotImplementedError


class FermyonSpinInboundRedis:
    """spin-sdk 4.0's name for the older fermyon:spin/inbound-redis handler."""

    def handle_message(self, message: bytes) -> None:
        """Called with the payload of each message published on the channel."""
        raise NotImplementedError
