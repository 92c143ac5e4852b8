from inbox.wiring import Hub


async def test_hub_is_ready(hub: Hub) -> None:
    assert await hub.ready() == {"mongo": True, "redis": True}
