"""When the bot must not answer by itself: what the user said decides before retrieval does.

Word lists, not a model: they must be predictable, auditable by a supervisor, and never miss
the phrases the manuals' complaint procedures are about (illness, foreign matter, media).
"""

import re

from kefu.text.normalize import fold_for_search
from kefu.vocab import ComplaintField, HandoffReason, Priority, values

# Someone who asks for a person gets one (转人工, 人工客服, 找真人, 我要投诉 ...).
USER_REQUEST = re.compile(
    r"转人工|人工客服|人工服务|接人工|找人工|要人工|真人|活人|找客服|客服人员|"
    r"我要投诉|我想投诉|要投诉|投诉你们|找(你们)?(领导|经理|负责人)|让(你们)?(领导|经理)"
)
# A product that made someone ill, foreign matter, or a threat to go public or to court:
# the dairy manual treats these as crises, reported at once.
URGENT = re.compile(
    r"拉肚子|腹泻|上吐下泻|拉稀|泻肚|呕吐|吐了|想吐|恶心|中毒|住院|医院|急诊|过敏|发烧|肚子(疼|痛)|胃(疼|痛)|头晕|"
    r"喝(出|坏|了.{0,6}(病|不舒服|疼|痛))|吃(出|坏|了.{0,6}(病|不舒服|疼|痛))|生病|不舒服|"
    r"异物|虫子|苍蝇|蟑螂|头发|玻璃|塑料片|铁丝|霉(变|点)|发霉|"
    r"媒体|记者|曝光|电视台|报社|微博|抖音|发到网上|网上发|12315|消协|消费者协会|工商局|市场监管|"
    r"法院|起诉|告你们|律师|打官司"
)
# Chatter the manuals cannot be about; anything else that retrieval cannot ground is
# low_confidence, not out_of_scope.
OUT_OF_SCOPE = re.compile(
    r"天气|下雨|气温|写(一首|首)?诗|作诗|讲(个)?笑话|唱(首)?歌|股票|基金|彩票|比特币|"
    r"你是谁|你叫什么|你几岁|你是机器人|你是(人|AI|ai)|星座|算命|菜谱|做饭|电影|游戏|翻译"
)
# Product complaints need the complaint-record fields the dairy manual lists (第9条).
PRODUCT_COMPLAINT = re.compile(r"奶|饮料|产品|质量|变质|过期|胀包|异味|味道|包装|批号|生产日期")


def detect_request(question: str) -> HandoffReason | None:
    """A reason read from the words alone: urgent beats a request for a person beats chatter."""
    text = fold_for_search(question)
    if URGENT.search(text):
        return HandoffReason.urgent
    if USER_REQUEST.search(text):
        return HandoffReason.user_request
    if OUT_OF_SCOPE.search(text):
        return HandoffReason.out_of_scope
    return None


def priority_for(reason: HandoffReason) -> Priority:
    if reason == HandoffReason.urgent:
        return Priority.urgent
    if reason == HandoffReason.user_request:
        return Priority.high
    return Priority.normal


def needs_complaint_fields(question: str, reason: HandoffReason) -> bool:
    return reason == HandoffReason.urgent or bool(PRODUCT_COMPLAINT.search(fold_for_search(question)))


def required_fields(question: str, reason: HandoffReason) -> list[str]:
    """What the handoff form must ask: name and phone always, the complaint record for products."""
    return ["name", "phone"] + (list(values(ComplaintField)) if needs_complaint_fields(question, reason) else [])
