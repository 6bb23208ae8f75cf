"""The govsearch search page: ``python app_gradio.py`` opens it on 127.0.0.1:7860.

Options: --host, --port (or GOVSEARCH_HOST, GOVSEARCH_PORT), --index, --corpus.
The page itself lives in :mod:`govsearch.app`.
"""

import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from govsearch.app import main  # noqa: E402

if __name__ == "__main__":
    main(root=Path(__file__).resolve().parent)
