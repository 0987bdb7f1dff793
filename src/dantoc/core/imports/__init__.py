"""The tabular import engine shared by every module.

Public API (import from the submodules; this package stays light because `dantoc.core.models`
imports `dantoc.core.imports.models`):

- `dantoc.core.imports.engine.run_import(kind, source, user=…, dry_run=…)` → `ImportResult`
- `dantoc.core.imports.registry.register` / `get` / `all_kinds` — kinds live in each app's `imports.py`
- `dantoc.core.imports.base.ModelImportKind` — the base of a kind that upserts one model
- `dantoc.core.imports.columns` — Text, Code, Integer, Number, Money, Date, Year, Choice, Boolean, Option
- `dantoc.core.imports.export.neutralise` — formula neutralisation for every export;
  `error_workbook`, `template_workbook`
- `dantoc.core.imports.legacy` — TCVN3 / VNI detection and conversion
- `dantoc.core.imports.tasks.run_import_job` — the background task behind the upload page
"""
