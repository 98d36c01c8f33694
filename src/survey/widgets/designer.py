"""The instrument designer: edit an instrument draft in JupyterLab.

The editing itself is done by the functions of :mod:`survey.drafts`; this module only arranges
widgets, passes their values to those functions and shows what they return.
"""
from __future__ import annotations

import copy
import html
from pathlib import Path
from typing import Any, Callable

from ..drafts import (
    add_construct, add_item, add_scale, check_draft, draft_instrument, export_draft, languages_of, load_draft,
    move_item, parse_scale_options, questionnaire_html, remove_construct, remove_item, remove_scale,
    rename_construct, rename_scale, save_draft, scale_options_text, set_construct_field, set_construct_text,
    set_item_field, set_item_text, set_scale_options, set_text, text_of,
)
from ..errors import InstrumentError, SurveyError
from ..instrument import ITEM_TYPES, Instrument, builtin_names
from ..paths import project_path
from .common import ALL, DESC, NONE, ipywidgets_module, ui_texts, with_class
from .common import message as html_message

__all__ = ["InstrumentDesigner"]

_TABS = ("items", "constructs", "scales", "preview", "info")


class InstrumentDesigner:
    """Design or edit an instrument in JupyterLab.

    Pick a built-in instrument or open a YAML file; browse items by construct; edit items,
    constructs and scales; mark reverse-keyed items; see the instrument's checks after every change;
    preview the questionnaire in each language; save YAML; export XLSForm and a codebook
    (:mod:`survey.forms`). ``designer.draft`` is the YAML mapping being edited,
    ``designer.problems`` its problems, ``designer.instrument`` the valid instrument (or None).

    >>> designer = InstrumentDesigner("training_reaction", save_path="outputs/scratch/my.yaml")
    >>> designer  # doctest: +SKIP
    """

    def __init__(self, instrument: str | Path = "training_reaction", save_path: str | Path | None = None,
                 export_dir: str | Path | None = None, lang: str = "id"):
        self.lang = lang
        self.t = ui_texts(lang)
        self.draft: dict = {}
        self.problems: list[str] = []
        self._local: list[str] = []  # problems of a text box that could not be applied (scale lines)
        self._guard = False
        self._item: int | None = None
        self._save_path_given = save_path is not None
        self._export_dir = Path(export_dir) if export_dir else None
        self._build_header()
        tabs = [self._build_items_tab(), self._build_constructs_tab(), self._build_scales_tab(),
                self._build_preview_tab(), self._build_info_tab()]
        self._build_layout(tabs)
        self._connect_item_events()
        self._connect_other_events()
        self.preview_lang.value = lang if lang in ("id", "en") else "id"
        self._open_first(instrument, save_path)

    def _build_header(self) -> None:
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.title = with_class(w.HTML(f"<h3 style='margin:0'>{t['designer']}</h3>"), "survey-designer-title")
        self.source = with_class(w.Dropdown(options=builtin_names(), description=t["source"], layout=L(width="340px")),
                                 "survey-designer-source")
        self.path = with_class(w.Text(placeholder="instrument.yaml", description=t["path"], layout=L(width="360px")),
                               "survey-designer-path")
        self.load_button = with_class(w.Button(description=t["load"], icon="folder-open", layout=L(width="90px")),
                                      "survey-designer-load")
        self.status = with_class(w.HTML(), "survey-designer-status")

    def _build_items_tab(self):
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.filter = with_class(w.Dropdown(description=t["filter"], layout=L(width="320px")), "survey-designer-filter")
        self.items = with_class(w.Select(rows=18, layout=L(width="300px")), "survey-designer-items")
        self.name = with_class(w.Text(description=t["name"], continuous_update=True, style=DESC), "survey-designer-name")
        self.type = with_class(w.Dropdown(options=list(ITEM_TYPES), description=t["type"], style=DESC),
                               "survey-designer-type")
        self.scale = with_class(w.Dropdown(description=t["scale"], style=DESC), "survey-designer-scale")
        self.construct = with_class(w.Dropdown(description=t["construct"], style=DESC), "survey-designer-construct")
        self.reverse = with_class(w.Checkbox(description=t["reverse"], indent=True), "survey-designer-reverse")
        self.required = with_class(w.Checkbox(description=t["required"], indent=True), "survey-designer-required")
        self.label_boxes: dict[str, Any] = {}
        self.hint_boxes: dict[str, Any] = {}
        self.add_item_button = with_class(w.Button(description=t["add"], icon="plus"), "survey-designer-add-item")
        self.remove_item_button = with_class(w.Button(description=t["remove"], icon="trash", button_style="warning"),
                                             "survey-designer-remove-item")
        self.up_button = with_class(w.Button(description=t["up"], icon="arrow-up", layout=L(width="80px")),
                                    "survey-designer-up")
        self.down_button = with_class(w.Button(description=t["down"], icon="arrow-down", layout=L(width="80px")),
                                      "survey-designer-down")
        self.item_text = w.VBox()
        self.item_editor = with_class(w.VBox([self.name, self.type, self.scale, self.construct, self.reverse,
                                              self.required, self.item_text,
                                              w.HBox([self.add_item_button, self.remove_item_button, self.up_button,
                                                      self.down_button])], layout=L(width="560px")),
                                      "survey-designer-item-editor")
        return w.VBox([self.filter, w.HBox([self.items, self.item_editor])])

    def _build_constructs_tab(self):
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.construct_list = with_class(w.Select(rows=10, layout=L(width="260px")), "survey-designer-construct-list")
        self.construct_id = with_class(w.Text(description=t["id"], continuous_update=False, style=DESC),
                                       "survey-designer-construct-id")
        self.construct_min = with_class(w.BoundedIntText(min=1, max=99, description=t["min_answered"], style=DESC),
                                        "survey-designer-construct-min")
        self.construct_text = w.VBox()
        self.construct_label_boxes: dict[str, Any] = {}
        self.new_construct = with_class(w.Text(placeholder="e.g. commitment", description=t["new_id"], style=DESC),
                                        "survey-designer-new-construct")
        self.add_construct_button = with_class(w.Button(description=t["add"], icon="plus"),
                                               "survey-designer-add-construct")
        self.remove_construct_button = with_class(
            w.Button(description=t["remove"], icon="trash", button_style="warning"), "survey-designer-remove-construct")
        return w.HBox([self.construct_list, w.VBox([
            self.construct_id, self.construct_min, self.construct_text,
            w.HBox([self.remove_construct_button]), w.HBox([self.new_construct, self.add_construct_button])])])

    def _build_scales_tab(self):
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.scale_list = with_class(w.Select(rows=10, layout=L(width="200px")), "survey-designer-scale-list")
        self.scale_id = with_class(w.Text(description=t["id"], continuous_update=False, style=DESC),
                                   "survey-designer-scale-id")
        self.scale_options = with_class(w.Textarea(description=t["options"], layout=L(width="560px", height="150px"),
                                                   style=DESC), "survey-designer-scale-options")
        self.scale_missing = with_class(w.Textarea(description=t["missing"], layout=L(width="560px", height="60px"),
                                                   style=DESC), "survey-designer-scale-missing")
        self.scale_help = w.HTML()
        self.new_scale = with_class(w.Text(placeholder="e.g. agree4", description=t["new_id"], style=DESC),
                                    "survey-designer-new-scale")
        self.add_scale_button = with_class(w.Button(description=t["add"], icon="plus"), "survey-designer-add-scale")
        self.remove_scale_button = with_class(w.Button(description=t["remove"], icon="trash", button_style="warning"),
                                              "survey-designer-remove-scale")
        return w.HBox([self.scale_list, w.VBox([
            self.scale_id, self.scale_help, self.scale_options, self.scale_missing,
            w.HBox([self.remove_scale_button]), w.HBox([self.new_scale, self.add_scale_button])])])

    def _build_preview_tab(self):
        w, L = ipywidgets_module(), ipywidgets_module().Layout
        self.preview_lang = with_class(w.ToggleButtons(options=[("Bahasa Indonesia", "id"), ("English", "en")],
                                                       description=self.t["lang"]), "survey-designer-preview-lang")
        self.preview = with_class(w.HTML(layout=L(max_height="560px", overflow="auto")), "survey-designer-preview")
        return w.VBox([self.preview_lang, self.preview])

    def _build_info_tab(self):
        w, t = ipywidgets_module(), self.t
        self.inst_id = with_class(w.Text(description=t["id"], continuous_update=False, style=DESC), "survey-designer-id")
        self.version = with_class(w.Text(description=t["version"], style=DESC), "survey-designer-version")
        self.title_boxes: dict[str, Any] = {}
        self.info_text = w.VBox()
        return w.VBox([self.inst_id, self.version, self.info_text])

    def _build_layout(self, tabs: list) -> None:
        """The tabs, the save and export row and the message lines, in one box (``self.widget``)."""
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.tabs = with_class(w.Tab(children=tabs), "survey-designer-tabs")
        for k, key in enumerate(_TABS):
            self.tabs.set_title(k, t[key])
        self.save_path = with_class(w.Text(description=t["save_path"], layout=L(width="520px")),
                                    "survey-designer-save-path")
        self.save_button = with_class(w.Button(description=t["save"], icon="save", button_style="primary"),
                                      "survey-designer-save")
        self.xlsform_button = with_class(w.Button(description=t["xlsform"], icon="file-excel-o"),
                                         "survey-designer-xlsform")
        self.codebook_button = with_class(w.Button(description=t["codebook"], icon="book"), "survey-designer-codebook")
        self.message = with_class(w.HTML(), "survey-designer-message")
        self.problems_box = with_class(w.HTML(layout=L(max_height="220px", overflow="auto")),
                                       "survey-designer-problems")
        self.widget = with_class(w.VBox([
            self.title, w.HBox([self.source, self.path, self.load_button]), self.tabs, self.status,
            self.problems_box, w.HBox([self.save_path, self.save_button]),
            w.HBox([self.xlsform_button, self.codebook_button]), self.message,
        ], layout=L(width="100%")), "survey-designer")

    def _connect_item_events(self) -> None:
        self.source.observe(lambda ch: self.load(ch["new"]), names="value")
        self.load_button.on_click(lambda _: self.load(self.path.value.strip()))
        self.filter.observe(lambda ch: self._guarded(self._refresh_items), names="value")
        self.items.observe(self._on_item_selected, names="value")
        self.name.observe(lambda ch: self._edit_item("name", ch["new"]), names="value")
        self.type.observe(lambda ch: self._edit_item("type", ch["new"] if ch["new"] != "select_one" else None),
                          names="value")
        self.scale.observe(lambda ch: self._edit_item("scale", ch["new"]), names="value")
        self.construct.observe(lambda ch: self._edit_item("construct", ch["new"]), names="value")
        self.reverse.observe(lambda ch: self._edit_item("reverse", ch["new"]), names="value")
        self.required.observe(lambda ch: self._edit_item("required", ch["new"]), names="value")
        self.add_item_button.on_click(lambda _: self._add_item())
        self.remove_item_button.on_click(lambda _: self._remove_item())
        self.up_button.on_click(lambda _: self._move_item(-1))
        self.down_button.on_click(lambda _: self._move_item(1))

    def _connect_other_events(self) -> None:
        self.construct_list.observe(lambda ch: self._guarded(self._show_construct), names="value")
        self.construct_id.observe(self._rename_construct, names="value")
        self.construct_min.observe(self._edit_construct_min, names="value")
        self.add_construct_button.on_click(lambda _: self._add_construct())
        self.remove_construct_button.on_click(lambda _: self._remove_construct())
        self.scale_list.observe(lambda ch: self._guarded(self._show_scale), names="value")
        self.scale_id.observe(self._rename_scale, names="value")
        self.scale_options.observe(lambda ch: self._edit_scale_options("options", ch["new"]), names="value")
        self.scale_missing.observe(lambda ch: self._edit_scale_options("missing", ch["new"]), names="value")
        self.add_scale_button.on_click(lambda _: self._add_scale())
        self.remove_scale_button.on_click(lambda _: self._remove_scale())
        self.preview_lang.observe(lambda ch: self._refresh_preview(), names="value")
        self.inst_id.observe(lambda ch: self._edit_top("id", ch["new"]), names="value")
        self.version.observe(lambda ch: self._edit_top("version", ch["new"]), names="value")
        self.save_button.on_click(lambda _: self.save())
        self.xlsform_button.on_click(lambda _: self.export("xlsform"))
        self.codebook_button.on_click(lambda _: self.export("codebook"))

    def _open_first(self, instrument: str | Path, save_path: str | Path | None) -> None:
        """Show the instrument given to the constructor: a built-in in the dropdown, a file in the path box."""
        if str(instrument) in builtin_names():
            self._guarded(lambda: setattr(self.source, "value", str(instrument)))
        else:
            self.path.value = str(instrument)
        self.load(instrument, save_path=save_path)

    @property
    def instrument(self) -> Instrument | None:
        """The draft as a valid :class:`Instrument`, or None while it has problems."""
        return None if self.problems else draft_instrument(self.draft)

    def load(self, name_or_path: str | Path, save_path: str | Path | None = None) -> None:
        """Open a built-in instrument or a YAML file (an invalid file opens too, with its problems)."""
        if self._guard:
            return
        if not str(name_or_path):
            self.message.value = html_message("error", "Tulis path file YAML / write the path of a YAML file")
            return
        try:
            src = str(name_or_path)
            draft = load_draft(src if src in builtin_names() else project_path(src))
        except InstrumentError as err:
            self.message.value = html_message("error", str(err))
            return
        self.draft = draft
        self._item = 0 if draft.get("items") else None
        self._local = []
        if save_path is not None:
            self.save_path.value = str(save_path)
        elif not self._save_path_given or not self.save_path.value:
            folder = Path(self.save_path.value).parent if self.save_path.value else Path("outputs/scratch/01_instrument_designer")
            self.save_path.value = str(folder / f"{draft.get('id', 'instrument')}.yaml")
        self.message.value = ""
        self._guarded(self._rebuild)

    def save(self, path: str | Path | None = None) -> Path | None:
        """Save the draft as YAML (relative paths start at the project root); None when invalid."""
        target = project_path(path or self.save_path.value)
        self._validate()
        if self.problems:
            self.message.value = html_message("error", self.t["not_saved"].format(n=len(self.problems)))
            return None
        try:
            save_draft(self.draft, target)
        except (InstrumentError, OSError) as err:
            self.message.value = html_message("error", str(err))
            return None
        self.message.value = html_message("ok", self.t["saved"].format(p=target))
        return target

    def export(self, what: str) -> Path | None:
        """Export XLSForm (``"xlsform"``) or the codebook (``"codebook"``) beside the YAML file."""
        out_dir = project_path(self._export_dir) if self._export_dir else project_path(self.save_path.value).parent
        self._validate()
        if self.problems:
            self.message.value = html_message("error", self.t["not_saved"].format(n=len(self.problems)))
            return None
        try:
            target = export_draft(self.draft, out_dir, what)
        except Exception as err:  # forms may be missing or refuse the instrument; say so in the widget
            self.message.value = html_message("error", f"{type(err).__name__}: {err}" if not isinstance(err, SurveyError) else str(err))
            return None
        self.message.value = html_message("ok", self.t["exported"].format(p=target))
        return target

    def _repr_mimebundle_(self, **kwargs):
        # the widget for JupyterLab, plus static HTML for a page without a kernel (nbconvert picks
        # it when the notebook carries no widget state)
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.static_html()
        return bundle

    def static_html(self, lang: str | None = None) -> str:
        """The questionnaire preview and the check result as HTML (for shared reports)."""
        status = self.t["valid"] if not self.problems else self.t["problems"].format(n=len(self.problems))
        probs = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems[:50])
        return (f"<p><b>{html.escape(status)}</b></p>" + (f"<ul>{probs}</ul>" if probs else "")
                + questionnaire_html(self.draft, lang or self.preview_lang.value))

    def _guarded(self, fn: Callable[[], None]) -> None:
        old, self._guard = self._guard, True
        try:
            fn()
        finally:
            self._guard = old

    def _commit(self, draft: dict, lists: bool = False) -> None:
        self.draft = draft
        if lists:
            self._guarded(self._refresh_lists)
        self._validate()
        self._refresh_preview()

    def _validate(self) -> None:
        self.problems = check_draft(self.draft)
        shown = [*self._local, *self.problems]
        if not shown:
            self.status.value = f"<b style='color:#1e7d32'>{self.t['valid']}</b>"
            self.problems_box.value = ""
            return
        self.status.value = f"<b style='color:#b71c1c'>{html.escape(self.t['problems'].format(n=len(shown)))}</b>"
        self.problems_box.value = ("<ul style='margin:2px 0;color:#b71c1c'>"
                                   + "".join(f"<li>{html.escape(p)}</li>" for p in shown) + "</ul>")

    def _refresh_preview(self) -> None:
        self.preview.value = questionnaire_html(self.draft, self.preview_lang.value)

    def _rebuild(self) -> None:
        """Every box for a newly opened draft: one text box per language, then the values."""
        langs = languages_of(self.draft)
        names = self.draft.get("languages") or {}
        self._build_language_boxes(langs)
        self.item_text.children = [*self.label_boxes.values(), *self.hint_boxes.values()]
        self.info_text.children = list(self.title_boxes.values())
        self.construct_text.children = list(self.construct_label_boxes.values())
        self.scale_help.value = ("<span style='color:#555;font-size:90%;margin-left:104px'>"
                                 + html.escape("value | " + " | ".join(f"{names.get(lg, lg)} ({lg})" for lg in langs))
                                 + "</span>")
        self.inst_id.value = str(self.draft.get("id", ""))
        self.version.value = str(self.draft.get("version", ""))
        for lg, box in self.title_boxes.items():
            box.value = text_of(self.draft.get("title"), lg)
        self._refresh_lists()
        self._show_item()
        self._show_construct()
        self._show_scale()
        self._validate()
        self._refresh_preview()

    def _build_language_boxes(self, langs: list[str]) -> None:
        """Label, hint, title and construct-label boxes for each of the draft's languages."""
        w, t, L = ipywidgets_module(), self.t, ipywidgets_module().Layout
        self.label_boxes, self.hint_boxes, self.title_boxes, self.construct_label_boxes = {}, {}, {}, {}
        for lg in langs:
            lab = with_class(w.Textarea(description=f"{t['label']} ({lg})", continuous_update=True,
                                        layout=L(width="540px", height="64px"), style=DESC), f"survey-designer-label-{lg}")
            lab.observe(lambda ch, lg=lg: self._edit_item_text("label", lg, ch["new"]), names="value")
            hint = with_class(w.Text(description=f"{t['hint']} ({lg})", continuous_update=True,
                                     layout=L(width="540px"), style=DESC), f"survey-designer-hint-{lg}")
            hint.observe(lambda ch, lg=lg: self._edit_item_text("hint", lg, ch["new"]), names="value")
            title = with_class(w.Text(description=f"{t['title']} ({lg})", layout=L(width="620px"), style=DESC),
                               f"survey-designer-title-{lg}")
            title.observe(lambda ch, lg=lg: self._edit_title(lg, ch["new"]), names="value")
            clab = with_class(w.Text(description=f"{t['label']} ({lg})", layout=L(width="520px"), style=DESC),
                              f"survey-designer-construct-label-{lg}")
            clab.observe(lambda ch, lg=lg: self._edit_construct_text(lg, ch["new"]), names="value")
            self.label_boxes[lg], self.hint_boxes[lg], self.title_boxes[lg] = lab, hint, title
            self.construct_label_boxes[lg] = clab

    def _refresh_lists(self) -> None:
        cons = list(self.draft.get("constructs") or {})
        scales = list(self.draft.get("scales") or {})
        self.filter.options = ([(self.t["all"], ALL)] + [(f"{c}", c) for c in cons] + [(self.t["none"], NONE)])
        if self.filter.value not in [ALL, NONE, *cons]:
            self.filter.value = ALL
        self.construct.options = [("—", NONE)] + [(c, c) for c in cons]
        self.scale.options = [("—", NONE)] + [(s, s) for s in scales]
        keep_c = self.construct_list.value
        self.construct_list.options = cons
        self.construct_list.value = keep_c if keep_c in cons else (cons[0] if cons else None)
        keep_s = self.scale_list.value
        self.scale_list.options = scales
        self.scale_list.value = keep_s if keep_s in scales else (scales[0] if scales else None)
        self._refresh_items()

    def _refresh_items(self) -> None:
        lang = self.draft.get("default_language") or languages_of(self.draft)[0]
        opts = []
        for k, it in enumerate(self.draft.get("items", [])):
            c = it.get("construct") or NONE
            if self.filter.value not in (ALL, None) and c != self.filter.value:
                continue
            label = text_of(it.get("label"), lang)
            tag = " (R)" if it.get("reverse") else ""
            short = label if len(label) <= 38 else label[:37] + "…"
            opts.append((f"{it.get('name', '?')}{tag} · {short}", k))
        self.items.options = opts
        values = [v for _, v in opts]
        if self._item in values:
            self.items.value = self._item
        elif values:
            self._item = values[0]
            self.items.value = values[0]
            self._show_item()
        else:
            self.items.value = None

    def _on_item_selected(self, change) -> None:
        if self._guard or change["new"] is None:
            return
        self._item = change["new"]
        self._guarded(self._show_item)

    def _show_item(self) -> None:
        items = self.draft.get("items", [])
        has = self._item is not None and 0 <= self._item < len(items)
        for box in (self.name, self.type, self.scale, self.construct, self.reverse, self.required,
                    *self.label_boxes.values(), *self.hint_boxes.values()):
            box.disabled = not has
        if not has:
            return
        it = items[self._item]
        self.name.value = str(it.get("name", ""))
        self.type.value = it.get("type", "select_one") if it.get("type", "select_one") in ITEM_TYPES else "text"
        self.scale.value = it.get("scale") if it.get("scale") in (self.draft.get("scales") or {}) else NONE
        self.construct.value = it.get("construct") if it.get("construct") in (self.draft.get("constructs") or {}) else NONE
        self.reverse.value = bool(it.get("reverse"))
        self.required.value = bool(it.get("required"))
        for lg, box in self.label_boxes.items():
            box.value = text_of(it.get("label"), lg)
        for lg, box in self.hint_boxes.items():
            box.value = text_of(it.get("hint"), lg)

    def _edit_item(self, field: str, value: Any) -> None:
        if self._guard or self._item is None:
            return
        self._commit(set_item_field(self.draft, self._item, field, value))
        if field in ("name", "construct", "reverse"):
            self._guarded(self._refresh_items)
        if field == "construct" and not value:
            self._guarded(lambda: setattr(self.reverse, "value", False))

    def _edit_item_text(self, key: str, lang: str, text: str) -> None:
        if self._guard or self._item is None:
            return
        self._commit(set_item_text(self.draft, self._item, key, lang, text))
        if key == "label" and lang == (self.draft.get("default_language") or lang):
            self._guarded(self._refresh_items)

    def _add_item(self) -> None:
        c = self.filter.value if self.filter.value not in (ALL, NONE) else None
        if c is None and self._item is not None and self._item < len(self.draft.get("items", [])):
            c = self.draft["items"][self._item].get("construct")
        draft, pos = add_item(self.draft, construct=c, after=self._item if c is None else None)
        self._item = pos
        self._commit(draft, lists=True)
        self._guarded(self._show_item)

    def _remove_item(self) -> None:
        if self._item is None or not self.draft.get("items"):
            return
        draft = remove_item(self.draft, self._item)
        self._item = min(self._item, len(draft["items"]) - 1) if draft["items"] else None
        self._commit(draft, lists=True)
        self._guarded(self._show_item)

    def _move_item(self, step: int) -> None:
        if self._item is None:
            return
        draft, self._item = move_item(self.draft, self._item, step)
        self._commit(draft, lists=True)

    def _show_construct(self) -> None:
        cid = self.construct_list.value
        cons = self.draft.get("constructs") or {}
        for box in (self.construct_id, self.construct_min, *self.construct_label_boxes.values()):
            box.disabled = cid is None
        if cid is None or cid not in cons:
            return
        self.construct_id.value = cid
        self.construct_min.value = int(cons[cid].get("min_answered", 1) or 1)
        for lg, box in self.construct_label_boxes.items():
            box.value = text_of(cons[cid].get("label"), lg)

    def _rename_construct(self, change) -> None:
        old = self.construct_list.value
        if self._guard or old is None or change["new"] == old:
            return
        try:
            draft = rename_construct(self.draft, old, change["new"].strip())
        except InstrumentError as err:
            self.message.value = html_message("error", str(err))
            return
        self._commit(draft)
        self._guarded(lambda: (self._refresh_lists(), setattr(self.construct_list, "value", change["new"].strip())))
        self._guarded(self._show_item)

    def _edit_construct_min(self, change) -> None:
        cid = self.construct_list.value
        if self._guard or cid is None:
            return
        self._commit(set_construct_field(self.draft, cid, "min_answered", int(change["new"])))

    def _edit_construct_text(self, lang: str, text: str) -> None:
        cid = self.construct_list.value
        if self._guard or cid is None:
            return
        self._commit(set_construct_text(self.draft, cid, lang, text))

    def _add_construct(self) -> None:
        cid = self.new_construct.value.strip()
        if not cid:
            self.message.value = html_message("error", "Tulis id konstruk baru / write the new construct's id")
            return
        try:
            draft = add_construct(self.draft, cid)
        except InstrumentError as err:
            self.message.value = html_message("error", str(err))
            return
        self.new_construct.value = ""
        self._commit(draft, lists=True)
        self._guarded(lambda: (setattr(self.construct_list, "value", cid), self._show_construct()))

    def _remove_construct(self) -> None:
        cid = self.construct_list.value
        if cid is None:
            return
        self._commit(remove_construct(self.draft, cid), lists=True)
        self._guarded(lambda: (self._show_construct(), self._show_item()))

    def _show_scale(self) -> None:
        sid = self.scale_list.value
        for box in (self.scale_id, self.scale_options, self.scale_missing):
            box.disabled = sid is None
        if sid is None:
            return
        self.scale_id.value = sid
        self.scale_options.value = scale_options_text(self.draft, sid)
        self.scale_missing.value = scale_options_text(self.draft, sid, "missing")

    def _rename_scale(self, change) -> None:
        old = self.scale_list.value
        if self._guard or old is None or change["new"] == old:
            return
        try:
            draft = rename_scale(self.draft, old, change["new"].strip())
        except InstrumentError as err:
            self.message.value = html_message("error", str(err))
            return
        self._commit(draft)
        self._guarded(lambda: (self._refresh_lists(), setattr(self.scale_list, "value", change["new"].strip())))
        self._guarded(self._show_item)

    def _edit_scale_options(self, key: str, text: str) -> None:
        sid = self.scale_list.value
        if self._guard or sid is None:
            return
        options, problems = parse_scale_options(text, languages_of(self.draft))
        self._local = [f"scales.{sid}.{key} ({self.t['scale']}): {p}" for p in problems]
        if problems:
            self._validate()
            return
        if key == "options" and len(options) < 2:
            self._local = [f"scales.{sid}.options: give at least 2 options"]
            self._validate()
            return
        self._commit(set_scale_options(self.draft, sid, options, key))

    def _add_scale(self) -> None:
        sid = self.new_scale.value.strip()
        if not sid:
            self.message.value = html_message("error", "Tulis id skala baru / write the new scale's id")
            return
        try:
            draft = add_scale(self.draft, sid)
        except InstrumentError as err:
            self.message.value = html_message("error", str(err))
            return
        self.new_scale.value = ""
        self._commit(draft, lists=True)
        self._guarded(lambda: (setattr(self.scale_list, "value", sid), self._show_scale()))

    def _remove_scale(self) -> None:
        sid = self.scale_list.value
        if sid is None:
            return
        self._commit(remove_scale(self.draft, sid), lists=True)
        self._guarded(lambda: (self._show_scale(), self._show_item()))

    def _edit_top(self, key: str, value: str) -> None:
        if self._guard:
            return
        d = copy.deepcopy(self.draft)
        d[key] = value
        self._commit(d)

    def _edit_title(self, lang: str, text: str) -> None:
        if self._guard:
            return
        self._commit(set_text(self.draft, "title", lang, text))

