from tests.harness import OFFICER, RESIDENT, Harness
from tests.e2e.test_start import _invite


async def test_report_linked(harness: Harness) -> None:
    _, token = await _invite(harness)
    await harness.send(OFFICER, f"/start {token}")
    await harness.send(RESIDENT, "/baotin")
    await harness.choose(RESIDENT, "Bắt đầu")
    await harness.choose(RESIDENT, "Ma túy")
    await harness.send(RESIDENT, "Có người bán ma túy ở đầu hẻm mỗi tối, khoảng 9 giờ.")
    await harness.choose(RESIDENT, "Bỏ qua")
    await harness.choose(RESIDENT, "Xã Bình Yên")
    await harness.choose(RESIDENT, "Thôn Đông")
    await harness.send(RESIDENT, "Hẻm 12 đường Lê Lợi")
    await harness.choose(RESIDENT, "Hôm qua")
    await harness.choose(RESIDENT, "Giấu tên, vẫn nhận thông báo")
    await harness.choose(RESIDENT, "✅ Gửi tin báo")
    for t in await harness.seen(RESIDENT):
        print("R>", t)
    for t in await harness.seen(OFFICER):
        print("O>", t)
    await harness.press(OFFICER, "Tiếp nhận")
    for t in await harness.seen(OFFICER):
        print("O>", t)
    for t in await harness.seen(RESIDENT):
        print("R>", t)
    print((await harness.bot_messages(OFFICER.id))[1])
