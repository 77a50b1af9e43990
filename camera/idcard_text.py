"""The 256-byte text block of a second-generation ID card, as a typed record.

Layout (UCS-2 little endian, space padded; byte lengths, see ../shared/spec/FORMAT.md):
name 30, sex 2, ethnicity code 4, birth date 16, address 70, ID number 36, issuing authority 30,
valid-from 16, valid-to 16 (a date or 长期), reserved 36. The reserved character at byte 248 marks
the other cards these readers read: "J" a Hong Kong/Macao/Taiwan residence permit
(same layout, no ethnicity), "I" a 2017 foreigner's permanent residence card (its own layout, parsed
below), "Y" the 2023 one (not supported: refused with a clear message).

Fields are cut by byte offset before decoding, so a name with a character outside the BMP (a surrogate
pair) cannot shift the fields after it. The ID number is returned as read: the station checks its check
digit with its own rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from camera.devtext import clean_device_text
from camera.masking import mask_id_number, mask_name
from camera.sam import ReaderError

TEXT_LEN = 256
CARD_TYPE_OFFSET = 248

RESIDENT = "resident"                        # 居民身份证
RESIDENCE_PERMIT = "hmt_residence_permit"    # 港澳台居民居住证 ("J")
FOREIGN_PERMANENT = "foreign_permanent"      # 外国人永久居留身份证, 2017 edition ("I")

SEXES = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}           # GB/T 2261.1
#: GB/T 3304 ethnic group codes, as printed on the card (without 族)
ETHNICITIES = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝", "08": "壮",
    "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白", "15": "土家", "16": "哈尼",
    "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤", "22": "畲", "23": "高山", "24": "拉祜",
    "25": "水", "26": "东乡", "27": "纳西", "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔",
    "32": "仫佬", "33": "羌", "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌",
    "40": "普米", "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春", "53": "赫哲",
    "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
}
LONG_TERM = "长期"

# (field, byte length) in card order
_RESIDENT_LAYOUT = (("name", 30), ("sex", 2), ("ethnicity", 4), ("birth", 16), ("address", 70),
                    ("id_number", 36), ("authority", 30), ("valid_from", 16), ("valid_to", 16))
_FOREIGN_LAYOUT = (("english_name", 120), ("sex", 2), ("id_number", 30), ("nationality", 6), ("name", 30),
                   ("valid_from", 16), ("valid_to", 16), ("birth", 16), ("version", 4), ("authority", 8))


class CardFormatError(ReaderError):
    """The reader read the card, but its text is not a layout this station understands."""
    hint = "请手工输入证件号码或扫描学号 / type the ID number or scan the student number instead"


@dataclass(frozen=True, repr=False)
class IdCard:
    """What the card says. The photo is not here: see camera.idcard (it is dropped unread)."""
    name: str                 # Chinese name, padding stripped (a foreigner's card: Chinese name, else English)
    sex: str                  # 男 / 女 / 未知 / 未说明
    sex_code: str
    ethnicity: str            # 汉, 蒙古... ("" on cards without one)
    ethnicity_code: str
    birth_date: date
    address: str
    id_number: str            # as read, not validated here
    authority: str            # issuing authority (a code on foreigners' cards)
    valid_from: date
    valid_to: date | None     # None: 长期 (valid without end)
    card_type: str = RESIDENT
    english_name: str = ""
    nationality: str = ""     # ISO 3166 alpha-3 on foreigners' cards

    def __repr__(self) -> str:
        return (f"IdCard(name={mask_name(self.name)!r}, id_number={mask_id_number(self.id_number)!r}, "
                f"sex={self.sex!r}, card_type={self.card_type!r})")

    __str__ = __repr__


def parse_text_block(text: bytes) -> IdCard:
    """The record in a card's 256-byte text; CardFormatError when it is not one."""
    if len(text) != TEXT_LEN:
        raise CardFormatError(f"身份证文字信息长度为 {len(text)} 字节，应为 256 / text block has {len(text)} bytes")
    marker = _decode(text[CARD_TYPE_OFFSET:CARD_TYPE_OFFSET + 2], "card type").strip()
    if marker == "I":
        return _foreign_card(_fields(text, _FOREIGN_LAYOUT))
    if marker not in ("", "J"):
        raise CardFormatError(f"不支持此类证件（类型 {marker!r}）/ unsupported card type {marker!r}")
    f = _fields(text, _RESIDENT_LAYOUT)
    if not f["name"]:
        raise CardFormatError("身份证上没有姓名 / the card's name is empty")
    code = f["ethnicity"]
    return IdCard(name=f["name"], sex=SEXES.get(f["sex"], "未知"), sex_code=f["sex"],
                  ethnicity=ETHNICITIES.get(code, ""), ethnicity_code=code,
                  birth_date=_date(f["birth"], "birth date"), address=f["address"],
                  id_number=_id_number(f["id_number"]), authority=f["authority"],
                  valid_from=_date(f["valid_from"], "valid-from"), valid_to=_valid_to(f["valid_to"]),
                  card_type=RESIDENCE_PERMIT if marker == "J" else RESIDENT)


def _foreign_card(f: dict[str, str]) -> IdCard:
    name = f["name"] or f["english_name"]
    if not name:
        raise CardFormatError("证件上没有姓名 / the card's name is empty")
    return IdCard(name=name, sex=SEXES.get(f["sex"], "未知"), sex_code=f["sex"], ethnicity="", ethnicity_code="",
                  birth_date=_date(f["birth"], "birth date"), address="", id_number=_id_number(f["id_number"]),
                  authority=f["authority"], valid_from=_date(f["valid_from"], "valid-from"),
                  valid_to=_valid_to(f["valid_to"]), card_type=FOREIGN_PERMANENT,
                  english_name=f["english_name"], nationality=f["nationality"])


def _fields(text: bytes, layout: tuple[tuple[str, int], ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    offset = 0
    for name, size in layout:
        # a card is text a stranger wrote: no escape, control or bidi character reaches a screen or a log
        out[name] = clean_device_text(_decode(text[offset:offset + size], name)).strip(" \x00\u3000")
        offset += size
    return out


def _decode(raw: bytes, field: str) -> str:
    try:
        return raw.decode("utf-16-le")
    except UnicodeDecodeError:
        raise CardFormatError(f"身份证文字信息无法解码（{field}）/ undecodable {field} field") from None


def _date(text: str, field: str) -> date:
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    raise CardFormatError(f"证件日期无效（{field}）/ impossible {field} on the card")


def _valid_to(text: str) -> date | None:
    return None if text == LONG_TERM else _date(text, "valid-to")


def _id_number(text: str) -> str:
    if not text or not text.isascii() or not text.isalnum():
        raise CardFormatError("证件号码无效 / the card's ID number is unreadable")
    return text
