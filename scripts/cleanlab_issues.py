"""cleanlab's label issues for one camwatch epoch, the reference camwatch's list is measured
against: `find_label_issues` with its defaults on the epoch's validation probabilities
(probabilities.npy) and given labels (data.js), ranked by self-confidence as camwatch ranks.

Usage: .venv/bin/python scripts/cleanlab_issues.py reports/RUN/epoch-NNN
Prints one JSON line: {"issues": [validation indices, most doubtful first]}.
"""

import json
import pathlib
import sys

import numpy as np
from cleanlab.filter import find_label_issues


def main():
    epoch = pathlib.Path(sys.argv[1])
    script = (epoch / "data.js").read_text()
    data = json.loads(script[script.index("(") + 1 : script.rindex(")")])
    labels = np.array([image["l"] for image in data["images"]])
    probabilities = np.load(epoch / "probabilities.npy").astype(np.float64)
    issues = find_label_issues(
        labels, probabilities, return_indices_ranked_by="self_confidence", n_jobs=1
    )
    print(json.dumps({"issues": [int(i) for i in issues]}))


if __name__ == "__main__":
    main()
