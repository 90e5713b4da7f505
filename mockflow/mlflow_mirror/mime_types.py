"""The MIME type of a downloaded artifact, as ``mlflow server`` sends it: ``_guess_mime_type`` and
``get_text_extensions`` of ``mlflow/utils/mime_type_utils.py`` (3.17.2; the same in 3.9.0).

Re-typed rather than imported: ``get_text_extensions`` imports ``mlflow.models`` (pandas, the
client) for two file names, which the serve process avoids.
"""

from __future__ import annotations

import mimetypes
import posixpath

_TEXT_EXTENSIONS = frozenset(
    "txt log err cfg conf cnf cf ini properties prop hocon toml yaml yml xml json js py py3 csv "
    "tsv md rst ipynb MLmodel mlproject".split()
)


def guess_mime_type(path: str) -> str:
    """MLflow's ``_guess_mime_type``: text for known text files, else by extension, else binary."""
    filename = posixpath.basename(path)
    extension = posixpath.splitext(filename)[1].replace(".", "") or filename
    if extension in _TEXT_EXTENSIONS:
        return "text/plain"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
