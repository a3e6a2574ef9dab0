"""spin_sdk.wit.exports: the handler interfaces an app implements directly,
skipping spin_sdk.http's Request/Response (pyedge_entry finds them):

  class IncomingHandler(exports.IncomingHandler)            spin-sdk 3.x
      def handle(self, request: IncomingRequest, response_out: ResponseOutparam)
  class WasiHttpIncomingHandler020(exports.WasiHttpIncomingHandler020)
      the same, as spin-sdk 4.0's bindings name wasi:http 0.2
  class HttpHandler(exports.HttpHandler)                    spin-sdk 4.0
      async def handle(self, request: Request) -> Response

The types are in spin_sdk.wit.imports (types / wasi_http_types_0_2_0 for
0.2, wasi_http_types_0_3_0_rc_2026_03_15 for 0.3)."""

__all__ = ["IncomingHandler", "WasiHttpIncomingHandler020", "HttpHandler"]


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
