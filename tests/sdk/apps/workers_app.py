"""A Workers-style app for test_workers_api: class Default(WorkerEntrypoint)."""
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response.json({"url": request.url, "method": request.method})
