"""Dollars from device-seconds and tokens: the price table in the config, looked up by GPU type.

- A self-hosted model's request costs its device-seconds x (dollars per GPU-hour of the
  device's GPU type) / utilisation / 3600: paid hours are useful hours / utilisation.
- ``pricing.device: auto`` finds the GPU type in the device name the cost model was measured
  on (``cuda:NVIDIA H100 80GB HBM3`` -> ``H100``: the longest key of
  ``pricing.dollars_per_hour`` the name contains, case-insensitive; ``cpu`` -> ``cpu``). Any
  other value names the key to use for every device.
- A GPU type with no price gives no dollars (NULL), never a guessed price; GPU-hours are still
  projected and the recommendation ranks by them.
- A hosted large model (``pricing.large_hosted: true``) costs its tokens x dollars per million
  tokens, and its GPU-hours are the provider's, not ours (0 in the GPU-hour columns).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from scoring.config import PricingConfig

HOURS = 3600.0


@dataclass(frozen=True)
class DeviceRate:
    """Dollars per useful device-second of one measured device (None: no price for its type)."""

    device: str
    gpu_type: str | None
    dollars_per_gpu_hour: float | None  # the list price, per paid hour

    def dollars_per_second(self, utilisation: float) -> float | None:
        if self.dollars_per_gpu_hour is None:
            return None
        return self.dollars_per_gpu_hour / utilisation / HOURS


def gpu_type(device: str, known: Iterable[str]) -> str | None:
    """The price key a device name contains (the longest one), or None.

    Example:
        >>> gpu_type("cuda:NVIDIA H100 80GB HBM3", ["cpu", "H100", "H200"])
        'H100'
        >>> gpu_type("cuda:NVIDIA A10G", ["cpu", "H100"]) is None
        True
    """
    name = device.lower()
    matches = [key for key in known if key.lower() in name]
    return max(matches, key=len) if matches else None


def device_rate(pricing: PricingConfig, device: str) -> DeviceRate:
    """The price of ``device`` under ``pricing``.

    Example:
        >>> from scoring.config import PricingConfig
        >>> device_rate(PricingConfig(), "cpu").gpu_type
        'cpu'
    """
    key = gpu_type(device, pricing.dollars_per_hour) if pricing.device == "auto" else pricing.device
    price = None if key is None else pricing.dollars_per_hour[key]
    return DeviceRate(device, key, price)


def request_dollars(seconds: np.ndarray, rate: DeviceRate, utilisation: float) -> np.ndarray:
    """Dollars of each request's device-seconds; NaN where the device has no price.

    Example:
        >>> r = DeviceRate("cpu", "cpu", 3.6)
        >>> request_dollars(np.array([10.0]), r, 0.5).tolist()
        [0.02]
    """
    per_second = rate.dollars_per_second(utilisation)
    seconds = np.asarray(seconds, dtype=float)
    return np.full_like(seconds, np.nan) if per_second is None else seconds * per_second


def hosted_dollars(prompt_tokens: np.ndarray, output_tokens: np.ndarray, pricing: PricingConfig) -> np.ndarray:
    """Dollars a hosted API charges for each request's tokens.

    Example:
        >>> from scoring.config import PricingConfig
        >>> hosted_dollars(np.array([1_000_000]), np.array([0]), PricingConfig()).tolist()
        [2.5]
    """
    price = pricing.hosted_large_price
    return (np.asarray(prompt_tokens, dtype=float) * price.input_dollars_per_million
            + np.asarray(output_tokens, dtype=float) * price.output_dollars_per_million) / 1e6


def price_note(rates: Iterable[DeviceRate], pricing: PricingConfig) -> str | None:
    """Why the dollars are missing or zero, or None when every device has a positive price."""
    notes = []
    for rate in rates:
        if rate.gpu_type is None:
            notes.append(f"no price for the GPU type of device {rate.device!r}: add it to "
                         f"pricing.dollars_per_hour (known: {', '.join(sorted(pricing.dollars_per_hour))})")
        elif rate.dollars_per_gpu_hour == 0:
            notes.append(f"the price of {rate.gpu_type} is 0: dollars are 0 and the "
                         "recommendation ranks by GPU-hours")
    return "; ".join(dict.fromkeys(notes)) or None


def price_table(pricing: PricingConfig, measured_devices: Iterable[str]) -> list[dict]:
    """The price table as rows (gpu_prices), each GPU type marked ``measured`` when a device the
    cost models were measured on prices as it.

    Example:
        >>> from scoring.config import PricingConfig
        >>> [(r["gpu_type"], r["measured"]) for r in price_table(PricingConfig(), ["cpu"])]
        [('H100', False), ('H200', False), ('cpu', True)]
    """
    measured = {device_rate(pricing, device).gpu_type for device in measured_devices}
    rows = []
    for key in sorted(pricing.dollars_per_hour):
        source = pricing.price_sources.get(key)
        rows.append({"gpu_type": key, "dollars_per_hour": pricing.dollars_per_hour[key],
                     "as_of": source.as_of if source else None, "source": source.source if source else None,
                     "measured": key in measured})
    return rows
