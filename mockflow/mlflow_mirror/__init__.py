"""MLflow behaviour mockflow mirrors but cannot import (private or server-only code).

Each module opens with the MLflow file and version it follows, so a new MLflow release is one
folder to re-read.
"""
