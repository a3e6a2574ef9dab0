"""spin_sdk.wit.exports: the handler base classes an app subclasses for
triggers other than HTTP, under the names spin-sdk's generated bindings
give them (`from spin_sdk.wit import exports`).

Redis trigger ([[trigger.redis]]), one class in the app module:

    class InboundRedis(exports.InboundRedis):             spin-sdk 3.x
        def handle_message(self, message: bytes) -> None

    class RedisHandler(exports.RedisHandler):             spin-sdk 4.0
        async def handle_message(self, message: bytes) -> None

    class FermyonSpinInboundRedis(exports.FermyonSpinInboundRedis):
        def handle_message(self, message: bytes) -> None  4.0, older world

pyedge_entry finds the class and calls handle_message with each message's
payload, in a fresh sandbox per message. Returning is success; raising
(spin-sdk raises `Err(...)`) is logged with its traceback and the next
message is served.
"""

__all__ = ["InboundRedis", "RedisHandler", "FermyonSpinInboundRedis"]


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
