"""Personal data masked in what editors see and in what can become kb text: customers type
their names, phones, ID-card numbers and addresses into questions and comments, and an editor's
page shows them and may save them into a manual as an associated question or an FAQ entry.

Rules, not a model: a phone or ID number is a pattern (bot.logmask's), a name follows the words
that introduce one (我叫, 姓名, 联系人 …), an address ends in a house number after a road or
estate word, or follows 地址. Masking keeps what an editor needs to tell questions apart (the
surname, the city, the last digits) and is idempotent: masked text masks to itself.
"""

import re

from bot.logmask import mask_name, mask_numbers

_HAN = "\u4e00-\u9fff"
# Common surnames: after 我是 / 我叫 a name starts with one (我是想问… must stay as it is).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪"
    "庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣"
    "巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强"
    "帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯"
    "隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
_NAME_AFTER_CUE = re.compile(rf"(姓名|名字|联系人|收货人|收件人|客户名)(\s*[:：]?\s*(?:是|叫|为)?\s*)([{_HAN}]{{2,3}})")
_NAME_AFTER_SELF = re.compile(rf"(我叫|我是|本人是?|鄙人)(\s*)([{_SURNAMES}][{_HAN}]{{1,2}})")
_ADDRESS_AFTER_CUE = re.compile(r"((?:收货|家庭|联系|送货|详细|住址|地址)(?:地址)?\s*[:：是为]\s*)([^\s,,。;;!!??]{2,60})")
_PLACE_END = re.compile(rf"[{_HAN}]*(?:省|自治区|市|(?<![小社园])区|县|旗|镇|乡)")  # 小区 is an estate, not a district
# An address: a road or estate word, then a house number (88号, 3栋2单元501室, 5号楼).
_ADDRESS = re.compile(
    rf"((?:我家住在|我家在|我住在|住在|家住|送到|寄到|发到)?)([{_HAN}]{{1,12}}?(?:路|街|道|巷|弄|胡同|村|小区|花园|公寓|大厦|社区|苑|里|屯|组))\s*"
    r"[0-9A-Za-z一二三四五六七八九十-]+\s*(?:号院|号楼|号|栋|幢|座|单元|室|楼|层|弄|排)"
    r"(?:\s*[0-9A-Za-z-]+\s*(?:号院|号楼|号|栋|幢|座|单元|室|楼|层|户))*(?:\s*\d+)?"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_LONG_DIGITS = re.compile(r"(?<![\d*])(\d{2})\d{5,}(\d{2})(?![\d*])")  # bank cards, order and account numbers
MASK = "***"


def keep_place(place: str) -> str:
    """The province, city or district of an address, without the street: enough to tell apart."""
    match = _PLACE_END.match(place)
    return match.group(0) if match else ""


def mask_addresses(text: str) -> str:
    text = _ADDRESS_AFTER_CUE.sub(lambda m: m.group(1) + keep_place(m.group(2)) + MASK, text)
    return _ADDRESS.sub(lambda m: m.group(1) + keep_place(m.group(2)) + MASK, text)


def mask_names(text: str) -> str:
    text = _NAME_AFTER_CUE.sub(lambda m: m.group(1) + m.group(2) + mask_name(m.group(3)), text)
    return _NAME_AFTER_SELF.sub(lambda m: m.group(1) + m.group(2) + mask_name(m.group(3)), text)


def mask_personal(text: str) -> str:
    """Names, phone and ID-card numbers, long digit runs, e-mail addresses and street addresses
    masked: 我叫张三丰,电话13812345678,住北京市朝阳区建国路88号 → 我叫张**,电话138****5678,住北京市朝阳区***."""
    text = mask_numbers(text)
    text = _LONG_DIGITS.sub(r"\1****\2", text)
    text = _EMAIL.sub(lambda m: MASK + "@" + m.group(1), text)
    return mask_names(mask_addresses(text))
