"""An app module without any handler."""
GREETING = "hello"


def handle(request):
    return None
