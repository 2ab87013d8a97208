"""The bot's own words: what it says when it does not answer from the manuals.

These frame a handoff; they state no policy, so they promise nothing the manuals do not.
"""

from kefu.vocab import HandoffReason, Persona

CUSTOMER = {
    HandoffReason.urgent: (
        "非常抱歉给您带来困扰!您反映的情况需要专人马上处理,我们正在为您转接人工客服。"
        "请留下您的姓名和联系电话,以及产品名称、生产日期、生产批号、数量、问题和饮用后情况。"
    ),
    HandoffReason.user_request: "好的,正在为您转接人工客服。请留下您的姓名和联系电话,客服人员会尽快与您联系。",
    HandoffReason.out_of_scope: "抱歉,我只能回答与我们的产品和服务有关的问题。如需帮助,可以为您转接人工客服。",
    HandoffReason.low_confidence: "抱歉,服务手册中没有找到能够确切回答这个问题的内容。为避免给您不准确的信息,建议转人工客服处理。",
    HandoffReason.repeated_failure: "抱歉,连续几个问题都没能在服务手册中找到答案,建议转人工客服为您处理。",
}
AGENT = {
    HandoffReason.out_of_scope: "这不是服务手册涵盖的问题。",
    HandoffReason.low_confidence: "服务手册中没有找到可靠依据,请勿凭印象答复客户。",
    HandoffReason.repeated_failure: "服务手册中没有找到可靠依据,请勿凭印象答复客户。",
}
SUGGEST = "您是想问:"  # the options themselves are the answer's `suggestions`, shown as buttons
TICKETS_UNAVAILABLE = "(工单系统暂时不可用,请稍后再试或直接拨打客服电话。)"
SILENT = ""  # a person has taken over the conversation


def handoff_reply(reason: HandoffReason, persona: Persona) -> str:
    if persona == Persona.agent and reason in AGENT:
        return AGENT[reason]
    return CUSTOMER[reason]


def reading_note(corrections) -> str:
    """How the bot read a typo, before its answer: 按「保质期」为您查找:(empty when nothing was corrected)."""
    if not corrections:
        return ""
    return "按「" + "」「".join(change.replacement for change in corrections) + "」为您查找:\n"


def callback_promise(due_text: str) -> str:
    return f"客服人员会在 {due_text} 前与您联系。"
