"""workers-style: a link shortener written like a Cloudflare Python Worker.

    GET    /                 a greeting (the `greeting` variable), the URL
                             and the caller's country (cf-ipcountry)
    PUT    /links/<name>     body: the target URL       -> 201
    GET    /links            every short name, as JSON
    GET    /go/<name>        302 to the target, or 404
    DELETE /links/<name>     -> 204

`self.env.GREETING` is the component variable `greeting`, and
`self.env.DEFAULT` the key-value store labelled "default", both declared in
spin.toml. pyedge serves it with `pyedge up -f examples/workers-style`.
"""
from urllib.parse import urlsplit

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        links = self.env.DEFAULT
        if path == "/" and request.method == "GET":
            return Response.json({
                "greeting": self.env.GREETING,
                "url": request.url,
                "country": request.headers.get("cf-ipcountry"),
            })
        if path == "/links" and request.method == "GET":
            listed = await links.list(prefix="link:")
            return Response.json(sorted(k["name"][5:] for k in listed["keys"]))
        if path.startswith("/links/"):
            name = path[len("/links/"):]
            if not name or "/" in name:
                return Response("a short name is one path segment\n", status=400)
            if request.method == "PUT":
                target = (await request.text()).strip()
                if urlsplit(target).scheme not in ("http", "https"):
                    return Response("the body must be an http(s) URL\n", status=400)
                await links.put("link:" + name, target)
                return Response.json({"name": name, "target": target}, status=201)
            if request.method == "DELETE":
                await links.delete("link:" + name)
                return Response(None, status=204)
        if path.startswith("/go/") and request.method == "GET":
            target = await links.get("link:" + path[len("/go/"):])
            if target is None:
                return Response("no such link\n", status=404)
            return Response.redirect(target, 302)
        return Response("not found\n", status=404)
