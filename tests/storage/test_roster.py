"""`kabot users import`: all or nothing, row numbers in errors, idempotent re-import."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import col

from bot.services import Services
from storage.repo.users import all_users, identities
from storage.roster import RosterError, import_roster

GOOD = """name,wecom_userid,dingtalk_userid,role,manager,team,timezone
周总,zhou,,总经理,,,
赵敏,ZhaoMin,ding-zm,manager,zhou,欧美组,
李娜,lina,,销售,zhaomin,欧美组,Europe/Berlin
"""


async def _import(services: Services, path: Path):  # type: ignore[no-untyped-def]
    async with services.db.session() as s:
        return await import_roster(s, path, default_tz="Asia/Shanghai", now=services.clock.now())


async def _people(services: Services) -> dict[str, tuple[str, str | None, str, str | None]]:
    async with services.db.session() as s:
        rows = await all_users(s)
        ids = await identities(s, [u.id for u in rows if u.id is not None])
    by_id = {u.id: u.name for u in rows}
    return {
        u.name: (u.role, by_id.get(u.manager_id), u.timezone, ids[u.id or 0].get("wecom"))  # type: ignore[misc]
        for u in rows
    }


async def test_good_roster_imports_and_reimport_changes_nothing(services: Services, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(GOOD, encoding="utf-8")
    first = await _import(services, f)
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    people = await _people(services)
    assert people["李娜"] == ("rep", "赵敏", "Europe/Berlin", "lina")
    assert people["赵敏"] == ("manager", "周总", "Asia/Shanghai", "zhaomin")  # WeCom ids are case-insensitive
    again = await _import(services, f)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert await _people(services) == people


async def test_one_bad_row_imports_nothing_and_names_the_row(services: Services, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(GOOD + "王强,wangq,,厨师,zhaomin,,\n陈静,chenj,,rep,nobody,,Mars/Base\n", encoding="utf-8")
    with pytest.raises(RosterError) as err:
        await _import(services, f)
    text = str(err.value)
    assert "第 5 行" in text and "厨师" in text
    assert "第 6 行" in text and "nobody" in text and "Mars/Base" in text
    assert await _people(services) == {}


async def test_xlsx_with_chinese_headers_in_any_order(services: Services, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["角色", "姓名", "上级", "企业微信ID"])
    ws.append(["销售经理", "刘洋", None, "liuyang"])
    ws.append(["销售", "陈静", "liuyang", "chenjing"])
    f = tmp_path / "roster.xlsx"
    wb.save(f)
    result = await _import(services, f)
    assert result.created == 2
    assert (await _people(services))["陈静"][:2] == ("rep", "刘洋")


async def test_reimport_updates_in_place(services: Services, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(GOOD, encoding="utf-8")
    await _import(services, f)
    f.write_text(
        GOOD.replace("李娜,lina,,销售,zhaomin,欧美组,Europe/Berlin", "李娜,lina,,销售经理,zhou,亚非组,"),
        encoding="utf-8",
    )
    result = await _import(services, f)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert (await _people(services))["李娜"][:3] == ("manager", "周总", "Asia/Shanghai")


async def test_a_manager_cycle_or_a_self_manager_is_refused(services: Services, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(GOOD, encoding="utf-8")
    await _import(services, f)
    people = await _people(services)
    cycle = tmp_path / "cycle.csv"
    cycle.write_text(GOOD.replace("周总,zhou,,总经理,,,", "周总,zhou,,总经理,lina,,"), encoding="utf-8")
    with pytest.raises(RosterError) as err:
        await _import(services, cycle)
    assert "第 2 行" in str(err.value) and "圈" in str(err.value)
    self_managed = tmp_path / "self.csv"
    self_managed.write_text(GOOD.replace("李娜,lina,,销售,zhaomin", "李娜,lina,,销售,lina"), encoding="utf-8")
    with pytest.raises(RosterError) as err:
        await _import(services, self_managed)
    assert "第 4 行" in str(err.value) and "上级不能是自己" in str(err.value)
    assert await _people(services) == people


async def test_a_file_with_fewer_columns_leaves_the_others_as_they_were(services: Services, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text(GOOD, encoding="utf-8")
    await _import(services, f)
    people = await _people(services)
    roles_only = tmp_path / "roles.csv"
    roles_only.write_text("name,wecom_userid,role\n李娜,lina,manager\n", encoding="utf-8")
    result = await _import(services, roles_only)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    after = await _people(services)
    assert after["李娜"] == ("manager", "赵敏", "Europe/Berlin", "lina")
    assert {k: v for k, v in after.items() if k != "李娜"} == {k: v for k, v in people.items() if k != "李娜"}
    async with services.db.session() as s:
        team = {u.name: u.team for u in await all_users(s)}
        ding = await identities(s, [u.id for u in await all_users(s) if u.name == "赵敏" and u.id is not None])
    assert team["李娜"] == "欧美组" and list(ding.values())[0].get("dingtalk") == "ding-zm"


async def test_two_people_of_the_same_name_without_ids_are_refused(services: Services, tmp_path: Path) -> None:
    f = tmp_path / "roster.csv"
    f.write_text("name,role\n王芳,rep\n王芳,rep\n", encoding="utf-8")
    with pytest.raises(RosterError) as err:
        await _import(services, f)
    assert "第 3 行" in str(err.value) and "第 2 行" in str(err.value) and "同名" in str(err.value)
    assert await _people(services) == {}


async def test_an_import_is_audited_as_the_system_user(services: Services, tmp_path: Path) -> None:
    from sqlmodel import select

    from storage.models import AuditLog

    f = tmp_path / "roster.csv"
    f.write_text(GOOD, encoding="utf-8")
    async with services.db.session() as s:
        await import_roster(s, f, default_tz="Asia/Shanghai", now=services.clock.now(), message="kabot users import r")
    f.write_text(GOOD.replace("Europe/Berlin", "Europe/Paris"), encoding="utf-8")
    await _import(services, f)
    async with services.db.session() as s:
        rows = (await s.exec(select(AuditLog).where(AuditLog.entity == "users").order_by(col(AuditLog.id)))).all()
    assert [(r.action, r.actor_id, r.channel) for r in rows] == [("create", None, "cli")] * 3 + [
        ("update", None, "cli")
    ]
    assert rows[0].message == "kabot users import r"
    assert rows[-1].before is not None and rows[-1].after is not None
    assert rows[-1].before["timezone"] == "Europe/Berlin" and rows[-1].after["timezone"] == "Europe/Paris"


async def test_a_dingtalk_roster_names_managers_by_their_ids_as_dingtalk_spells_them(
    services: Services, tmp_path: Path
) -> None:
    """DingTalk trial: a manager given by a mixed-case DingTalk id crashed the import with a KeyError."""
    f = tmp_path / "roster.csv"
    f.write_text(
        "name,dingtalk_userid,role,manager,team\n周建国,ZhouJG,总经理,,\n赵敏,ZhaoMin,销售经理,ZhouJG,欧美组\n"
        "李娜,LiNa,销售,ZhaoMin,欧美组\n",
        encoding="utf-8",
    )
    result = await _import(services, f)
    assert result.created == 3
    people = await _people(services)
    assert people["李娜"][1] == "赵敏" and people["赵敏"][1] == "周建国"
    async with services.db.session() as s:
        lina = next(u for u in await all_users(s) if u.name == "李娜")
        assert (await identities(s, [lina.id or 0]))[lina.id or 0] == {"dingtalk": "LiNa"}  # kept as spelled
