"""The YAML front matter of a kb Markdown file, read so that no upload can hurt the server.

Editors write it by hand and uploads come from outside, so the loader is stricter than
`yaml.safe_load`: no anchors or aliases (400 bytes of aliases expand into 43 million
strings), a size cap, YAML dates of every form as ISO strings (a `datetime.date` cannot go
into the manifest's JSON), and the fields kefu reads checked for their type, so that a bad
value is refused naming the field instead of failing later with a 500.
"""

import yaml

from kefu.errors import DocumentUnreadable

MAX_CHARS = 4096
TEXT_FIELDS = ("title", "source", "organization")


class FrontMatterRefused(Exception):
    """What is wrong with the front matter, in Chinese and English (the caller adds the file)."""


class InvalidDate(str):
    """A value YAML reads as a timestamp that is no real date (2020-13-45): refused by `plain`,
    which knows the field it stands in."""


class FrontMatterLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise FrontMatterRefused(f"第 {line} 行使用了 YAML 锚点或别名(& 或 *),不允许 / line {line}: YAML anchors and aliases (& and *) are not allowed")
        return super().compose_node(parent, index)


def construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node).isoformat()
    except ValueError:
        return InvalidDate(node.value)


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)


def plain(value, field: str):
    """The value as plain JSON data (text, numbers, booleans, null, lists, mappings)."""
    if isinstance(value, InvalidDate):
        raise FrontMatterRefused(f"{field}: {str(value)!r} 不是有效的日期 / is not a valid date (YYYY-MM-DD)")
    if isinstance(value, dict):
        return {str(key): plain(item, f"{field}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item, field) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise FrontMatterRefused(f"{field}: 不支持的值类型 / unsupported value of type {type(value).__name__}")


def text_or_none(value, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise FrontMatterRefused(f"{field}: 需为一段文字 / must be text, not {type(value).__name__}")


def check_fields(meta: dict) -> dict:
    """The fields kefu reads, in the types it reads them as."""
    checked = dict(meta)
    for field in (*TEXT_FIELDS, "date"):
        if field in checked:
            checked[field] = text_or_none(checked[field], field)
    categories = checked.get("categories")
    if categories is not None:
        listed = categories if isinstance(categories, list) else [categories]
        checked["categories"] = [text_or_none(item, "categories") for item in listed]
    return checked


def load_front_matter(text: str, name: str) -> dict:
    """The front matter's mapping; DocumentUnreadable naming the file and the problem."""
    try:
        if len(text) > MAX_CHARS:
            raise FrontMatterRefused(f"超过 {MAX_CHARS} 个字符 / longer than {MAX_CHARS} characters")
        meta = yaml.load(text, Loader=FrontMatterLoader) or {}
        if not isinstance(meta, dict):
            raise FrontMatterRefused("必须是键值对 / must be a mapping")
        return check_fields({str(key): plain(value, str(key)) for key, value in meta.items()})
    except FrontMatterRefused as exc:
        raise DocumentUnreadable(f"{name}: 前置元数据无效 / invalid front matter: {exc}") from None
    except yaml.YAMLError as exc:
        raise DocumentUnreadable(f"{name}: 前置元数据不是有效的 YAML / front matter is not valid YAML ({exc})") from exc
