"""Knowledge bases: one folder each under the kb root (`kb/<id>/`), with a `kb.yaml` of its
public facts beside its documents. Each has its own index versions; one model serves them all.
"""

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from kefu.errors import KefuError
from kefu.settings import Settings

KB_FILE = "kb.yaml"
KB_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
MAX_QUICK_QUESTIONS = 6
FIELDS = ("name", "organization", "hotline", "greeting", "quick_questions")


class UnknownKb(KefuError):
    status, code = 404, "unknown_kb"


class KbInvalid(KefuError):
    status, code = 422, "kb_invalid"


class KbExists(KbInvalid):
    status, code = 409, "kb_exists"


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    name: str
    organization: str
    hotline: str | None  # only when the manual states one
    greeting: str
    quick_questions: tuple[str, ...]
    folder: Path

    def public(self) -> dict:
        """What the widget may show: everything but the folder."""
        facts = asdict(self)
        facts.pop("folder")
        facts["quick_questions"] = list(self.quick_questions)
        return facts


def check_kb_id(kb_id: str) -> str:
    if not isinstance(kb_id, str) or not KB_ID.match(kb_id):
        raise KbInvalid(
            f"知识库编号无效 {kb_id!r} / invalid knowledge-base id: lowercase ASCII letters, digits and '-', "
            "starting with a letter, at most 40 characters (e.g. dairy)"
        )
    return kb_id


def _text(raw: dict, key: str, where: Path, required: bool = True) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
        raise KbInvalid(f"{where}: {key} 需为一行文字 / {key} must be one line of text")
    return value.strip()


def kb_from_facts(folder: Path, raw, where: Path) -> KnowledgeBase:
    """A kb from the facts of its kb.yaml, checked field by field."""
    if not isinstance(raw, dict):
        raise KbInvalid(f"{where}: 需为键值对 / must be a mapping of {', '.join(FIELDS)}")
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise KbInvalid(f"{where}: 未知字段 {sorted(unknown)} / unknown fields; allowed: {', '.join(FIELDS)}")
    questions = raw.get("quick_questions") or []
    if not isinstance(questions, list) or len(questions) > MAX_QUICK_QUESTIONS or not all(isinstance(q, str) and q.strip() for q in questions):
        raise KbInvalid(f"{where}: quick_questions 最多 {MAX_QUICK_QUESTIONS} 个问题 / quick_questions is a list of at most {MAX_QUICK_QUESTIONS} questions")
    return KnowledgeBase(
        id=check_kb_id(folder.name), name=_text(raw, "name", where), organization=_text(raw, "organization", where),
        hotline=_text(raw, "hotline", where, required=False), greeting=_text(raw, "greeting", where),
        quick_questions=tuple(q.strip() for q in questions), folder=folder,
    )


def parse_kb(folder: Path) -> KnowledgeBase:
    where = folder / KB_FILE
    try:
        raw = yaml.safe_load(where.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KbInvalid(f"{where}: 无法读取 / cannot be read ({exc})") from exc
    return kb_from_facts(folder, raw, where)


def list_kbs(settings: Settings) -> list[KnowledgeBase]:
    """Every knowledge base under the kb root, by id; folders without kb.yaml are not kbs."""
    root = settings.kb_dir
    if not root.is_dir():
        return []
    return [parse_kb(folder) for folder in sorted(root.iterdir()) if folder.is_dir() and (folder / KB_FILE).is_file()]


def find_kb(settings: Settings, kb_id: str) -> KnowledgeBase:
    check_kb_id(kb_id)
    folder = settings.kb_dir / kb_id
    if not (folder / KB_FILE).is_file():
        raise UnknownKb(f"没有知识库 {kb_id} / no knowledge base {kb_id!r}; see `kefu kb list`")
    return parse_kb(folder)


def write_kb_file(folder: Path, facts: dict) -> None:
    """kb.yaml written whole through a temporary file: never half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (KB_FILE + ".tmp")
    tmp.write_text(yaml.safe_dump(facts, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(folder / KB_FILE)


def kb_facts(name: str, organization: str, greeting: str, hotline: str | None, quick_questions: tuple[str, ...]) -> dict:
    """What kb.yaml holds, in its order (no hotline line when the manual states none)."""
    facts = {"name": name, "organization": organization, "hotline": hotline, "greeting": greeting, "quick_questions": list(quick_questions)}
    return {key: value for key, value in facts.items() if value is not None}


def create_kb(settings: Settings, kb_id: str, name: str, organization: str, greeting: str, hotline: str | None = None, quick_questions: tuple[str, ...] = ()) -> KnowledgeBase:
    """A new, empty knowledge base: its folder and kb.yaml, checked before anything is written."""
    folder = settings.kb_dir / check_kb_id(kb_id)
    if (folder / KB_FILE).exists():
        raise KbExists(f"知识库 {kb_id} 已存在 / knowledge base {kb_id!r} already exists")
    facts = kb_facts(name, organization, greeting, hotline, quick_questions)
    kb = kb_from_facts(folder, facts, folder / KB_FILE)
    write_kb_file(folder, facts)
    return kb


def update_kb(settings: Settings, kb_id: str, name: str, organization: str, greeting: str, hotline: str | None = None, quick_questions: tuple[str, ...] = ()) -> KnowledgeBase:
    """A knowledge base's kb.yaml facts replaced, checked before anything is written."""
    folder = find_kb(settings, kb_id).folder
    facts = kb_facts(name, organization, greeting, hotline, quick_questions)
    kb = kb_from_facts(folder, facts, folder / KB_FILE)
    write_kb_file(folder, facts)
    return kb
