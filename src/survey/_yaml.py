"""The one YAML loader of the workbench: safe, bounded, and with errors that name the file.

Every reader of user YAML (plans, ``--map`` files, plan parameters, instruments, drafts) goes
through :func:`load_yaml` or :func:`loads_yaml` instead of calling ``yaml.safe_load`` itself, because
``safe_load`` alone is safe against code execution but not against resource exhaustion:

- an **alias bomb** ("billion laughs": ``a: &a [x, x]``, ``b: &b [*a, *a]``, ...) is a few hundred
  bytes that expands to billions of items as soon as anything walks the data (json, pandas, a
  validator). The loader counts every node as it would be once aliases are expanded and refuses the
  document when that count passes ``max_nodes``, or when it holds more than ``max_aliases`` aliases,
  or an alias that refers to itself (a recursive structure);
- an **oversized document** is refused by its byte size before any parsing (``max_bytes``);
- **deep nesting** (``[[[[...]]]]``) would end in RecursionError inside the parser; it becomes the
  same one-line error.

Errors are raised as ``error`` (a :class:`~survey.errors.SurveyError` subclass chosen by the caller:
``PlanError`` for plans, ``DataError`` for data files, ``InstrumentError`` for instruments) with the
file, the line and column when known, and how to fix it.

Examples
--------
>>> loads_yaml("name: demo\\nreports: [a, b]")
{'name': 'demo', 'reports': ['a', 'b']}
>>> loads_yaml("a: &a [1, 1]\\nb: [*a, *a]", max_aliases=1)
Traceback (most recent call last):
...
survey.errors.SurveyError: <text>: line 2, column 9: more than 1 YAML aliases (*name); write the values out or split the file
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

from .errors import SurveyError

#: A plan, an instrument or a column map is a few kilobytes; 2 MB leaves room and stays quick to parse.
MAX_BYTES = 2_000_000
#: Real files use anchors for a handful of shared blocks; bombs need many.
MAX_ALIASES = 200
#: Nodes after expanding aliases: about ten times what a 2 MB file can hold without aliases.
MAX_NODES = 1_000_000


def _loader_class(max_aliases: int, max_nodes: int) -> type:
    class _BoundedLoader(yaml.SafeLoader):
        """SafeLoader that weighs each node by its size once aliases are expanded."""

        def __init__(self, stream):
            super().__init__(stream)
            self._aliases = 0
            self._expanded = 0
            self._weight: dict[int, int] = {}

        def _where(self) -> str:
            mark = self.peek_event().start_mark if self.check_event() else None
            return f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""

        def compose_node(self, parent, index):
            if self.check_event(AliasEvent):
                where = self._where()
                self._aliases += 1
                if self._aliases > max_aliases:
                    raise _Refused(f"{where}more than {max_aliases} YAML aliases (*name); write the values "
                                   "out or split the file")
                node = super().compose_node(parent, index)
                weight = self._weight.get(id(node))
                if weight is None:  # the anchor is still being read: the alias points into itself
                    raise _Refused(f"{where}a YAML alias refers to the block that contains it (a recursive "
                                   "structure); write the values out")
                self._expanded += weight
                if self._expanded > max_nodes:
                    raise _Refused(f"{where}the aliases expand to more than {max_nodes:,} values (an alias "
                                   "bomb?); write the values out or split the file")
                return node
            start = self._expanded
            node = super().compose_node(parent, index)
            self._expanded += 1
            self._weight[id(node)] = self._expanded - start
            if self._expanded > max_nodes:
                raise _Refused(f"{self._where()}more than {max_nodes:,} values; split the file")
            return node

    return _BoundedLoader


#: Nesting a real file never comes near; deeper documents take the slow path, which refuses them.
MAX_FAST_DEPTH = 100


def _plain_document(text: str | bytes, max_nodes: int) -> bool:
    """True when libyaml sees no alias, no deep nesting and not too many values in ``text``.

    Such a document cannot expand, so it is read with libyaml's C loader: an instrument with
    10,000 items takes a fraction of a second instead of the pure-Python loader's ten.
    """
    if not getattr(yaml, "__with_libyaml__", False):
        return False
    depth = events = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            events += 1
            if isinstance(event, AliasEvent) or events > max_nodes:
                return False
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_FAST_DEPTH:
                    return False
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return False  # the Python loader reports it, with line and column
    return True


class _Refused(Exception):
    """Internal: a limit was passed (turned into the caller's error class with the file name)."""


def loads_yaml(text: str | bytes, source: str = "<text>", *, error: type[SurveyError] = SurveyError,
               max_bytes: int = MAX_BYTES, max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_NODES) -> Any:
    """Parse YAML ``text`` safely within the limits (see the module docstring); ``source`` names it
    in errors, which are raised as ``error``."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise error(f"{source}: {size:,} bytes is more than the {max_bytes:,} a YAML file may have here; "
                    "split it or check that it is the file you meant")
    if _plain_document(text, max_nodes):
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass  # e.g. a bad tag: the Python loader below says where
    loader = _loader_class(max_aliases, max_nodes)(text)
    try:
        return loader.get_single_data()
    except _Refused as err:
        raise error(f"{source}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise error(f"{source}:{where} not valid YAML ({problem}); check the indentation and quote text "
                    "holding ':' or '#'") from None
    except RecursionError:
        raise error(f"{source}: nested too deeply to read; a plan or instrument needs a few levels only") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, *, error: type[SurveyError] = SurveyError, what: str = "",
              max_bytes: int = MAX_BYTES, max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_NODES) -> Any:
    """Read the YAML file ``path`` safely within the limits; errors (raised as ``error``) start with
    ``what`` (e.g. ``"--map"``) and the path. The size is checked before the file is read whole."""
    p = Path(path)
    label = f"{what} {p}".strip()
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise error(f"{label}: {size:,} bytes is more than the {max_bytes:,} a YAML file may have here; "
                        "split it or check that it is the file you meant")
        raw = p.read_bytes()
    except OSError as err:
        raise error(f"{label}: cannot read it ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise error(f"{label}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    return loads_yaml(text, label, error=error, max_bytes=max_bytes, max_aliases=max_aliases, max_nodes=max_nodes)
