"""Raw updates: a test queues an update as given, whatever its shape, and it keeps its place
in the sequence, so an offset above that place confirms it (Telegram); Zalo hands it out
once, by getUpdates or the webhook, like any update."""

from tests.sandbox.client import Tg, Zl

USER = {"id": 7, "first_name": "An"}


async def test_a_raw_update_goes_as_given_and_an_offset_above_its_place_confirms_it(
    tg: Tg,
) -> None:
    first = await tg.say(USER, "xin chào")
    bad = await tg.control_ok("/control/raw_update",
                              {"update": {"message": "x", "update_id": "abc"}, "with_id": False})
    stamped = await tg.control_ok("/control/raw_update", {"update": {"message": {"chat": "7"}}})
    assert bad["update_id"] == first["update_id"] + 1
    assert stamped["update_id"] == bad["update_id"] + 1
    updates = await tg.updates()
    assert updates[1] == {"message": "x", "update_id": "abc"}
    assert updates[2] == {"message": {"chat": "7"}, "update_id": stamped["update_id"]}
    assert await tg.updates(offset=bad["update_id"] + 1) == [updates[2]]
    assert await tg.updates(offset=stamped["update_id"] + 1) == []
    assert (await tg.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_a_raw_update_must_be_an_object_to_get_an_id(tg: Tg) -> None:
    status, body = await tg.control("/control/raw_update", {"update": "x"})
    assert status == 400 and "with_id" in body["description"]
    listed = await tg.control_ok("/control/raw_update", {"update": ["x"], "with_id": False})
    assert await tg.updates() == [["x"]]
    assert await tg.updates(offset=listed["update_id"] + 1) == []


async def test_zalo_hands_a_raw_update_out_once(zl: Zl) -> None:
    await zl.control_ok("/control/raw_update", {"update": {"message": "x"}})
    status, body = await zl.poll()
    assert status == 200 and body["result"] == {"message": "x"}
    status, _ = await zl.poll()
    assert status == 408
