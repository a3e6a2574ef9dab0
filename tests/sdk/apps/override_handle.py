"""A spin_sdk.http.IncomingHandler subclass that overrides the wasi:http
handle() itself: spin-sdk's runtime calls handle(), so pyedge must too."""
from spin_sdk import http
from spin_sdk.wit.imports.types import Fields, OutgoingBody, OutgoingResponse, ResponseOutparam
from spin_sdk.wit.types import Ok


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        return http.Response(500, {}, b"handle_request must not be called")

    def handle(self, request, response_out):
        response = OutgoingResponse(Fields.from_list([("x-via", b"handle")]))
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        body.write().write(b"raw " + request.headers().get("x-twice")[0] + b"," +
                           request.headers().get("x-twice")[1])
        OutgoingBody.finish(body, None)
