"""Text normalisation run once per message, before any extractor.

Reps type on phones with mixed IMEs: full-width digits, traditional characters, `周5`, `明早`, stray
spaces and homophone typos of command words. Folding all that here keeps every rule downstream simple.
The function is idempotent, so extractors may call it again on already-normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Traditional → simplified, limited to characters that occur in sales chat (parsing.md §7).
_TRAD = str.maketrans(
    "後週戶號約給萬億塊進單價報電話聯繫係會議這個兩訪見樣貨櫃簽輸贏準備點時們無問題歐傳別銷業國級來辦說談計劃預態郵發貴復過還從對東車長門閥華廣興濟讓頭買賣購總經務機轉請確認幫麼麽嗎禮資產員決師術實際數噸臺託運達離廠鐘現剛雙視頻寶與為錢額標狀稱碼聽內裡週開關係聯絡營",
    "后周户号约给万亿块进单价报电话联系系会议这个两访见样货柜签输赢准备点时们无问题欧传别销业国级来办说谈计划预态邮发贵复过还从对东车长门阀华广兴济让头买卖购总经务机转请确认帮么么吗礼资产员决师术实际数吨台托运达离厂钟现刚双视频宝与为钱额标状称码听内里周开关系联络营",
)

_WEEKDAY_DIGIT = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "日", "天": "日"}
_WEEK_WORD = re.compile(r"(?:星期|礼拜)")
_WEEKDAY = re.compile(r"周([1-7天])")
_SHORTHANDS = {
    "明早": "明天早上",
    "明晚": "明天晚上",
    "今早": "今天早上",
    "今晚": "今天晚上",
    "昨晚": "昨天晚上",
    "明儿": "明天",
    "今儿": "今天",
    "明日": "明天",
    "今日": "今天",
    "昨日": "昨天",
}
_SHORTHAND = re.compile("|".join(_SHORTHANDS))
_SPACES = re.compile(r"\s+")
# Pasted markup is no part of what the rep said (<script>alert(1)</script> 查 艾克美 is 查 艾克美): a script or
# style element goes whole, any other tag leaves its text.
_MARKUP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,200})?/?>", re.I | re.S)

# A clause ends at punctuation, or at a space between Chinese words (reps often type no punctuation);
# `85,000` and `send samples next Friday` stay whole.
CLAUSE = re.compile(
    r"(?:[^,，。;；!！?？\n .]|\.(?!\s|$)|(?<=\d),(?=\d{3})| (?![\u4e00-\u9fff])|(?<![\u4e00-\u9fff]) )+"
)  # `…next week. Follow up on Monday.`: a full stop before a space ends a sentence; 1.5 and v2.0 stay whole


@lru_cache(maxsize=512)
def normalize(text: str) -> str:
    """NFKC (full-width → ASCII), trad → simp, `周5`/`礼拜五` → `周五`, `明早` → `明天早上`, single spaces."""
    text = _MARKUP.sub(" ", unicodedata.normalize("NFKC", text)).translate(_TRAD)
    text = _WEEK_WORD.sub("周", text)
    text = _WEEKDAY.sub(lambda m: "周" + _WEEKDAY_DIGIT[m.group(1)], text)
    text = _SHORTHAND.sub(lambda m: _SHORTHANDS[m.group(0)], text)
    return _SPACES.sub(" ", text).strip()


def _variants(table: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {canon: tuple(variants.split("|")) for canon, variants in table.items()}


# Command words: canonical form → variants, including common IME homophone typos (跟近 for 跟进).
# Prefix commands start a message; whole-message commands must be the entire message.
PREFIX_COMMANDS: dict[str, tuple[str, ...]] = _variants(
    {
        "新客户": "新客户|新建客户|新增客户|添加客户|增加客户|加客户|建客户|创建客户|录入客户|新客护|"
        "新刻户|心客户|new customer|new client",
        "客户": "客户|修改客户|更新客户|编辑客户|改客户|update customer",
        "别名": "别名|加别名|添加别名|新增别名|alias",
        "联系人": "联系人|新联系人|添加联系人|新增联系人|加联系人|加个联系人|新加联系人|联络人|联系仁|连系人|contact",
        "商机": "商机|新商机|新建商机|添加商机|新增商机|加商机|商几|new deal|new opportunity|opportunity|opp",
        "推进": "推进|推近|阶段|advance",
        "赢单": "赢单|赢丹|成单|签单|won|win",
        "输单": "输单|输丹|丢单|失单|lost|lose",
        "跟进": "跟进|跟近|根进|跟紧|跟进记录|记录|follow up|follow-up|followup|fu|log",
        "查": "查|查看|查询|查一下|查下|看看|看下|搜|搜索|查寻|查讯|lookup|look up|find|search|show",
        "待办": "待办|我的待办|代办|我的代办|任务|我的任务|全部待办|所有待办|更多待办|todo|todos|to do|tasks|my tasks|"
        "all tasks|more tasks",
        "完成": "完成|已完成|搞定|做完|done|complete|finish",
        "推迟": "推迟|延期|延后|改期|往后推|postpone|snooze|delay",
        "申请转移": "申请转移|转移|申请转让|申请转移客户|transfer",
    }
)
WHOLE_COMMANDS: dict[str, tuple[str, ...]] = {
    "待办": PREFIX_COMMANDS["待办"],
    **_variants(
        {
            "撤销": "撤销|撤消|撤回|撤销上一步|undo",
            "漏斗": "漏斗|日报|周报|报表|我的漏斗|funnel|report|pipeline",
            "帮助": "帮助|帮组|帮住|菜单|怎么用|使用说明|help|?|h|menu",
            "确认": "是|是的|确认|确定|好|好的|好嘞|好滴|对|对的|可以|可以的|行|行吧|没问题|嗯|嗯嗯|ok|okay|"
            "yes|y|sure|仍然推进|继续|继续推进|照样推进",
            "取消": "否|取消|不|不是|不要|不用|不用了|算了|算了吧|别|no|n|cancel|nope",
        }
    ),
}

_WHOLE = {v: canon for canon, variants in WHOLE_COMMANDS.items() for v in variants}
# Longest variant first so 新建客户 wins over 客户 and 查看 over 查.
_PREFIX = sorted(
    ((v, canon) for canon, variants in PREFIX_COMMANDS.items() for v in variants), key=lambda p: -len(p[0])
)
_AFTER_COMMAND = re.compile(r"^(?:[ :,]*(?:了|啦)(?=[ :,!]|$))?[ :,!]*")  # 赢单了 Santos …
_TRAILING_PUNCT = re.compile(r"[\s.!?。！~～…,，、]+$")


ALL_ITEMS = re.compile(r"全部|所有|更多|剩下|其余|(?<![A-Za-z])(?:all|more)(?![A-Za-z])", re.I)


def asks_for_all(text: str) -> bool:
    """`待办 全部`, `更多待办`: the whole list, not its first page."""
    return bool(ALL_ITEMS.search(text))


def whole_command(text: str) -> str | None:
    """Canonical command if the whole (normalised) message is one, e.g. `好的!` → 确认."""
    low = text.lower()
    return _WHOLE.get(_TRAILING_PUNCT.sub("", low) or low)


def split_command(text: str) -> tuple[str | None, str]:
    """(canonical command, rest) for a leading command word, tolerating typos and a missing space."""
    low = text.lower()
    for variant, canon in _PREFIX:
        if low.startswith(variant):
            rest = text[len(variant) :]
            if variant.isascii() and rest[:1].isascii() and rest[:1].isalnum():
                continue  # `fu` must not match `future`, `opp` not `oppo`
            return canon, _AFTER_COMMAND.sub("", rest)
    return None, text


_HALF_WIDTH = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_NEXT_TO_HANZI = re.compile(r"(?<=[\u4e00-\u9fff])\s*([,;:!?])\s*|\s*([,;:!?])\s*(?=[\u4e00-\u9fff])")
_LATIN_AFTER = re.compile(r"(?<=[A-Za-z0-9])([,;])(?=[A-Za-z])")


def as_written(text: str) -> str:
    """Punctuation as a reader expects it back after normalize(): full width beside Chinese (谈了报价，下周跟进),
    a space after an English comma (Q1, they want)."""
    text = _NEXT_TO_HANZI.sub(lambda m: _HALF_WIDTH[m[1] or m[2]], text)
    return _LATIN_AFTER.sub(r"\1 ", text)
