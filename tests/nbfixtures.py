"""Build small real notebooks for runner tests (executed by papermill for real)."""
from __future__ import annotations

from pathlib import Path

import nbformat


def make_project(root: Path) -> Path:
    """A minimal project: pyproject.toml, notebooks/ with an ok and a failing notebook, a plan."""
    (root / "notebooks" / "plans").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname='x'\n")
    params = nbformat.v4.new_code_cell(
        'x = 2  # int: a number to square\nlang = "id"  # str: report language\n'
        'data = ""  # str: optional data file\nout_dir = "outputs/scratch"  # str: where results.json goes')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "from survey.reports import write_results\n"
        "fig, ax = plt.subplots(figsize=(3, 2)); ax.plot([0, 1], [0, x * x]); plt.show()\n"
        "SECRET_CODE_MARKER = 1\n"
        "write_results(out_dir, {'square': x * x, 'n': x * x, 'lang': lang}, synthetic=True)\n"
        "print('square is', x * x)")
    hidden = nbformat.v4.new_code_cell("print('remove me entirely')")
    hidden.metadata["tags"] = ["remove_cell"]
    meta = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}}
    ok = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Square report"), params, body, hidden], metadata=meta)
    nbformat.write(ok, root / "notebooks" / "square.ipynb")
    fail = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell("raise ValueError('deliberate failure for the test')")], metadata=meta)
    nbformat.write(fail, root / "notebooks" / "fail.ipynb")
    leak = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(
        "print('Kontak peserta: Budi, 0812-3456-7890, NIP 198503122010011002')")], metadata=meta)
    nbformat.write(leak, root / "notebooks" / "leak.ipynb")
    extra = {
        # never ends: the time limit must stop it
        "hang": "import time\nwhile True:\n    pass",
        # the kernel dies in the middle of the report
        "die": "import os\nprint('about to die', flush=True)\nos._exit(1)",
        # reads a file that no parameter names: the cache must notice when it changes
        "hidden": ("from pathlib import Path\nfrom survey.reports import write_results, project_path\n"
                   "text = open(project_path('data/hidden.txt')).read()\n"
                   "write_results(out_dir, {'n': len(text)}, synthetic=True)\nprint('hidden file has', len(text))"),
        # what a report kernel starts from: nothing left by the report before it in the same worker
        "fresh": ("import builtins, os, time\nimport numpy as np\nfrom survey.reports import write_results\n"
                  "seen = getattr(builtins, 'survey_test_marker', None)\nbuiltins.survey_test_marker = x\n"
                  "env_seen = os.environ.get('SURVEY_TEST_MARKER')\nos.environ['SURVEY_TEST_MARKER'] = str(x)\n"
                  "write_results(out_dir, {'seen': seen, 'env_seen': env_seen, 'pid': os.getpid(), "
                  "'draw': float(np.random.random()), 'tz': time.strftime('%Z'), 'cwd': os.getcwd(), "
                  "'forked': 'survey.reports.zygote' in open(f'/proc/{os.getppid()}/cmdline').read()})"),
        # slow enough to be interrupted while running
        "sleepy": "import time\ntime.sleep(x)\nfrom survey.reports import write_results\nwrite_results(out_dir, {'n': x})",
    }
    for name, code in extra.items():
        nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)], metadata=meta)
        nbformat.write(nb, root / "notebooks" / f"{name}.ipynb")
    return root
