"""YAML read as a tree that remembers where each value was written.

``doctor`` points at the line of each finding, so workflows are read with PyYAML's composer
(nodes carry their position) instead of its loader. Scalars stay the strings that were written:
the key ``on`` is the word ``on``, not YAML 1.1's ``True``, as GitHub reads it.

A workflow is untrusted input, so parsing is bounded: at most ``MAX_CHARS`` characters,
``MAX_DEPTH`` levels of nesting, and ``MAX_ALIAS_NODES`` nodes added by expanding aliases (a
"billion laughs" file is a few hundred bytes). Beyond a bound, ``parse`` raises
``YamlLimitError`` instead of exhausting memory or the stack; an alias of its own ancestor
(a cycle) is refused the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import yaml

from releasekit.records import frozen, replace

MAX_CHARS = 1_048_576  # 1 MiB of text; real workflows are a few kilobytes
MAX_DEPTH = 100
MAX_ALIAS_NODES = 100_000


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` is where the parser gave up."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class YamlLimitError(YamlSyntaxError):
    """The text is too large, too deep, or its aliases expand too far to be read safely."""


@frozen
class Node:
    """A value and the 1-based line it starts on.

    ``key_line`` is the line of the key it was written under (0 for a document or a list item):
    a finding about a job points at the job's name, not at its first entry. ``tag`` keeps a
    local tag such as GitLab's ``!reference``, as written and never acted on.
    """

    value: dict[str, Node] | list[Node] | str | None
    line: int
    key_line: int = 0
    tag: str = ""

    @property
    def where(self) -> int:
        """The line to point at: the key's line when there is one, else the value's."""
        return self.key_line or self.line

    def get(self, key: str) -> Node | None:
        """The value under ``key`` when this is a mapping that has it."""
        return self.value.get(key) if isinstance(self.value, dict) else None

    def text(self, key: str | None = None) -> str | None:
        """The scalar here (or under ``key``) as a string; None for anything else."""
        node = self if key is None else self.get(key)
        return node.value if node is not None and isinstance(node.value, str) else None

    def mapping(self) -> dict[str, Node]:
        """The entries of a mapping; empty for anything else."""
        return self.value if isinstance(self.value, dict) else {}

    def items(self) -> list[Node]:
        """The entries of a sequence; a scalar or mapping is a sequence of one."""
        if isinstance(self.value, list):
            return self.value
        return [] if self.value is None else [self]

    def walk_strings(self) -> Iterator[Node]:
        """Every scalar below this node, depth first."""
        if isinstance(self.value, str):
            yield self
        elif isinstance(self.value, dict):
            for child in self.value.values():
                yield from child.walk_strings()
        elif isinstance(self.value, list):
            for child in self.value:
                yield from child.walk_strings()


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, refusing nesting deeper than ``MAX_DEPTH`` before recursing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # PyYAML's signature
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
                line = event.start_mark.line + 1
                raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels", line)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _local_tag(node: yaml.Node) -> str:
    """A tag written in the file (``!reference``); PyYAML's own resolved tags are not kept."""
    tag = str(node.tag or "")
    return tag if tag.startswith("!") else ""


class _Converter:
    """Turns composed nodes into ``Node``s; each YAML node is converted once, and aliases share it.

    ``expanded`` counts the nodes a reader would walk through, aliases included, so that
    ``walk_strings`` on the result stays within ``MAX_ALIAS_NODES`` of the file's own size.
    """

    def __init__(self) -> None:
        self.done: dict[int, tuple[Node, int]] = {}  # id(yaml node) -> (Node, expanded size)
        self.open: set[int] = set()
        self.alias_nodes = 0

    def convert(self, node: yaml.Node, depth: int = 1) -> tuple[Node, int]:
        line = node.start_mark.line + 1
        key = id(node)
        if key in self.done:
            converted, size = self.done[key]
            self.alias_nodes += size
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise YamlLimitError(f"aliases expand to more than {MAX_ALIAS_NODES} nodes", line)
            return converted, size
        if key in self.open:
            raise YamlLimitError("an alias refers to a value that contains it", line)
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"nested deeper than {MAX_DEPTH} levels (through aliases)", line)
        self.open.add(key)
        size = 1
        if isinstance(node, yaml.MappingNode):
            entries: dict[str, Node] = {}
            for name, value in node.value:
                if not isinstance(name, yaml.ScalarNode):
                    raise YamlSyntaxError("a mapping key is not a plain value", line)
                converted, grown = self.convert(value, depth + 1)
                entries[str(name.value)] = replace(converted, key_line=name.start_mark.line + 1)
                size += grown
            result = Node(entries, line, tag=_local_tag(node))
        elif isinstance(node, yaml.SequenceNode):
            items = []
            for item in node.value:
                converted, grown = self.convert(item, depth + 1)
                items.append(converted)
                size += grown
            result = Node(items, line, tag=_local_tag(node))
        elif node.tag == "tag:yaml.org,2002:null":
            result = Node(None, line)
        else:
            result = Node(str(node.value), line, tag=_local_tag(node))
        self.open.discard(key)
        self.done[key] = (result, size)
        return result, size


@contextlib.contextmanager
def _reading(loader: _BoundedLoader) -> Iterator[None]:
    """Turn PyYAML's errors into ``YamlSyntaxError`` with a line, and free the loader."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(str(exc.problem or exc), line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 1) from exc
    finally:
        loader.dispose()


def parse_documents(text: str) -> list[Node]:
    """Parse every document of a multi-document file (GitLab's ``spec:`` header comes first).

    The same bounds apply to the whole file; an empty file is one null document.
    """
    if len(text) > MAX_CHARS:
        raise YamlLimitError(f"larger than {MAX_CHARS} characters", 1)
    loader = _BoundedLoader(text)
    converter = _Converter()
    documents: list[Node] = []
    with _reading(loader):
        while loader.check_node():
            root = loader.get_node()
            documents.append(Node(None, 1) if root is None else converter.convert(root)[0])
    return documents or [Node(None, 1)]


def parse(text: str) -> Node:
    """Parse one YAML document into nodes; an empty document is a null node on line 1.

    Raises ``YamlSyntaxError`` for text that is not YAML, and its subclass ``YamlLimitError`` for
    text beyond the bounds in the module's docstring.
    """
    if len(text) > MAX_CHARS:
        raise YamlLimitError(f"larger than {MAX_CHARS} characters", 1)
    loader = _BoundedLoader(text)
    with _reading(loader):
        root = loader.get_single_node()
    return Node(None, 1) if root is None else _Converter().convert(root)[0]
