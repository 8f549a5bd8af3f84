"""scoring.costs.pricing: GPU type lookup, dollars per request, hosted token prices and the notes for
a missing GPU type or a price of zero."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.config import PricingConfig
from scoring.costs.pricing import (
    DeviceRate,
    device_rate,
    gpu_type,
    hosted_dollars,
    price_note,
    request_dollars,
)


@pytest.mark.parametrize(("device", "expected"), [
    ("cuda:NVIDIA H100 80GB HBM3", "H100"),
    ("cuda:NVIDIA H200", "H200"),
    ("cpu", "cpu"),
    ("cuda:NVIDIA A10G", None),
])
def test_gpu_type_from_device_name(device, expected):
    assert gpu_type(device, ["cpu", "H100", "H200"]) == expected


def test_longest_key_wins():
    assert gpu_type("cuda:NVIDIA H100 NVL", ["H100", "H100 NVL"]) == "H100 NVL"


def test_auto_and_explicit_device_rates():
    pricing = PricingConfig(dollars_per_hour={"cpu": 0.1, "H100": 2.0})
    assert device_rate(pricing, "cuda:NVIDIA H100 80GB HBM3") == DeviceRate("cuda:NVIDIA H100 80GB HBM3", "H100", 2.0)
    assert device_rate(pricing, "cuda:NVIDIA A10G").dollars_per_gpu_hour is None
    explicit = PricingConfig(device="H100", dollars_per_hour={"cpu": 0.1, "H100": 2.0})
    assert device_rate(explicit, "cpu").dollars_per_gpu_hour == 2.0  # one price for every device


def test_request_dollars_divide_by_utilisation():
    rate = DeviceRate("cuda:NVIDIA H100", "H100", 3.6)
    # 100 s at $3.6 per paid hour, half the paid hours useful: 100 / 3600 x 3.6 / 0.5
    assert request_dollars(np.array([100.0, 0.0]), rate, 0.5).tolist() == pytest.approx([0.2, 0.0])
    assert np.isnan(request_dollars(np.array([1.0]), DeviceRate("x", None, None), 0.5)).all()


def test_hosted_dollars_per_million_tokens():
    pricing = PricingConfig()
    price = pricing.hosted_large_price
    expected = (1000 * price.input_dollars_per_million + 200 * price.output_dollars_per_million) / 1e6
    assert hosted_dollars(np.array([1000]), np.array([200]), pricing).tolist() == pytest.approx([expected])


def test_price_notes_for_a_missing_type_and_a_zero_price():
    pricing = PricingConfig(dollars_per_hour={"cpu": 0.0, "H100": 2.0})
    assert price_note([device_rate(pricing, "cuda:NVIDIA H100")], pricing) is None
    missing = price_note([device_rate(pricing, "cuda:NVIDIA A10G")], pricing)
    assert "no price for the GPU type of device 'cuda:NVIDIA A10G'" in missing and "pricing.dollars_per_hour" in missing
    assert "price of cpu is 0" in price_note([device_rate(pricing, "cpu")], pricing)


def test_every_default_price_has_a_date_and_a_source():
    pricing = PricingConfig()
    assert set(pricing.price_sources) == set(pricing.dollars_per_hour)
    for source in pricing.price_sources.values():
        assert source.as_of.year >= 2026 and source.source.count("http") == 1
    assert pricing.hosted_large_price.source.startswith("OpenAI")
