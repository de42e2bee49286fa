"""``python -m gmm_pp``: the gmm-pp command line."""

from gmm_pp.cli import console

console()
