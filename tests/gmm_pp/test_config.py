"""The sampler's settings."""

import dataclasses

import pytest

from gmm_pp.config import SamplerConfig


def test_config_record_is_frozen():
    cfg = SamplerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.draws = 10
