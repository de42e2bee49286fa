"""The selection's BIC table on faithful against R's mclust (by hand; needs R with mclust, not CI).

mclust's ``mclustBIC(faithful, G = 1:9, modelNames = c("VII", "VVI", "EEE", "VVV"))``
(one hierarchical start per model, its BIC with the opposite sign) against
``gmm_pp.select(faithful, bayes="none", seed=0)``: where both reach the same maximum the
BICs agree to mclust's tolerance; elsewhere the lower BIC found the higher maximum.

    apt-get install r-base-core r-cran-mclust
    .venv/bin/python benchmarks/check_mclust_bic.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gmm_pp  # noqa: E402

R = r"""
suppressMessages(library(mclust))
b <- mclustBIC(datasets::faithful, G = 1:9, modelNames = c("VII", "VVI", "EEE", "VVV"))
write.csv(as.data.frame(unclass(b)), commandArgs(TRUE)[1])
m <- Mclust(datasets::faithful, G = 1:9, modelNames = c("VII", "VVI", "EEE", "VVV"))
cat("mclust chooses", m$modelName, m$G, "BIC", m$bic, "\n")
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bic.csv"
        script = Path(tmp) / "bic.R"
        script.write_text(R)
        out = subprocess.run(["Rscript", str(script), str(path)], capture_output=True,
                             text=True, check=True)  # fmt: skip
        print(out.stdout.strip())
        theirs = pd.read_csv(path, index_col=0)
    sel = gmm_pp.select(gmm_pp.load_dataset("faithful", as_frame=True), bayes="none", seed=0)
    print("gmm-pp chooses", sel.chosen, "BIC", round(sel.table().iloc[0]["bic"], 3))
    rows = []
    for r in sel.grid.itertuples():
        mclust = -float(theirs.loc[r.k, r.mclust])
        rows.append({"model": f"{r.structure}-K{r.k}", "gmm-pp": r.bic, "mclust": mclust,
                     "difference": r.bic - mclust})  # fmt: skip
    table = pd.DataFrame(rows).set_index("model")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    same = (table["difference"].abs() < 0.1).sum()
    lower = (table["difference"] <= -0.1).sum()
    higher = (table["difference"] >= 0.1).sum()
    print(f"same maximum (|difference| < 0.1): {same}; gmm-pp's higher maximum: {lower}; "
          f"mclust's higher maximum: {higher}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
