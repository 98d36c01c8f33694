"""Plans: read, check and expand a plan before anything runs.

Everything a plan names is confined: a report's name is a plain folder name (no ``/``, no ``..``),
its folder must resolve inside the plan's output folder, and notebooks come only from the project's
``notebooks/`` folder (subfolders allowed) after resolving links. Parameter values are checked
against the types written in the notebook's ``parameters`` cell (``x = 2  # int: ...``). A grid's
size is computed from the lengths of its lists before anything is expanded, so a plan asking for a
million reports is refused at once and in constant memory.
"""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .._yaml import load_yaml
from ..errors import PlanError
from ..paths import find_project_root, project_root

PATH_KEYS = {"data", "out_dir", "units", "truth", "records", "mapping", "catalog"}
#: Larger grids are refused unless the caller raises the limit (``--max-reports``).
MAX_REPORTS = 10_000
#: Notebooks a plan may run live below these folders of the project (relative to its root).
NOTEBOOK_DIRS = ("notebooks",)
_TOP_KEYS = ("name", "reports", "description", "timeout")
_ENTRY_KEYS = ("notebook", "parameters", "grid", "name", "timeout")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,119}")
_SLUG_RE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class ReportSpec:
    """One report of a plan, after grid expansion. ``timeout`` is its wall-clock limit in seconds
    (None: the run's default)."""

    name: str
    notebook: Path
    parameters: dict[str, Any]
    timeout: float | None = None


@dataclass(frozen=True)
class Plan:
    """A checked plan: its name (the output folder), its file, and its reports after grid expansion."""

    name: str
    path: Path
    reports: list[ReportSpec]
    root: Path | None = None


def _slug(text: str) -> str:
    return _SLUG_RE.sub("-", text).strip("-.")[:80] or "report"


def is_safe_name(name: Any) -> bool:
    """A plain folder name: letters, digits, '_', '-', '.', starting with a letter or digit (so never
    '.', '..' or a hidden file), no separator."""
    return isinstance(name, str) and bool(_NAME_RE.fullmatch(name)) and ".." not in name


def confined(base: Path, *parts: str) -> Path:
    """``base/parts`` resolved, or PlanError when it would lie outside ``base`` (after links)."""
    base_r = base.resolve()
    target = base_r.joinpath(*parts).resolve()
    if target != base_r and base_r not in target.parents:
        raise PlanError(f"{'/'.join(parts)}: resolves to {target}, outside the output folder {base_r}; "
                        "name reports with letters, digits, '-', '_' and '.' only")
    return target


def _is_json_value(v: Any) -> bool:
    if v is None or isinstance(v, (str, bool, int, float)):
        return True
    if isinstance(v, list):
        return all(_is_json_value(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _is_json_value(x) for k, x in v.items())
    return False


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """Parameters declared in a notebook's ``parameters`` cell (name -> ``name``, ``default``,
    ``inferred_type_name``, ``help``, as :func:`papermill.inspect_notebook` gives them).

    The cell holds literal assignments with a comment each, so it is read here with :mod:`ast`
    (milliseconds) instead of importing papermill and nbformat into the runner (seconds) just to check
    a plan; papermill reads it only for a cell this reader does not understand.
    """
    import ast
    import json

    try:
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
        cell = next(c for c in nb.get("cells", []) if c.get("cell_type") == "code"
                    and "parameters" in (c.get("metadata", {}).get("tags") or []))
    except StopIteration:
        return {}
    except (OSError, ValueError, AttributeError) as err:
        raise PlanError(f"{notebook}: cannot read the notebook ({type(err).__name__}: {err})") from None
    source = "".join(cell["source"]) if isinstance(cell.get("source"), list) else str(cell.get("source", ""))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return _papermill_parameters(notebook)
    lines = source.splitlines()
    out: dict[str, dict] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, annotation = node.targets[0].id, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, annotation = node.target.id, ast.get_source_segment(source, node.annotation)
        else:
            continue
        line = lines[node.end_lineno - 1]
        after = line[node.end_col_offset:]
        comment = after.split("#", 1)[1].strip() if "#" in after else ""
        out[name] = {"name": name, "inferred_type_name": annotation or "None",
                     "default": ast.get_source_segment(source, node.value), "help": comment}
    return out


def _papermill_parameters(notebook: Path) -> dict[str, dict]:
    import papermill

    try:
        return dict(papermill.inspect_notebook(str(notebook)))
    except Exception as err:  # a damaged notebook file
        raise PlanError(f"{notebook}: cannot inspect the notebook ({type(err).__name__}: {err})") from None


# ---- declared types ---------------------------------------------------------------------------
_TYPE_WORDS = {"str": (str,), "string": (str,), "int": (int,), "integer": (int,), "float": (int, float),
               "number": (int, float), "bool": (bool,), "boolean": (bool,), "list": (list,),
               "dict": (dict,), "none": (type(None),), "null": (type(None),)}
_HELP_TYPES = re.compile(r"^\s*([A-Za-z]+(?:\s*(?:or|\||,)\s*[A-Za-z]+)*)\s*:")


def declared_types(param: dict) -> tuple[str, tuple[type, ...]] | None:
    """The types a parameter accepts: from the comment (``# int: ...``, ``# str or list: ...``),
    else from papermill's inferred type, else from the default's JSON type; None when unknown."""
    m = _HELP_TYPES.match(param.get("help") or "")
    words: list[str] = []
    if m:
        words = [w.lower() for w in re.split(r"\s*(?:or|\||,)\s*", m.group(1)) if w]
    if not words or not all(w in _TYPE_WORDS for w in words):
        inferred = (param.get("inferred_type_name") or "None").lower()
        if inferred in _TYPE_WORDS and inferred != "none":
            words = [inferred]
        else:
            import json

            try:
                default = json.loads(param.get("default") or "")
            except ValueError:
                return None
            words = [{str: "str", bool: "bool", int: "int", float: "float", list: "list",
                      dict: "dict"}.get(type(default), "")]
            if not words[0]:
                return None
    types: tuple[type, ...] = tuple(t for w in words for t in _TYPE_WORDS[w])
    return " or ".join(words), types


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):  # a bool is an int to Python, not to a plan
        return bool in types
    return isinstance(value, types)


# ---- reading ------------------------------------------------------------------------------------
def plan_root(plan_path: str | Path, root: str | Path | None = None) -> Path:
    """The project a plan runs in: ``root`` when given, else the project folder holding the plan,
    else :func:`project_root` (so a plan written to a temporary folder runs in the current project)."""
    if root:
        return Path(root)
    found = find_project_root(Path(plan_path).resolve().parent)
    return found if found is not None else project_root()


def load_plan(path: str | Path, root: str | Path | None = None, *, max_reports: int = MAX_REPORTS) -> Plan:
    """Read and check a plan; every problem is listed in one :class:`PlanError`.

    The plan file may live anywhere. Notebook names are resolved against the project's
    ``notebooks/`` folder and path parameters against the project root, never against the plan's
    folder; the project is ``root`` when given, else the project holding the plan, else
    :func:`survey.paths.project_root`. A plan expanding to more than ``max_reports`` reports is
    refused before any is built.
    """
    p = Path(path)
    if not p.is_file():
        raise PlanError(f"{p}: plan file not found; plans live in notebooks/plans/")
    root_path = plan_root(p, root)
    data = load_yaml(p, error=PlanError)
    if not isinstance(data, dict):
        raise PlanError(f"{p}: a plan is a mapping with keys 'name' and 'reports'")
    problems: list[str] = []
    name, entries, default_timeout = _check_top_level(data, problems)
    checked = []
    inspected: dict[Path, dict] = {}
    total = 0
    for k, entry in enumerate(entries):
        c = _check_entry(f"reports[{k}]", entry, root_path, inspected, problems)
        if c is not None:
            checked.append(c)
            total += math.prod(len(v) for v in c[3].values())
    if total > max_reports:
        raise PlanError(f"{p}: the plan expands to {total:,} reports, more than the limit of {max_reports:,}; "
                        "make the grids smaller or raise the limit with --max-reports")
    specs: list[ReportSpec] = []
    for label, nb, params, grid, timeout in checked:
        specs.extend(_grid_specs(label, nb, params, grid, timeout if timeout is not None else default_timeout))
    seen: set[str] = set()
    for s in specs:
        if not is_safe_name(s.name):
            problems.append(f"report name {s.name!r}: use letters, digits, '-', '_' and '.' only "
                            "(it becomes a folder name under the output folder)")
        elif s.name in seen:
            problems.append(f"two reports would both be named {s.name!r}; give them a distinct 'name'")
        seen.add(s.name)
        _check_values_for_identifiers(s, problems)
    if problems:
        raise PlanError(f"{p}: the plan is wrong, nothing was run:\n" + "\n".join(f"  - {x}" for x in problems))
    reports = [ReportSpec(s.name, s.notebook, _absolute_paths(s.parameters, root_path), s.timeout) for s in specs]
    return Plan(name=str(name), path=p, reports=reports, root=root_path)


def _check_top_level(data: dict, problems: list[str]) -> tuple[Any, list, float | None]:
    unknown = set(data) - set(_TOP_KEYS)
    if unknown:
        problems.append(f"unknown top-level key(s) {sorted(unknown)}; allowed: {', '.join(_TOP_KEYS)}")
    name = data.get("name")
    if not is_safe_name(name):
        problems.append(f"name: {name!r} must be a plain folder name: letters, digits, '-', '_' or '.', "
                        "starting with a letter or digit")
    entries = data.get("reports")
    if not isinstance(entries, list) or not entries:
        problems.append("reports: give a non-empty list of reports")
        entries = []
    return name, entries, _check_timeout("timeout", data.get("timeout"), problems)


def _check_timeout(where: str, value: Any, problems: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        problems.append(f"{where}: {value!r} must be a positive number of seconds, e.g. 1800")
        return None
    return float(value)


def _check_entry(where: str, entry: Any, root: Path, inspected: dict[Path, dict], problems: list[str]):
    """(label, notebook, parameters, grid, timeout) for a correct entry, else None (with problems)."""
    if not isinstance(entry, dict):
        problems.append(f"{where}: each report is a mapping with 'notebook' and 'parameters'")
        return None
    bad_keys = set(entry) - set(_ENTRY_KEYS)
    if bad_keys:
        problems.append(f"{where}: unknown key(s) {sorted(bad_keys)}; allowed: {', '.join(_ENTRY_KEYS)}")
    nb = _entry_notebook(where, entry.get("notebook"), root, problems)
    label = entry.get("name")
    if label is not None and not is_safe_name(label):
        problems.append(f"{where}.name: {label!r} must be a plain folder name: letters, digits, '-', '_' "
                        "or '.', starting with a letter or digit")
        return None
    timeout = _check_timeout(f"{where}.timeout", entry.get("timeout"), problems)
    if nb is None:
        return None
    if nb not in inspected:
        try:
            inspected[nb] = notebook_parameters(nb)
        except PlanError as err:
            problems.append(f"{where}.notebook: {err}")
            return None
    params = entry.get("parameters") or {}
    grid = entry.get("grid") or {}
    if not isinstance(params, dict) or not isinstance(grid, dict):
        problems.append(f"{where}: 'parameters' and 'grid' must be mappings")
        return None
    if not _check_parameters(where, nb.name, params, grid, inspected[nb], problems):
        return None
    return label or nb.stem, nb, params, grid, timeout


def _entry_notebook(where: str, nb_name: Any, root: Path, problems: list[str]) -> Path | None:
    """The entry's notebook, found only below the project's notebook folders, or None (with a problem)."""
    if not isinstance(nb_name, str) or not nb_name.strip():
        problems.append(f"{where}.notebook: missing; give a notebook file name relative to notebooks/")
        return None
    rel = Path(nb_name)
    if rel.is_absolute() or ".." in rel.parts or rel.suffix != ".ipynb":
        problems.append(f"{where}.notebook: {nb_name!r} must be a .ipynb file named relative to notebooks/ "
                        "(no absolute path, no '..')")
        return None
    for folder in NOTEBOOK_DIRS:
        base = (root / folder).resolve()
        nb = (base / rel).resolve()
        if base in nb.parents and nb.is_file():
            return root / folder / rel
        if nb.is_file() and base not in nb.parents:
            problems.append(f"{where}.notebook: {nb_name!r} leads outside notebooks/ (a link to {nb}); "
                            "copy the notebook into notebooks/")
            return None
    known = ", ".join(sorted(x.name for x in (root / "notebooks").glob("*.ipynb")))
    problems.append(f"{where}.notebook: {nb_name!r} not found in notebooks/ (known: {known})")
    return None


def _check_parameters(where: str, nb_name: str, params: dict, grid: dict, declared: dict,
                      problems: list[str]) -> bool:
    """Names declared in the notebook's parameters cell, JSON values of the declared types."""
    before = len(problems)
    for key in [*params, *grid]:
        if key == "out_dir":
            problems.append(f"{where}: 'out_dir' is set by the runner; remove it from the plan")
        elif key not in declared:
            problems.append(f"{where}: unknown parameter {key!r} for {nb_name} "
                            f"(declared: {', '.join(declared) or 'none'})")
    for key, vals in grid.items():
        if not isinstance(vals, list) or not vals:
            problems.append(f"{where}.grid.{key}: give a non-empty list of values")
    if len(problems) > before:
        return False
    values = [(f"{where}.parameters.{k}", k, v) for k, v in params.items()]
    for k, vals in grid.items():
        # one check per distinct type is enough: a huge grid of numbers costs nothing here
        firsts: dict[type, tuple[int, Any]] = {}
        for i, v in enumerate(vals):
            firsts.setdefault(type(v), (i, v))
        values += [(f"{where}.grid.{k}[{i}]", k, v) for i, v in firsts.values()]
    for place, key, v in values:
        if not _is_json_value(v):
            problems.append(f"{place}: {v!r} is not a JSON value (string, number, true/false, list)")
            continue
        decl = declared_types(declared[key])
        if decl is not None and not _type_ok(v, decl[1]):
            problems.append(f"{place}: {v!r} is a {type(v).__name__}, but {nb_name} declares {key} as "
                            f"{decl[0]} ({(declared[key].get('help') or '').strip()}); give a {decl[0]}")
    return len(problems) == before


def _check_values_for_identifiers(spec: ReportSpec, problems: list[str]) -> None:
    """A report name or a parameter holding a NIP, NIK, phone number or e-mail would put it in folder
    names and on the index page; refuse it at the plan check (the message never repeats it)."""
    from .._identifiers import find_identifiers

    texts = [("name", spec.name), *[("name", piece) for piece in re.split(r"[-_.]", spec.name)]]
    texts += [(f"parameter {k}", v) for k, v in spec.parameters.items() if isinstance(v, str)]
    for what, text in texts:
        found = find_identifiers(text)
        if found:
            shown = spec.name
            for piece in re.split(r"[-_.]", spec.name):
                if find_identifiers(piece):
                    shown = shown.replace(piece, f"[{found[0][0]}]")
            problems.append(f"report {shown} ({spec.notebook.name}): its {what} holds what looks like a "
                            f"{found[0][0]} (personal data); use a code or a pseudonym instead")
            return


def _grid_specs(label: Any, nb: Path, params: dict, grid: dict, timeout: float | None) -> Iterator[ReportSpec]:
    """One report per combination of the grid's values, named ``label-value-value``."""
    keys = list(grid)
    combos = itertools.product(*[grid[k] for k in keys]) if keys else [()]
    for combo in combos:
        suffix = "-".join(_slug(str(v)) if str(v) else "none" for v in combo)
        yield ReportSpec(name=f"{label}-{suffix}" if suffix else str(label), notebook=nb,
                         parameters={**params, **dict(zip(keys, combo))}, timeout=timeout)


def _absolute_paths(params: dict[str, Any], root: Path) -> dict[str, Any]:
    """Root-relative paths made absolute: always for the known path parameters, and for any other
    string with a '/' when that file exists (a label such as "1/2" stays as it is)."""
    out = {}
    for key, v in params.items():
        if isinstance(v, str) and v and (key in PATH_KEYS or "/" in v) and not v.startswith(("http:", "https:")):
            absolute = (root / v).resolve() if not Path(v).is_absolute() else Path(v)
            if key in PATH_KEYS or absolute.exists():
                v = str(absolute)
        out[key] = v
    return out
