"""YAML read as a tree that remembers where each value was written.

``doctor`` points at the line of each finding, so workflows are read with PyYAML's composer
(nodes carry their position) instead of its loader. Scalars stay the strings that were written:
the key ``on`` is the word ``on``, not YAML 1.1's ``True``, as GitHub reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` is where the parser gave up."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Node:
    """A value and the 1-based line it starts on."""

    value: dict[str, Node] | list[Node] | str | None
    line: int

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


def _convert(node: yaml.Node) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        entries: dict[str, Node] = {}
        for key, value in node.value:
            entries[str(key.value)] = _convert(value)
        return Node(entries, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_convert(item) for item in node.value], line)
    if node.tag == "tag:yaml.org,2002:null":
        return Node(None, line)
    return Node(str(node.value), line)


def parse(text: str) -> Node:
    """Parse one YAML document into nodes; an empty document is a null node on line 1."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(str(exc.problem or exc), line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), 1) from exc
    return Node(None, 1) if root is None else _convert(root)
