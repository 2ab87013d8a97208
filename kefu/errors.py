"""Domain errors. Each message names the problem in Chinese and English."""


class KefuError(Exception):
    """Base of every error kefu reports to a person rather than crashing on."""


class ImportRefused(KefuError):
    """A capture could not be imported into kb/."""


class DocumentUnreadable(KefuError):
    """A file in kb/ cannot be parsed; the current index stays as it was."""


class DocumentTooComplex(DocumentUnreadable):
    """A file past one of the parser's limits (nesting, time, memory): refused before it can
    hold the server's CPU."""

    status, code = 422, "document_too_complex"


class IndexMissing(KefuError):
    """No index version is current yet."""


class IndexCorrupt(KefuError):
    """An index version fails its manifest checks (checksum, model, dimension, lexicon)."""


class ModelUnavailable(KefuError):
    """The embedding model named in the settings cannot be found locally."""


class EmbeddingFailed(KefuError):
    """The embedding model gave vectors that cannot be indexed (NaN or infinite values)."""


class BuildRunning(KefuError):
    """Another build or rollback of the same knowledge base's index holds its lock."""


class TuneRefused(KefuError):
    """`kefu tune` cannot start (no questions to learn from, a bad or taken model name); nothing is written."""
