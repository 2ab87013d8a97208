"""The words kefu's parts share: one enum each, used by the store, records, sessions, routes,
schemas and (pinned by a test) the web pages' labels. A value is what is stored and sent."""

from enum import Enum


class Persona(str, Enum):
    customer = "customer"
    agent = "agent"


class Band(str, Enum):
    """What the bot does with a question: answer it, offer 您是想问, or hand it to a person."""

    answer = "answer"
    suggest = "suggest"
    handoff = "handoff"


class HandoffReason(str, Enum):
    low_confidence = "low_confidence"
    user_request = "user_request"
    urgent = "urgent"
    out_of_scope = "out_of_scope"
    repeated_failure = "repeated_failure"


class Priority(str, Enum):
    urgent = "urgent"
    high = "high"
    normal = "normal"


class TicketStatus(str, Enum):
    open = "open"
    assigned = "assigned"
    resolved = "resolved"
    closed = "closed"


class MessageRole(str, Enum):
    customer = "customer"
    agent = "agent"
    bot = "bot"
    note = "note"


class Channel(str, Enum):
    widget = "widget"
    console = "console"
    api = "api"


class ComplaintField(str, Enum):
    """The dairy manual's complaint record (000 第9条): what a product complaint must note."""

    product = "产品名称"
    production_date = "生产日期"
    batch = "生产批号"
    quantity = "数量"
    problem = "问题"
    after_drinking = "饮用后情况"


# A complaint record names at least the product and what is wrong with it; the widget asks
# for exactly these (a test pins its list to this one).
REQUIRED_COMPLAINT_FIELDS = (ComplaintField.product, ComplaintField.problem)


class ChunkKind(str, Enum):
    text = "text"
    table_row = "table_row"


def values(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)
